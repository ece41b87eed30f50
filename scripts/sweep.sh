#!/usr/bin/env bash
# Pruning sweep: scripts/sweep.sh CONFIG [CONFIG...]
#
# Expands each JSON config (configs/*.json) into cells (method x sparsity/pattern x the study's own
# axes: modules, layers, calibration corpus, nsamples, RIA's a; plus a dense baseline) and runs
# every cell: prune -> eval-ppl on each dataset -> eval-zeroshot, one process per cell with
# --threads $THREADS (default 1), $JOBS cells at a time (default: nproc). The cells of all the
# configs given share one pool, in the order given.
#
# Per study (the config's "study"), under ${RESULTS_DIR:-results}/<study>/:
#   results.csv        one row per finished cell (rewritten in plan order as cells finish)
#   owl_layers.csv     OWL's per-layer outlier ratio / sparsity, for the cells that ran OWL
#   commands.sh        the exact commands of every cell
#   runs/<cell>/       prune_report.json, ppl_<dataset>.json, zeroshot.json, logs, timing.json;
#                      the pruned checkpoint is deleted once evaluated
# Resumable: a cell is finished when runs/<cell>/done exists (written last, atomically, with the
# hash of the cell's commands); finished cells are skipped, any other cell is redone from scratch.
# A cell is also redone when its commands changed, or when it ran without eval-zeroshot and
# eval-zeroshot is now built.
#
# Paths in a config (model, corpora, perplexity datasets, eval.zeroshot.data_dir) are absolute, or
# relative to the directory the sweep is started from, to the config's directory, or to the fixture
# root, looked up in that order. The fixture root is $PRUNEKIT_SHARED, else ../shared, else the
# repository's tests/fixtures (which holds everything the shipped configs name).
#
# Environment: BUILD_DIR (default build; binaries in $BUILD_DIR/bin), PRUNEKIT_SHARED, JOBS, THREADS,
# RESULTS_DIR (relative paths in these are taken from the directory the sweep is started from).
set -euo pipefail
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 2
fi
SWEEP_CWD=$(pwd)
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$SWEEP_CWD/$1" ;; esac; }
CONFIGS=()
for cfg in "$@"; do
  [ -f "$cfg" ] || { echo "sweep: no config $cfg" >&2; exit 2; }
  CONFIGS+=("$(abs "$cfg")")
done
set -- "${CONFIGS[@]}"
[ -n "${BUILD_DIR:-}" ] && BUILD_DIR=$(abs "$BUILD_DIR")
[ -n "${RESULTS_DIR:-}" ] && RESULTS_DIR=$(abs "$RESULTS_DIR")
[ -n "${PRUNEKIT_SHARED:-}" ] && PRUNEKIT_SHARED=$(abs "$PRUNEKIT_SHARED")
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ -n "${PRUNEKIT_SHARED:-}" ]; then
  SHARED=$PRUNEKIT_SHARED
elif [ -d ../shared/models ]; then
  SHARED=../shared
else
  SHARED=tests/fixtures
fi
JOBS=${JOBS:-$(nproc)}
THREADS=${THREADS:-1}
RESULTS=${RESULTS_DIR:-results}
LIB=$(pwd)/scripts/lib/sweeplib.py
RUN_CELL=$(pwd)/scripts/lib/run-cell.sh

for t in prune eval-ppl; do
  [ -x "$BUILD_DIR/bin/$t" ] || { echo "sweep: $BUILD_DIR/bin/$t not built (scripts/build.sh, or set BUILD_DIR)" >&2; exit 2; }
done
[ -d "$SHARED" ] || { echo "sweep: PRUNEKIT_SHARED=$SHARED is not a directory" >&2; exit 2; }
BIN=$(cd "$BUILD_DIR/bin" && pwd)
SHARED=$(cd "$SHARED" && pwd)
[ -x "$BIN/eval-zeroshot" ] || echo "sweep: $BIN/eval-zeroshot not built: zero-shot columns stay empty (rerun later to fill them)" >&2
export BIN SHARED THREADS LIB SWEEP_CWD

