#!/usr/bin/env bash
# fuzz.sh [SECONDS] [HARNESS...]: runs each libFuzzer harness (build-fuzz/fuzz/<name>, built by
# `scripts/build.sh fuzz`) for SECONDS (default 60) on its checked-in corpus fuzz/corpus/<name>
# plus a scratch corpus var/fuzz/<name>/corpus that keeps what earlier runs found (new coverage
# goes there, never into the repository). Prints per harness: seconds run, executions, coverage
# (cov: edges, ft: features), corpus size, and crashes found (their inputs under
# var/fuzz/<name>/artifacts/). No harness named: all of them. FUZZ_JOBS=N runs N at a time
# (default 1: other builds share the cores).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
bin=$ROOT/build-fuzz/fuzz
if [ ! -d "$bin" ]; then echo "fuzz.sh: no $bin; run scripts/build.sh fuzz first" >&2; exit 2; fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for c in "$ROOT"/fuzz/corpus/*/; do names+=("$(basename "$c")"); done
fi
jobs=${FUZZ_JOBS:-1}

run_one() {
  local name=$1 secs=$2 root=$3
  local work=$root/var/fuzz/$name
  mkdir -p "$work/corpus" "$work/artifacts"
  local before
  before=$(ls "$work/artifacts" | wc -l)
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
  LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$root/build-fuzz/fuzz/$name" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "$root/fuzz/corpus/$name" >"$work/log" 2>&1
  local rc=$?
  # Last status line: "#N  DONE/pulse/NEW ... cov: C ft: F corp: K/Sb ..."
  local last cov ft corp execs t
  last=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  t=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$work/log")
  if [ -z "$t" ]; then # stopped early (a crash): the time it ran, from its own averages
    local avg
    avg=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
    [ -n "$avg" ] && [ -n "$execs" ] && [ "$avg" -gt 0 ] && t=$(( execs / avg ))
  fi
  [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
  local crashes=$(( $(ls "$work/artifacts" | wc -l) - before ))
  printf '%-18s %6ss %12s execs %8s exec/s  cov: %-6s ft: %-7s corp: %-12s crashes: %s%s\n' \
    "$name" "${t:-$secs}" "${execs:-?}" "$(( ${execs:-0} / (${t:-$secs} > 0 ? ${t:-$secs} : 1) ))" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" \
    "$([ $rc -ne 0 ] && echo "  (stopped: see $work/log, inputs in $work/artifacts/)")"
}
export -f run_one

printf '%s\n' "${names[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} "$secs" "$ROOT"
