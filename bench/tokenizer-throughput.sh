#!/usr/bin/env bash
# Throughput of the tokenizer.json tokenizer on one core: the whole wikitext2 test text encoded
# once per run (a fresh process each time, so the per-word cache starts empty, as in eval-ppl),
# RUNS times per tokenizer. Writes the markdown table to ${OUT:-results/tokenizer-throughput.md}.
#   bench/tokenizer-throughput.sh
# Environment: BUILD_DIR (default build), PRUNEKIT_SHARED (default ../shared), RUNS (default 5),
# CORE (the CPU to pin to, default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BUILD_DIR:-build}/bin
SHARED=${PRUNEKIT_SHARED:-../shared}
OUT=${OUT:-results/tokenizer-throughput.md}
RUNS=${RUNS:-5}
CORE=${CORE:-0}
TEXT=$SHARED/data/wikitext2-test.txt
[ -x "$BIN/tokenize" ] || { echo "tokenizer-throughput: $BIN/tokenize missing (build it: pkbuild tokenize)" >&2; exit 2; }
mkdir -p "$(dirname "$OUT")"
{
  echo "# Tokenizer throughput ($(date -u +%Y-%m-%d), $(nproc) cores, pinned to core $CORE)"
  echo
  echo "\`tokenize --model M --file wikitext2-test.txt --count --time\`: encode time of the whole text"
  echo "(1,296,370 bytes) in a fresh process, so every word is tokenised cold once; loading the"
  echo "tokenizer.json is not counted. Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "MB/s of CPU time counts only the time the encoding thread ran; wall-clock MB/s also counts"
  echo "the time the shared core gave to other processes."
  echo
  echo "| tokenizer | ids | MB/s of CPU time, per run | median | wall-clock MB/s, per run | median |"
  echo "| --- | --- | --- | --- | --- | --- |"
  median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  for m in llama3-tokenizer qwen3-tokenizer tinystories-656k; do
    cpu=() wall=()
    ids=""
    for _ in $(seq "$RUNS"); do
      line=$(taskset -c "$CORE" "$BIN/tokenize" --model "$SHARED/models/$m" --file "$TEXT" --count --time 2>&1 >/dev/null)
      ids=$(echo "$line" | sed -E 's/.* -> ([0-9]+) ids.*/\1/')
      wall+=("$(echo "$line" | sed -E 's/.* s = ([0-9.]+) MB\/s \(CPU.*/\1/')")
      cpu+=("$(echo "$line" | sed -E 's/.*\(CPU [0-9.]+ s = ([0-9.]+) MB\/s\).*/\1/')")
    done
    echo "| $m | $ids | ${cpu[*]} | $(median "${cpu[@]}") | ${wall[*]} | $(median "${wall[@]}") |"
  done
} | tee "$OUT"
