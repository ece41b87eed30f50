// AVX-512F kernels for packed 2:4 and dense bf16 weights (layouts: include/prunekit/sparse24.h).
// This file is compiled with AVX-512 flags and must only run after a CPU check; it includes no
// LibTorch/STL headers so that no shared inline code gets an AVX-512 copy (ODR safety).
#define PRUNEKIT_SPARSE24_KERNELS_ONLY
#include "prunekit/sparse24.h"

// GCC 12 false positive inside its own AVX-512 headers (_mm512_undefined_* self-initialises).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

namespace prunekit {
namespace sparse24_kernels {
namespace {

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// Tokens per pass: keep one chunk of x (chunk * cols floats) within ~512 KiB of L2.
inline int64_t token_chunk(int64_t cols_padded) {
  int64_t c = (int64_t{1} << 17) / (cols_padded > 0 ? cols_padded : 1);
  c = c < 8 ? 8 : (c > 64 ? 64 : c);
  return c & ~int64_t{7};
}

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

// R rows x TT tokens; NA = 2 uses separate accumulators for the two halves of a block (more
// independent FMA chains when R * TT is small). Each x vector loaded feeds R rows.
template <int R, int TT, int NA>
inline void sparse_tile(const Sparse24View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                        int64_t r, bool prefetch) {
  const int64_t vstride = w.cols_padded / 2, istride = w.cols_padded / 32, nblk = w.cols_padded / 64;
  const uint16_t* vp[R];
  const uint32_t* ip[R];
  for (int i = 0; i < R; ++i) {
    vp[i] = w.values + (r + i) * vstride;
    ip[i] = w.index + (r + i) * istride;
  }
  __m512 acc[NA][R][TT];
  for (int a = 0; a < NA; ++a)
    for (int i = 0; i < R; ++i)
      for (int t = 0; t < TT; ++t) acc[a][i][t] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nblk; ++b) {
    if (prefetch) {  // the next row tile's block b, so DRAM keeps streaming while we compute
      for (int i = 0; i < R; ++i) {
        _mm_prefetch(reinterpret_cast<const char*>(vp[i] + R * vstride + 32 * b), _MM_HINT_T1);
        if ((b & 7) == 0) _mm_prefetch(reinterpret_cast<const char*>(ip[i] + R * istride + 2 * b), _MM_HINT_T1);
      }
    }
    for (int h = 0; h < 2; ++h) {  // half h: columns 64b + 32h .. +32
      __m512 wv[R];
      __m512i iv[R];
      for (int i = 0; i < R; ++i) {
        const __m512i raw = _mm512_loadu_si512(vp[i] + 32 * b);
        wv[i] = h == 0 ? widen_lo(raw) : widen_hi(raw);
        iv[i] = decode_index(ip[i][2 * b + h]);
      }
      for (int t = 0; t < TT; ++t) {
        const float* xt = x + t * ldx + 64 * b + 32 * h;
        const __m512 x0 = _mm512_loadu_ps(xt), x1 = _mm512_loadu_ps(xt + 16);
        for (int i = 0; i < R; ++i)
          acc[h % NA][i][t] = _mm512_fmadd_ps(wv[i], _mm512_permutex2var_ps(x0, iv[i], x1), acc[h % NA][i][t]);
      }
    }
  }
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < TT; ++t) {
      __m512 s = acc[0][i][t];
      if (NA == 2) s = _mm512_add_ps(s, acc[NA - 1][i][t]);
      y[t * ldy + r + i] = _mm512_reduce_add_ps(s);
    }
}

template <int R, int TT, int NA>
inline void dense_tile(const DenseBf16View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                       int64_t r, bool prefetch) {
  const int64_t nchunk = w.cols_padded / 32;
  const uint16_t* vp[R];
  for (int i = 0; i < R; ++i) vp[i] = w.values + (r + i) * w.cols_padded;
  __m512 acc[NA][R][TT];
  for (int a = 0; a < NA; ++a)
    for (int i = 0; i < R; ++i)
      for (int t = 0; t < TT; ++t) acc[a][i][t] = _mm512_setzero_ps();
  for (int64_t c = 0; c < nchunk; ++c) {
    if (prefetch)  // the next row tile's chunk c
      for (int i = 0; i < R; ++i)
        _mm_prefetch(reinterpret_cast<const char*>(vp[i] + R * w.cols_padded + 32 * c), _MM_HINT_T1);
    __m512 wl[R], wh[R];
    for (int i = 0; i < R; ++i) {
      const __m512i raw = _mm512_loadu_si512(vp[i] + 32 * c);
      wl[i] = widen_lo(raw);
      wh[i] = widen_hi(raw);
    }
    for (int t = 0; t < TT; ++t) {
      const float* xt = x + t * ldx + 32 * c;
      const __m512 x0 = _mm512_loadu_ps(xt), x1 = _mm512_loadu_ps(xt + 16);
      for (int i = 0; i < R; ++i) {
        acc[0][i][t] = _mm512_fmadd_ps(wl[i], x0, acc[0][i][t]);
        acc[NA - 1][i][t] = _mm512_fmadd_ps(wh[i], x1, acc[NA - 1][i][t]);
      }
    }
  }
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < TT; ++t) {
      __m512 s = acc[0][i][t];
      if (NA == 2) s = _mm512_add_ps(s, acc[NA - 1][i][t]);
      y[t * ldy + r + i] = _mm512_reduce_add_ps(s);
    }
}

