// SparseGPT (wanda repository's copy of IST-DASLab SparseGPT, CONVENTIONS.md section 8):
// OBS weight updates column by column in blocks, the mask chosen per 128-column block
// (unstructured) or per group of M columns as the sweep reaches it (N:M).
#include <cmath>
#include <utility>

#include "prunekit/common.h"
#include "prunekit/prune.h"

namespace prunekit {
namespace {

// Upper Cholesky factor of H^-1, or undefined when H is not positive definite. Takes H by value
// and drops each intermediate as soon as the next exists: for down_proj of a 1B model every one
// of them is intermediate^2 floats (127 MB), so at most two are alive at a time.
at::Tensor inverse_cholesky_upper(at::Tensor H) {
  auto [L, info] = at::linalg_cholesky_ex(H, /*upper=*/false, /*check_errors=*/false);
  H.reset();
  if (info.item<int64_t>() != 0) return {};
  at::Tensor inv = at::cholesky_inverse(L, /*upper=*/false);
  L.reset();
  auto [U, info2] = at::linalg_cholesky_ex(inv, /*upper=*/true, /*check_errors=*/false);
  if (info2.item<int64_t>() != 0) return {};
  return U;
}

class SparseGptPruner : public Pruner {
 public:
  explicit SparseGptPruner(const nlohmann::json& p)
      : Pruner(p), blocksize_(p.at("blocksize").get<int64_t>()), percdamp_(p.at("percdamp").get<double>()) {
    if (blocksize_ < 1) throw InputError("method sparsegpt: parameter blocksize must be >= 1");
    if (!(percdamp_ > 0 && std::isfinite(percdamp_)))
      throw InputError("method sparsegpt: parameter percdamp must be a positive number");
  }
  std::string name() const override { return "sparsegpt"; }
  StatsKind needs() const override { return StatsKind::Gram; }
  Group default_group() const override { return Group::PerMatrix; }  // per block, all rows

  PruneOutcome prune(LinearSite& site, const SparsitySpec& spec) const override {
    PruneOutcome out;
    at::Tensor H = site.stats.hessian.clone();
    // Dead inputs (never active): H[c,c] = 1 and W[:, c] = 0, as upstream.
    at::Tensor dead = H.diagonal() == 0;
    H.diagonal().masked_fill_(dead, 1.0);
    at::Tensor W = site.weight.to(at::kFloat).clone();
    W.index_put_({at::indexing::Slice(), dead}, 0.0);
    out.extra["dead_inputs"] = dead.sum().item<int64_t>();

    double percdamp = percdamp_;
    const double mean_diag = H.diagonal().mean().item<double>();
    int retries = 0;
    at::Tensor result;
    for (;; ++retries) {
      at::Tensor Hd = H.clone();
      Hd.diagonal().add_(percdamp * mean_diag);
      at::Tensor Hinv = inverse_cholesky_upper(std::move(Hd));
      if (Hinv.defined()) {
        result = sweep(W.clone(), Hinv, spec);
        if (at::isfinite(result).all().item<bool>()) break;
      }
      if (retries == 3) {
        // Never a NaN in the output: fall back to the unrolled magnitude selection.
        out.extra["fallback"] = "magnitude (Cholesky failed after 3 dampening retries)";
        result = W.masked_fill(select_prune_mask(W.abs(), spec), 0.0);
        break;
      }
      percdamp *= 10.0;
    }
    out.extra["cholesky_retries"] = retries;
    out.extra["percdamp"] = percdamp;
    site.weight.copy_(result);
    out.keep_mask = (site.weight != 0).to(at::kByte);  // the oracle's SparseGPT convention
    return out;
  }

 private:
  int64_t blocksize_;
  double percdamp_;

  at::Tensor sweep(at::Tensor W, const at::Tensor& Hinv, const SparsitySpec& spec) const {
    const int64_t cols = W.size(1);
    const int64_t bs = blocksize_;
    for (int64_t i1 = 0; i1 < cols; i1 += bs) {
      const int64_t i2 = std::min(i1 + bs, cols), count = i2 - i1;
      at::Tensor W1 = W.narrow(1, i1, count).clone();
      at::Tensor Q1 = at::zeros_like(W1), Err1 = at::zeros_like(W1);
      at::Tensor Hinv1 = Hinv.narrow(0, i1, count).narrow(1, i1, count);
      at::Tensor hdiag = Hinv1.diagonal();
      // The mask is chosen per block (unstructured) or per group of M columns as the sweep
      // reaches it (N:M), on the OBS saliency w^2 / [H^-1]_cc^2 of the weights updated so far.
      at::Tensor mask1 = spec.is_nm() ? at::zeros(W1.sizes(), W1.options().dtype(at::kBool))
                                      : select_block_prune_mask(W1.pow(2) / hdiag.reshape({1, -1}).pow(2), spec);
      for (int64_t i = 0; i < count; ++i) {
        if (spec.is_nm() && i % spec.m == 0) {
          const int64_t width = std::min<int64_t>(spec.m, count - i);
          at::Tensor saliency = W1.narrow(1, i, width).pow(2) / hdiag.narrow(0, i, width).reshape({1, -1}).pow(2);
          mask1.narrow(1, i, width).copy_(select_block_prune_mask(saliency, spec));
        }
        at::Tensor w = W1.select(1, i);
        const at::Tensor d = Hinv1[i][i];
        at::Tensor q = w.masked_fill(mask1.select(1, i), 0.0);
        Q1.select(1, i).copy_(q);
        at::Tensor err = (w - q) / d;
        W1.narrow(1, i, count - i).sub_(at::outer(err, Hinv1[i].narrow(0, i, count - i)));
        Err1.select(1, i).copy_(err);
      }
      W.narrow(1, i1, count).copy_(Q1);
      if (i2 < cols) W.narrow(1, i2, cols - i2).sub_(at::matmul(Err1, Hinv.narrow(0, i1, count).narrow(1, i2, cols - i2)));
    }
    return W;
  }
};
}  // namespace
MethodInfo sparsegpt_method() {
  return {"sparsegpt",
          "OBS weight update column by column (IST-DASLab SparseGPT)",
          {{"blocksize", 128, "columns per OBS block (the unstructured mask is chosen per block)"},
           {"percdamp", 0.01, "Hessian dampening, as a fraction of its mean diagonal"}},
          [](const nlohmann::json& p) { return std::make_unique<SparseGptPruner>(p); }};
}
}  // namespace prunekit
