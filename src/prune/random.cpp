// Random: uniform random scores from a seeded generator, per output row. The floor every real
// method must beat in the studies (what pruning costs when the scores carry no information).
#include <ATen/CPUGeneratorImpl.h>

#include "prunekit/prune.h"

namespace prunekit {
namespace {

// splitmix64: a distinct, well-mixed generator seed for every (seed, layer, linear).
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class RandomPruner : public Pruner {
 public:
  explicit RandomPruner(const nlohmann::json& p) : Pruner(p), seed_(p.at("seed").get<int64_t>()) {}
  std::string name() const override { return "random"; }
  StatsKind needs() const override { return StatsKind::None; }
  Group default_group() const override { return Group::PerRow; }
  at::Tensor score(const LinearSite& site) const override {
    at::Generator gen = at::detail::createCPUGenerator(mix(mix(mix(uint64_t(seed_)) ^ uint64_t(site.layer)) ^ uint64_t(site.linear)));
    // Drawn on the CPU generator whatever the device: the same scores everywhere.
    return at::rand(site.weight.sizes(), gen, at::TensorOptions().dtype(at::kFloat)).to(site.weight.device());
  }

 private:
  int64_t seed_;
};
}  // namespace

MethodInfo random_method() {
  return {"random", "uniform random scores (a floor for the studies), per output row",
          {{"seed", 0, "seed of the scores (each matrix draws its own stream from it)"}},
          [](const nlohmann::json& p) { return std::make_unique<RandomPruner>(p); }};
}
}  // namespace prunekit
