#!/usr/bin/env bash
# build.sh [release|asan]: configures and builds into build/ (release) or build-asan/ (ASan+UBSan,
# what the test command runs). -Wall -Wextra -Werror in both.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:-release}
case "$kind" in
release) dir=$ROOT/build; flags=() ;;
asan) dir=$ROOT/build-asan; flags=(-DTUCAI_SANITIZE=ON) ;;
*) echo "usage: build.sh [release|asan]" >&2; exit 2 ;;
esac
cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
