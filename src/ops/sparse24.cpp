// Packed 2:4 and dense bf16 weight formats: pack/unpack, the row split over threads and the GEMM /
// linear entry points. The kernels themselves: gemm_portable.cpp, gemm_avx2.cpp, gemm_avx512.cpp,
// picked through ops::kernels (cpu_isa.cpp).
#include "prunekit/sparse24.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "ops/kernels.h"
#include "prunekit/parallel.h"

namespace prunekit {


namespace sparse24 {
namespace {

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

void check_2d_float(const at::Tensor& w, const char* what) {
  if (!w.defined() || w.dim() != 2)
    throw std::invalid_argument(std::string(what) + ": weight must be a 2-D tensor");
  if (!at::isFloatingType(w.scalar_type()))
    throw std::invalid_argument(std::string(what) + ": weight must be a floating-point tensor");
}

// Contiguous raw bf16 bits of a 2-D tensor (round to nearest even from the source dtype).
at::Tensor to_bf16_cpu(const at::Tensor& w) {
  return w.to(at::kCPU).to(at::kBFloat16).contiguous();
}

inline const uint16_t* bf16_bits(const at::Tensor& t) {
  return reinterpret_cast<const uint16_t*>(t.data_ptr<at::BFloat16>());
}
inline uint16_t* bf16_bits_mut(at::Tensor& t) {
  return reinterpret_cast<uint16_t*>(t.data_ptr<at::BFloat16>());
}

// Rows per parallel task: keep tasks >= ~64K multiply-adds so small problems stay single-threaded.
int64_t row_grain(int64_t cols_padded, int64_t T) {
  const int64_t work_per_row = std::max<int64_t>(1, cols_padded * std::max<int64_t>(T, 1));
  return std::max<int64_t>(1, (int64_t{1} << 16) / work_per_row);
}

// x rows need cols_padded readable floats, zero beyond cols: copy when the caller's do not.
const float* padded_x(const float* x, int64_t T, int64_t ldx, int64_t cols, int64_t cols_padded,
                      std::vector<float>& buf, int64_t* ldx_out) {
  if (cols == cols_padded) {
    *ldx_out = ldx;
    return x;
  }
  buf.assign(static_cast<size_t>(T * cols_padded), 0.f);
  for (int64_t t = 0; t < T; ++t)
    std::memcpy(buf.data() + t * cols_padded, x + t * ldx, sizeof(float) * static_cast<size_t>(cols));
  *ldx_out = cols_padded;
  return buf.data();
}

// f(begin, end) over [0, n) on the kernels' pool (include/prunekit/parallel.h: the caller plus
// at::get_num_threads() - 1 workers claiming chunks, so a worker that is not on a core never holds
// a decode step).
template <typename F>
void parallel_ranges(int64_t n, int64_t grain, const F& f) {
  if (n > 0) ops::parallel_for(n, grain, f);
}

// Split row tiles (4 rows each) over threads; small problems stay on one thread.
template <typename View, typename Kernel>
void run_rows(Kernel kernel, const View& v, const float* x, int64_t T, int64_t ldx, float* y,
              int64_t ldy) {
  const int64_t tiles = (v.rows + 3) / 4;
  // Chunks of at least ~64K multiply-adds, and about 8 per thread so that a thread that falls
  // behind (preempted by another process) leaves its share to the others.
  const int64_t threads = std::max(1, at::get_num_threads());
  const int64_t grain = std::max<int64_t>({1, row_grain(v.cols_padded, T) / 4, tiles / (8 * threads)});
  parallel_ranges(tiles, grain, [&](int64_t q0, int64_t q1) { kernel(v, x, T, ldx, y, ldy, q0, q1); });
}

ops::Sparse24View view(const Packed24& p) { return {p.data.data_ptr<uint8_t>(), p.rows, p.cols_padded}; }
ops::DenseBf16View view(const DenseBf16& d) {
  return {reinterpret_cast<const uint16_t*>(d.values.data_ptr<at::BFloat16>()), d.rows, d.cols_padded};
}

// Byte offset of kept value k (0..15) of half h, block b, row i of a row tile (Packed24 layout).
inline int64_t sp_value_offset(int64_t b, int i, int h, int k) {
  return (b / 2) * ops::kSparseSuperBytes + 256 * (b % 2) + 64 * i + 2 * (2 * k + h);
}
// Byte offset of the position word of half h, block b, row i of a row tile.
inline int64_t sp_index_offset(int64_t b, int i, int h) {
  return (b / 2) * ops::kSparseSuperBytes + 512 + 32 * (b % 2) + 8 * i + 4 * h;
}
// Where group g (4 input columns) of a row lives in a Packed24 row tile: block b, half h, and its
// two value slots k = 2 * gi + v (v = 0, 1) in that half, with their 2-bit positions in one word.
struct SpGroup {
  int64_t b;
  int h, gi;
};
inline SpGroup sp_group(int64_t g) { return {g / 16, static_cast<int>((g / 8) % 2), static_cast<int>(g % 8)}; }
// Element offset of column c of row i inside a DenseBf16 row tile.
inline int64_t dn_offset(int64_t c, int i) { return (c / 32) * 128 + 32 * i + 2 * (c % 16) + (c % 32) / 16; }

// x [..., cols] -> fp32 contiguous [T, cols]; returns T and the output shape.
at::Tensor flatten_x(const at::Tensor& x, int64_t cols, int64_t rows, const char* what,
                     std::vector<int64_t>* out_shape) {
  if (!x.defined() || x.dim() < 1 || x.size(-1) != cols) {
    std::ostringstream os;
    os << what << ": input's last dimension must be " << cols << " (got "
       << (x.defined() && x.dim() >= 1 ? std::to_string(x.size(-1)) : std::string("no tensor"))
       << ")";
    throw std::invalid_argument(os.str());
  }
  if (!at::isFloatingType(x.scalar_type()))
    throw std::invalid_argument(std::string(what) + ": input must be floating point");
  *out_shape = x.sizes().vec();
  out_shape->back() = rows;
  return x.to(at::kCPU).to(at::kFloat).reshape({-1, cols}).contiguous();
}

}  // namespace

int parallel_threads_used(int64_t n) { return ops::parallel_threads_used(n); }

int64_t Packed24::nbytes() const { return defined() ? static_cast<int64_t>(data.nbytes()) : 0; }
int64_t DenseBf16::nbytes() const { return defined() ? static_cast<int64_t>(values.nbytes()) : 0; }

bool is_24_sparse(const at::Tensor& weight) {
  check_2d_float(weight, "is_24_sparse");
  if (weight.size(1) % kGroup != 0) return false;
  auto nz = weight.ne(0).reshape({weight.size(0), weight.size(1) / kGroup, kGroup}).sum(-1);
  return nz.le(kKeep).all().item<bool>();
}

Packed24 pack(const at::Tensor& weight) {
  check_2d_float(weight, "sparse24::pack");
  const int64_t rows = weight.size(0), cols = weight.size(1);
  if (cols % kGroup != 0)
    throw std::invalid_argument("sparse24::pack: input columns (" + std::to_string(cols) +
                                ") must be a multiple of 4");
  const int64_t groups = cols / kGroup;
  const at::Tensor w = weight.to(at::kCPU);
  {
    auto nz = w.ne(0).reshape({rows, groups, kGroup}).sum(-1);
    auto bad = nz.gt(kKeep).reshape({-1}).nonzero();
    if (bad.numel() > 0) {
      const int64_t flat = bad[0][0].item<int64_t>();
      const int64_t r = flat / groups, g = flat % groups;
      std::ostringstream os;
      os << "sparse24::pack: weight is not 2:4 sparse: row " << r << ", group " << g << " (columns "
         << g * kGroup << ".." << g * kGroup + 3 << ") has " << nz[r][g].item<int64_t>()
         << " nonzeros (at most 2 allowed)";
      throw std::invalid_argument(os.str());
    }
  }
  Packed24 p;
  p.rows = rows;
  p.cols = cols;
  p.rows_padded = round_up(rows, 4);
  p.cols_padded = round_up(std::max<int64_t>(cols, 1), 128);
  const int64_t tile_bytes = p.cols_padded / 128 * ops::kSparseSuperBytes;
  p.data = at::zeros({p.rows_padded / 4, tile_bytes}, at::kByte);
  const at::Tensor bf = to_bf16_cpu(w);
  const at::Tensor nzmask = w.ne(0).to(at::kByte).contiguous();
  const uint16_t* src = bf16_bits(bf);
  const uint8_t* nzp = nzmask.data_ptr<uint8_t>();
  uint8_t* dst = p.data.data_ptr<uint8_t>();
  parallel_ranges(p.rows_padded / 4, 16, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      uint8_t* tile = dst + q * tile_bytes;
      for (int i = 0; i < 4 && 4 * q + i < rows; ++i) {
        const uint16_t* srow = src + (4 * q + i) * cols;
        const uint8_t* nrow = nzp + (4 * q + i) * cols;
        for (int64_t g = 0; g < groups; ++g) {
          int pos[2];
          int n = 0;
          for (int c = 0; c < 4; ++c)
            if (nrow[4 * g + c]) pos[n++] = c;
          // Fewer than 2 nonzeros: pad with the lowest unused positions (their values are zero).
          for (int c = 0; n < 2 && c < 4; ++c)
            if (!nrow[4 * g + c]) pos[n++] = c;
          if (pos[0] > pos[1]) std::swap(pos[0], pos[1]);
          const SpGroup s = sp_group(g);
          uint8_t* const word_at = tile + sp_index_offset(s.b, i, s.h);
          uint32_t word;
          std::memcpy(&word, word_at, 4);
          for (int v = 0; v < 2; ++v) {
            const int k = 2 * s.gi + v;
            const int64_t c = 4 * g + pos[v];
            const uint16_t bits = nrow[c] ? srow[c] : uint16_t{0};
            std::memcpy(tile + sp_value_offset(s.b, i, s.h, k), &bits, 2);
            word |= static_cast<uint32_t>(pos[v]) << (2 * k);
          }
          std::memcpy(word_at, &word, 4);
        }
      }
    }
  });
  return p;
}