# Plan every config; queue the cells that are not finished.
QUEUE=()
declare -A STUDY_OF_CFG=()
n_total=0 n_done=0
for cfg in "$@"; do
  study=$(python3 "$LIB" study "$cfg")
  sdir=$RESULTS/$study
  mkdir -p "$sdir/runs"
  sdir=$(cd "$sdir" && pwd)
  STUDY_OF_CFG[$cfg]=$sdir
  python3 "$LIB" plan "$cfg" "$sdir" > /dev/null || exit 2
  cp "$cfg" "$sdir/config.json"  # scripts/plot.sh draws the study's "plots" from it
  STUDY_DIR=$sdir python3 "$LIB" prepare "$cfg" "$sdir"
  while read -r cid; do
    n_total=$((n_total + 1))
    plan=$sdir/runs/_plan/$cid.sh
    d=$sdir/runs/$cid/done
    if [ -f "$d" ] && grep -qx "plan_sha256=$(sha256sum < "$plan" | cut -d' ' -f1)" "$d" &&
       ! { grep -qx "zeroshot=missing" "$d" && [ -x "$BIN/eval-zeroshot" ]; }; then
      n_done=$((n_done + 1))
      continue
    fi
    QUEUE+=("$cfg|$sdir|$cid")
  done < "$sdir/runs/_plan/cells.txt"
  flock "$sdir/runs/.lock" python3 "$LIB" collect "$cfg" "$sdir" > /dev/null
done
# The machine the cells run on (for the report), when there are cells to run.
if [ "${#QUEUE[@]}" -gt 0 ]; then
  {
    echo "key,value"
    echo "cpu,\"$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1 | tr -d '",')\""
    echo "cores,$(nproc)"
    echo "memory,$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "os,\"$( (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") | tr -d '",'), kernel $(uname -r)\""
    echo "parallel cells (JOBS),$JOBS"
    echo "threads per process,$THREADS"
    echo "sweep started,$(date -u '+%Y-%m-%d %H:%M UTC')"
  } > "$RESULTS/machine.csv"
fi

echo "sweep: $n_total cells in $# config(s): $n_done already finished, ${#QUEUE[@]} to run, $JOBS at a time (threads $THREADS each)"

# Each cell runs in its own session (setsid) so that an interrupted sweep can stop it entirely.
declare -A RUNNING=()
stop() {
  echo "sweep: interrupted: stopping ${#RUNNING[@]} running cell(s); they will be redone next time" >&2
  for pid in "${!RUNNING[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  exit 130
}
trap stop INT TERM

T0=$(date +%s)
ran=0 failed=0
FAILED=()
report() {  # report PID STATUS
  local item=${RUNNING[$1]} cfg sdir cid
  IFS='|' read -r cfg sdir cid <<< "$item"
  unset "RUNNING[$1]"
  if [ "$2" -eq 0 ] && [ -f "$sdir/runs/$cid/done" ]; then
    ran=$((ran + 1))
    printf 'sweep: [%d/%d] %s/%s  %s\n' $((n_done + ran)) "$n_total" "$(basename "$sdir")" "$cid" \
      "$(tail -n 1 "$sdir/runs/$cid/row.csv" | cut -c1-150)"
  else
    failed=$((failed + 1))
    FAILED+=("$(basename "$sdir")/$cid")
    echo "sweep: cell $(basename "$sdir")/$cid FAILED (status $2): see $sdir/runs/$cid/*.log" >&2
  fi
}
reap_one() {
  local pid=0 st=0
  wait -n -p pid "${!RUNNING[@]}" || st=$?
  [ -n "$pid" ] && [ "$pid" != 0 ] && report "$pid" "$st"
}

for item in "${QUEUE[@]}"; do
  while [ "${#RUNNING[@]}" -ge "$JOBS" ]; do reap_one; done
  IFS='|' read -r cfg sdir cid <<< "$item"
  CONFIG=$cfg STUDY_DIR=$sdir setsid "$RUN_CELL" "$sdir/runs/_plan/$cid.sh" "$sdir/runs/$cid" &
  RUNNING[$!]=$item
done
while [ "${#RUNNING[@]}" -gt 0 ]; do reap_one; done
trap - INT TERM

for cfg in "$@"; do
  sdir=${STUDY_OF_CFG[$cfg]}
  n=$(flock "$sdir/runs/.lock" python3 "$LIB" collect "$cfg" "$sdir")
  rm -rf "$sdir/runs/_work"  # converted calibration text: rewritten by the next sweep's prepare step
  echo "sweep: $sdir/results.csv: $n cells finished"
done
echo "sweep: ran $ran cell(s), $failed failed, in $(( $(date +%s) - T0 )) s"
if [ "$failed" -gt 0 ]; then
  printf 'sweep: failed: %s\n' "${FAILED[@]}" >&2
  exit 1
fi
