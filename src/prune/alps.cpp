// ALPS (Meng, Behdin, Wang, Mazumder, NeurIPS 2024; mazumder-lab/ALPS ALPS_prune.ALPS_admm):
// per Linear, ADMM on min ||X Wᵀ - X Ŵᵀ||² subject to the sparsity pattern, with an increasing
// penalty and the support chosen by the shared selector each iteration, then conjugate gradient
// on the final support. The solvers live in reconstruct.cpp (shared with --reconstruct).
#include <cmath>

#include "prune/methods.h"
#include "prunekit/reconstruct.h"

namespace prunekit {
namespace {

constexpr double kAlpsPercdamp = 0.01;  // upstream's ridge term: 0.01 * mean(diag XᵀX)
constexpr double kAlpsCgRtol = 1e-4;    // upstream cg_batch(rtol=1e-4)
constexpr int kDampRetries = 3;

class AlpsPruner : public Pruner {
 public:
  using Pruner::Pruner;
  std::string name() const override { return "alps"; }
  StatsKind needs() const override { return StatsKind::Gram; }
  // Upstream keeps the round((1-s) * numel) largest |W diag(s)| of the whole matrix.
  Group default_group() const override { return Group::PerMatrix; }

  PruneOutcome prune(LinearSite& site, const SparsitySpec& spec) const override {
    PruneOutcome out;
    AdmmOptions admm;
    admm.rho0 = params_.alps_rho0;
    admm.max_iters = params_.alps_iters;
    double percdamp = kAlpsPercdamp;
    at::Tensor result, pruned;
    for (int retries = 0;; ++retries) {
      ScaledProblem p = make_scaled_problem(site.weight, site.stats.hessian, percdamp);
      if (p.degenerate) {
        out.extra["fallback"] = "magnitude (the inputs are all zero: no least-squares problem)";
        pruned = select_prune_mask(site.weight.abs(), spec);
        result = site.weight.masked_fill(pruned, 0.0);
        break;
      }
      AdmmReport ar;
      at::Tensor b = admm_sparse(p, spec, admm, &pruned, &ar);
      CgReport cg;
      if (ar.finite) b = conjugate_gradient_on_support(p, pruned.logical_not(), b, params_.alps_pcg_iters, kAlpsCgRtol, &cg);
      result = p.to_weight(b).masked_fill_(pruned, 0.0);
      out.extra["alps_iterations"] = ar.iterations;
      out.extra["alps_final_rho"] = ar.final_rho;
      out.extra["alps_restarts"] = ar.restarts;
      out.extra["alps_support_change"] = ar.support_change;
      out.extra["alps_factor_retries"] = ar.factor_retries;
      out.extra["pcg_iterations"] = cg.iterations;
      out.extra["pcg_residual"] = cg.residual;
      if (!cg.finite) out.extra["pcg_failed"] = "conjugate gradient went non-finite; kept the ADMM solution";
      out.extra["percdamp"] = percdamp;
      out.extra["damp_retries"] = retries;
      if (ar.finite && at::isfinite(result).all().item<bool>()) break;
      if (retries == kDampRetries) {
        // Never a NaN in the output: the magnitude selection of the dense weight.
        out.extra["fallback"] = "magnitude (ADMM not finite after 3 dampening retries)";
        pruned = select_prune_mask(site.weight.abs(), spec);
        result = site.weight.masked_fill(pruned, 0.0);
        break;
      }
      percdamp *= 10.0;
    }
    site.weight.copy_(result);
    out.keep_mask = pruned.logical_not().to(at::kByte);  // the selection (kept weights are never 0 by design)
    return out;
  }
};

}  // namespace
std::unique_ptr<Pruner> make_alps_pruner(const MethodParams& p) { return std::make_unique<AlpsPruner>(p); }
}  // namespace prunekit
