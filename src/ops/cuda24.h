// The CUDA 2:4 path of bench-sparse gemm: LibTorch's cuSPARSELt semi-structured matmul
// (at::_cslt_compress / at::_cslt_sparse_mm). Compiled in only when CMake finds a LibTorch >= 2.1
// with CUDA (PRUNEKIT_CUDA_SPARSE); otherwise every call reports that it is not built.
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace prunekit {
namespace ops {
namespace cuda24 {

// True when this build has the path, a CUDA device is present and cuSPARSELt accepts a small 2:4
// fp16 matrix. Otherwise false, with *why set to one line saying what is missing.
bool available(std::string* why);

// What the build was configured with, e.g. "LibTorch 1.13.0 without CUDA: CUDA 2:4 path not built".
std::string build_info();

// A 2:4 weight [out, in] (2 of every 4 consecutive inputs kept) in fp16 or bf16, on the device,
// compressed by cuSPARSELt.
at::Tensor compress_24(const at::Tensor& weight);

// x [tokens, in] (same dtype and device) times the compressed weight transposed: [tokens, out].
at::Tensor sparse_linear(const at::Tensor& compressed, const at::Tensor& x);

// Waits for the device's queued work.
void synchronize();

}  // namespace cuda24
}  // namespace ops
}  // namespace prunekit
