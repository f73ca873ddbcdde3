#!/bin/sh
# lint.sh [BUILD]: every code check in one place, for a developer before committing (the test
# command runs the same checks as the CTest tests lint/*):
#   layers   the include rules (scripts/check-layers.sh)
#   alloc    no raw allocation outside util/xmalloc.c (scripts/check-alloc.sh)
#   columns  results read by column name (scripts/check-columns.sh)
#   tidy     clang-tidy's bug-finding checks (.clang-tidy; needs BUILD/compile_commands.json)
#   format   clang-format (.clang-format) over src/, tests/unit/, bench/ and fuzz/ C files (also the
#            CTest test lint/format)
#   web      eslint (.eslintrc.json) over web/
#   repeats  the tool `duplicates` where the machine has it: pairs of repeated code, for reading
#            (it never fails the run)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-asan}
rc=0
step() { printf '== %s\n' "$1"; }
# Runs a check, prints its last line; its own exit status decides (a pipe into tail would hide it).
last() { out=$("$@" 2>&1) || rc=1; printf '%s\n' "$out" | tail -1; }
step layers; last sh "$ROOT/scripts/check-layers.sh" "$ROOT/src"
step alloc; last sh "$ROOT/scripts/check-alloc.sh" "$ROOT"
step columns; last sh "$ROOT/scripts/check-columns.sh"
step tidy; last sh "$ROOT/scripts/check-tidy.sh" "$ROOT" "$BUILD"
step format; last sh "$ROOT/scripts/check-format.sh" "$ROOT"
step web; "$ROOT/node_modules/.bin/eslint" --no-eslintrc -c "$ROOT/.eslintrc.json" --max-warnings 0 "$ROOT/web" && echo "eslint: clean" || rc=1
step repeats
if command -v duplicates >/dev/null; then (cd "$ROOT" && duplicates --seconds 60 | head -12); else echo "duplicates: not on this machine"; fi
exit $rc
