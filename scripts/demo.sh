#!/usr/bin/env bash
# demo.sh: install what is missing, build, and run `tucai serve` on SQLite with demo data at
# http://127.0.0.1:8080 (override with TUCAI_LISTEN). Demo staff passwords: var/demo-credentials.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/install.sh"
"$ROOT/scripts/build.sh" release
cd "$ROOT"
exec ./build/tucai serve --data "${TUCAI_DATA:-$ROOT/var}" --demo
