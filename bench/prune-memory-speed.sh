#!/usr/bin/env bash
# Memory and speed figures for eval-ppl and prune on synthetic checkpoints of real shapes.
# Prints figures (no assertions); results are recorded in bench/RESULTS.md with the machine.
#   bench/prune-memory-speed.sh [tinyllama|llama90m|alps|all]
# alps: SparseGPT, ALPS, Wanda and Wanda --reconstruct back to back on the tinyllama-1.1b shape
# (ALPS_LAYERS decoder layers, default 4: every layer has the same shapes, so time per layer and
# peak RSS, one layer in memory, do not depend on the count), for ratios measured in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BUILD_DIR:-build}/bin
SHARED=${PRUNEKIT_SHARED:-../shared}
WORK=${BENCH_DIR:-/tmp/prunekit-bench}
TOK=$SHARED/models/llama2-tokenizer/tokenizer.model
WIKI=$SHARED/data/wikitext2-test.txt
C4=$SHARED/data/c4-sample.jsonl
what=${1:-all}
mkdir -p "$WORK"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
RATE_LINE=$("$BIN/matmul-rate" -m 2048 -k 2048 -n 5632 --seconds 3)
echo "$RATE_LINE"
export GFLOPS=$(echo "$RATE_LINE" | sed 's/.*: \([0-9.]*\) GFLOP.*/\1/')

# Phases, peak RSS and the forward time against the FLOP bound at the rate measured above.
report() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
import os
t = r["time_s"]
print("  phases (s):", {k: round(v, 2) for k, v in t.items()}, " peak RSS MiB:", round(r["peak_rss_mb"]))
fwd = t.get("forward_dense_capture", 0) + t.get("forward_pruned", 0) + t.get("owl_outlier_pass", 0)
bound = r.get("forward_gflop", 0) / float(os.environ["GFLOPS"])
if bound > 0:
    print(f"  forward: {fwd:.2f} s for {r['forward_gflop']:.0f} GFLOP; FLOP bound at the measured rate {bound:.2f} s; ratio {fwd/bound:.2f}x")
PY
}

if [ "$what" = all ] || [ "$what" = tinyllama ]; then
  [ -f "$WORK/tinyllama-bf16/config.json" ] || \
    "$BIN/make-synthetic" --shape tinyllama-1.1b --dtype bf16 --tokenizer "$TOK" --out "$WORK/tinyllama-bf16"
  du -sh "$WORK/tinyllama-bf16"
  echo "== eval-ppl tinyllama-1.1b bf16 checkpoint, fp32 compute, 2 windows of 512"
  /usr/bin/time -f "wall %e s, max RSS %M KiB" "$BIN/eval-ppl" --model "$WORK/tinyllama-bf16" --dataset "$WIKI" \
    --seqlen 512 --max-windows 2 --batch 2 --quiet --json "$WORK/eval.json"
  echo "== prune wanda 50 % tinyllama-1.1b bf16, 8 C4 windows of 256, fp32 compute"
  for method in wanda "wanda --owl" sparsegpt; do
    /usr/bin/time -f "wall %e s, max RSS %M KiB" "$BIN/prune" --model "$WORK/tinyllama-bf16" --method $method \
      --sparsity 0.5 --calib "$C4" --nsamples 8 --seqlen 256 --out "$WORK/tinyllama-pruned" --overwrite --quiet \
      --json "$WORK/prune-${method// /}.json"
    report "$WORK/prune-${method// /}.json"
  done
fi

if [ "$what" = all ] || [ "$what" = alps ]; then
  layers=${ALPS_LAYERS:-4}
  [ -f "$WORK/tinyllama-L$layers/config.json" ] || \
    "$BIN/make-synthetic" --shape tinyllama-1.1b --dtype bf16 --layers "$layers" --tokenizer "$TOK" --out "$WORK/tinyllama-L$layers"
  echo "== prune 50 % tinyllama-1.1b shape, $layers layers, bf16, 8 C4 windows of 256, fp32 compute: SparseGPT vs ALPS vs --reconstruct"
  for method in sparsegpt alps wanda "wanda --reconstruct"; do
    /usr/bin/time -f "wall %e s, max RSS %M KiB" "$BIN/prune" --model "$WORK/tinyllama-L$layers" --method $method \
      --sparsity 0.5 --calib "$C4" --nsamples 8 --seqlen 256 --out "$WORK/tinyllama-pruned" --overwrite --quiet \
      --json "$WORK/prune-L$layers-${method// /}.json"
    report "$WORK/prune-L$layers-${method// /}.json"
  done
fi

if [ "$what" = all ] || [ "$what" = llama90m ]; then
  [ -f "$WORK/llama-90m/config.json" ] || \
    "$BIN/make-synthetic" --shape llama-90m --dtype f32 --tokenizer "$SHARED/models/stories260K/tokenizer.model" --out "$WORK/llama-90m"
  echo "== prune wanda 50 % llama-90m fp32, 32 C4 windows of 512, 2 threads (upstream: 109 s, 2.0 GB on a 160 GFLOP/s AVX2 machine)"
  /usr/bin/time -f "wall %e s, max RSS %M KiB" "$BIN/prune" --model "$WORK/llama-90m" --method wanda --sparsity 0.5 \
    --calib "$C4" --nsamples 32 --seqlen 512 --threads 2 --out "$WORK/llama-90m-pruned" --overwrite --quiet \
    --json "$WORK/prune-90m.json"
  report "$WORK/prune-90m.json"
fi
