#!/usr/bin/env bash
# bench/faults.sh [N] [FIRST]: the kill -9 driver (tests/e2e/faults_kill9.test.mjs) over N seeds
# (default 200) from FIRST (default: a random one, printed, to rerun a failure), on the ASan build
# the tests use (TUCAI_BIN to choose another). Prints each seed's kill point and time.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-200}
first=${2:-$(( (RANDOM << 15 | RANDOM) % 1000000 + 1 ))}
export TUCAI_DEV=1 TUCAI_SOURCE=$ROOT
export TUCAI_BIN=${TUCAI_BIN:-$ROOT/build-asan/tucai}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:suppressions=$ROOT/tests/asan.supp
export LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
[ -x "$TUCAI_BIN" ] || "$ROOT/scripts/build.sh" asan
echo "faults: $n seeds from $first ($TUCAI_BIN)"
cd "$ROOT"
TUCAI_FAULTS_BUDGET_S=${TUCAI_FAULTS_BUDGET_S:-86400} TUCAI_FAULTS_SEEDS=$n TUCAI_FAULTS_FIRST=$first exec node --test --test-reporter=spec tests/e2e/faults_kill9.test.mjs
