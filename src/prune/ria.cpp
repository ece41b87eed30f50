// RIA (relative importance and activation): (|W|/colsum|W| + |W|/rowsum|W|) * sqrt(s)^a,
// compared over the whole matrix by default (RIA repository prune_ria), with optional channel
// reallocation before N:M selection, refined by a linear sum assignment (Hungarian) on request.
#include <algorithm>
#include <cmath>
#include <limits>

#include "prunekit/common.h"
#include "prunekit/prune.h"

namespace prunekit {
namespace {

at::Tensor ria_channel_permutation(const at::Tensor& score, int m) {
  // RIA reallocation: sort columns by their score sum (ascending), cut the sorted list into M
  // chunks [int(cols*k/M), int(cols*(k+1)/M)), and deal chunk k to position k of every group,
  // odd chunks reversed (CONVENTIONS.md section 3).
  const int64_t cols = score.size(1);
  // Upstream assigns chunk k to index[k::M]; those slices have the chunks' lengths only when M
  // divides the columns (otherwise torch refuses the assignment), so there is no rule to follow.
  if (cols % m != 0)
    throw InvalidSetting("ria_reallocation", "",
                         "channel reallocation needs every pruned Linear's input width divisible by M; a Linear "
                         "here has " + std::to_string(cols) + " input columns, not a multiple of " +
                         std::to_string(m) + " (prune without reallocation, or with an M dividing " +
                         std::to_string(cols) + ")");
  at::Tensor order = std::get<1>(at::sort(score.sum(0))).to(at::kCPU);  // read on the host
  std::vector<int64_t> sorted(order.data_ptr<int64_t>(), order.data_ptr<int64_t>() + cols);
  std::vector<int64_t> index(cols, -1);
  for (int k = 0; k < m; ++k) {
    const int64_t a = static_cast<int64_t>(double(cols) * k / m);
    const int64_t b = static_cast<int64_t>(double(cols) * (k + 1) / m);
    std::vector<int64_t> chunk(sorted.begin() + a, sorted.begin() + b);
    if (k % 2 == 1) std::reverse(chunk.begin(), chunk.end());
    for (size_t j = 0; j < chunk.size(); ++j) index.at(k + j * m) = chunk[j];
  }
  return at::tensor(index, at::kLong).to(score.device());
}

// Hungarian algorithm (shortest augmenting paths, O(n^3)): assignment[row] = column minimising
// the total cost of a square matrix.
std::vector<int64_t> min_cost_assignment(const std::vector<double>& cost, int64_t n) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(n + 1, 0);
  std::vector<int64_t> p(n + 1, 0), way(n + 1, 0);
  for (int64_t i = 1; i <= n; ++i) {
    p[0] = i;
    int64_t j0 = 0;
    std::vector<double> minv(n + 1, inf);
    std::vector<char> used(n + 1, 0);
    do {
      used[j0] = 1;
      const int64_t i0 = p[j0];
      double delta = inf;
      int64_t j1 = 0;
      for (int64_t j = 1; j <= n; ++j) {
        if (used[j]) continue;
        const double cur = cost[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int64_t j = 0; j <= n; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const int64_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  std::vector<int64_t> assignment(n);
  for (int64_t j = 1; j <= n; ++j) assignment[p[j] - 1] = j - 1;
  return assignment;
}

at::Tensor refine_permutation_lsa(const at::Tensor& score, const at::Tensor& index, int n, int m) {
  // For each position k of the groups in turn, re-deal the channels sitting at position k over the
  // blocks by a linear sum assignment that maximises the score kept by N:M. With the other M-1
  // channels of block b fixed, candidate value x in a row keeps top_{M-N-1}(others) +
  // max(x, (M-N)-th largest of others): the gain matrix needs one pass per block.
  const int64_t cols = score.size(1);
  if (cols % m != 0 || m - n < 1) return index;
  const int64_t blocks = cols / m;
  const at::Tensor host_index = index.to(at::kCPU);
  std::vector<int64_t> idx(host_index.data_ptr<int64_t>(), host_index.data_ptr<int64_t>() + cols);
  const at::TensorOptions on_device = at::TensorOptions().dtype(at::kLong);
  auto indices = [&](const std::vector<int64_t>& v) { return at::tensor(v, on_device).to(score.device()); };
  at::Tensor s = score.to(at::kDouble);
  for (int k = 0; k < m; ++k) {
    std::vector<int64_t> cand(blocks);
    for (int64_t b = 0; b < blocks; ++b) cand[b] = idx[b * m + k];
    at::Tensor cand_scores = s.index_select(1, indices(cand));  // [rows, B]
    std::vector<double> cost(blocks * blocks);
    for (int64_t b = 0; b < blocks; ++b) {
      std::vector<int64_t> others;
      for (int j = 0; j < m; ++j)
        if (j != k) others.push_back(idx[b * m + j]);
      at::Tensor o = std::get<0>(at::sort(s.index_select(1, indices(others)), -1, /*descending=*/true));
      const int keep = m - n;
      at::Tensor base = keep > 1 ? o.narrow(1, 0, keep - 1).sum(1, true) : at::zeros({o.size(0), 1}, o.options());
      at::Tensor pivot = o.narrow(1, keep - 1, 1);
      at::Tensor gain = (base + at::maximum(cand_scores, pivot)).sum(0).to(at::kCPU);  // [B]
      const double* g = gain.data_ptr<double>();
      for (int64_t i = 0; i < blocks; ++i) cost[b * blocks + i] = -g[i];
    }
    const std::vector<int64_t> assign = min_cost_assignment(cost, blocks);
    for (int64_t b = 0; b < blocks; ++b) idx[b * m + k] = cand[assign[b]];
  }
  return indices(idx);
}

class RiaPruner : public Pruner {
 public:
  explicit RiaPruner(const nlohmann::json& p)
      : Pruner(p), a_(p.at("a").get<double>()), reallocation_(p.at("reallocation").get<bool>()),
        lsa_(p.at("lsa").get<bool>()) {
    if (!std::isfinite(a_)) throw InputError("method ria: parameter a must be a finite number");
    if (lsa_ && !reallocation_)
      throw InputError("method ria: parameter lsa refines the channel reallocation; set reallocation too");
  }
  std::string name() const override { return "ria"; }
  StatsKind needs() const override { return StatsKind::ColumnNorms; }
  Group default_group() const override { return Group::PerMatrix; }
  at::Tensor score(const LinearSite& site) const override {
    // Same operation order as upstream: sum over dim 0 = per input column (all output rows).
    at::Tensor a = site.weight.abs();
    at::Tensor rel = a / a.sum(0) + a / a.sum(1).reshape({-1, 1});
    return rel * at::pow(at::sqrt(site.stats.scaler_row.reshape({1, -1})), a_);
  }
  at::Tensor select(const at::Tensor& score, const SparsitySpec& spec) const override {
    if (!reallocation_ || !spec.is_nm()) return select_prune_mask(score, spec);
    // Select N:M in the permuted column order; the mask goes back to the original order and the
    // weights are not moved (so the published mask is not N:M in the original order).
    at::Tensor index = ria_channel_permutation(score, spec.m);
    if (lsa_) index = refine_permutation_lsa(score, index, spec.n, spec.m);
    at::Tensor permuted_mask = select_prune_mask(score.index_select(1, index), spec);
    at::Tensor mask = at::zeros_like(permuted_mask);
    mask.index_copy_(1, index, permuted_mask);
    return mask;
  }
  nlohmann::json describe(const at::Tensor& score, const at::Tensor& pruned, const SparsitySpec& spec) const override {
    nlohmann::json facts = nlohmann::json::object();
    if (!reallocation_ || !spec.is_nm()) return facts;
    const double total = score.sum().item<double>();
    const double kept_plain = score.masked_fill(select_prune_mask(score, spec), 0).sum().item<double>();
    const double kept_realloc = score.masked_fill(pruned, 0).sum().item<double>();
    facts["reallocation_kept_score_fraction"] = kept_realloc / total;
    facts["plain_nm_kept_score_fraction"] = kept_plain / total;
    return facts;
  }

 private:
  double a_;
  bool reallocation_, lsa_;
};
}  // namespace

MethodInfo ria_method() {
  return {"ria",
          "(|W|/colsum + |W|/rowsum) * ||X_col||^a, per matrix",
          {{"a", 0.5, "activation exponent a (score x sqrt(s)^a)"},
           {"reallocation", false, "channel reallocation before N:M selection"},
           {"lsa", false, "with reallocation: refine the channel permutation by linear sum assignment per group position"}},
          [](const nlohmann::json& p) { return std::make_unique<RiaPruner>(p); }};
}
}  // namespace prunekit
