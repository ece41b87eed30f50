// Per-row mask selection (Wanda, RIA per-row, OWL+Wanda): partial selection must pick exactly the
// set that upstream's stable ascending sort puts first, ties (equal scores, -0.0 vs +0.0) to the
// lower column and NaN last, for any dtype the scores come in.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "prunekit/prune.h"

namespace {

at::Tensor stable_sort_mask(const at::Tensor& score, int64_t k) {
  at::Tensor mask = at::zeros(score.sizes(), at::kBool);
  if (k <= 0) return mask;
  at::Tensor idx = std::get<1>(at::sort(score, /*stable=*/true, /*dim=*/-1, /*descending=*/false));
  return mask.scatter_(1, idx.narrow(1, 0, std::min<int64_t>(k, score.size(1))), true);
}

TEST(SelectRows, PartialSelectionMatchesStableSortWithTiesZerosAndNaN) {
  at::manual_seed(17);
  for (auto dtype : {at::kFloat, at::kBFloat16, at::kHalf, at::kDouble}) {
    // Few distinct values: most of each row ties with others, across the cut too.
    at::Tensor s = at::randint(0, 6, {37, 203}).to(at::kFloat) * 0.25 - 0.5;
    s.index_put_({3, 5}, -0.0);
    s.index_put_({3, 6}, 0.0);
    s.index_put_({3, 2}, -0.0);
    s.index_put_({7, 0}, std::numeric_limits<float>::quiet_NaN());
    s.index_put_({7, 9}, -std::numeric_limits<float>::quiet_NaN());
    s.index_put_({8, 4}, std::numeric_limits<float>::infinity());
    s.index_put_({8, 1}, -std::numeric_limits<float>::infinity());
    s = s.to(dtype);
    for (double sparsity : {0.0, 0.1, 0.5, 0.7, 0.99, 1.0}) {
      prunekit::SparsitySpec spec;
      spec.sparsity = sparsity;
      spec.group = prunekit::Group::PerRow;
      const int64_t k = static_cast<int64_t>(double(s.size(1)) * sparsity);
      at::Tensor got = prunekit::select_prune_mask(s, spec);
      at::Tensor want = stable_sort_mask(s, k);
      ASSERT_TRUE(at::equal(got, want)) << "dtype " << at::toString(dtype) << ", sparsity " << sparsity;
      EXPECT_EQ(got.sum().item<int64_t>(), k * s.size(0));
    }
  }
}

}  // namespace
