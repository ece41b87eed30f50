// AVX-512F kernels for packed 2:4 and dense bf16 weights (layouts: include/prunekit/sparse24.h).
// This file is compiled with AVX-512 flags and must only run after a CPU check; it includes no
// LibTorch/STL headers so that no shared inline code gets an AVX-512 copy (ODR safety).
#include "ops/kernels.h"

// GCC 12 false positive inside its own AVX-512 headers (_mm512_undefined_* self-initialises).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

namespace prunekit {
namespace ops {
namespace {

// Software prefetch distance in the weight stream (bytes ahead of what is being read), into L2
// (_MM_HINT_T1): measured on the AVX-512 Xeon VM against 4 KiB into L1, both kernels got 4-10 %
// faster at 1-8 tokens on llama-2-7b shapes (2:4 at 1 token 9.6 -> 8.8 ms per layer, dense bf16
// 15.8 -> 15.1 ms). The AVX2 kernels keep 4 KiB into L1 (the same change did not help there).
constexpr int64_t kPrefetchBytes = 8192;

// bf16 pairs in 32-bit lanes -> two fp32 vectors (low halves, high halves).
inline __m512 widen_lo(__m512i raw) { return _mm512_castsi512_ps(_mm512_slli_epi32(raw, 16)); }
inline __m512 widen_hi(__m512i raw) {
  return _mm512_castsi512_ps(_mm512_and_si512(raw, _mm512_set1_epi32(static_cast<int>(0xffff0000u))));
}

// 16 two-bit positions (bits 2k..2k+1 of word) -> permutex2var indices 4 * (k / 2) + pos into a
// 32-float window of x: (word >> 2k) & 3 | base, one vpternlogd.
inline __m512i decode_index(uint32_t word) {
  const __m512i shifts = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i base = _mm512_setr_epi32(0, 0, 4, 4, 8, 8, 12, 12, 16, 16, 20, 20, 24, 24, 28, 28);
  const __m512i v = _mm512_srlv_epi32(_mm512_set1_epi32(static_cast<int>(word)), shifts);
  return _mm512_ternarylogic_epi32(v, _mm512_set1_epi32(3), base, 0xEA);  // (A & B) | C
}

// The outputs of one row tile (rows 4q.., at most `rows`) for TT tokens from its accumulators
// (the two halves summed when NA = 2).
template <int TT, int NA>
inline void store_tile(__m512 (&acc)[NA][4][TT], int64_t rows, float* y, int64_t ldy, int64_t q) {
  const int64_t valid = min64(4, rows - 4 * q);
  for (int i = 0; i < valid; ++i)
    for (int t = 0; t < TT; ++t) {
      __m512 s = acc[0][i][t];
      if (NA == 2) s = _mm512_add_ps(s, acc[NA - 1][i][t]);
      y[t * ldy + 4 * q + i] = _mm512_reduce_add_ps(s);
    }
}

// One row tile (4 rows) x TT tokens. NA = 2 keeps separate accumulators for the two halves of a
// block (more independent FMA chains when TT is 1). Each x vector loaded feeds the 4 rows, each
// decoded weight/index vector the TT tokens.
template <int TT, int NA>
inline void sparse_tile(const Sparse24View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                        int64_t q, bool prefetch) {
  const int64_t nsb = w.cols_padded / 128;
  const uint8_t* tile = w.data + q * nsb * kSparseSuperBytes;
  __m512 acc[NA][4][TT];
  for (int a = 0; a < NA; ++a)
    for (int i = 0; i < 4; ++i)
      for (int t = 0; t < TT; ++t) acc[a][i][t] = _mm512_setzero_ps();
  for (int64_t s = 0; s < nsb; ++s) {
    const uint8_t* sb = tile + s * kSparseSuperBytes;
    if (prefetch)
      for (int l = 0; l < kSparseSuperBytes / 64; ++l)
        _mm_prefetch(reinterpret_cast<const char*>(sb + kPrefetchBytes + 64 * l), _MM_HINT_T1);
    for (int j = 0; j < 2; ++j) {  // block 2s + j: columns 128s + 64j .. +64
      const uint16_t* vals = reinterpret_cast<const uint16_t*>(sb + 256 * j);
      const uint32_t* idx = reinterpret_cast<const uint32_t*>(sb + 512 + 32 * j);
      const float* xb = x + 128 * s + 64 * j;
      for (int h = 0; h < 2; ++h) {  // half h: 32 columns, 16 kept values per row
        __m512 wv[4];
        __m512i iv[4];
        for (int i = 0; i < 4; ++i) {
          const __m512i raw = _mm512_loadu_si512(vals + 32 * i);
          wv[i] = h == 0 ? widen_lo(raw) : widen_hi(raw);
          iv[i] = decode_index(idx[2 * i + h]);
        }
        for (int t = 0; t < TT; ++t) {
          const float* xt = xb + t * ldx + 32 * h;
          const __m512 x0 = _mm512_loadu_ps(xt), x1 = _mm512_loadu_ps(xt + 16);
          for (int i = 0; i < 4; ++i)
            acc[h % NA][i][t] =
                _mm512_fmadd_ps(wv[i], _mm512_permutex2var_ps(x0, iv[i], x1), acc[h % NA][i][t]);
        }
      }
    }
  }
  store_tile<TT, NA>(acc, w.rows, y, ldy, q);
}

template <int TT, int NA>
inline void dense_tile(const DenseBf16View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                       int64_t q, bool prefetch) {
  const int64_t nchunk = w.cols_padded / 32;
  const uint16_t* tile = w.values + q * 4 * w.cols_padded;
  __m512 acc[NA][4][TT];
  for (int a = 0; a < NA; ++a)
    for (int i = 0; i < 4; ++i)
      for (int t = 0; t < TT; ++t) acc[a][i][t] = _mm512_setzero_ps();
  for (int64_t c = 0; c < nchunk; ++c) {
    const uint16_t* ch = tile + 128 * c;  // 4 rows x 32 columns
    if (prefetch)
      for (int l = 0; l < 4; ++l)
        _mm_prefetch(reinterpret_cast<const char*>(ch) + kPrefetchBytes + 64 * l, _MM_HINT_T1);
    __m512 wl[4], wh[4];
    for (int i = 0; i < 4; ++i) {
      const __m512i raw = _mm512_loadu_si512(ch + 32 * i);
      wl[i] = widen_lo(raw);
      wh[i] = widen_hi(raw);
    }
    for (int t = 0; t < TT; ++t) {
      const float* xt = x + t * ldx + 32 * c;
      const __m512 x0 = _mm512_loadu_ps(xt), x1 = _mm512_loadu_ps(xt + 16);
      for (int i = 0; i < 4; ++i) {
        acc[0][i][t] = _mm512_fmadd_ps(wl[i], x0, acc[0][i][t]);
        acc[NA - 1][i][t] = _mm512_fmadd_ps(wh[i], x1, acc[NA - 1][i][t]);
      }
    }
  }
  store_tile<TT, NA>(acc, w.rows, y, ldy, q);
}

// Tiles::template run<TT, NA>(w, x, ldx, y, ldy, q, prefetch) for the driver.
struct SparseTiles {
  PRUNEKIT_OPS_TILE_RUN(sparse_tile)
};
struct DenseTiles {
  PRUNEKIT_OPS_TILE_RUN(dense_tile)
};

// Shared driver. Token chunks (an x chunk stays in L2); per chunk and row tile, token tiles of up
// to 4 (16 accumulators). A tile's weights are re-read from cache for its later token tiles; its
// first token tile prefetches ahead in the weight stream so DRAM keeps streaming while we compute.
// (Measured alternative: 2 rows x 8 tokens was slower: x then streams from L2 twice as often.)
template <typename View, typename Tiles>
inline void drive(const View& w, const float* x, int64_t T, int64_t ldx, float* y, int64_t ldy,
                  int64_t q0, int64_t q1) {
  for_token_chunks_and_row_tiles(w.cols_padded, T, q0, q1, [&](int64_t t0, int64_t tn, int64_t q) {
    for (int64_t t = 0; t < tn; t += 4) {
      const float* xs = x + (t0 + t) * ldx;
      float* ys = y + (t0 + t) * ldy;
      switch (min64(4, tn - t)) {
        case 1: Tiles::template run<1, 2>(w, xs, ldx, ys, ldy, q, t == 0); break;
        case 2: Tiles::template run<2, 1>(w, xs, ldx, ys, ldy, q, t == 0); break;
        case 3: Tiles::template run<3, 1>(w, xs, ldx, ys, ldy, q, t == 0); break;
        default: Tiles::template run<4, 1>(w, xs, ldx, ys, ldy, q, t == 0); break;
      }
    }
  });
}

}  // namespace

void sparse24_gemm_avx512(const Sparse24View& w, const float* x, int64_t T, int64_t ldx, float* y,
                          int64_t ldy, int64_t q0, int64_t q1) {
  drive<Sparse24View, SparseTiles>(w, x, T, ldx, y, ldy, q0, q1);
}

void dense_bf16_gemm_avx512(const DenseBf16View& w, const float* x, int64_t T, int64_t ldx,
                            float* y, int64_t ldy, int64_t q0, int64_t q1) {
  drive<DenseBf16View, DenseTiles>(w, x, T, ldx, y, ldy, q0, q1);
}

}  // namespace ops
}  // namespace prunekit
