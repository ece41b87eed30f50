// AVX2+FMA kernels for packed 2:4 and dense bf16 weights (layouts: include/prunekit/sparse24.h).
// Compiled with -mavx2 -mfma -mf16c and only run after a CPU check; no LibTorch/STL headers here
// so that no shared inline code gets an AVX2 copy (ODR safety).
#include "ops/kernels.h"

#include <immintrin.h>

namespace prunekit {
namespace ops {
namespace {

// Software prefetch distance in the weight stream (bytes ahead of what is being read).
constexpr int64_t kPrefetchBytes = 4096;

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

// Byte-shuffle controls for one 128-bit lane of x (the 4 columns of one group): entry b (4 positions
// of 2 bits: row r's two kept values, then row r + 1's) gathers float pos_e into slot e.
struct LaneShuffles {
  alignas(16) uint8_t control[256][16];
};
constexpr LaneShuffles make_lane_shuffles() {
  LaneShuffles t{};
  for (int b = 0; b < 256; ++b)
    for (int e = 0; e < 4; ++e)
      for (int i = 0; i < 4; ++i) t.control[b][4 * e + i] = static_cast<uint8_t>(4 * ((b >> (2 * e)) & 3) + i);
  return t;
}
constexpr LaneShuffles kLaneShuffles = make_lane_shuffles();

// The shuffle control of group g (0..7 of a half-block) for a row pair, from the rows' position
// words (bits 2k..2k+1: kept value k; group g holds values 2g, 2g + 1).
inline __m128i group_control(uint32_t w0, uint32_t w1, int g) {
  const unsigned b = ((w0 >> (4 * g)) & 15u) | (((w1 >> (4 * g)) & 15u) << 4);
  return _mm_load_si128(reinterpret_cast<const __m128i*>(kLaneShuffles.control[b]));
}
inline __m256i pair_control(uint32_t w0, uint32_t w1, int g_lo, int g_hi) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(group_control(w0, w1, g_lo)), group_control(w0, w1, g_hi), 1);
}

// Positions of kept values 8s..8s+7 of a half-block (bits 16s + 2k): element k - 8s of the result
// holds them in its low 2 bits, which is all vpermilps reads (higher bits are ignored).
inline __m256i decode_positions(uint32_t word, int s) {
  const __m256i shifts = _mm256_add_epi32(_mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14),
                                          _mm256_set1_epi32(16 * s));
  return _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(word)), shifts);
}

// x columns c..c+3 in the low 128-bit lane and c+8..c+11 in the high one. (Copying x once per
// call in group order 0, 2, 1, 3 so that this is one plain load measured no faster on Zen.)
inline __m256 load_lanes(const float* xs) { return _mm256_loadu2_m128(xs + 8, xs); }
template <bool kPositions>
inline __m256 shuffle(__m256 x, __m256i control) {
  if (kPositions) return _mm256_permutevar_ps(x, control);
  return _mm256_castsi256_ps(_mm256_shuffle_epi8(_mm256_castps_si256(x), control));
}