at::Tensor unpack(const Packed24& p, at::ScalarType dtype) {
  if (!p.defined()) throw std::invalid_argument("sparse24::unpack: empty packed weight");
  at::Tensor out = at::zeros({p.rows, p.cols}, at::kFloat);
  float* o = out.data_ptr<float>();
  const uint8_t* data = p.data.data_ptr<uint8_t>();
  const int64_t tile_bytes = p.cols_padded / 128 * ops::kSparseSuperBytes;
  for (int64_t r = 0; r < p.rows; ++r) {
    const uint8_t* tile = data + (r / 4) * tile_bytes;
    const int i = static_cast<int>(r % 4);
    for (int64_t g = 0; g < p.cols / kGroup; ++g) {
      const SpGroup s = sp_group(g);
      uint32_t word;
      std::memcpy(&word, tile + sp_index_offset(s.b, i, s.h), 4);
      for (int v = 0; v < 2; ++v) {
        const int k = 2 * s.gi + v;
        uint16_t bits16;
        std::memcpy(&bits16, tile + sp_value_offset(s.b, i, s.h, k), 2);
        const uint32_t bits = static_cast<uint32_t>(bits16) << 16;
        float f;
        std::memcpy(&f, &bits, sizeof f);
        o[r * p.cols + 4 * g + ((word >> (2 * k)) & 3u)] = f;  // the two positions always differ
      }
    }
  }
  return dtype == at::kFloat ? out : out.to(dtype);
}

