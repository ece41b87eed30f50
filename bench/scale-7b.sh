#!/usr/bin/env bash
# Issue 18: a 7B checkpoint pruned and evaluated disk to disk on this box, one decoder layer in RAM.
# Synthetic Llama-2-7B (bf16, 13.5 GB, random weights: the figures are time and memory, not
# quality). Wanda 50 %, Wanda 2:4, SparseGPT 50 % with 4 x 512 calibration tokens; Wanda again with
# --activations-on-disk; eval-ppl --max-windows 2 on the Wanda output. In the same run: the matmul
# rate at the layer's shapes (for the FLOP-bound ratio of the forward phases) and the disk's
# sequential write rate (for the output's write rate). Peak RSS from /usr/bin/time.
#   bench/scale-7b.sh [WORKDIR]    (default /tmp/prunekit-7b; needs ~45 GB free there)
# Environment: SHAPE (default llama-2-7b; any make-synthetic --shape), RUNS (default all:
# "wanda eval wanda-spill wanda-2of4 sparsegpt"), BIN (default build/bin).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$HERE/build/bin}
SHARED=${PRUNEKIT_SHARED:-$HERE/../shared}
W=${1:-/tmp/prunekit-7b}
SHAPE=${SHAPE:-llama-2-7b}
RUNS=${RUNS:-wanda eval wanda-spill wanda-2of4 sparsegpt}
want() { [[ " $RUNS " == *" $1 "* ]]; }
C4=$SHARED/data/c4-sample.jsonl
WIKI=$SHARED/data/wikitext2-test.txt
mkdir -p "$W"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN/matmul-rate" -m 2048 -k 4096 -n 11008 --seconds 5 | tee "$W/matmul.txt"
RATE=$(grep -o '[0-9.]* GFLOP/s' "$W/matmul.txt" | head -1 | cut -d' ' -f1)
# Sequential write rate of the disk that takes the outputs: 4 GiB, flushed.
DD=$(dd if=/dev/zero of="$W/ddtest" bs=16M count=256 conv=fdatasync 2>&1 | tail -1); rm -f "$W/ddtest"
WRITE_MBS=$(python3 -c "import re,sys;s='''$DD''';m=re.search(r'copied, ([0-9.]+) s',s);print(round(4096*1.048576/float(m.group(1)),1))")
echo "disk sequential write: $WRITE_MBS MB/s ($DD)"
MODEL=$W/$SHAPE-bf16
if [ ! -f "$MODEL/prunekit-synthetic.json" ] && [ ! -f "$MODEL/config.json" ]; then
  /usr/bin/time -f "make-synthetic: wall %e s, max RSS %M KiB" "$BIN/make-synthetic" --shape "$SHAPE" --dtype bf16 \
    --tokenizer "$SHARED/models/llama2-tokenizer/tokenizer.model" --out "$MODEL"
fi
du -sh "$MODEL"
summary() {  # $1 tag, $2 report json, $3 time(1) log
  python3 - "$1" "$2" "$3" "$RATE" "$WRITE_MBS" "$W/summary.jsonl" <<'PY'
import json, re, sys, os
tag, rep, tl, rate, wmbs, out = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read(), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
rss = int(re.findall(r"max RSS (\d+) KiB", tl)[-1]) / 1048576
wall = float(re.findall(r"wall ([0-9.]+) s", tl)[-1])
t = rep["time_s"]
fwd = t.get("forward_dense_capture", 0) + t.get("forward_pruned", 0)
bound = rep.get("forward_gflop", 0) / rate
outdir = os.path.dirname(os.path.dirname(sys.argv[2])) if sys.argv[2].endswith("prune_report.json") else None
written = sum(os.path.getsize(os.path.join(outdir, f)) for f in os.listdir(outdir) if f.endswith(".safetensors")) if outdir else 0
row = {"run": tag, "wall_s": wall, "peak_rss_gib": round(rss, 3), "peak_rss_phase": rep.get("peak_rss_phase"),
       "phases_s": {k: round(v, 1) for k, v in t.items()},
       "forward_s": round(fwd, 1), "forward_gflop": round(rep.get("forward_gflop", 0), 1),
       "flop_bound_s": round(bound, 1), "forward_vs_flop_bound": round(fwd / bound, 2) if bound else None,
       "written_gb": round(written / 1e9, 2),
       "write_mb_s": round(written / 1e6 / t["write"], 1) if t.get("write") else None,
       "write_vs_disk": round(written / 1e6 / t["write"] / wmbs, 2) if t.get("write") else None}
print(json.dumps(row))
open(out, "a").write(json.dumps(row) + "\n")
PY
}
run_prune() {  # $1 tag, rest: prune args
  local tag=$1; shift
  rm -rf "$W/out-$tag"
  /usr/bin/time -f "prune $tag: wall %e s, max RSS %M KiB" -o "$W/time-$tag.txt" \
    "$BIN/prune" --model "$MODEL" "$@" --calib "$C4" --nsamples 4 --seqlen 512 --out "$W/out-$tag" --log-level info \
    2> >(tee "$W/log-$tag.txt" | grep -v '^\s*$' | tail -n 3 >&2)
  cat "$W/time-$tag.txt"
  summary "$tag" "$W/out-$tag/prunekit/prune_report.json" "$W/time-$tag.txt"
}
touch "$W/summary.jsonl"
if want wanda || want eval; then run_prune wanda --method wanda --sparsity 0.5; fi
if want eval; then
  /usr/bin/time -f "eval-ppl: wall %e s, max RSS %M KiB" -o "$W/time-eval.txt" \
    "$BIN/eval-ppl" --model "$W/out-wanda" --dataset "$WIKI" --seqlen 512 --max-windows 2 --json "$W/eval.json"
  cat "$W/time-eval.txt"
  python3 -c "import json,re;e=json.load(open('$W/eval.json'));t=open('$W/time-eval.txt').read();print(json.dumps({'run':'eval-ppl wanda output, 2 x 512','ppl':e['ppl'],'seconds':e.get('seconds'),'wall_s':float(re.findall(r'wall ([0-9.]+) s',t)[-1]),'peak_rss_gib':round(int(re.findall(r'max RSS (\d+) KiB',t)[-1])/1048576,3)}))" | tee -a "$W/summary.jsonl"
fi
rm -rf "$W/out-wanda"
if want wanda-spill; then run_prune wanda-spill --method wanda --sparsity 0.5 --activations-on-disk; rm -rf "$W/out-wanda-spill"; fi
if want wanda-2of4; then run_prune wanda-2of4 --method wanda --pattern 2:4; rm -rf "$W/out-wanda-2of4"; fi
if want sparsegpt; then run_prune sparsegpt --method sparsegpt --sparsity 0.5; rm -rf "$W/out-sparsegpt"; fi
echo "== summary ($W/summary.jsonl)"; cat "$W/summary.jsonl"
