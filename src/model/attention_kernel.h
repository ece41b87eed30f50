// Fused causal attention for fp32 on CPU: scores, softmax and the value sum of one query row at a
// time, vectorised over the keys. Built once per ISA (attention_kernel_avx2.cpp / _avx512.cpp
// compile the same body with their flags; the portable copy lives in attention.cpp) and chosen
// at run time. No LibTorch or STL headers here: the per-ISA files must not give shared inline
// code a wider-ISA copy.
//
// Why: on small models (head_dim 8-64) eager attention is a chain of small LibTorch ops (bmm,
// scale, mask, softmax, bmm) whose passes over the score matrix dominate the forward.
#pragma once
#include <cstdint>

namespace prunekit {
namespace attn_kernels {

// One (sequence, kv head) task. Query row i in [0, n_rep * T) is head rep r = i / T of the group
// at position t = i % T; it sees keys j <= offset + t (offset = Tk - T: the cached prefix), and
// with a sliding window only j > offset + t - window.
struct AttnTask {
  const float* q;   // [n_rep, T, D] contiguous
  const float* kT;  // [D, Tk] keys transposed
  const float* vT;  // [D, Tk] values transposed
  float* out;       // row i -> out + t * out_row_stride + r * D (D contiguous floats)
  int64_t out_row_stride;
  int64_t n_rep, T, Tk, D, offset;
  int64_t window;   // keys a query sees at most (itself included); <= 0: no window
  float scale;      // applied to q.k after the dot product, as eager attention
  float* scratch;   // Tk floats
};

void attend_rows_portable(const AttnTask& task);
void attend_rows_avx2(const AttnTask& task);
void attend_rows_avx512(const AttnTask& task);

}  // namespace attn_kernels
}  // namespace prunekit
