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

inline float hsum128(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float hsum(__m256 v) {
  return hsum128(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
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

// Rows i0..i0+R (R even) of row tile q x TT tokens. A 64-column block (per row: a 64-byte record)
// is 4 sub-vectors of 8 kept values: jj = 0 -> half 0 values 0..7 (columns 0..15), 1 -> half 0
// values 8..15 (16..31), 2 / 3 -> half 1 (32..47 / 48..63). Within a sub-vector, values 0..3
// (groups 0, 1) index the 8 columns in xa, values 4..7 (groups 2, 3) those in xb.
// Rows go in pairs sharing one register: AVX2 has no two-source permute, but one vpermps of xa
// can gather the kept columns of groups 0-1 for two rows at once (lanes 0-3 row r, 4-7 row r+1),
// and one of xb those of groups 2-3. So a pair costs 2 permutes + 2 FMAs per token and 8 kept
// values, half of what a blend of two permutes per row costs; the lane swaps that build the pair
// vectors are paid once per sub-vector, not per token.
template <int R, int TT>
inline void sparse_tile(const Sparse24View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                        int64_t q, int i0, bool prefetch) {
  static_assert(R % 2 == 0, "rows go in pairs");
  constexpr int P = R / 2;
  const int64_t nsb = w.cols_padded / 128;
  const uint8_t* tile = w.data + q * nsb * kSparseSuperBytes;
  __m256 acc[P][TT];
  for (int p = 0; p < P; ++p)
    for (int t = 0; t < TT; ++t) acc[p][t] = _mm256_setzero_ps();
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
        __m256 wa[P], wb[P];
        __m256i ia[P], ib[P];
        for (int p = 0; p < P; ++p) {
          const int r0 = i0 + 2 * p, r1 = r0 + 1;
          const __m256 w0 = widen(vals + 32 * r0, jj), w1 = widen(vals + 32 * r1, jj);
          const __m256i x0 = decode_index(idx[2 * r0 + h], s8), x1 = decode_index(idx[2 * r1 + h], s8);
          wa[p] = _mm256_permute2f128_ps(w0, w1, 0x20);  // groups 0-1 of both rows
          wb[p] = _mm256_permute2f128_ps(w0, w1, 0x31);  // groups 2-3 of both rows
          ia[p] = _mm256_permute2x128_si256(x0, x1, 0x20);
          ib[p] = _mm256_permute2x128_si256(x0, x1, 0x31);
        }
        for (int t = 0; t < TT; ++t) {
          const float* xs = x + t * ldx + 128 * s + 64 * j + 32 * h + 16 * s8;
          const __m256 xa = _mm256_loadu_ps(xs), xb = _mm256_loadu_ps(xs + 8);
          for (int p = 0; p < P; ++p) {
            acc[p][t] = _mm256_fmadd_ps(wa[p], _mm256_permutevar8x32_ps(xa, ia[p]), acc[p][t]);
            acc[p][t] = _mm256_fmadd_ps(wb[p], _mm256_permutevar8x32_ps(xb, ib[p]), acc[p][t]);
          }
        }
      }
    }
  }
  for (int p = 0; p < P; ++p)
    for (int k = 0; k < 2; ++k) {
      const int64_t row = 4 * q + i0 + 2 * p + k;
      if (row >= w.rows) continue;
      for (int t = 0; t < TT; ++t) {
        const __m128 half = k == 0 ? _mm256_castps256_ps128(acc[p][t]) : _mm256_extractf128_ps(acc[p][t], 1);
        y[t * ldy + row] = hsum128(half);
      }
    }
}

// A 32-column chunk of one row (64-byte record): lanes 0..7 low halves = columns 0..7, lanes
// 8..15 low = 8..15, lanes 0..7 high = 16..23, lanes 8..15 high = 24..31. With 1-2 tokens, two
// accumulator sets (alternate sub-vectors) for independent FMA chains; with more, the tokens give
// enough chains and one set keeps all accumulators in the 16 registers (2 rows x 4 tokens = 8;
// two sets of those, as before, spilled: 8 % slower at 8 tokens).
template <int R, int TT>
inline void dense_tile(const DenseBf16View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                       int64_t q, int i0, bool prefetch) {
  constexpr int NA = TT <= 2 ? 2 : 1;
  const int64_t nchunk = w.cols_padded / 32;
  const uint16_t* tile = w.values + q * 4 * w.cols_padded;
  __m256 acc[NA][R][TT];
  for (int a = 0; a < NA; ++a)
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
        for (int i = 0; i < R; ++i)
          acc[j % NA][i][t] = _mm256_fmadd_ps(wv[i], xv, acc[j % NA][i][t]);
      }
    }
  }
  for (int i = 0; i < R; ++i)
    if (4 * q + i0 + i < w.rows)
      for (int t = 0; t < TT; ++t) {
        __m256 sum = acc[0][i][t];
        if (NA == 2) sum = _mm256_add_ps(sum, acc[NA - 1][i][t]);
        y[t * ldy + 4 * q + i0 + i] = hsum(sum);
      }
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
