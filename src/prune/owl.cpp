// OWL allocator: per-layer sparsities from outlier ratios (luuyin/OWL, CONVENTIONS.md §7).
#include <algorithm>
#include <numeric>

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
  for (size_t i = 0; i < n; ++i) sparsity[i] = 1.0 - (density[i] - mean + (1.0 - target));
  return sparsity;
}

}  // namespace prunekit
