#!/usr/bin/env bash
# Draw every plot of the sweeps with gnuplot: scripts/plot.sh [RESULTS_DIR]
# Reads ${RESULTS_DIR:-results}/<study>/results.csv (+ owl_layers.csv) and writes
# <RESULTS_DIR>/plots/<plot>.png (pngcairo when available, else png) and <plot>.svg:
#   default_ppl   perplexity vs sparsity per method, WikiText-2 and TinyStories (log y)
#   default_acc   mean zero-shot accuracy vs sparsity per method
#   default_nm    50 % unstructured vs 2:4 vs 4:8 per method
#   modules       attention only vs MLP only vs both
#   layers        per-layer sensitivity vs OWL's per-layer allocation
#   calibration   calibration corpus x number of calibration windows
#   ria_a         RIA's exponent a at 50 % and 2:4
# The dense baseline is the dashed horizontal line of each plot. Studies without a CSV are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS=${1:-${RESULTS_DIR:-results}}
command -v gnuplot > /dev/null || { echo "plot: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }
PNG=png
gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo && PNG=pngcairo
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
plots=$(python3 scripts/lib/plots.py "$RESULTS" "$WORK" "$PNG")
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
