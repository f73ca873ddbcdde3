#!/bin/sh
# bench/photo.sh [BUILD_DIR] [ROUNDS]: builds bench_photo and prints the photo engine's numbers
# (per stage median/p90 at the dev photos' size and at 12 MP, the decode+encode floor measured in
# the same run, model loading, peak memory). Needs the models (scripts/setup-models.sh).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
ROUNDS=${2:-3}
cmake --build "$BUILD" --target bench_photo >/dev/null
TUCAI_SHARED=${TUCAI_SHARED:-$SRC/../shared} exec "$BUILD/bench/bench_photo" "$ROUNDS"