// Rows i0..i0+R (R even) of row tile q x TT tokens. A 64-column block (per row: a 64-byte record)
// is 4 sub-vectors of 8 kept values: jj = 0 -> half 0 values 0..7 (columns 0..15), 1 -> half 0
// values 8..15 (16..31), 2 / 3 -> half 1 (32..47 / 48..63). Value v of a sub-vector belongs to
// group v / 2 (4 columns).
// The gather is an in-lane shuffle. On Zen (family 23) the lane-crossing vpermps of the previous
// kernel was the bottleneck (packed 2:4 measured no faster than dense bf16 at 4 tokens). A 128-bit
// lane holds the 4 x values of one group; its 4 output slots are the 2 kept values of that group
// for row r AND the 2 of row r + 1, so rows go in pairs: unpacklo_pd of the two rows' sub-vectors
// puts groups 0 / 2 in the low / high lane (x columns 0-3 | 8-11), unpackhi_pd groups 1 / 3
// (columns 4-7 | 12-15). Per token and pair: 2 x loads (shared by all pairs), 2 shuffles, 2 FMAs
// for 16 kept values; the pair vectors are built once per sub-vector and reused by every token.
// The shuffle: one token -> vpermilps on positions decoded with one variable shift (cheapest to
// build); several tokens -> vpshufb with controls from a 4 KiB table (more to build, but on Zen a
// vpshufb per token costs less than a vpermilps). Measured on the Zen VM with weights in L2, one
// thread, against the vpermps kernel: 1.27x faster at 1 token, 1.3x at 4.
template <int R, int TT>
inline void sparse_tile(const Sparse24View& w, const float* x, int64_t ldx, float* y, int64_t ldy,
                        int64_t q, int i0, bool prefetch) {
  static_assert(R % 2 == 0, "rows go in pairs");
  constexpr int P = R / 2;
  constexpr int NA = TT == 1 ? 2 : 1;  // one token: a second accumulator set for more FMA chains
  const int64_t nsb = w.cols_padded / 128;
  const uint8_t* tile = w.data + q * nsb * kSparseSuperBytes;
  __m256 acc[NA][P][TT];
  for (int a = 0; a < NA; ++a)
    for (int p = 0; p < P; ++p)
      for (int t = 0; t < TT; ++t) acc[a][p][t] = _mm256_setzero_ps();
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
          const __m256d w0 = _mm256_castps_pd(widen(vals + 32 * r0, jj));
          const __m256d w1 = _mm256_castps_pd(widen(vals + 32 * r1, jj));
          const uint32_t p0 = idx[2 * r0 + h], p1 = idx[2 * r1 + h];
          wa[p] = _mm256_castpd_ps(_mm256_unpacklo_pd(w0, w1));  // groups 0 | 2 of both rows
          wb[p] = _mm256_castpd_ps(_mm256_unpackhi_pd(w0, w1));  // groups 1 | 3
          if (TT == 1) {
            const __m256i x0 = decode_positions(p0, s8), x1 = decode_positions(p1, s8);
            ia[p] = _mm256_unpacklo_epi64(x0, x1);
            ib[p] = _mm256_unpackhi_epi64(x0, x1);
          } else {
            ia[p] = pair_control(p0, p1, 4 * s8, 4 * s8 + 2);
            ib[p] = pair_control(p0, p1, 4 * s8 + 1, 4 * s8 + 3);
          }
        }
        for (int t = 0; t < TT; ++t) {
          const float* xs = x + t * ldx + 128 * s + 64 * j + 32 * h + 16 * s8;
          const __m256 xa = load_lanes(xs), xb = load_lanes(xs + 4);
          for (int p = 0; p < P; ++p) {
            acc[0][p][t] = _mm256_fmadd_ps(wa[p], shuffle<TT == 1>(xa, ia[p]), acc[0][p][t]);
            acc[NA - 1][p][t] = _mm256_fmadd_ps(wb[p], shuffle<TT == 1>(xb, ib[p]), acc[NA - 1][p][t]);
          }
        }
      }
    }
  }
  // acc lanes: [r, r, r+1, r+1 | r, r, r+1, r+1].
  for (int p = 0; p < P; ++p)
    for (int t = 0; t < TT; ++t) {
      const __m256 a8 = NA == 2 ? _mm256_add_ps(acc[0][p][t], acc[NA - 1][p][t]) : acc[0][p][t];
      const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(a8), _mm256_extractf128_ps(a8, 1));
      const __m128 s2 = _mm_hadd_ps(s4, s4);  // [r, r+1, r, r+1]
      for (int k = 0; k < 2; ++k) {
        const int64_t row = 4 * q + i0 + 2 * p + k;
        if (row < w.rows) y[t * ldy + row] = k == 0 ? _mm_cvtss_f32(s2) : _mm_cvtss_f32(_mm_movehdup_ps(s2));
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

// Tiles::template run<R, TT>(w, x, ldx, y, ldy, q, i0, prefetch) for the driver.
struct SparseTiles {
  static constexpr bool kFourRowsForTwoTokens = true;  // measured on Zen: 1.25x faster than 2 x 2 rows
  PRUNEKIT_OPS_TILE_RUN(sparse_tile)
};
struct DenseTiles {
  static constexpr bool kFourRowsForTwoTokens = false;
  PRUNEKIT_OPS_TILE_RUN(dense_tile)
};

// Same scheme as the AVX-512 driver, sized for 16 registers: all 4 rows of a tile when there is a
// single token, else 2 rows x up to 4 tokens at a time. The first token tile of a row tile
// prefetches ahead in the weight stream.
template <typename View, typename Tiles>
inline void drive(const View& w, const float* x, int64_t T, int64_t ldx, float* y, int64_t ldy,
                  int64_t q0, int64_t q1) {
  for_token_chunks_and_row_tiles(w.cols_padded, T, q0, q1, [&](int64_t t0, int64_t tn, int64_t q) {
    if (tn == 1) {
      Tiles::template run<4, 1>(w, x + t0 * ldx, ldx, y + t0 * ldy, ldy, q, 0, true);
      return;
    }
    if (tn == 2 && Tiles::kFourRowsForTwoTokens) {
      Tiles::template run<4, 2>(w, x + t0 * ldx, ldx, y + t0 * ldy, ldy, q, 0, true);
      return;
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
  });
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

}  // namespace ops
}  // namespace prunekit
