// Magnitude pruning: score |W|, compared over the whole matrix (locuslab/wanda prune_magnitude).
#include "prunekit/prune.h"

namespace prunekit {
namespace {
class MagnitudePruner : public Pruner {
 public:
  using Pruner::Pruner;
  std::string name() const override { return "magnitude"; }
  StatsKind needs() const override { return StatsKind::None; }
  Group default_group() const override { return Group::PerMatrix; }
  // OWL's magnitude script (luuyin/OWL prune_mag with OWL ratios) applies the ratios unclamped.
  bool owl_raises_nonpositive_sparsity() const override { return false; }
  at::Tensor score(const LinearSite& site) const override { return site.weight.abs(); }
};
}  // namespace

MethodInfo magnitude_method() {
  return {"magnitude", "|W|, per matrix", {}, [](const nlohmann::json& p) { return std::make_unique<MagnitudePruner>(p); }};
}
}  // namespace prunekit
