#!/bin/sh
# check-format.sh [ROOT]: every C/C++ file of src/, tests/unit/, bench/ and fuzz/ as clang-format
# (ROOT/.clang-format) would write it; lists the files that differ and fails when any does. The
# CTest test lint/format. To fix: clang-format -i FILE (or the whole list this prints).
set -eu
ROOT=${1:-$(dirname "$0")/..}
cd "$ROOT"
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed (apt-get install clang-format)"; exit 1; }
n=0
for f in $(find src tests/unit bench fuzz -name '*.c' -o -name '*.h' -o -name '*.cpp' | sort); do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "$f"
    n=$((n + 1))
  fi
done
echo "check-format: $n file(s) differ from .clang-format"
[ "$n" -eq 0 ]