// One tile of tt (1..4) tokens for rows r..r+R.
template <int R, typename Tiles, typename View>
inline void token_tile(int64_t tt, const View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                       int64_t r, bool prefetch) {
  switch (tt) {
    case 1: Tiles::template run<R, 1, 2>(w, x, ldx, y, ldy, r, prefetch); break;
    case 2: Tiles::template run<R, 2, 1>(w, x, ldx, y, ldy, r, prefetch); break;
    case 3: Tiles::template run<R, 3, 1>(w, x, ldx, y, ldy, r, prefetch); break;
    default: Tiles::template run<R, 4, 1>(w, x, ldx, y, ldy, r, prefetch); break;
  }
}

// Shared driver. Token chunks (an x chunk stays in L2); per chunk, tiles of 4 rows x up to 4
// tokens: 16 accumulators, each x load feeds 4 rows, each decoded weight vector 4 tokens. The
// tile's weights are re-read from cache for its later token tiles, and its first token tile
// prefetches the next tile's weights so DRAM keeps streaming while we compute.
// (Measured alternative: 2 rows x 8 tokens was slower: x then streams from L2 twice as often.)
template <typename View, typename Tiles>
inline void drive(const View& w, const float* x, int64_t T, int64_t ldx, float* y, int64_t ldy,
                  int64_t r0, int64_t r1) {
  const int64_t tc = token_chunk(w.cols_padded);
  for (int64_t t0 = 0; t0 < T; t0 += tc) {
    const int64_t tn = min64(tc, T - t0);
    const float* xs = x + t0 * ldx;
    float* ys = y + t0 * ldy;
    int64_t r = r0;
    for (; r + 4 <= r1; r += 4)
      for (int64_t t = 0; t < tn; t += 4)
        token_tile<4, Tiles>(min64(4, tn - t), w, xs + t * ldx, ldx, ys + t * ldy, ldy, r, t == 0);
    for (; r < r1; ++r)
      for (int64_t t = 0; t < tn; t += 4)
        token_tile<1, Tiles>(min64(4, tn - t), w, xs + t * ldx, ldx, ys + t * ldy, ldy, r, t == 0);
  }
}

struct SparseTiles {
  template <int R, int TT, int NA>
  static void run(const Sparse24View& w, const float* x, int64_t ldx, float* y, int64_t ldy, int64_t r,
                  bool prefetch) {
    sparse_tile<R, TT, NA>(w, x, ldx, y, ldy, r, prefetch);
  }
};
struct DenseTiles {
  template <int R, int TT, int NA>
  static void run(const DenseBf16View& w, const float* x, int64_t ldx, float* y, int64_t ldy, int64_t r,
                  bool prefetch) {
    dense_tile<R, TT, NA>(w, x, ldx, y, ldy, r, prefetch);
  }
};

}  // namespace

void sparse24_gemm_avx512(const Sparse24View& w, const float* x, int64_t T, int64_t ldx, float* y,
                          int64_t ldy, int64_t r0, int64_t r1) {
  drive<Sparse24View, SparseTiles>(w, x, T, ldx, y, ldy, r0, r1);
}

void dense_bf16_gemm_avx512(const DenseBf16View& w, const float* x, int64_t T, int64_t ldx,
                            float* y, int64_t ldy, int64_t r0, int64_t r1) {
  drive<DenseBf16View, DenseTiles>(w, x, T, ldx, y, ldy, r0, r1);
}

}  // namespace sparse24_kernels
}  // namespace prunekit
