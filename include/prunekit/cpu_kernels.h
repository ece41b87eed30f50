// Running a whole LlamaModel through prunekit's own CPU kernels (sparse24.h) instead of
// LibTorch's matmul: packed 2:4 weights for a 2:4-pruned checkpoint (`--sparse-kernels`), or the
// equally careful dense bf16 kernel as the baseline that isolates what sparsity buys.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "prunekit/model.h"
#include "prunekit/sparse24.h"

namespace prunekit {

enum class KernelMode {
  Sparse24,   // 2:4-compliant Linears packed (others keep LibTorch's dense matmul)
  DenseBf16,  // every Linear through our dense bf16 kernel
};

struct KernelSwap {
  int linears = 0;       // decoder Linears in the model
  int swapped = 0;       // Linears now served by our kernels
  int64_t bytes_before = 0;  // weight bytes of the decoder Linears as held before (compute dtype)
  int64_t bytes_after = 0;   // weight bytes the model holds for them now (packed + kept dense)
  bool lm_head = false;      // lm_head served by our dense bf16 kernel too
  int64_t lm_head_bytes = 0; // its bf16 copy
  std::vector<std::string> dense_fallback;  // Sparse24 mode: Linears that are not 2:4 (names)
};

// Installs model.overrides (and the lm_head override when include_lm_head) so that the decoder
// Linears run on our kernels, and releases the dense copies they replace: the model then holds
// only the packed/bf16 weights. Values are rounded to bf16 (exact for a bf16/f16 checkpoint;
// for fp32 weights this is the same rounding as serving the model in bf16). Outputs are fp32
// internally and returned in the model's compute dtype.
KernelSwap use_cpu_kernels(LlamaModel& model, KernelMode mode, bool include_lm_head = true,
                           sparse24::Isa isa = sparse24::Isa::Auto);

// One line for logs: "packed 154 of 154 Linears (2:4); decoder weights 3.9 GiB -> 1.1 GiB ...".
std::string describe(const KernelSwap& s, KernelMode mode);

// 2:4 by magnitude, in place, on every decoder Linear of the model (bench-sparse model's
// on-the-fly twin of a dense checkpoint when no 2:4-pruned one is given).
void prune_24_by_magnitude(LlamaModel& model);

}  // namespace prunekit
