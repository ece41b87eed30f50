#!/usr/bin/env bash
# Compiles the CUDA 2:4 branch of bench-sparse (src/ops/cuda24.cpp, src/bench/gemm_bench.cpp with
# PRUNEKIT_CUDA_SPARSE) against this CPU-only LibTorch, with tests/cuda_stand_in.h standing in for
# LibTorch 2.x's cuSPARSELt ops, links a stand-in bench-sparse and runs `gemm --device cuda` on a
# small shape: the table must have both cuSPARSELt columns and no path may disagree with the
# reference product. Without a GPU this is the only check the branch gets.
#   scripts/check-cuda-branch.sh [BUILD_DIR]   (a configured Ninja build, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=$(cd "${1:-build}" && pwd)
WORK=$(mktemp -d /tmp/prunekit-cuda-branch.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
[ -f "$BUILD/build.ninja" ] || { echo "check-cuda-branch: $BUILD is not a configured Ninja build" >&2; exit 2; }
ninja -C "$BUILD" bin/bench-sparse >/dev/null

# The library's own compile command for each file, without the precompiled header, plus the branch.
for src in ops/cuda24 bench/gemm_bench; do
  cmd=$(ninja -C "$BUILD" -t commands "CMakeFiles/prunekit.dir/src/$src.cpp.o" | tail -1 |
        sed -E 's# -include [^ ]*cmake_pch[^ ]*##; s# -o [^ ]+##; s# -MD -MT [^ ]+ -MF [^ ]+##')
  (cd "$BUILD" && eval "$cmd -O1 -DPRUNEKIT_CUDA_SPARSE=1 -include $ROOT/tests/cuda_stand_in.h -o $WORK/$(basename $src).cpp.o")
done
cp "$BUILD/libprunekit.a" "$WORK/"
(cd "$WORK" && ar r libprunekit.a cuda24.cpp.o gemm_bench.cpp.o)
link=$(ninja -C "$BUILD" -t commands bin/bench-sparse | tail -1)
link=${link//libprunekit.a/$WORK/libprunekit.a}
link=${link//-o bin\/bench-sparse/-o $WORK/bench-sparse}
(cd "$BUILD" && eval "$link")

out=$("$WORK/bench-sparse" gemm --device cuda --shape '0,256,128;0,512,64' --tokens 1,5,8 --iters 2 \
        --max-seconds 0.1 --threads 1 2>&1)
echo "$out" | grep -v '^  '
fail=0
echo "$out" | grep -q 'cuSPARSELt 2:4 fp16 speedup vs best dense' || { echo "check-cuda-branch: no fp16 column" >&2; fail=1; }
echo "$out" | grep -q 'cuSPARSELt 2:4 bf16 speedup vs best dense' || { echo "check-cuda-branch: no bf16 column" >&2; fail=1; }
echo "$out" | grep -q 'with CUDA: cuSPARSELt 2:4 path built' || { echo "check-cuda-branch: branch not compiled in" >&2; fail=1; }
if echo "$out" | grep -q 'differs from'; then echo "check-cuda-branch: a path disagrees with the reference" >&2; fail=1; fi
[ $fail = 0 ] && echo "check-cuda-branch: OK (stand-in ops; cuSPARSELt itself not exercised)"
exit $fail
