#!/usr/bin/env bash
# bench/http.sh: requests per second and p99 latency of the web server, with wrk on loopback,
# 10 s per endpoint: /healthz (the store answers SELECT 1) and /api/auth/me (a session lookup
# and an account read: two indexed queries). Run against the release build (scripts/build.sh).
#   bench/http.sh [--db postgres://...] [--seconds N] [--connections N]
set -euo pipefail
# A throwaway benchmark server: mock payments, log SMS, a new master key (src/config/production.h).
export TUCAI_DEV=1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TUCAI_BIN:-$ROOT/build/tucai}
secs=10; conns=32; db=()
while [ $# -gt 0 ]; do
  case "$1" in
  --db) db=(--db "$2"); shift 2 ;;
  --seconds) secs=$2; shift 2 ;;
  --connections) conns=$2; shift 2 ;;
  *) echo "usage: bench/http.sh [--db URL] [--seconds N] [--connections N]" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
data=$(mktemp -d /tmp/tucai-bench-XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
TUCAI_NEW_PASSWORD='bench password 1' "$BIN" user add --data "$data" "${db[@]}" --username bench --role reviewer >/dev/null 2>&1
# Logging stays on (one line per request, as in production), into a file.
"$BIN" serve --listen 127.0.0.1:0 --data "$data" "${db[@]}" --workers 1 2>"$data/log" &
pid=$!
port=
for _ in $(seq 200); do
  port=$(grep -o '"msg":"listening".*"port":"[0-9]*"' "$data/log" | grep -o '"port":"[0-9]*"' | grep -o '[0-9]*' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "server did not start" >&2; cat "$data/log" >&2; exit 1; }
url=http://127.0.0.1:$port
csrf=$(curl -s -c "$data/jar" "$url/api/csrf" | sed 's/.*"csrf":"\([0-9a-f]*\)".*/\1/')
curl -s -b "$data/jar" -c "$data/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"bench password 1"}' "$url/api/auth/login" >/dev/null
sid=$(awk '$6=="tucai_sid"{print $7}' "$data/jar")

run() {
  local name=$1; shift
  local out
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@")
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  printf '%-28s %10s req/s   p99 %s\n' "$name" "$rps" "$p99"
}
store=sqlite; [ ${#db[@]} -gt 0 ] && store=postgres
echo "tucai http bench: $conns connections, ${secs}s each, store $store, $(nproc) cores"
run "GET /healthz" "$url/healthz"
run "GET /api/auth/me (session)" -H "Cookie: tucai_sid=$sid" "$url/api/auth/me"
