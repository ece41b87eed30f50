# Every cell of study 'modules' (13 cells), as run by scripts/sweep.sh configs/study-modules.json.
# BIN=${BUILD_DIR:-build}/bin, SHARED=${PRUNEKIT_SHARED:-../shared}, THREADS=1; `step NAME CMD` runs CMD, `zeroshot CMD` runs it when eval-zeroshot exists.

## dense
step ppl_wikitext2 "$BIN/eval-ppl" --model "$SHARED/models/stories260K" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$SHARED/models/stories260K" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$SHARED/models/stories260K" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.3-attn
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.3 --modules attn --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-attn
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --modules attn --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.7-attn
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --modules attn --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.9-attn
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.9 --modules attn --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.3-mlp
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.3 --modules mlp --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-mlp
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --modules mlp --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.7-mlp
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --modules mlp --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.9-mlp
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.9 --modules mlp --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.3
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.3 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.7
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.9
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.9 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"
