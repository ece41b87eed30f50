#!/usr/bin/env bash
# Run one sweep cell from scratch: scripts/lib/run-cell.sh PLAN CELL_DIR
# Environment (set by scripts/sweep.sh): BIN SHARED STUDY_DIR THREADS CONFIG LIB.
# Wipes CELL_DIR, runs the plan's steps (prune -> checkpoint in CELL_DIR/ckpt, eval-ppl, eval-zeroshot),
# deletes the checkpoint, writes timing.json and row.csv, and last, atomically, the done file.
# A cell without its done file is unfinished and is redone from scratch by the next sweep.
set -euo pipefail
PLAN=$1
CELL_DIR=$2
export CELL_DIR
rm -rf "$CELL_DIR"
mkdir -p "$CELL_DIR"
cp "$PLAN" "$CELL_DIR/commands.sh"
cp "${PLAN%.sh}.json" "$CELL_DIR/cell.json"

now() { date +%s.%N; }
T0=$(now)
: > "$CELL_DIR/steps.tsv"
ZS=none

# step NAME CMD...: run CMD with its output in NAME.log; fail the cell when it fails.
step() {
  local name=$1 s e
  shift
  s=$(now)
  if ! "$@" > "$CELL_DIR/$name.log" 2>&1; then
    echo "cell $(basename "$CELL_DIR"): step $name failed; last lines of $CELL_DIR/$name.log:" >&2
    tail -n 5 "$CELL_DIR/$name.log" >&2
    exit 1
  fi
  e=$(now)
  printf '%s\t%s\n' "$name" "$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.3f", e-s}')" >> "$CELL_DIR/steps.tsv"
}

# zeroshot CMD...: a step that is skipped (columns left empty) while eval-zeroshot is not built.
zeroshot() {
  if [ -x "$BIN/eval-zeroshot" ]; then
    step zeroshot "$@"
    ZS=ran
  else
    echo "cell $(basename "$CELL_DIR"): $BIN/eval-zeroshot not built: zero-shot skipped" >&2
    ZS=missing
  fi
}

# shellcheck source=/dev/null
source "$PLAN"
rm -rf "$CELL_DIR/ckpt"

T1=$(now)
# CPU seconds (user + sys) of every process this cell ran: the children line of `times`.
times > "$CELL_DIR/times.txt"
CPU=$(tail -n 1 "$CELL_DIR/times.txt" | awk '{ t = 0; for (i = 1; i <= NF; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } printf "%.2f", t }')
rm -f "$CELL_DIR/times.txt"
awk -F'\t' -v t0="$T0" -v t1="$T1" -v cpu="$CPU" '
  { if ($1 != "prune") ev += $2; steps = steps sprintf("%s\"%s\": %s", n++ ? ", " : "", $1, $2) }
  END { printf "{\"cell_s\": %.3f, \"eval_s\": %.3f, \"cell_cpu_s\": %s, \"steps_s\": {%s}}\n", t1 - t0, ev, cpu, steps }
' "$CELL_DIR/steps.tsv" > "$CELL_DIR/timing.json"
python3 "$LIB" row "$CONFIG" "$CELL_DIR" > "$CELL_DIR/row.csv"

{
  echo "plan_sha256=$(sha256sum < "$PLAN" | cut -d' ' -f1)"
  echo "zeroshot=$ZS"
  echo "finished=$(date -Is)"
} > "$CELL_DIR/done.tmp"
mv "$CELL_DIR/done.tmp" "$CELL_DIR/done"

# Append this cell's row: results.csv is rewritten from all finished cells in plan order.
flock "$STUDY_DIR/runs/.lock" python3 "$LIB" collect "$CONFIG" "$STUDY_DIR" > /dev/null
