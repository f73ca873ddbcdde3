#!/bin/sh
# bench/blob.sh [BUILD_DIR] [ROUNDS]: builds bench_blob, starts the tests' real S3 server (Ceph
# radosgw, tests/support/s3_server.sh) in a temporary directory, prints put/get times of the
# dir, db and s3 photo stores, and stops the server.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
ROUNDS=${2:-20}
cmake --build "$BUILD" --target bench_blob >/dev/null
S3=$(mktemp -d /tmp/bench-s3-XXXXXX)
trap '"$SRC/tests/support/s3_server.sh" stop "$S3"' EXIT
"$SRC/tests/support/s3_server.sh" start "$S3" >/dev/null
TUCAI_S3_DIR=$S3 "$BUILD/bench/bench_blob" "$ROUNDS"
