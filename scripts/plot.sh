#!/usr/bin/env bash
# Draw the plots of the sweeps with gnuplot: scripts/plot.sh [RESULTS_DIR] [CONFIG.json...]
# Reads ${RESULTS_DIR:-results}/<study>/results.csv (+ owl_layers.csv) and writes
# <RESULTS_DIR>/plots/<plot>.png (pngcairo when available, else png) and <plot>.svg.
# With CONFIGs: the plots each config lists under "plots" (x axis, series, metric; see
# scripts/lib/plots.py or the README), or, without that key, its metrics vs sparsity per method.
# Without: the built-in studies' plots, and the "plots" of any other study sweep.sh ran:
#   default_ppl   perplexity vs sparsity per method, WikiText-2 and TinyStories (log y)
#   default_acc   mean zero-shot accuracy vs sparsity per method, 1-standard-error bars
#   default_nm    50 % unstructured vs 2:4 vs 4:8 per method
#   modules       attention only vs MLP only vs both
#   layers        per-layer sensitivity vs OWL's per-layer allocation
#   calibration   calibration corpus x number of calibration windows
#   ria_a         RIA's exponent a at 50 % and 2:4
# The dense baseline is the dashed horizontal line of each plot. Studies without a CSV are skipped.
set -euo pipefail
HERE=$(pwd)
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$HERE/$1" ;; esac; }
RESULTS=${RESULTS_DIR:-results}
if [ $# -gt 0 ] && [ "${1%.json}" = "$1" ]; then RESULTS=$1; shift; fi
[ "${RESULTS#/}" = "$RESULTS" ] && [ -d "$RESULTS" ] && RESULTS=$(abs "$RESULTS")
CONFIGS=()
for c in "$@"; do
  [ -f "$c" ] || { echo "plot: no config $c" >&2; exit 2; }
  CONFIGS+=("$(abs "$c")")
done
cd "$(dirname "$0")/.."
command -v gnuplot > /dev/null || { echo "plot: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }
PNG=png
gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo && PNG=pngcairo
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
plots=$(python3 scripts/lib/plots.py "$RESULTS" "$WORK" "$PNG" ${CONFIGS[@]+"${CONFIGS[@]}"})
n=0
for p in $plots; do
  for ext in png svg; do
    gnuplot "$WORK/$p.$ext.gp" 2> "$WORK/$p.$ext.err" || { cat "$WORK/$p.$ext.err" >&2; exit 1; }
    # gnuplot warnings (e.g. an empty series) are shown but do not fail the run.
    [ -s "$WORK/$p.$ext.err" ] && sed "s|^|plot: $p.$ext: |" "$WORK/$p.$ext.err" >&2
  done
  n=$((n + 1))
done
echo "plot: $n plots ($PNG + svg) in $RESULTS/plots/"
