// Wanda: score |W| * sqrt(scaler_row), compared per output row (locuslab/wanda prune_wanda).
#include "prunekit/prune.h"

namespace prunekit {
namespace {
class WandaPruner : public Pruner {
 public:
  using Pruner::Pruner;
  std::string name() const override { return "wanda"; }
  StatsKind needs() const override { return StatsKind::ColumnNorms; }
  Group default_group() const override { return Group::PerRow; }
  at::Tensor score(const LinearSite& site) const override {
    return site.weight.abs() * at::sqrt(site.stats.scaler_row.reshape({1, -1}));
  }
};
}  // namespace

MethodInfo wanda_method() {
  return {"wanda", "|W| * ||X_col||, per output row", {},
          [](const nlohmann::json& p) { return std::make_unique<WandaPruner>(p); }};
}
}  // namespace prunekit
