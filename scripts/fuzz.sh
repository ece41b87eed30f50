#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz/, clang, -fsanitize=fuzzer,address,undefined, against
# prunekit_parse only: no LibTorch) into ${FUZZ_BUILD_DIR:-build-fuzz}/ and run each for SECONDS
# (default 60), one after another, seeded from tests/fixtures (seeds written by fuzz_seeds into
# <build>/seeds/, the growing corpus kept in <build>/corpus/<target>/).
#   scripts/fuzz.sh [SECONDS [RUNS]]   RUNS: also stop a target after this many executions
#   FUZZ_TARGETS="config corpus" scripts/fuzz.sh 30   only these targets
# Prints per target the executions (libFuzzer's stat::number_of_executed_units) and its findings
# (crash / leak / timeout / out-of-memory inputs, saved under <build>/findings/); exits 1 on any
# finding. Reproduce one with: <build>/bin/fuzz_<target> <finding file>. See docs/FUZZING.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
RUNS=${2:-}
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
ALL_TARGETS="safetensors_header shard_index config tokenizer_json tokenizer_encode corpus zeroshot_task"
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}
case "$SECONDS_PER_TARGET" in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number (got '$SECONDS_PER_TARGET')" >&2; exit 2 ;; esac
if [ -n "$RUNS" ]; then
  case "$RUNS" in *[!0-9]*) echo "fuzz.sh: RUNS must be a whole number (got '$RUNS')" >&2; exit 2 ;; esac
fi
command -v clang++ >/dev/null || scripts/setup-deps.sh

if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPRUNEKIT_FUZZ=ON -DPRUNEKIT_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j "$(nproc)"

rm -rf "$BUILD/seeds"
"$BUILD/bin/fuzz_seeds" tests/fixtures "$BUILD/seeds"
mkdir -p "$BUILD/findings"

total_findings=0
summary=()
for t in $TARGETS; do
  bin="$BUILD/bin/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz.sh: no target $t (have: $ALL_TARGETS)" >&2; exit 2; }
  corpus="$BUILD/corpus/$t"
  mkdir -p "$corpus"
  log="$BUILD/findings/$t.log"
  before=$(find "$BUILD/findings" -name "$t-*" -type f | wc -l)
  args=(-max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -timeout=25 -rss_limit_mb=3072
        -artifact_prefix="$BUILD/findings/$t-")
  [ -n "$RUNS" ] && args+=(-runs="$RUNS")
  echo "fuzz.sh: fuzz_$t for ${SECONDS_PER_TARGET} s${RUNS:+ (or $RUNS executions)} ..."
  start=$(date +%s)
  rc=0
  "$bin" "${args[@]}" "$corpus" "$BUILD/seeds/$t" >"$log" 2>&1 || rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  new=$(( $(find "$BUILD/findings" -name "$t-*" -type f | wc -l) - before ))
  # A crash that kills the process before the final stats still counts (rc != 0).
  if [ "$rc" -ne 0 ] && [ "$new" -eq 0 ]; then new=1; fi
  line="fuzz_$t: ${execs:-?} executions in ${took} s, findings: $new"
  if [ "$new" -ne 0 ]; then
    line+=" (exit $rc; log $log)"
    grep -m3 -E 'ERROR: |runtime error|what\(\)|deadly signal|Test unit written' "$log" | sed 's/^/    /' || true
    total_findings=$(( total_findings + new ))
  fi
  echo "$line"
  summary+=("$line")
done
echo "fuzz.sh: summary"
printf '  %s\n' "${summary[@]}"
if [ "$total_findings" -ne 0 ]; then
  echo "fuzz.sh: $total_findings finding(s); inputs under $BUILD/findings/" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
