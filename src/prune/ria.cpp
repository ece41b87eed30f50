// RIA (relative importance and activation): (|W|/colsum|W| + |W|/rowsum|W|) * sqrt(s)^a,
// compared over the whole matrix by default (RIA repository prune_ria), with optional channel
// reallocation before N:M selection.
#include "prune/methods.h"

namespace prunekit {
namespace {
class RiaPruner : public Pruner {
 public:
  using Pruner::Pruner;
  std::string name() const override { return "ria"; }
  StatsKind needs() const override { return StatsKind::ColumnNorms; }
  Group default_group() const override { return Group::PerMatrix; }
  at::Tensor score(const LinearSite& site) const override {
    // Same operation order as upstream: sum over dim 0 = per input column (all output rows).
    at::Tensor a = site.weight.abs();
    at::Tensor rel = a / a.sum(0) + a / a.sum(1).reshape({-1, 1});
    return rel * at::pow(at::sqrt(site.stats.scaler_row.reshape({1, -1})), params_.ria_a);
  }
  at::Tensor select(const at::Tensor& score, const SparsitySpec& spec, nlohmann::json* extra) const override {
    if (!params_.ria_reallocation || !spec.is_nm()) return select_prune_mask(score, spec);
    // Select N:M in the permuted column order; the mask goes back to the original order and the
    // weights are not moved (so the published mask is not N:M in the original order).
    at::Tensor index = ria_channel_permutation(score, spec.m);
    if (params_.ria_lsa) index = refine_permutation_lsa(score, index, spec.n, spec.m);
    at::Tensor permuted_mask = select_prune_mask(score.index_select(1, index), spec);
    at::Tensor mask = at::zeros_like(permuted_mask);
    mask.index_copy_(1, index, permuted_mask);
    if (extra) {
      const double total = score.sum().item<double>();
      const double kept_plain = score.masked_fill(select_prune_mask(score, spec), 0).sum().item<double>();
      const double kept_realloc = score.masked_fill(mask, 0).sum().item<double>();
      (*extra)["reallocation_kept_score_fraction"] = kept_realloc / total;
      (*extra)["plain_nm_kept_score_fraction"] = kept_plain / total;
    }
    return mask;
  }
};
}  // namespace
std::unique_ptr<Pruner> make_ria_pruner(const MethodParams& p) { return std::make_unique<RiaPruner>(p); }
}  // namespace prunekit
