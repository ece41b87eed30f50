// Allocators: which sparsity each decoder layer gets. Uniform, and OWL's per-layer sparsities from
// outlier ratios (luuyin/OWL, CONVENTIONS.md §7). Later per-layer overrides wrap these.
#include <algorithm>
#include <cstdio>
#include <numeric>

#include "prunekit/common.h"
#include "prunekit/progress.h"
#include "prunekit/prune.h"

namespace prunekit {

std::vector<double> owl_layer_sparsities(const std::vector<double>& ratio, double target, double lambda,
                                         bool* uniform_fallback) {
  const size_t n = ratio.size();
  const auto [lo, hi] = std::minmax_element(ratio.begin(), ratio.end());
  if (uniform_fallback) *uniform_fallback = false;
  if (n == 0) return {};
  if (*hi == *lo) {
    // Upstream divides by zero here (NaN); equal outlier ratios mean no reason to deviate.
    if (uniform_fallback) *uniform_fallback = true;
    return std::vector<double>(n, target);
  }
  // float64 as numpy: r = (D - min) * (1 / (max - min) * 2 * lambda); r = r - mean(r) + (1 - s).
  std::vector<double> density(n);
  const double scale = 1.0 / (*hi - *lo) * lambda * 2;
  for (size_t i = 0; i < n; ++i) density[i] = (ratio[i] - *lo) * scale;
  // numpy's mean uses pairwise summation; for the few dozen layers of a LLaMA that is the plain
  // left-to-right sum (numpy switches to pairwise blocks only past 8 elements, unrolled by 8).
  double sum = 0;
  if (n < 8) {
    for (double d : density) sum += d;
  } else {
    // numpy pairwise_sum for n <= 128: 8 partial accumulators, combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)).
    double r[8];
    for (int k = 0; k < 8; ++k) r[k] = density[k];
    size_t i = 8;
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) r[k] += density[i + k];
    sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += density[i];
  }
  const double mean = sum / double(n);
  std::vector<double> sparsity(n);
  for (size_t i = 0; i < n; ++i) {
    sparsity[i] = 1.0 - (density[i] - mean + (1.0 - target));
    // Layers spread up to 2 x lambda around the target: at 1 or more a layer would lose all of
    // its weights or more (upstream then fails inside torch with a slice error).
    if (!(sparsity[i] < 1.0)) {
      char what[200], value[32];
      std::snprintf(what, sizeof what,
                    "gives decoder layer %zu a sparsity of %.4f at target %.4f; every layer must stay below 1 "
                    "(choose a smaller lambda)", i, sparsity[i], target);
      std::snprintf(value, sizeof value, "%g", lambda);
      throw InvalidSetting("owl_lambda", value, what);
    }
  }
  return sparsity;
}

namespace {

class UniformAllocator : public Allocator {
 public:
  std::string name() const override { return "uniform"; }
  std::vector<double> allocate(const AllocationInput& in) override {
    return std::vector<double>(in.stream.config().num_hidden_layers, in.spec.sparsity);
  }
};

// Outlier ratio of a layer: percent of its Wanda scores above M x their mean (OWL).
double outlier_ratio(const LayerWeights& w, const LayerCapture& cap, double M) {
  std::vector<at::Tensor> scores;
  for (int i = 0; i < kNumLinears; ++i)
    scores.push_back((w.weight[i].abs() * at::sqrt(cap.stats(i).scaler_row.reshape({1, -1}))).flatten());
  at::Tensor all = at::cat(scores);
  at::Tensor mean = all.mean();
  const int64_t count = (all > mean * M).sum().item<int64_t>();
  return double(count) / double(all.numel()) * 100.0;
}

class OwlAllocator : public Allocator {
 public:
  explicit OwlAllocator(const OwlOptions& owl) : owl_(owl) {}
  std::string name() const override { return "owl"; }
  std::string calibration_pass() const override { return "owl_outlier_pass"; }

  // A dense, layer-streamed first pass: outlier ratios from Wanda scores (as upstream, for every
  // method), then OWL's sparsities around the target.
  std::vector<double> allocate(const AllocationInput& in) override {
    LayerStream& stream = in.stream;
    const int L = static_cast<int>(stream.config().num_hidden_layers);
    at::Tensor hidden = stream.embed(in.calib_ids);
    ProgressBar bar("owl pass", L, in.quiet, "layer");
    std::array<bool, kNumLinears> all;
    all.fill(true);
    for (int l = 0; l < L; ++l) {
      LayerWeights master = stream.load(l, at::kFloat);
      stream.release(l);  // load() copied: the mapped pages leave the peak now
      LayerCapture cap(StatsKind::ColumnNorms, all);
      stream.forward(master, hidden, &cap.hook(), /*update=*/true);
      cap.finish();
      ratios_.push_back(outlier_ratio(master, cap, owl_.m));
      bar.update(l + 1);
    }
    bar.finish();
    raw_ = owl_layer_sparsities(ratios_, in.spec.sparsity, owl_.lambda, &uniform_);
    applied_ = raw_;
    if (in.pruner.owl_raises_nonpositive_sparsity())
      for (double& s : applied_)
        if (s <= 0) s = 0.01;
    return applied_;
  }

  nlohmann::json report() const override {
    std::vector<double> density;
    for (double s : raw_) density.push_back(1.0 - s);
    return {{"m", owl_.m}, {"lambda", owl_.lambda}, {"outlier_ratio_percent", ratios_},
            {"layer_density", density}, {"layer_sparsity", applied_}, {"uniform_fallback", uniform_},
            {"note", "outlier ratios from Wanda scores |W|*sqrt(scaler_row), as upstream, for every method"}};
  }
  void describe_layer(int layer, nlohmann::json& entry) const override {
    entry["owl_outlier_ratio_percent"] = ratios_.at(layer);
    entry["owl_allocated_sparsity"] = applied_.at(layer);
  }

 private:
  OwlOptions owl_;
  std::vector<double> ratios_, raw_, applied_;
  bool uniform_ = false;
};

}  // namespace

std::unique_ptr<Allocator> make_allocator(const OwlOptions& owl) {
  if (owl.enabled) return std::make_unique<OwlAllocator>(owl);
  return std::make_unique<UniformAllocator>();
}

}  // namespace prunekit
