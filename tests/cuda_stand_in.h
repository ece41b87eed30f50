// Stand-ins for checking the PRUNEKIT_CUDA_SPARSE branch (src/ops/cuda24.cpp) on a CPU-only
// LibTorch 1.13 (scripts/check-cuda-branch.sh): LibTorch 2.x's cuSPARSELt op signatures as CPU
// functions, CUDA mapped to CPU and fp16 to bf16 (1.13 has no CPU fp16 matmul). This checks that the
// branch compiles and that bench-sparse drives it correctly; it says nothing about cuSPARSELt itself.
#pragma once
#include <ATen/ATen.h>
#include <torch/csrc/api/include/torch/version.h>
#undef TORCH_VERSION_MAJOR
#define TORCH_VERSION_MAJOR 2
#undef TORCH_VERSION_MINOR
#define TORCH_VERSION_MINOR 1
namespace at {
inline Tensor _cslt_compress(const Tensor& a) { TORCH_CHECK(a.is_contiguous()); return a.clone(); }
inline Tensor _cslt_sparse_mm(const Tensor& A, const Tensor& B, const c10::optional<Tensor>& bias = c10::nullopt,
                              bool transpose_result = false) {
  TORCH_CHECK(B.size(1) % 8 == 0, "dense operand columns not a multiple of 8");
  return at::mm(A.to(at::kFloat), B.to(at::kFloat)).to(A.scalar_type());
}
inline bool shim_has_cuda() { return true; }
}  // namespace at
#define hasCUDA shim_has_cuda
#define kCUDA kCPU
#define kHalf kBFloat16
