#!/usr/bin/env bash
# All the studies on stories260K: the default sweep and the four studies in one pool of cells,
# then the plots and results/REPORT.md; prints the total wall time.
#   scripts/studies.sh
# Environment: BUILD_DIR (default build; built with scripts/build.sh when a tool is missing),
# PRUNEKIT_SHARED (default ../shared, else tests/fixtures), JOBS (default nproc), RESULTS_DIR (default results).
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

# CPU seconds the whole machine spent busy (all processes, not only ours; steal included): the
# difference over the sweep, minus the cells' own CPU time, shows how much other jobs competed.
busy() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.1f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat; }
el() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
T0=$(date +%s.%N)
B0=$(busy)
status=0
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
BUILD_DIR=$BUILD_DIR RESULTS_DIR=$RESULTS scripts/sweep.sh "${CONFIGS[@]}" 2>&1 | tee "$LOG" || status=$?
ran=$(sed -n 's/^sweep: ran \([0-9]*\) cell.*/\1/p' "$LOG" | tail -n 1)
cells=$(sed -n 's/^sweep: \([0-9]*\) cells in .*/\1/p' "$LOG" | tail -n 1)
T1=$(date +%s.%N)
B1=$(busy)
scripts/plot.sh "$RESULTS"
T2=$(date +%s.%N)

# results/timing.csv: one row per invocation that ran cells. A run of every cell starts the file
# afresh; a resumed run (some cells already finished) adds its row; a run with nothing to do
# leaves it alone.
HEADER="started,cells_run,cells_total,sweep_s,plots_s,total_s,machine_busy_cpu_s"
ROW="$STARTED,${ran:-0},${cells:-0},$(el "$T0" "$T1"),$(el "$T1" "$T2"),$(el "$T0" "$T2"),$(el "$B0" "$B1")"
if [ "${ran:-0}" -gt 0 ]; then
  if [ "${ran:-0}" = "${cells:-}" ] || ! head -n 1 "$RESULTS/timing.csv" 2>/dev/null | grep -qx "$HEADER"; then
    printf '%s\n%s\n' "$HEADER" "$ROW" > "$RESULTS/timing.csv"
  else
    echo "$ROW" >> "$RESULTS/timing.csv"
  fi
fi
scripts/report.sh "$RESULTS"

total=$(el "$T0" "$(date +%s.%N)")
echo "studies: total wall time $total s ($(awk -v t="$total" 'BEGIN { printf "%d min %02d s", t / 60, t % 60 }')) for the sweeps, plots and report"
[ "$status" -eq 0 ] || echo "studies: some cells failed (see above); rerun scripts/studies.sh to retry them" >&2
exit "$status"
