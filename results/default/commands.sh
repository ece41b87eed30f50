# Every cell of study 'default' (29 cells), as run by scripts/sweep.sh configs/sweep-default.json.
# BIN=${BUILD_DIR:-build}/bin, SHARED=${PRUNEKIT_SHARED:-../shared}, THREADS=1; `step NAME CMD` runs CMD, `zeroshot CMD` runs it when eval-zeroshot exists.

## dense
step ppl_wikitext2 "$BIN/eval-ppl" --model "$SHARED/models/stories260K" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$SHARED/models/stories260K" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$SHARED/models/stories260K" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## magnitude-s0.3
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method magnitude --sparsity 0.3 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## magnitude-s0.5
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method magnitude --sparsity 0.5 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## magnitude-s0.7
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method magnitude --sparsity 0.7 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## magnitude-s0.9
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method magnitude --sparsity 0.9 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.3
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.3 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.5
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.7
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-s0.9
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.9 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.3
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.3 --ria-a 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.5
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.5 --ria-a 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.7
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.7 --ria-a 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-s0.9
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --sparsity 0.9 --ria-a 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## owl_wanda-s0.3
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.3 --owl --owl-m 5 --owl-lambda 0.08 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## owl_wanda-s0.5
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.5 --owl --owl-m 5 --owl-lambda 0.08 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## owl_wanda-s0.7
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.7 --owl --owl-m 5 --owl-lambda 0.08 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## owl_wanda-s0.9
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --sparsity 0.9 --owl --owl-m 5 --owl-lambda 0.08 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## sparsegpt-s0.3
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method sparsegpt --sparsity 0.3 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## sparsegpt-s0.5
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method sparsegpt --sparsity 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## sparsegpt-s0.7
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method sparsegpt --sparsity 0.7 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## sparsegpt-s0.9
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method sparsegpt --sparsity 0.9 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## magnitude-2of4
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method magnitude --pattern 2:4 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## magnitude-4of8
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method magnitude --pattern 4:8 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-2of4
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --pattern 2:4 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## wanda-4of8
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method wanda --pattern 4:8 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-2of4
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 2:4 --ria-a 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## ria-4of8
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method ria --pattern 4:8 --ria-a 0.5 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## sparsegpt-2of4
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method sparsegpt --pattern 2:4 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"

## sparsegpt-4of8
step prune "$BIN/prune" --model "$SHARED/models/stories260K" --method sparsegpt --pattern 4:8 --calib "$SHARED/data/c4-sample.jsonl" --nsamples 128 --seqlen 512 --seed 0 --out "$CELL_DIR/ckpt" --overwrite --quiet --threads "$THREADS" --json "$CELL_DIR/prune_report.json"
step ppl_wikitext2 "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/wikitext2-test.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_wikitext2.json"
step ppl_tinystories "$BIN/eval-ppl" --model "$CELL_DIR/ckpt" --dataset "$SHARED/data/tinystories-valid.txt" --seqlen 512 --threads "$THREADS" --quiet --json "$CELL_DIR/ppl_tinystories.json"
zeroshot "$BIN/eval-zeroshot" --model "$CELL_DIR/ckpt" --tasks tinystories-cloze,boolq,rte,hellaswag,arc_easy,arc_challenge,piqa --data-dir "$SHARED/data/zeroshot" --limit 30 --threads "$THREADS" --quiet --json "$CELL_DIR/zeroshot.json"
