#!/usr/bin/env bash
# The --device check for a GPU machine, in one command: configure and build prunekit against the
# LibTorch found there, prune stories260K (Wanda 50 %, SparseGPT 2:4) on the device and on the CPU,
# compare the masks bit for bit (masks.safetensors: same names and shapes, so the files are equal
# exactly when every mask entry is) and time both; then a synthetic tinyllama-1.1b checkpoint
# pruned with Wanda (8 windows of 512) on both, timed, masks compared; a summary table at the end.
#
#   scripts/device-check.sh              # DEVICE=cuda against the CPU
#   scripts/device-check.sh --cpu-only   # no GPU: the device-generic path (--device cpu-generic)
#                                          against the CPU path, to prove the script itself
# Environment:
#   DEVICE        the device side (default cuda; cuda:1, ...; --cpu-only sets cpu-generic)
#   BUILD_DIR     build directory (default build-device; an already configured one is reused)
#   TORCH_DIR     LibTorch's CMake prefix when python3's torch is not installed
#                 (default: python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
#   PRUNEKIT_SHARED  the shared fixtures (default ../shared, then the repository's tests/fixtures)
#   WORK          scratch directory (default /tmp/prunekit-device-check)
#   SYNTH_LAYERS  decoder layers of the synthetic tinyllama (default: its own 22)
#   JOBS          build jobs (default nproc)
#   STRICT=1      exit 1 when a device's masks differ from the CPU's (default: report only; a GPU's
#                 different summation order can flip near-ties)
# Needs the build dependencies (scripts/setup-deps.sh installs them on Debian; the Debian libtorch
# is CPU-only, so a GPU box needs a CUDA LibTorch as TORCH_DIR or in python3). A pip torch before
# 2.7 uses the pre-C++11 string ABI: if linking fails against the system's spdlog/yaml-cpp, use a
# "cxx11 ABI" LibTorch download as TORCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICE=${DEVICE:-cuda}
if [ "${1:-}" = "--cpu-only" ]; then
  DEVICE=cpu-generic
elif [ -n "${1:-}" ]; then
  echo "usage: scripts/device-check.sh [--cpu-only]" >&2
  exit 2
fi
BUILD_DIR=${BUILD_DIR:-build-device}
WORK=${WORK:-/tmp/prunekit-device-check}
JOBS=${JOBS:-$(nproc)}
SHARED=${PRUNEKIT_SHARED:-../shared}
# A fixture: the shared copy, else the one in the repository.
fixture() {
  if [ -e "$SHARED/$1" ]; then echo "$SHARED/$1"; else echo "tests/fixtures/$1"; fi
}
MODEL=$(fixture models/stories260K)
CALIB=$(fixture data/c4-sample.jsonl)
TOK=$(fixture models/llama2-tokenizer/tokenizer.model)
for f in "$MODEL/config.json" "$CALIB" "$TOK"; do
  [ -e "$f" ] || { echo "device-check: missing fixture $f (set PRUNEKIT_SHARED)" >&2; exit 2; }
done

# --- build ------------------------------------------------------------------------------------
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  prefix=${TORCH_DIR:-}
  if [ -z "$prefix" ] && command -v python3 >/dev/null; then
    prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
  fi
  args=(-S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release)
  [ -n "$prefix" ] && args+=("-DCMAKE_PREFIX_PATH=$prefix")
  echo "== configure ($BUILD_DIR, LibTorch: ${prefix:-the system default})"
  cmake "${args[@]}"
fi
echo "== build prune, make-synthetic ($JOBS jobs)"
cmake --build "$BUILD_DIR" -j "$JOBS" --target prune make-synthetic
BIN=$BUILD_DIR/bin
mkdir -p "$WORK"

# --- runs -------------------------------------------------------------------------------------
ROWS=()
FAILED=0
now() { date +%s.%N; }
# run_pair DIR LABEL MODEL ARGS...: prune on the CPU and on $DEVICE into $WORK/DIR-{cpu,dev},
# masks compared, both timed.
run_pair() {
  local tag=$1 label=$2 model=$3
  shift 3
  local t0 t1 t2 cpu_s dev_s masks
  t0=$(now)
  "$BIN/prune" --model "$model" --calib "$CALIB" "$@" --seed 0 --save-masks --quiet --overwrite \
    --device cpu --out "$WORK/$tag-cpu" >/dev/null
  t1=$(now)
  "$BIN/prune" --model "$model" --calib "$CALIB" "$@" --seed 0 --save-masks --quiet --overwrite \
    --device "$DEVICE" --out "$WORK/$tag-dev" >/dev/null
  t2=$(now)
  cpu_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  dev_s=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')
  local a=$WORK/$tag-cpu/prunekit/masks.safetensors b=$WORK/$tag-dev/prunekit/masks.safetensors
  if cmp -s "$a" "$b"; then
    masks="identical"
  else
    # Same names and shapes, so the headers agree and each differing byte is one mask entry.
    local n total
    n=$( (cmp -l "$a" "$b" || true) | wc -l)
    total=$(stat -c %s "$a")
    masks="$n entries differ (of ~$total)"
    [ "${STRICT:-0}" = 1 ] && FAILED=1
  fi
  ROWS+=("$(printf '%-34s %10s %10s %8s  %s' "$label" "$cpu_s" "$dev_s" \
    "$(awk -v a="$cpu_s" -v b="$dev_s" 'BEGIN { printf (b > 0 ? "%.2fx" : "-"), a / b }')" "$masks")")
  echo "   $label: cpu ${cpu_s}s, $DEVICE ${dev_s}s, masks $masks"
}

echo "== stories260K ($MODEL), --device $DEVICE against --device cpu"
run_pair stories-wanda "stories260K wanda 50%" "$MODEL" --method wanda --sparsity 0.5 --nsamples 128 --seqlen 256
run_pair stories-sparsegpt24 "stories260K sparsegpt 2:4" "$MODEL" --method sparsegpt --pattern 2:4 --nsamples 128 --seqlen 256

SYN=$WORK/tinyllama-1.1b${SYNTH_LAYERS:+-L$SYNTH_LAYERS}
if [ ! -f "$SYN/config.json" ]; then
  echo "== make-synthetic --shape tinyllama-1.1b${SYNTH_LAYERS:+ --layers $SYNTH_LAYERS}"
  "$BIN/make-synthetic" --shape tinyllama-1.1b --dtype bf16 ${SYNTH_LAYERS:+--layers "$SYNTH_LAYERS"} \
    --tokenizer "$TOK" --out "$SYN" >/dev/null
fi
echo "== tinyllama-1.1b shape, wanda 50 %, 8 windows of 512"
run_pair tinyllama-wanda "tinyllama-1.1b${SYNTH_LAYERS:+ (${SYNTH_LAYERS} layers)} wanda 50%" "$SYN" --method wanda --sparsity 0.5 \
  --nsamples 8 --seqlen 512

# --- summary ----------------------------------------------------------------------------------
echo
echo "device-check: --device $DEVICE against cpu ($(nproc) cores; $(command -v nvidia-smi >/dev/null &&
  nvidia-smi --query-gpu=name --format=csv,noheader | head -1 || echo 'no nvidia-smi'))"
printf '%-34s %10s %10s %8s  %s\n' "run" "cpu s" "device s" "speedup" "masks vs cpu"
for r in "${ROWS[@]}"; do echo "$r"; done
exit $FAILED
