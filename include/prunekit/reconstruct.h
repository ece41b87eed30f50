// Layer-wise reconstruction on the Gram matrix of a Linear's inputs: the solvers behind ALPS
// (ADMM over sparse supports, then conjugate gradient on the final support) and `--reconstruct`
// (conjugate gradient on any method's fixed mask), and the reconstruction error of the report.
//
// For a Linear with weight W [out, in] and calibration inputs X [tokens, in], the problem is
//     min over Ŵ of ||X Wᵀ - X Ŵᵀ||² + λ ||W - Ŵ||² = tr((W - Ŵ)(H + λI)(W - Ŵ)ᵀ),  H = XᵀX,
// with Ŵ restricted to a sparsity pattern. Each output row is an independent problem sharing H.
// Any positive multiple of H gives the same solution (SparseGPT accumulates (2/n) XᵀX).
#pragma once
#include <ATen/ATen.h>

#include "prunekit/prune.h"

namespace prunekit {

// The problem in ALPS's diagonally scaled coordinates (mazumder-lab/ALPS): with
// s = sqrt(diag(H + λI)), Hs = diag(s)⁻¹ (H + λI) diag(s)⁻¹ has a unit diagonal and a weight W
// becomes B = W diag(s). The scaling is the Jacobi preconditioner of the conjugate gradient, and
// it makes ALPS's penalty rho relative to a unit diagonal whatever the scale of the inputs.
struct ScaledProblem {
  at::Tensor hs;      // float32 [in, in], unit diagonal
  at::Tensor scale;   // float32 [in], s
  at::Tensor dense;   // float32 [out, in], B0 = W diag(s): the unconstrained optimum
  at::Tensor target;  // float32 [out, in], B0 Hs: right-hand side of the normal equations
  double damp = 0;    // λ = percdamp * mean(diag H)
  bool degenerate = false;  // mean(diag H) is 0 or not finite: the inputs carry nothing to fit

  at::Tensor to_weight(const at::Tensor& b) const { return b / scale.reshape({1, -1}); }
  at::Tensor to_scaled(const at::Tensor& w) const { return w * scale.reshape({1, -1}); }
  // Objective tr((B - B0) Hs (B - B0)ᵀ) in float64, relative to tr(B0 Hs B0ᵀ).
  double relative_objective(const at::Tensor& b) const;
};
ScaledProblem make_scaled_problem(const at::Tensor& weight, const at::Tensor& gram, double percdamp);

// Conjugate gradient on a fixed support: rows of B restricted to `keep` (nonzero = free), started
// from `start` (zero off the support), iterated until every row's residual on its support is
// below rtol times its right-hand side on the support, or max_iters. Never leaves the support.
struct CgReport {
  int iterations = 0;
  double residual = 0;  // max over rows of |residual on support| / |right-hand side on support|
  bool finite = true;   // false: an iterate went non-finite; `start` was returned instead
};
at::Tensor conjugate_gradient_on_support(const ScaledProblem& p, const at::Tensor& keep, const at::Tensor& start,
                                         int max_iters, double rtol, CgReport* report);

// ADMM over sparse supports (ALPS, Meng et al. 2024): splits B (least squares) from D (sparse,
// chosen each iteration by the shared selector on |B + V/rho|), with the penalty schedule and
// stopping rule of mazumder-lab/ALPS. Returns B projected onto the pattern (zeros pruned) and the
// PRUNE mask of that projection (true = pruned).
struct AdmmOptions {
  double rho0 = 0.1;       // initial penalty (upstream llama_sequential passes 0.1)
  int max_iters = 300;     // upstream default
  int update_every = 3;    // iterations between support checks / penalty updates
  int min_iters = 30;      // no stop on a small support change before this iteration
  double stop_change = 3e-4;  // stop when the support changed by less than this fraction
  double rho_max = 1e6;
};
struct AdmmReport {
  int iterations = 0;
  double final_rho = 0;
  int restarts = 0;           // rho decreased and the iterates reset (support barely moving early)
  double support_change = 0;  // fraction of the kept weights whose status changed at the last check
  int factor_retries = 0;     // Cholesky of Hs + rho I failed and rho was raised
  bool finite = true;
};
at::Tensor admm_sparse(const ScaledProblem& p, const SparsitySpec& spec, const AdmmOptions& opt,
                       at::Tensor* pruned_mask, AdmmReport* report);

// `--reconstruct`: re-fit the kept weights of a pruned Linear to the dense one by conjugate gradient
// on the fixed support `keep` (uint8/bool, nonzero = kept). Returns the new weight (float32, exactly
// 0 outside `keep`); `extra` receives what happened (iterations, residual, retries, fallback).
struct RefitOptions {
  int max_iters = 10;
  double rtol = 1e-6;
  double percdamp = 0.01;
};
at::Tensor refit_kept_weights(const at::Tensor& dense, const at::Tensor& pruned, const at::Tensor& keep,
                              const at::Tensor& gram, const RefitOptions& opt, nlohmann::json* extra);

// ||X (W - Ŵ)ᵀ||² / ||X Wᵀ||² from the (undamped) Gram H = XᵀX, in float64 sums. NaN when
// ||X Wᵀ|| is 0.
double reconstruction_error(const at::Tensor& dense, const at::Tensor& pruned, const at::Tensor& gram);

}  // namespace prunekit
