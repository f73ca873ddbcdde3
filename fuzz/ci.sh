#!/bin/sh
# ci.sh BIN NAME FUZZ_DIR WORK_DIR SECONDS: the CTest test fuzz/NAME.
# 1. Replays every input in FUZZ_DIR/regressions/NAME (crashes found before: each must now pass).
# 2. Fuzzes the checked-in corpus FUZZ_DIR/corpus/NAME for a fixed number of inputs from a fixed
#    seed (TUCAI_FUZZ_RUNS, default 3000; TUCAI_FUZZ_SEED, default 1), with SECONDS only as a safety
#    cap: the same inputs on every run, so CI is a repeatable regression test and never fails by
#    luck on a bug nobody has seen. Finding new bugs is bench/fuzz.sh's job (long, random seeds).
#    New inputs go to WORK_DIR/NAME/corpus, never into the repository. A crash fails the test and
#    names the input to copy into FUZZ_DIR/regressions/NAME once the product is fixed.
set -eu
bin=$1 name=$2 src=$3 work=$4/$2 secs=$5
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1:abort_on_error=0:allocator_may_return_null=1:"
export LSAN_OPTIONS="suppressions=$src/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$work"
if [ -d "$src/regressions/$name" ] && [ -n "$(ls -A "$src/regressions/$name" 2>/dev/null)" ]; then
  echo "fuzz/$name: replaying $(ls "$src/regressions/$name" | wc -l) regression inputs"
  # Each file once (files as arguments, not a corpus): a crash names the file.
  if ! "$bin" -rss_limit_mb=2560 -timeout=25 "$src/regressions/$name"/* >"$work/regressions.log" 2>&1; then
    tail -n 60 "$work/regressions.log"
    echo "fuzz/$name: a regression input crashes again" >&2
    exit 1
  fi
fi
set +e
"$bin" -seed="${TUCAI_FUZZ_SEED:-1}" -runs="${TUCAI_FUZZ_RUNS:-3000}" -max_total_time="$secs" -timeout=25 \
  -rss_limit_mb=2560 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$src/corpus/$name" >"$work/log" 2>&1
rc=$?
set -e
grep -E '^#[0-9]+ +(INITED|DONE)|^stat::number_of_executed_units|^stat::peak_rss' "$work/log" || true
if [ $rc -ne 0 ]; then
  tail -n 80 "$work/log"
  echo "fuzz/$name: crash; input(s): $(ls "$work/artifacts")" >&2
  echo "  fix the product, then copy the input to fuzz/regressions/$name/" >&2
  exit 1
fi
