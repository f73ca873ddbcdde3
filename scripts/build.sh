#!/usr/bin/env bash
# build.sh [release|asan|fuzz]: configures and builds into build/ (release), build-asan/ (ASan+UBSan,
# what the test command runs) or build-fuzz/ (clang, the libFuzzer harnesses of fuzz/ under
# ASan+UBSan). -Wall -Wextra -Werror in all three.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:-release}
case "$kind" in
release) dir=$ROOT/build; flags=() ;;
asan) dir=$ROOT/build-asan; flags=(-DTUCAI_SANITIZE=ON) ;;
fuzz) dir=$ROOT/build-fuzz; flags=(-DTUCAI_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
*) echo "usage: build.sh [release|asan|fuzz]" >&2; exit 2 ;;
esac
cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