DenseBf16 pack_dense(const at::Tensor& weight) {
  check_2d_float(weight, "sparse24::pack_dense");
  DenseBf16 d;
  d.rows = weight.size(0);
  d.cols = weight.size(1);
  d.rows_padded = round_up(d.rows, 4);
  d.cols_padded = round_up(std::max<int64_t>(d.cols, 1), 32);
  d.values = at::zeros({d.rows_padded / 4, d.cols_padded * 4}, at::kBFloat16);
  const at::Tensor bf = to_bf16_cpu(weight);
  const uint16_t* src = bf16_bits(bf);
  uint16_t* dst = bf16_bits_mut(d.values);
  const int64_t rows = d.rows, cols = d.cols, tile = d.cols_padded * 4;
  parallel_ranges(d.rows_padded / 4, 16, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q)
      for (int i = 0; i < 4 && 4 * q + i < rows; ++i)
        for (int64_t c = 0; c < cols; ++c) dst[q * tile + dn_offset(c, i)] = src[(4 * q + i) * cols + c];
  });
  return d;
}

at::Tensor unpack_dense(const DenseBf16& d, at::ScalarType dtype) {
  if (!d.defined()) throw std::invalid_argument("sparse24::unpack_dense: empty weight");
  at::Tensor out = at::empty({d.rows, d.cols}, at::kFloat);
  float* o = out.data_ptr<float>();
  const uint16_t* src = view(d).values;
  const int64_t tile = d.cols_padded * 4;
  for (int64_t r = 0; r < d.rows; ++r)
    for (int64_t c = 0; c < d.cols; ++c) {
      const uint32_t bits = static_cast<uint32_t>(src[(r / 4) * tile + dn_offset(c, static_cast<int>(r % 4))]) << 16;
      std::memcpy(&o[r * d.cols + c], &bits, sizeof(float));
    }
  return dtype == at::kFloat ? out : out.to(dtype);
}

