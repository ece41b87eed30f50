// CUDA 2:4 path of bench-sparse gemm (see cuda24.h). Only the PRUNEKIT_CUDA_SPARSE branch touches
// CUDA; it calls LibTorch's cuSPARSELt ops with their two required arguments, which every LibTorch
// from 2.1 on accepts (later versions only added defaulted parameters: bias, alpha, out_dtype,
// transpose_result, alg_id, ...).
#include "ops/cuda24.h"

#include <torch/csrc/api/include/torch/version.h>

#include <stdexcept>

#if defined(PRUNEKIT_CUDA_SPARSE) && \
    (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1))
#define PRUNEKIT_HAVE_CUDA24 1
#else
#define PRUNEKIT_HAVE_CUDA24 0
#endif

namespace prunekit {
namespace ops {
namespace cuda24 {

std::string build_info() {
#if PRUNEKIT_HAVE_CUDA24
  return std::string("LibTorch ") + TORCH_VERSION + " with CUDA: cuSPARSELt 2:4 path built";
#elif defined(PRUNEKIT_CUDA_SPARSE)
  return std::string("LibTorch ") + TORCH_VERSION + " has CUDA but is older than 2.1: CUDA 2:4 path not built";
#else
  return std::string("LibTorch ") + TORCH_VERSION + " without CUDA: CUDA 2:4 path not built";
#endif
}

#if PRUNEKIT_HAVE_CUDA24

// The probe runs once per process (bench-sparse checks before and inside the benchmark).
bool available(std::string* why) {
  static const std::string problem = [] {
    if (!at::hasCUDA()) return std::string("no CUDA device visible to LibTorch");
    try {
      // The smallest shape cuSPARSELt takes comfortably: 2:4 rows of [1, 1, 0, 0].
      const at::Tensor w = at::tensor({1.0f, 1.0f, 0.0f, 0.0f}).repeat({64, 16}).to(at::kCUDA, at::kHalf);
      const at::Tensor x = at::ones({16, 64}, w.options());
      const at::Tensor y = sparse_linear(compress_24(w), x);
      synchronize();
      if (y.size(0) != 16 || y.size(1) != 64) throw std::runtime_error("unexpected output shape");
    } catch (const std::exception& e) {
      return std::string("cuSPARSELt is not usable in this LibTorch: ") + e.what();
    }
    return std::string();
  }();
  if (why) *why = problem;
  return problem.empty();
}

at::Tensor compress_24(const at::Tensor& weight) { return at::_cslt_compress(weight.contiguous()); }

at::Tensor sparse_linear(const at::Tensor& compressed, const at::Tensor& x) {
  // cuSPARSELt multiplies sparse A [out, in] by dense B [in, tokens]; x^T is a column-major view of
  // x, which it accepts as is (as torch's semi-structured linear does). Like torch, pad the tokens
  // to a multiple of 8 (cuSPARSELt's smallest dense tile for 16-bit types); the padding is part of
  // the cost a 1-token decode step pays on this path.
  const int64_t tokens = x.size(0), padded = (tokens + 7) / 8 * 8;
  const at::Tensor b = padded == tokens ? x : at::constant_pad_nd(x, {0, 0, 0, padded - tokens});
  at::Tensor y = at::_cslt_sparse_mm(compressed, b.t()).t();
  return padded == tokens ? y : y.narrow(0, 0, tokens);
}

void synchronize() {
  // A blocking device-to-host copy waits for all work queued before it on the current stream,
  // without needing CUDA headers here.
  static at::Tensor flag;
  if (!flag.defined()) flag = at::zeros({1}, at::TensorOptions().device(at::kCUDA));
  (void)flag.add_(1).to(at::kCPU);
}

#else

bool available(std::string* why) {
  if (why) *why = build_info() + " (needs LibTorch >= 2.1 built with CUDA)";
  return false;
}

[[noreturn]] static void not_built() { throw std::runtime_error(build_info()); }
at::Tensor compress_24(const at::Tensor&) { not_built(); }
at::Tensor sparse_linear(const at::Tensor&, const at::Tensor&) { not_built(); }
void synchronize() { not_built(); }

#endif

}  // namespace cuda24
}  // namespace ops
}  // namespace prunekit
