// AVX2+FMA kernels for packed 2:4 and dense bf16 weights (layouts: include/prunekit/sparse24.h).
// Compiled with -mavx2 -mfma -mf16c and only run after a CPU check; no LibTorch/STL headers here
// so that no shared inline code gets an AVX2 copy (ODR safety).
#define PRUNEKIT_SPARSE24_KERNELS_ONLY
#include "prunekit/sparse24.h"

#include <immintrin.h>

namespace prunekit {
namespace sparse24_kernels {
namespace {

// Software prefetch distance in the weight stream (bytes ahead of what is being read).
constexpr int64_t kPrefetchBytes = 4096;

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

// Rows i0..i0+R of row tile q x TT tokens. A 64-column block (per row: a 64-byte record) is 4
// sub-vectors of 8 kept values: jj = 0 -> half 0 values 0..7 (columns 0..15), 1 -> half 0 values
// 8..15 (16..31), 2 / 3 -> half 1 (32..47 / 48..63).
template <int R, int TT>
inline void sparse_tile(const Sparse24View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                        int64_t q, int i0, bool prefetch) {
  const int64_t nsb = w.cols_padded / 128;
  const uint8_t* tile = w.data + q * nsb * kSparseSuperBytes;
  __m256 acc[R][TT];
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < TT; ++t) acc[i][t] = _mm256_setzero_ps();
  for (int64_t s = 0; s < nsb; ++s) {
    const uint8_t* sb = tile + s * kSparseSuperBytes;
    if (prefetch)
      for (int l = 0; l < kSparseSuperBytes / 64; ++l)
        _mm_prefetch(reinterpret_cast<const char*>(sb + kPrefetchBytes + 64 * l), _MM_HINT_T0);
    for (int j = 0; j < 2; ++j) {
      const uint16_t* vals = reinterpret_cast<const uint16_t*>(sb + 256 * j);
      const uint32_t* idx = reinterpret_cast<const uint32_t*>(sb + 512 + 32 * j);
      for (int jj = 0; jj < 4; ++jj) {
        const int h = jj >> 1, s8 = jj & 1;
        __m256 wv[R];
        __m256i iv[R];
        for (int i = 0; i < R; ++i) {
          wv[i] = widen(vals + 32 * (i0 + i), jj);
          iv[i] = decode_index(idx[2 * (i0 + i) + h], s8);
        }
        for (int t = 0; t < TT; ++t) {
          const float* xs = x + t * ldx + 128 * s + 64 * j + 32 * h + 16 * s8;
          const __m256 xa = _mm256_loadu_ps(xs), xb = _mm256_loadu_ps(xs + 8);
          for (int i = 0; i < R; ++i) {
            // lanes 0..3 (groups 0, 1) come from xa, lanes 4..7 (groups 2, 3) from xb
            const __m256 g = _mm256_blend_ps(_mm256_permutevar8x32_ps(xa, iv[i]),
                                             _mm256_permutevar8x32_ps(xb, iv[i]), 0xF0);
            acc[i][t] = _mm256_fmadd_ps(wv[i], g, acc[i][t]);
          }
        }
      }
    }
  }
  for (int i = 0; i < R; ++i)
    if (4 * q + i0 + i < w.rows)
      for (int t = 0; t < TT; ++t) y[t * ldy + 4 * q + i0 + i] = hsum(acc[i][t]);
}

// A 32-column chunk of one row (64-byte record): lanes 0..7 low halves = columns 0..7, lanes
// 8..15 low = 8..15, lanes 0..7 high = 16..23, lanes 8..15 high = 24..31.
template <int R, int TT>
inline void dense_tile(const DenseBf16View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                       int64_t q, int i0, bool prefetch) {
  const int64_t nchunk = w.cols_padded / 32;
  const uint16_t* tile = w.values + q * 4 * w.cols_padded;
  __m256 acc[2][R][TT];
  for (int a = 0; a < 2; ++a)
    for (int i = 0; i < R; ++i)
      for (int t = 0; t < TT; ++t) acc[a][i][t] = _mm256_setzero_ps();
  for (int64_t c = 0; c < nchunk; ++c) {
    const uint16_t* ch = tile + 128 * c;
    if (prefetch)
      for (int l = 0; l < 4; ++l)
        _mm_prefetch(reinterpret_cast<const char*>(ch) + kPrefetchBytes + 64 * l, _MM_HINT_T0);
    for (int j = 0; j < 4; ++j) {
      const int off = 8 * (j & 1) + 16 * (j >> 1);  // column offset of sub-vector j
      __m256 wv[R];
      for (int i = 0; i < R; ++i) wv[i] = widen(ch + 32 * (i0 + i), j);
      for (int t = 0; t < TT; ++t) {
        const __m256 xv = _mm256_loadu_ps(x + t * ldx + 32 * c + off);
        for (int i = 0; i < R; ++i) acc[j & 1][i][t] = _mm256_fmadd_ps(wv[i], xv, acc[j & 1][i][t]);
      }
    }
  }
  for (int i = 0; i < R; ++i)
    if (4 * q + i0 + i < w.rows)
      for (int t = 0; t < TT; ++t)
        y[t * ldy + 4 * q + i0 + i] = hsum(_mm256_add_ps(acc[0][i][t], acc[1][i][t]));
}

struct SparseTiles {
  template <int R, int TT>
  static void run(const Sparse24View& w, const float* x, int64_t ldx, float* y, int64_t ldy, int64_t q,
                  int i0, bool prefetch) {
    sparse_tile<R, TT>(w, x, ldx, y, ldy, q, i0, prefetch);
  }
};
struct DenseTiles {
  template <int R, int TT>
  static void run(const DenseBf16View& w, const float* x, int64_t ldx, float* y, int64_t ldy, int64_t q,
                  int i0, bool prefetch) {
    dense_tile<R, TT>(w, x, ldx, y, ldy, q, i0, prefetch);
  }
};

// Same scheme as the AVX-512 driver, sized for 16 registers: all 4 rows of a tile when there is a
// single token, else 2 rows x up to 4 tokens at a time. The first token tile of a row tile
// prefetches ahead in the weight stream.
template <typename View, typename Tiles>
inline void drive(const View& w, const float* x, int64_t T, int64_t ldx, float* y, int64_t ldy,
                  int64_t q0, int64_t q1) {
  const int64_t tc = token_chunk(w.cols_padded);
  for (int64_t t0 = 0; t0 < T; t0 += tc) {
    const int64_t tn = min64(tc, T - t0);
    for (int64_t q = q0; q < q1; ++q) {
      if (tn == 1) {
        Tiles::template run<4, 1>(w, x + t0 * ldx, ldx, y + t0 * ldy, ldy, q, 0, true);
        continue;
      }
      for (int i0 = 0; i0 < 4; i0 += 2)
        for (int64_t t = 0; t < tn; t += 4) {
          const float* xs = x + (t0 + t) * ldx;
          float* ys = y + (t0 + t) * ldy;
          const bool pf = i0 == 0 && t == 0;
          switch (min64(4, tn - t)) {
            case 1: Tiles::template run<2, 1>(w, xs, ldx, ys, ldy, q, i0, pf); break;
            case 2: Tiles::template run<2, 2>(w, xs, ldx, ys, ldy, q, i0, pf); break;
            case 3: Tiles::template run<2, 3>(w, xs, ldx, ys, ldy, q, i0, pf); break;
            default: Tiles::template run<2, 4>(w, xs, ldx, ys, ldy, q, i0, pf); break;
          }
        }
    }
  }
}

}  // namespace

void sparse24_gemm_avx2(const Sparse24View& w, const float* x, int64_t T, int64_t ldx, float* y,
                        int64_t ldy, int64_t q0, int64_t q1) {
  drive<Sparse24View, SparseTiles>(w, x, T, ldx, y, ldy, q0, q1);
}

void dense_bf16_gemm_avx2(const DenseBf16View& w, const float* x, int64_t T, int64_t ldx, float* y,
                          int64_t ldy, int64_t q0, int64_t q1) {
  drive<DenseBf16View, DenseTiles>(w, x, T, ldx, y, ldy, q0, q1);
}

}  // namespace sparse24_kernels
}  // namespace prunekit
