#!/bin/sh
# bench/contact_sheet.sh [BUILD_DIR] [OUT_DIR] [PROFILE]: standardizes every dev photo with
# `tucai photo batch` and makes contact sheets of the outputs to look at:
#   OUT_DIR/sheet.png       every output at half size, with its name (refused ones in red)
#   OUT_DIR/heads.png       the top half of every output at full size (hair, crown, old-wall ghosts)
#   OUT_DIR/shoulders.png   the lower corners' band at full size (shoulders, collars, rims)
# and prints the batch's one-line summary and each refusal.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
OUT=${2:-$SRC/var/contact}
PROFILE=${3:-chsi-blue}
SHARED=${TUCAI_SHARED:-$SRC/../shared}
cmake --build "$BUILD" --target tucai bench_contact_sheet >/dev/null
rm -rf "$OUT/std" && mkdir -p "$OUT/std"
"$BUILD/tucai" photo batch "$SHARED/photos/dev" -o "$OUT/std" --profile "$PROFILE" --report "$OUT/report.csv"
grep refused "$OUT/report.csv" || true
# Every dev photo gets a tile, the refused ones too (a red tile: no output file).
files=$(ls "$SHARED/photos/dev" | sed "s|^|$OUT/std/|")
"$BUILD/bench/bench_contact_sheet" "$OUT/sheet.png" --cols 9 --scale 0.4 $files
"$BUILD/bench/bench_contact_sheet" "$OUT/heads.png" --cols 6 --scale 1 --crop 60,0,360,300 $files
"$BUILD/bench/bench_contact_sheet" "$OUT/shoulders.png" --cols 6 --scale 1 --crop 0,400,480,240 $files
echo "contact sheets: $OUT/sheet.png $OUT/heads.png $OUT/shoulders.png"