namespace {

// gemm and gemm_dense: pad x when needed and run the level's kernel (a KernelSet member) over the
// row tiles.
template <typename Weight, typename Fn>
void run_gemm(Fn ops::KernelSet::*kernel, const Weight& w, const float* x, int64_t T, int64_t ldx, float* y,
              int64_t ldy, Isa isa) {
  if (T <= 0 || w.rows == 0) return;
  const Fn fn = ops::kernels(isa).*kernel;
  std::vector<float> buf;
  int64_t ld = ldx;
  const float* xp = padded_x(x, T, ldx, w.cols, w.cols_padded, buf, &ld);
  run_rows(fn, view(w), xp, T, ld, y, ldy);
}

// linear and linear_dense: y = x W^T through `gemm_fn`, in x's shape with the last dim = rows.
template <typename Weight>
at::Tensor run_linear(const at::Tensor& x, const Weight& w, Isa isa, const char* what,
                      void (*gemm_fn)(const Weight&, const float*, int64_t, int64_t, float*, int64_t, Isa)) {
  std::vector<int64_t> shape;
  at::Tensor x2 = flatten_x(x, w.cols, w.rows, what, &shape);
  at::Tensor y = at::empty({x2.size(0), w.rows}, at::kFloat);
  gemm_fn(w, x2.data_ptr<float>(), x2.size(0), w.cols, y.data_ptr<float>(), w.rows, isa);
  return y.reshape(shape);
}

}  // namespace

void gemm(const Packed24& w, const float* x, int64_t T, int64_t ldx, float* y, int64_t ldy,
          Isa isa) {
  if (!w.defined()) throw std::invalid_argument("sparse24::gemm: empty packed weight");
  run_gemm(&ops::KernelSet::sparse24_gemm, w, x, T, ldx, y, ldy, isa);
}

void gemm_dense(const DenseBf16& w, const float* x, int64_t T, int64_t ldx, float* y, int64_t ldy,
                Isa isa) {
  if (!w.defined()) throw std::invalid_argument("sparse24::gemm_dense: empty weight");
  run_gemm(&ops::KernelSet::dense_bf16_gemm, w, x, T, ldx, y, ldy, isa);
}

at::Tensor linear(const at::Tensor& x, const Packed24& w, Isa isa) {
  if (!w.defined()) throw std::invalid_argument("sparse24::linear: empty packed weight");
  return run_linear(x, w, isa, "sparse24::linear", &gemm);
}

at::Tensor linear_dense(const at::Tensor& x, const DenseBf16& w, Isa isa) {
  if (!w.defined()) throw std::invalid_argument("sparse24::linear_dense: empty weight");
  return run_linear(x, w, isa, "sparse24::linear_dense", &gemm_dense);
}

at::Tensor prune_magnitude(const at::Tensor& weight) {
  check_2d_float(weight, "sparse24::prune_magnitude");
  const int64_t rows = weight.size(0), cols = weight.size(1);
  if (cols % kGroup != 0)
    throw std::invalid_argument("sparse24::prune_magnitude: input columns (" +
                                std::to_string(cols) + ") must be a multiple of 4");
  auto g = weight.reshape({rows, cols / kGroup, kGroup});
  auto idx = std::get<1>(g.abs().topk(kKeep, -1));
  auto mask = at::zeros_like(g).scatter_(-1, idx, 1.0);
  return (g * mask).reshape({rows, cols});
}

}  // namespace sparse24
}  // namespace prunekit
