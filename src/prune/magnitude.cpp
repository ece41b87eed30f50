// Magnitude pruning: score |W|, compared over the whole matrix (locuslab/wanda prune_magnitude).
#include "prune/methods.h"

namespace prunekit {
namespace {
class MagnitudePruner : public Pruner {
 public:
  using Pruner::Pruner;
  std::string name() const override { return "magnitude"; }
  StatsKind needs() const override { return StatsKind::None; }
  Group default_group() const override { return Group::PerMatrix; }
  at::Tensor score(const LinearSite& site) const override { return site.weight.abs(); }
};
}  // namespace
std::unique_ptr<Pruner> make_magnitude_pruner(const MethodParams& p) {
  return std::make_unique<MagnitudePruner>(p);
}
}  // namespace prunekit
