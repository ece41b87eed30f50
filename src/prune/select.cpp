// The shared mask selector: every method's scores become a mask here, and only here.
#include "prunekit/common.h"
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
  if (s <= 0.0) return at::zeros(score.sizes(), at::kBool);
  return select_below_threshold(score, s);
}

static at::Tensor select_per_row(const at::Tensor& score, double s) {
  // Wanda: per output row, the first int(cols * s) positions of a stable ascending sort.
  at::Tensor mask = at::zeros(score.sizes(), at::kBool);
  const int64_t k = floor_count(score.size(1), s);
  if (k <= 0) return mask;
  at::Tensor idx = std::get<1>(at::sort(score, /*stable=*/true, /*dim=*/-1, /*descending=*/false));
  mask.scatter_(1, idx.narrow(1, 0, k), true);
  return mask;
}

static at::Tensor select_nm(const at::Tensor& score, int n, int m) {
  // N smallest of each group of M consecutive input columns via topk(largest=False), as
  // upstream; a short last group still loses its N smallest (all of it if it has <= N).
  at::Tensor mask = at::zeros(score.sizes(), at::kBool);
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
