# Every cell of study 'calibration' (16 cells), as run by scripts/sweep.sh configs/study-calibration.json.
# BIN=${BUILD_DIR:-build}/bin, SHARED=${PRUNEKIT_SHARED:-../shared}, THREADS=1; `step NAME CMD` runs CMD, `zeroshot CMD` runs it when eval-zeroshot exists.

## dense
step ppl_wikitext2 "$BIN/eval-ppl" --model "$SHARED/models/stories260K" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$SHARED/models/stories260K" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$SHARED/models/stories260K" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-gsm8k
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$STUDY_DIR/runs/_work/gsm8k.txt" --calib-docs file --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-tinystories
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$STUDY_DIR/runs/_work/tinystories.txt" --calib-docs file --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-n64
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 64 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-gsm8k-n64
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$STUDY_DIR/runs/_work/gsm8k.txt" --calib-docs file --nsamples 64 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-tinystories-n64
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$STUDY_DIR/runs/_work/tinystories.txt" --calib-docs file --nsamples 64 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-n16
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 16 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-gsm8k-n16
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$STUDY_DIR/runs/_work/gsm8k.txt" --calib-docs file --nsamples 16 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-tinystories-n16
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$STUDY_DIR/runs/_work/tinystories.txt" --calib-docs file --nsamples 16 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-n4
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 4 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-gsm8k-n4
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$STUDY_DIR/runs/_work/gsm8k.txt" --calib-docs file --nsamples 4 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-tinystories-n4
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$STUDY_DIR/runs/_work/tinystories.txt" --calib-docs file --nsamples 4 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-n1
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 1 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-gsm8k-n1
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$STUDY_DIR/runs/_work/gsm8k.txt" --calib-docs file --nsamples 1 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5-tinystories-n1
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$STUDY_DIR/runs/_work/tinystories.txt" --calib-docs file --nsamples 1 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --max-windows 32 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --max-windows 64 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze --data-dir "$SHARED/data/zeroshot" --limit 40 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"
