#!/usr/bin/env bash
# Issue 17 figures on one machine: packed 2:4 vs the fastest dense path on a llama-2-7b layer at 1
# and 4 tokens with the default thread count, then the same with a competing CPU-bound process
# (a shell busy loop pinned to CPU 0 with taskset, as a user's other work would be). Each
# bench-sparse run prints its wait policy and a "Threads" table (1 thread vs all threads).
#   bench/zen-decode.sh [ITERS]     (default 20)
# Environment: BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BUILD_DIR:-build}/bin
ITERS=${1:-20}
echo "# llama-2-7b layer, 1 and 4 tokens, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs"
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Quiet (whatever else the machine runs)"
"$BIN/bench-sparse" gemm --shape llama-2-7b --tokens 1,4 --dtype bf16 --iters "$ITERS"
echo
echo "## With a competing process: \`taskset -c 0 sh -c 'while :; do :; done'\`"
taskset -c 0 sh -c 'while :; do :; done' &
busy=$!
trap 'kill $busy 2>/dev/null || true' EXIT
"$BIN/bench-sparse" gemm --shape llama-2-7b --tokens 1,4 --dtype bf16 --iters "$ITERS"
kill $busy
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
