// The shared mask selector: every method's scores become a mask here, and only here.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "prunekit/common.h"
#include "prunekit/device.h"
#include "prunekit/parallel.h"
#include "prunekit/prune.h"

namespace prunekit {

std::string group_name(Group g) { return g == Group::PerRow ? "per-row" : "per-matrix"; }
Group group_from_name(const std::string& s) {
  if (s == "per-row") return Group::PerRow;
  if (s == "per-matrix") return Group::PerMatrix;
  throw InvalidSetting("group", s, "unknown comparison group (per-row|per-matrix)");
}

// Upstream computes the count as int(cols * s) with s a Python float: a double product, floored.
static int64_t floor_count(int64_t n, double s) { return static_cast<int64_t>(double(n) * s); }

// magnitude / RIA / SparseGPT: t = sort(score.flatten())[int(numel * s)]; prune score <= t (ties too).
static at::Tensor select_below_threshold(const at::Tensor& score, double s) {
  const int64_t k = floor_count(score.numel(), s);
  at::Tensor sorted = std::get<0>(at::sort(score.flatten()));
  at::Tensor thresh = sorted[std::min<int64_t>(k, score.numel() - 1)];
  return score <= thresh;
}

static at::Tensor select_per_matrix(const at::Tensor& score, double s) {
  if (s <= 0.0) return at::zeros(score.sizes(), score.options().dtype(at::kBool));
  return select_below_threshold(score, s);
}

// Order key of a score: the float's bits mapped so that unsigned order is numeric order, -0.0 taken
// as +0.0 (they compare equal, so the lower column wins, as in a stable sort) and every NaN after
// +inf (torch.sort puts NaN last); the column in the low 32 bits breaks ties as a stable sort does.
static inline uint64_t row_key(float v, uint32_t col) {
  uint32_t bits;
  if (std::isnan(v)) {
    bits = 0xffffffffu;
  } else {
    if (v == 0.0f) v = 0.0f;
    std::memcpy(&bits, &v, sizeof bits);
    bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
  }
  return (static_cast<uint64_t>(bits) << 32) | col;
}

static at::Tensor select_per_row(const at::Tensor& score, double s) {
  // Wanda: per output row, the first int(cols * s) positions of a stable ascending sort. The same
  // set without sorting: the k smallest (score, column) pairs of each row, found by partial
  // selection (nth_element, linear time) and rows in parallel. (A full stable sort of every row was
  // the largest phase of prune on tinyllama-1.1b: 47 of 84 s.)
  const int64_t rows = score.size(0), cols = score.size(1);
  at::Tensor mask = at::zeros(score.sizes(), score.options().dtype(at::kBool));
  const int64_t k = floor_count(cols, s);
  if (k <= 0) return mask;
  if (k >= cols) return mask.fill_(true);
  // The device-generic path (any device but the CPU, or forced: prunekit/device.h) is the same set
  // from a stable sort in LibTorch; exact keys need fp32 scores.
  if (!cpu_kernels_for(score) || score.scalar_type() == at::kDouble || cols > 0xffffffffLL) {
    at::Tensor idx = std::get<1>(at::sort(score, /*stable=*/true, /*dim=*/-1, /*descending=*/false));
    mask.scatter_(1, idx.narrow(1, 0, k), true);
    return mask;
  }
  const at::Tensor sc = score.to(at::kCPU).to(at::kFloat).contiguous();  // exact from bf16/f16/f32
  const float* sp = sc.data_ptr<float>();
  bool* mp = mask.data_ptr<bool>();
  ops::parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    std::vector<uint64_t> keys(static_cast<size_t>(cols));
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = sp + r * cols;
      for (int64_t c = 0; c < cols; ++c) keys[c] = row_key(row[c], static_cast<uint32_t>(c));
      std::nth_element(keys.begin(), keys.begin() + (k - 1), keys.end());
      bool* mrow = mp + r * cols;
      for (int64_t j = 0; j < k; ++j) mrow[keys[j] & 0xffffffffu] = true;
    }
  });
  return mask;
}

static at::Tensor select_nm(const at::Tensor& score, int n, int m) {
  // N smallest of each group of M consecutive input columns via topk(largest=False), as
  // upstream; a short last group still loses its N smallest (all of it if it has <= N).
  at::Tensor mask = at::zeros(score.sizes(), score.options().dtype(at::kBool));
  const int64_t cols = score.size(1);
  for (int64_t c0 = 0; c0 < cols; c0 += m) {
    const int64_t width = std::min<int64_t>(m, cols - c0);
    if (width <= n) {
      mask.narrow(1, c0, width).fill_(true);
      continue;
    }
    at::Tensor group = score.narrow(1, c0, width).to(at::kFloat);
    at::Tensor idx = std::get<1>(at::topk(group, n, /*dim=*/1, /*largest=*/false));
    mask.scatter_(1, idx + c0, true);
  }
  return mask;
}

at::Tensor select_prune_mask(const at::Tensor& score, const SparsitySpec& spec) {
  TORCH_CHECK(score.dim() == 2, "score must be 2-D");
  if (spec.is_nm()) return select_nm(score, spec.n, spec.m);
  return spec.group == Group::PerRow ? select_per_row(score, spec.sparsity)
                                     : select_per_matrix(score, spec.sparsity);
}

at::Tensor select_block_prune_mask(const at::Tensor& block_score, const SparsitySpec& spec) {
  TORCH_CHECK(block_score.dim() == 2, "score must be 2-D");
  if (spec.is_nm()) return select_nm(block_score, spec.n, spec.m);
  return select_below_threshold(block_score, spec.sparsity);
}

double nm_compliance(const at::Tensor& keep, int n, int m) {
  const int64_t rows = keep.size(0), cols = keep.size(1);
  const int64_t full = cols / m;
  if (full == 0) return 0.0;
  at::Tensor kept = (keep.narrow(1, 0, full * m) != 0).view({rows, full, m}).sum(-1);
  return (kept <= (m - n)).to(at::kDouble).mean().item<double>();
}

}  // namespace prunekit
