// Packed 2:4 sparse weights for CPU, with GEMV / skinny-GEMM kernels chosen at run time.
//
// A weight W [rows = out features, cols = in features] is 2:4 sparse when every group of 4
// consecutive input columns of a row holds at most 2 nonzeros. Packed24 keeps, per group, the 2
// kept values in bf16 (zero-padded when the group has fewer nonzeros) plus their 2-bit positions
// inside the group: 2*16 + 2*2 = 36 bits per 4 weights instead of 64 (56% of dense bf16 bytes).
//
// Kernels compute y[t, r] = sum_c W[r, c] * x[t, c] (x, y fp32) for any token count T; they are
// tuned for decode (T = 1..16) and loop over token tiles beyond that. Levels (src/ops): AVX-512F,
// AVX2+FMA, portable scalar; Isa::Auto picks the best the CPU supports (or $PRUNEKIT_ISA: scalar|avx2|avx512).
// Work is split over output rows with at::parallel_for (honours at::set_num_threads).
//
// DenseBf16 is the dense bf16 baseline written with the same care (same SIMD, same threading,
// same bf16 widening) so that a comparison measures sparsity, not a better loop.
//
// Storage layout (what the kernels read; pack/unpack hide it). Both formats store rows in tiles
// of 4 (zero rows pad the last tile) interleaved column-block by column-block, so that a thread
// working through consecutive row tiles reads ONE sequential stream (measured on this class of
// machine: one stream per core gets much more DRAM bandwidth than 4-8 interleaved row streams).
//  * Packed24: columns zero-padded to a multiple of 128. data = bytes
//    [rows_padded / 4][cols_padded / 128][576]: for row tile q (rows 4q..4q+3) and super-block s
//    (columns 128s..128s+127), 512 bytes of values then 64 bytes of positions.
//    Values: for j = 0, 1 (block b = 2s + j, columns 64b..64b+63), for i = 0..3 (row 4q + i):
//    32 bf16 slots; slot 2k + h holds kept value k (0..15) of half h (columns 64b + 32h .. +32),
//    k = 2 * group-in-half + (0 for the lower position, 1 for the higher). So one 32-bit lane holds
//    value k of both halves: "<< 16" widens half 0, "& 0xffff0000" widens half 1.
//    Positions: for j = 0, 1, for i = 0..3, for h = 0, 1: one uint32 word whose bits 2k..2k+1 hold
//    the position (0..3) of kept value k inside its group of 4.
//  * DenseBf16: columns zero-padded to a multiple of 32. values = bf16
//    [rows_padded / 4][cols_padded / 32][4][32]: chunk c of row 4q + i holds columns 32c..32c+31,
//    column 32c + 16h + d at slot 2d + h.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "prunekit/cpu_isa.h"

namespace prunekit {
namespace sparse24 {

// Kernel levels and their detection live in src/ops (cpu_isa.h); the names stay usable here.
using ops::Isa;
using ops::isa_name;
using ops::parse_isa;
using ops::isa_supported;
using ops::best_isa;
using ops::resolve_isa;

// Diagnostic: how many threads the kernels' row split puts to work for n row tiles (at most
// at::get_num_threads()), through LibTorch's intra-op (OpenMP) threads.
int parallel_threads_used(int64_t n);

// Columns per group and at most this many nonzeros in it.
constexpr int64_t kGroup = 4;
constexpr int64_t kKeep = 2;

struct Packed24 {
  int64_t rows = 0, cols = 0;
  int64_t rows_padded = 0, cols_padded = 0;  // rounded up to 4 and to 128
  at::Tensor data;  // uint8 [rows_padded / 4, cols_padded / 128 * 576], layout above
  bool defined() const { return data.defined(); }
  int64_t nbytes() const;  // bytes the kernels read
};

struct DenseBf16 {
  int64_t rows = 0, cols = 0;
  int64_t rows_padded = 0, cols_padded = 0;  // rounded up to 4 and to 32
  at::Tensor values;  // bf16 [rows_padded / 4, cols_padded / 32 * 128], layout above
  bool defined() const { return values.defined(); }
  int64_t nbytes() const;
};

// True when every group of 4 columns of every row of the 2-D weight has at most 2 nonzeros.
bool is_24_sparse(const at::Tensor& weight);

// Pack a 2-D 2:4-sparse weight of any floating dtype (values rounded to bf16, nearest-even).
// std::invalid_argument when the weight is not 2-D floating, cols % 4 != 0, or a group holds
// more than 2 nonzeros (the message names the first bad row and group).
Packed24 pack(const at::Tensor& weight);
// Dense [rows, cols] copy of the packed weight (fp32 by default; exact: bf16 widens exactly).
at::Tensor unpack(const Packed24& packed, at::ScalarType dtype = at::kFloat);

DenseBf16 pack_dense(const at::Tensor& weight);  // any 2-D floating weight -> bf16
at::Tensor unpack_dense(const DenseBf16& dense, at::ScalarType dtype = at::kFloat);

// Raw entry points: y[t * ldy + r] = sum_c W[r, c] * x[t * ldx + c], t < T, all rows.
// x rows need only `cols` valid floats (a zero-padded copy is made when needed).
void gemm(const Packed24& w, const float* x, int64_t T, int64_t ldx, float* y, int64_t ldy,
          Isa isa = Isa::Auto);
void gemm_dense(const DenseBf16& w, const float* x, int64_t T, int64_t ldx, float* y, int64_t ldy,
                Isa isa = Isa::Auto);

// x [..., cols] (any floating dtype; computed in fp32) -> y [..., rows] fp32 = x @ W^T.
// std::invalid_argument when x's last dimension is not cols.
at::Tensor linear(const at::Tensor& x, const Packed24& w, Isa isa = Isa::Auto);
at::Tensor linear_dense(const at::Tensor& x, const DenseBf16& w, Isa isa = Isa::Auto);

// 2:4 by magnitude: keep the 2 largest |w| of every group of 4 (ties: lower column first).
// Returns a tensor of the same dtype; cols % 4 == 0 required (std::invalid_argument).
at::Tensor prune_magnitude(const at::Tensor& weight);

}  // namespace sparse24

// The op the model calls when --sparse-kernels is on.
using Packed24 = sparse24::Packed24;
inline at::Tensor linear_24(const at::Tensor& x, const Packed24& w) { return sparse24::linear(x, w); }

}  // namespace prunekit
