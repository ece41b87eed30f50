#!/usr/bin/env bash
# The main job, from a fresh clone: install deps, build, then on stories260K: dense perplexity,
# a greedy sample, Wanda 50 % pruning, and dense vs pruned perplexity side by side.
# Uses ../shared (or $PRUNEKIT_SHARED) when present, else the small copies under examples/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh
BIN=${BUILD_DIR:-build}/bin

SHARED=${PRUNEKIT_SHARED:-../shared}
if [ -f "$SHARED/models/stories260K/model.safetensors" ]; then
  MODEL=$SHARED/models/stories260K
  WIKI=$SHARED/data/wikitext2-test.txt
  STORIES=$SHARED/data/tinystories-valid.txt
  CALIB=$SHARED/data/c4-sample.jsonl
  echo "== using the shared fixtures in $SHARED"
else
  MODEL=examples/stories260K
  WIKI=examples/data/wikitext2-test-head.txt
  STORIES=examples/data/tinystories-valid-head.txt
  CALIB=examples/data/c4-sample.jsonl
  echo "== no $SHARED: using the embedded examples/ (heads of the corpora: not the published figures)"
fi
OUT=${QUICKSTART_OUT:-quickstart-out}
mkdir -p "$OUT"

echo "== greedy sample from the dense model"
"$BIN/generate" --model "$MODEL" --prompt "Once upon a time" --max-new-tokens 60

echo "== prune: Wanda, 50 % unstructured, 128 C4 windows of 512"
"$BIN/prune" --model "$MODEL" --method wanda --sparsity 0.5 --calib "$CALIB" --nsamples 128 \
  --out "$OUT/wanda-u50" --overwrite
"$BIN/inspect" --model "$OUT/wanda-u50" | tail -n 1

echo "== greedy sample from the pruned model"
"$BIN/generate" --model "$OUT/wanda-u50" --prompt "Once upon a time" --max-new-tokens 60

echo "== perplexity (seqlen 512), dense vs Wanda 50 %"
for m in dense pruned; do
  dir=$MODEL; [ $m = pruned ] && dir=$OUT/wanda-u50
  for d in wikitext2:$WIKI tinystories:$STORIES; do
    "$BIN/eval-ppl" --model "$dir" --dataset "${d#*:}" --seqlen 512 --quiet --json "$OUT/ppl-$m-${d%%:*}.json" >/dev/null
  done
done
ppl() { sed -n 's/.*"ppl": *\([0-9.e+-]*\).*/\1/p' "$OUT/ppl-$1-$2.json"; }
printf '%-12s %12s %12s\n' dataset dense wanda-50%
for d in wikitext2 tinystories; do
  printf '%-12s %12.4f %12.4f\n' $d "$(ppl dense $d)" "$(ppl pruned $d)"
done
echo "== pruned checkpoint: $OUT/wanda-u50 (report: $OUT/wanda-u50/prunekit/prune_report.json)"
