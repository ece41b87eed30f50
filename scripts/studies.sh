#!/usr/bin/env bash
# All the studies on stories260K: the default sweep and the four studies in one pool of cells,
# then the plots and results/REPORT.md; prints the total wall time.
#   scripts/studies.sh
# Environment: BUILD_DIR (default build; built with scripts/build.sh when a tool is missing),
# PRUNEKIT_SHARED (default ../shared), JOBS (default nproc), RESULTS_DIR (default results).
# Resumable like scripts/sweep.sh: finished cells are skipped, so a rerun only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RESULTS=${RESULTS_DIR:-results}
CONFIGS=(configs/sweep-default.json configs/study-ria-a.json configs/study-modules.json
         configs/study-layers.json configs/study-calibration.json)

if [ ! -x "$BUILD_DIR/bin/prune" ] || [ ! -x "$BUILD_DIR/bin/eval-ppl" ] || [ ! -x "$BUILD_DIR/bin/eval-zeroshot" ]; then
  echo "studies: building into $BUILD_DIR (not counted in the study time)"
  BUILD_DIR=$BUILD_DIR scripts/build.sh
fi

T0=$(date +%s.%N)
status=0
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
BUILD_DIR=$BUILD_DIR RESULTS_DIR=$RESULTS scripts/sweep.sh "${CONFIGS[@]}" 2>&1 | tee "$LOG" || status=$?
ran=$(sed -n 's/^sweep: ran \([0-9]*\) cell.*/\1/p' "$LOG" | tail -n 1)
cells=$(sed -n 's/^sweep: \([0-9]*\) cells in .*/\1/p' "$LOG" | tail -n 1)
T1=$(date +%s.%N)
scripts/plot.sh "$RESULTS"
T2=$(date +%s.%N)

el() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
{
  echo "step,wall_s,note"
  echo "sweep (default + 4 studies),$(el "$T0" "$T1"),\"${ran:-?} of ${cells:-?} cells run (the others were already finished), $(sed -n 's/^parallel cells (JOBS),//p' "$RESULTS/machine.csv") at a time\""
  echo "plots,$(el "$T1" "$T2"),gnuplot png + svg"
  echo "total,$(el "$T0" "$T2"),scripts/studies.sh without the build"
} > "$RESULTS/timing.csv"
scripts/report.sh "$RESULTS"

total=$(el "$T0" "$(date +%s.%N)")
echo "studies: total wall time $total s ($(awk -v t="$total" 'BEGIN { printf "%d min %02d s", t / 60, t % 60 }')) for the sweeps, plots and report"
[ "$status" -eq 0 ] || echo "studies: some cells failed (see above); rerun scripts/studies.sh to retry them" >&2
exit "$status"
