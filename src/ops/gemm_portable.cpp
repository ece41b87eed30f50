// The bf16 / packed 2:4 GEMM kernels (kernels.h) in plain C++ with the build's default flags: the
// reference level for CPUs without AVX2 and for the exact-result tests (layouts:
// include/prunekit/sparse24.h). The vector levels: gemm_avx2.cpp, gemm_avx512.cpp.
#include <cstring>
#include <vector>

#include "ops/kernels.h"

namespace prunekit {
namespace ops {
namespace {

inline float bf16_to_float(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

}  // namespace

void sparse24_gemm_portable(const Sparse24View& w, const float* x, int64_t T, int64_t ldx, float* y,
                          int64_t ldy, int64_t q0, int64_t q1) {
  const int64_t nsb = w.cols_padded / 128, tile_bytes = nsb * kSparseSuperBytes;
  std::vector<float> vals(static_cast<size_t>(w.cols_padded / 2));
  std::vector<int32_t> cols(static_cast<size_t>(w.cols_padded / 2));
  for (int64_t q = q0; q < q1; ++q) {
    const uint8_t* tile = w.data + q * tile_bytes;
    for (int i = 0; i < 4 && 4 * q + i < w.rows; ++i) {
      // Decode the row once (kept values in column order), then one dot product per token.
      size_t n = 0;
      for (int64_t s = 0; s < nsb; ++s) {
        const uint8_t* sb = tile + s * kSparseSuperBytes;
        for (int j = 0; j < 2; ++j) {
          const uint16_t* vp = reinterpret_cast<const uint16_t*>(sb + 256 * j + 64 * i);
          const uint32_t* ip = reinterpret_cast<const uint32_t*>(sb + 512 + 32 * j + 8 * i);
          for (int h = 0; h < 2; ++h)
            for (int k = 0; k < 16; ++k) {
              vals[n] = bf16_to_float(vp[2 * k + h]);
              cols[n] = static_cast<int32_t>(128 * s + 64 * j + 32 * h + 4 * (k / 2) + ((ip[h] >> (2 * k)) & 3u));
              ++n;
            }
        }
      }
      for (int64_t t = 0; t < T; ++t) {
        const float* xt = x + t * ldx;
        float acc[4] = {0.f, 0.f, 0.f, 0.f};
        for (size_t m = 0; m < n; m += 4) {
          acc[0] += vals[m] * xt[cols[m]];
          acc[1] += vals[m + 1] * xt[cols[m + 1]];
          acc[2] += vals[m + 2] * xt[cols[m + 2]];
          acc[3] += vals[m + 3] * xt[cols[m + 3]];
        }
        y[t * ldy + 4 * q + i] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
      }
    }
  }
}

void dense_bf16_gemm_portable(const DenseBf16View& w, const float* x, int64_t T, int64_t ldx,
                            float* y, int64_t ldy, int64_t q0, int64_t q1) {
  const int64_t nchunk = w.cols_padded / 32;
  std::vector<float> row(static_cast<size_t>(w.cols_padded));
  for (int64_t q = q0; q < q1; ++q) {
    for (int i = 0; i < 4 && 4 * q + i < w.rows; ++i) {
      for (int64_t c = 0; c < nchunk; ++c) {
        const uint16_t* vp = w.values + q * 4 * w.cols_padded + 128 * c + 32 * i;
        for (int h = 0; h < 2; ++h)
          for (int d = 0; d < 16; ++d) row[32 * c + 16 * h + d] = bf16_to_float(vp[2 * d + h]);
      }
      for (int64_t t = 0; t < T; ++t) {
        const float* xt = x + t * ldx;
        float acc[4] = {0.f, 0.f, 0.f, 0.f};
        for (int64_t c = 0; c < w.cols_padded; c += 4) {
          acc[0] += row[c] * xt[c];
          acc[1] += row[c + 1] * xt[c + 1];
          acc[2] += row[c + 2] * xt[c + 2];
          acc[3] += row[c + 3] * xt[c + 3];
        }
        y[t * ldy + 4 * q + i] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
      }
    }
  }
}

}  // namespace ops
}  // namespace prunekit
