# Every cell of study 'ria-a' (23 cells), as run by scripts/sweep.sh configs/study-ria-a.json.
# BIN=${BUILD_DIR:-build}/bin, SHARED=${PRUNEKIT_SHARED:-../shared}, THREADS=1; `step NAME CMD` runs CMD, `zeroshot CMD` runs it when eval-zeroshot exists.

## dense
step ppl_wikitext2 "$BIN/eval-ppl" --model "$SHARED/models/stories260K" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$SHARED/models/stories260K" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$SHARED/models/stories260K" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a0
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a0.1
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0.1 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a0.2
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0.2 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a0.3
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0.3 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a0.4
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0.4 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a0.5
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a0.6
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0.6 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a0.7
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0.7 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a0.8
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0.8 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a0.9
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0.9 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5-a1
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 1 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a0
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a0.1
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0.1 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a0.2
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0.2 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a0.3
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0.3 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a0.4
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0.4 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a0.5
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a0.6
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0.6 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a0.7
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0.7 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a0.8
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0.8 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a0.9
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0.9 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4-a1
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 1 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 32 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"
