#!/usr/bin/env bash
# test.sh: install what is missing, build with ASan+UBSan, and run every test (C unit tests,
# end-to-end API tests, browser tests) through CTest; then build the libFuzzer harnesses (clang,
# build-fuzz/) and run their CTest tests fuzz/<name> (regression inputs, then ~15 s of fuzzing
# each). PostgreSQL is installed if missing and a throw-away cluster runs on loopback for the
# length of the run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/install.sh"
"$ROOT/scripts/build.sh" asan
"$ROOT/scripts/build.sh" fuzz
rc=0
(cd "$ROOT/build-asan" && ctest --output-on-failure -j"$(nproc)" "$@") || rc=$?
(cd "$ROOT/build-fuzz" && ctest --output-on-failure -j"$(nproc)" "$@") || rc=$?
exit $rc
