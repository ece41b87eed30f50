// The raw kernel contract of src/ops: what every per-ISA kernel file implements and the one table
// the callers pick a level's kernels from (cpu_isa.cpp: ops::kernels(Isa)).
//
// One pattern for every kernel: a kernel `name` has one implementation per level, `name_portable`
// (the build's default flags), `name_avx2` (files *_avx2.cpp, compiled with -mavx2 -mfma -mf16c)
// and `name_avx512` (*_avx512.cpp, AVX-512F/BW/VL/DQ), each run only after a CPU check. A kernel
// whose plain loops vectorise well has one body (*.inc) that each level's file includes
// (attention); one that needs intrinsics has a body per level (the bf16 / 2:4 GEMMs). All are
// listed in KernelSet, and adding a kernel means: declare it here, implement it per level, add it
// to the table in cpu_isa.cpp.
//
// No LibTorch or STL headers here: the per-ISA files include this, and shared inline code compiled
// with wider-ISA flags could be picked by the linker for a CPU that lacks them (ODR).
#pragma once
#include <cstdint>

namespace prunekit {
namespace ops {

// ---- Fused causal attention (fp32): scores, softmax and the value sum of one query row at a
// time, vectorised over the keys. On small models (head_dim 8-64) eager attention is a chain of
// small LibTorch ops (bmm, scale, mask, softmax, bmm) whose passes over the score matrix dominate.
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

// ---- Weight GEMMs y[t * ldy + r] = sum_c W[r, c] * x[t * ldx + c] (x, y fp32) over the rows of
// row tiles [q0, q1) (rows 4 * q0 .. min(4 * q1, rows)), t < T. x rows must hold cols_padded
// readable floats, zero beyond the logical column count. Storage layouts: include/prunekit/sparse24.h.
constexpr int64_t kSparseSuperBytes = 576;  // packed 2:4: 4 rows x 128 columns
struct Sparse24View {
  const uint8_t* data;  // [rows_padded / 4][cols_padded / 128][576]
  int64_t rows, cols_padded;
};
struct DenseBf16View {
  const uint16_t* values;  // [rows_padded / 4][cols_padded / 32][4][32] bf16 bits
  int64_t rows, cols_padded;
};

using AttendRowsFn = void (*)(const AttnTask& task);
using Sparse24GemmFn = void (*)(const Sparse24View& w, const float* x, int64_t T, int64_t ldx, float* y,
                                int64_t ldy, int64_t q0, int64_t q1);
using DenseBf16GemmFn = void (*)(const DenseBf16View& w, const float* x, int64_t T, int64_t ldx,
                                 float* y, int64_t ldy, int64_t q0, int64_t q1);

// Every kernel of one level.
struct KernelSet {
  AttendRowsFn attend_rows;
  Sparse24GemmFn sparse24_gemm;
  DenseBf16GemmFn dense_bf16_gemm;
};

#define PRUNEKIT_OPS_DECLARE_LEVEL(level)                                                          \
  void attend_rows_##level(const AttnTask& task);                                                  \
  void sparse24_gemm_##level(const Sparse24View& w, const float* x, int64_t T, int64_t ldx, float* y, \
                             int64_t ldy, int64_t q0, int64_t q1);                                 \
  void dense_bf16_gemm_##level(const DenseBf16View& w, const float* x, int64_t T, int64_t ldx,     \
                               float* y, int64_t ldy, int64_t q0, int64_t q1);
PRUNEKIT_OPS_DECLARE_LEVEL(portable)
PRUNEKIT_OPS_DECLARE_LEVEL(avx2)
PRUNEKIT_OPS_DECLARE_LEVEL(avx512)
#undef PRUNEKIT_OPS_DECLARE_LEVEL

namespace {
// Tokens per pass of the GEMM drivers: keep one chunk of x (chunk * cols floats) within ~512 KiB
// of L2. (Internal linkage: each level's file gets its own copy.)
inline int64_t gemm_token_chunk(int64_t cols_padded) {
  int64_t c = (int64_t{1} << 17) / (cols_padded > 0 ? cols_padded : 1);
  c = c < 4 ? 4 : (c > 64 ? 64 : c);
  return c & ~int64_t{3};
}
inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
// The GEMM drivers' outer loops: token chunks of gemm_token_chunk() tokens, then the row tiles
// [q0, q1); body(t0, tn, q) computes row tile q for tokens t0 .. t0 + tn.
template <typename Body>
inline void for_token_chunks_and_row_tiles(int64_t cols_padded, int64_t T, int64_t q0, int64_t q1, const Body& body) {
  const int64_t tc = gemm_token_chunk(cols_padded);
  for (int64_t t0 = 0; t0 < T; t0 += tc) {
    const int64_t tn = min64(tc, T - t0);
    for (int64_t q = q0; q < q1; ++q) body(t0, tn, q);
  }
}
}  // namespace

// The GEMM drivers of each level take its tile kernel templates as a type: in
// `struct SparseTiles { PRUNEKIT_OPS_TILE_RUN(sparse_tile) };`, Tiles::template run<A, B>(args...)
// is sparse_tile<A, B>(args...) (the struct may add the level's tuning constants beside it).
#define PRUNEKIT_OPS_TILE_RUN(tile_fn)      \
  template <int A, int B, typename... Args> \
  static void run(const Args&... args) {    \
    tile_fn<A, B>(args...);                 \
  }

}  // namespace ops
}  // namespace prunekit
