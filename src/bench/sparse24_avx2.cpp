// AVX2+FMA kernels for packed 2:4 and dense bf16 weights (layouts: include/prunekit/sparse24.h).
// Compiled with -mavx2 -mfma -mf16c and only run after a CPU check; no LibTorch/STL headers here
// so that no shared inline code gets an AVX2 copy (ODR safety).
#define PRUNEKIT_SPARSE24_KERNELS_ONLY
#include "prunekit/sparse24.h"

#include <immintrin.h>

namespace prunekit {
namespace sparse24_kernels {
namespace {

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

inline int64_t token_chunk(int64_t cols_padded) {
  int64_t c = (int64_t{1} << 17) / (cols_padded > 0 ? cols_padded : 1);
  c = c < 4 ? 4 : (c > 64 ? 64 : c);
  return c & ~int64_t{3};
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// 8 bf16 values of the j-th sub-vector of a 32-lane (64-byte) record: j = 0/1 -> low halves of
// lanes 0..7 / 8..15, j = 2/3 -> high halves of lanes 0..7 / 8..15.
inline __m256 widen(const uint16_t* rec, int j) {
  const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec + 16 * (j & 1)));
  return j < 2 ? _mm256_castsi256_ps(_mm256_slli_epi32(raw, 16))
               : _mm256_castsi256_ps(_mm256_and_si256(raw, _mm256_set1_epi32(static_cast<int>(0xffff0000u))));
}

// Positions of kept values 8s..8s+7 of a half-block (bits 16s + 2k) -> vpermps indices into the
// 8-float register that holds their group: (pos) | 4 * ((k / 2) & 1).
inline __m256i decode_index(uint32_t word, int s) {
  const __m256i shifts = _mm256_add_epi32(_mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14),
                                          _mm256_set1_epi32(16 * s));
  const __m256i base = _mm256_setr_epi32(0, 0, 4, 4, 0, 0, 4, 4);
  const __m256i v = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(word)), shifts);
  return _mm256_or_si256(_mm256_and_si256(v, _mm256_set1_epi32(3)), base);
}

// A 64-column block is 4 sub-vectors of 8 kept values: j = 0 -> half 0 values 0..7 (cols 0..15),
// j = 1 -> half 0 values 8..15 (cols 16..31), j = 2/3 -> half 1 (cols 32..47 / 48..63).
template <int R, int TT>
inline void sparse_tile(const Sparse24View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                        int64_t r, bool prefetch) {
  const int64_t vstride = w.cols_padded / 2, istride = w.cols_padded / 32, nblk = w.cols_padded / 64;
  const uint16_t* vp[R];
  const uint32_t* ip[R];
  for (int i = 0; i < R; ++i) {
    vp[i] = w.values + (r + i) * vstride;
    ip[i] = w.index + (r + i) * istride;
  }
  __m256 acc[R][TT];
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < TT; ++t) acc[i][t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nblk; ++b) {
    if (prefetch) {  // the next row tile's block b, so DRAM keeps streaming while we compute
      for (int i = 0; i < R; ++i) {
        _mm_prefetch(reinterpret_cast<const char*>(vp[i] + R * vstride + 32 * b), _MM_HINT_T1);
        if ((b & 7) == 0) _mm_prefetch(reinterpret_cast<const char*>(ip[i] + R * istride + 2 * b), _MM_HINT_T1);
      }
    }
    for (int j = 0; j < 4; ++j) {
      const int h = j >> 1, s = j & 1;
      __m256 wv[R];
      __m256i iv[R];
      for (int i = 0; i < R; ++i) {
        wv[i] = widen(vp[i] + 32 * b, j);
        iv[i] = decode_index(ip[i][2 * b + h], s);
      }
      for (int t = 0; t < TT; ++t) {
        const float* xs = x + t * ldx + 64 * b + 32 * h + 16 * s;
        const __m256 xa = _mm256_loadu_ps(xs), xb = _mm256_loadu_ps(xs + 8);
        for (int i = 0; i < R; ++i) {
          const __m256 g = _mm256_blend_ps(_mm256_permutevar8x32_ps(xa, iv[i]),
                                           _mm256_permutevar8x32_ps(xb, iv[i]), 0xF0);
          acc[i][t] = _mm256_fmadd_ps(wv[i], g, acc[i][t]);
        }
      }
    }
  }
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < TT; ++t) y[t * ldy + r + i] = hsum(acc[i][t]);
}

