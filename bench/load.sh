#!/usr/bin/env bash
# bench/load.sh: the release build behind Debian's nginx (deploy/nginx-tucai.conf on loopback, a
# self-signed certificate made with openssl), then 200 students uploading photos, 1,000 event
# streams and 50 wrong-password staff logins at once. Prints /healthz latencies, p50/p99 of a
# student's status read, the server's RSS over time and its maximum, the counts of stored and
# refused uploads (with their error codes), of open and refused streams, and the logins' answers.
#   bench/load.sh [--students N] [--streams N] [--staff N] [--hold SECONDS]
# The short CI version is the CTest test e2e/load_nginx (ASan build, smaller numbers).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TUCAI_DEV=1
export TUCAI_BIN=${TUCAI_BIN:-$ROOT/build/tucai}
export TUCAI_SOURCE=$ROOT
[ -x /usr/sbin/nginx ] || "$ROOT/scripts/install.sh"
[ -x "$TUCAI_BIN" ] || "$ROOT/scripts/build.sh" release
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cd "$ROOT"
exec node bench/load.mjs "$@"
