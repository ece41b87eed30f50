# Every cell of study 'layers' (8 cells), as run by scripts/sweep.sh configs/study-layers.json.
# BIN=${BUILD_DIR:-build}/bin, SHARED=${PRUNEKIT_SHARED:-../shared}, THREADS=1; `step NAME CMD` runs CMD, `zeroshot CMD` runs it when eval-zeroshot exists.

## dense
step ppl_wikitext2 "$BIN/eval-ppl" --model "$SHARED/models/stories260K" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$SHARED/models/stories260K" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$SHARED/models/stories260K" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.7-L0
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --layers 0 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.7-L1
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --layers 1 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.7-L2
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --layers 2 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.7-L3
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --layers 3 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.7-L4
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --layers 4 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.7
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## owl_wanda-s0.7
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --owl --owl-m 5 --owl-lambda 0.08 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"