// A 32-column chunk: lanes 0..7 low halves = cols 0..7, lanes 8..15 low = cols 8..15,
// lanes 0..7 high = cols 16..23, lanes 8..15 high = cols 24..31.
template <int R, int TT>
inline void dense_tile(const DenseBf16View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                       int64_t r, bool prefetch) {
  const int64_t nchunk = w.cols_padded / 32;
  const uint16_t* vp[R];
  for (int i = 0; i < R; ++i) vp[i] = w.values + (r + i) * w.cols_padded;
  __m256 acc[2][R][TT];
  for (int a = 0; a < 2; ++a)
    for (int i = 0; i < R; ++i)
      for (int t = 0; t < TT; ++t) acc[a][i][t] = _mm256_setzero_ps();
  for (int64_t c = 0; c < nchunk; ++c) {
    if (prefetch)  // the next row tile's chunk c
      for (int i = 0; i < R; ++i)
        _mm_prefetch(reinterpret_cast<const char*>(vp[i] + R * w.cols_padded + 32 * c), _MM_HINT_T1);
    for (int j = 0; j < 4; ++j) {
      // column offset of sub-vector j inside the chunk: 0, 8, 16, 24
      const int off = 8 * (j & 1) + 16 * (j >> 1);
      __m256 wv[R];
      for (int i = 0; i < R; ++i) wv[i] = widen(vp[i] + 32 * c, j);
      for (int t = 0; t < TT; ++t) {
        const __m256 xv = _mm256_loadu_ps(x + t * ldx + 32 * c + off);
        for (int i = 0; i < R; ++i) acc[j & 1][i][t] = _mm256_fmadd_ps(wv[i], xv, acc[j & 1][i][t]);
      }
    }
  }
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < TT; ++t) y[t * ldy + r + i] = hsum(_mm256_add_ps(acc[0][i][t], acc[1][i][t]));
}

// One tile of tt (1..4) tokens for rows r..r+R.
template <int R, typename Tiles, typename View>
inline void token_tile(int64_t tt, const View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                       int64_t r, bool prefetch) {
  switch (tt) {
    case 1: Tiles::template run<R, 1>(w, x, ldx, y, ldy, r, prefetch); break;
    case 2: Tiles::template run<R, 2>(w, x, ldx, y, ldy, r, prefetch); break;
    case 3: Tiles::template run<R, 3>(w, x, ldx, y, ldy, r, prefetch); break;
    default: Tiles::template run<R, 4>(w, x, ldx, y, ldy, r, prefetch); break;
  }
}

// Same scheme as the AVX-512 driver, sized for 16 registers: 4 rows when there is a single
// token, else 2 rows x up to 4 tokens. The first token tile prefetches the next row tile.
template <typename View, typename Tiles>
inline void drive(const View& w, const float* x, int64_t T, int64_t ldx, float* y, int64_t ldy,
                  int64_t r0, int64_t r1) {
  const int64_t tc = token_chunk(w.cols_padded);
  for (int64_t t0 = 0; t0 < T; t0 += tc) {
    const int64_t tn = min64(tc, T - t0);
    const float* xs = x + t0 * ldx;
    float* ys = y + t0 * ldy;
    int64_t r = r0;
    if (tn == 1) {
      for (; r + 4 <= r1; r += 4) Tiles::template run<4, 1>(w, xs, ldx, ys, ldy, r, true);
    } else {
      for (; r + 2 <= r1; r += 2)
        for (int64_t t = 0; t < tn; t += 4)
          token_tile<2, Tiles>(min64(4, tn - t), w, xs + t * ldx, ldx, ys + t * ldy, ldy, r, t == 0);
    }
    for (; r < r1; ++r)
      for (int64_t t = 0; t < tn; t += 4)
        token_tile<1, Tiles>(min64(4, tn - t), w, xs + t * ldx, ldx, ys + t * ldy, ldy, r, t == 0);
  }
}

struct SparseTiles {
  template <int R, int TT>
  static void run(const Sparse24View& w, const float* x, int64_t ldx, float* y, int64_t ldy, int64_t r,
                  bool prefetch) {
    sparse_tile<R, TT>(w, x, ldx, y, ldy, r, prefetch);
  }
};
struct DenseTiles {
  template <int R, int TT>
  static void run(const DenseBf16View& w, const float* x, int64_t ldx, float* y, int64_t ldy, int64_t r,
                  bool prefetch) {
    dense_tile<R, TT>(w, x, ldx, y, ldy, r, prefetch);
  }
};

}  // namespace

void sparse24_gemm_avx2(const Sparse24View& w, const float* x, int64_t T, int64_t ldx, float* y,
                        int64_t ldy, int64_t r0, int64_t r1) {
  drive<Sparse24View, SparseTiles>(w, x, T, ldx, y, ldy, r0, r1);
}

void dense_bf16_gemm_avx2(const DenseBf16View& w, const float* x, int64_t T, int64_t ldx, float* y,
                          int64_t ldy, int64_t r0, int64_t r1) {
  drive<DenseBf16View, DenseTiles>(w, x, T, ldx, y, ldy, r0, r1);
}

}  // namespace sparse24_kernels
}  // namespace prunekit
