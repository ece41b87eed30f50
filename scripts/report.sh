#!/usr/bin/env bash
# Write ${RESULTS_DIR:-results}/REPORT.md: every table (Markdown, from results/<study>/results.csv and
# owl_layers.csv) and every plot (results/plots/, drawn by scripts/plot.sh), the exact commands, the
# machine (results/machine.csv, written by scripts/sweep.sh), the wall time (results/timing.csv,
# written by scripts/studies.sh), and the comparison of the default sweep's 50 % / 70 % / 2:4 / 4:8
# cells with the oracle's ppl.json ($PRUNEKIT_SHARED/reference/oracle, default ../shared, else tests/fixtures).
# Usage: scripts/report.sh [RESULTS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS=${1:-${RESULTS_DIR:-results}}
SHARED=${PRUNEKIT_SHARED:-../shared}
[ -z "${PRUNEKIT_SHARED:-}" ] && [ ! -d "$SHARED/reference/oracle" ] && SHARED=tests/fixtures  # the in-repo copy
[ -d "$RESULTS" ] || { echo "report: no $RESULTS (run scripts/sweep.sh first)" >&2; exit 2; }
[ -d "$SHARED/reference/oracle" ] || echo "report: no $SHARED/reference/oracle: the oracle comparison is left out" >&2
python3 scripts/lib/report.py "$RESULTS" configs "$SHARED/reference/oracle"
echo "report: $RESULTS/REPORT.md"
