#!/bin/sh
# check-tidy.sh SOURCE BUILD: clang-tidy with the checks of SOURCE/.clang-tidy over every C and C++
# file of SOURCE/src, using BUILD/compile_commands.json; fails on any finding. The CTest test
# lint/tidy (about two minutes on two cores). Without clang-tidy on the machine it says so and
# fails: the test command installs it (scripts/packages.txt).
set -eu
SRC=${1:?usage: check-tidy.sh SOURCE BUILD}
BUILD=${2:?usage: check-tidy.sh SOURCE BUILD}
command -v clang-tidy >/dev/null || { echo "check-tidy: clang-tidy is not installed (apt-get install clang-tidy)"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cd "$SRC"
find src -name '*.c' -o -name '*.cpp' | sort |
  xargs -P "$(nproc)" -n 16 clang-tidy -p "$BUILD" --quiet >"$out" 2>/dev/null || true
n=$(grep -c 'warning:\|error:' "$out" || true)
grep -A3 'warning:\|error:' "$out" || true
echo "check-tidy: $n finding(s)"
[ "$n" -eq 0 ]
