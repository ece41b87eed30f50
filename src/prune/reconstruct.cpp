// Layer-wise reconstruction solvers on the Gram matrix (see prunekit/reconstruct.h): ADMM over
// sparse supports and conjugate gradient on a fixed support, after mazumder-lab/ALPS
// (ALPS_prune.ALPS_admm and cg_batch), written for the row layout [out, in] of our weights.
#include "prunekit/reconstruct.h"

#include <algorithm>
#include <cmath>

namespace prunekit {

namespace {

double trace_quadratic(const at::Tensor& a, const at::Tensor& h) {  // tr(a h aᵀ) in float64 sums
  return (a.mm(h) * a).sum(at::kDouble).item<double>();
}

// (Hs + rho I)⁻¹ through its Cholesky factor; undefined when the factorisation fails.
at::Tensor penalized_inverse(const at::Tensor& hs, double rho) {
  at::Tensor a = hs.clone();
  a.diagonal().add_(rho);
  auto [factor, info] = at::linalg_cholesky_ex(a, /*upper=*/false, /*check_errors=*/false);
  a.reset();
  if (info.item<int64_t>() != 0) return {};
  return at::cholesky_inverse(factor, /*upper=*/false);
}

bool all_finite(const at::Tensor& t) { return at::isfinite(t).all().item<bool>(); }

}  // namespace

ScaledProblem make_scaled_problem(const at::Tensor& weight, const at::Tensor& gram, double percdamp) {
  ScaledProblem p;
  at::Tensor h = gram.to(at::kFloat);
  const double mean_diag = h.diagonal().mean().item<double>();
  p.degenerate = !(mean_diag > 0.0) || !std::isfinite(mean_diag);
  p.damp = p.degenerate ? 1.0 : percdamp * mean_diag;
  // ALPS: ridge term 0.01 * mean(diag), then scale by sqrt(diag) (+1e-8 as upstream).
  at::Tensor hd = h.clone();
  hd.diagonal().add_(p.damp);
  p.scale = hd.diagonal().clamp_min(0.0).sqrt() + 1e-8;
  p.hs = hd.div_(p.scale.reshape({-1, 1})).div_(p.scale.reshape({1, -1}));
  p.dense = p.to_scaled(weight.to(at::kFloat));
  p.target = p.dense.mm(p.hs);
  return p;
}

double ScaledProblem::relative_objective(const at::Tensor& b) const {
  return trace_quadratic(b - dense, hs) / trace_quadratic(dense, hs);
}

at::Tensor conjugate_gradient_on_support(const ScaledProblem& p, const at::Tensor& keep, const at::Tensor& start,
                                         int max_iters, double rtol, CgReport* report) {
  // Each output row solves Hs[S,S] b_S = target_S on its support S. The residual and the search
  // direction are masked to the support, so the iterate never leaves it (cg_batch with A_supp).
  const at::Tensor support = keep.to(at::kFloat);
  at::Tensor x = start.to(at::kFloat) * support;
  at::Tensor r = (p.target - x.mm(p.hs)).mul_(support);
  const at::Tensor rhs_norm = (p.target * support).norm(2, {1}).clamp_min(1e-30);
  at::Tensor dir = r.clone();
  at::Tensor rr = (r * r).sum(1);
  CgReport rep;
  auto residual = [&] { return (r.norm(2, {1}) / rhs_norm).max().item<double>(); };
  for (int k = 0; k < max_iters && residual() > rtol; ++k) {
    at::Tensor ad = dir.mm(p.hs).mul_(support);
    at::Tensor curvature = (dir * ad).sum(1);
    // A row that has converged (or has no support) has zero curvature: its step is 0.
    at::Tensor alpha = at::where(curvature > 0, rr / curvature.clamp_min(1e-30), at::zeros_like(rr));
    x.add_(alpha.reshape({-1, 1}) * dir);
    r.sub_(alpha.reshape({-1, 1}) * ad);
    at::Tensor rr_next = (r * r).sum(1);
    at::Tensor beta = at::where(rr > 0, rr_next / rr.clamp_min(1e-30), at::zeros_like(rr));
    dir = r + beta.reshape({-1, 1}) * dir;
    rr = rr_next;
    rep.iterations = k + 1;
  }
  rep.residual = residual();
  rep.finite = all_finite(x) && std::isfinite(rep.residual);
  if (report) *report = rep;
  if (!rep.finite) return start.to(at::kFloat) * support;
  return x;
}

at::Tensor admm_sparse(const ScaledProblem& p, const SparsitySpec& spec, const AdmmOptions& opt,
                       at::Tensor* pruned_mask, AdmmReport* report) {
  AdmmReport rep;
  // The sparse block D: the shared selector keeps the largest |z| of each comparison group
  // (per matrix, per row, or N of every M inputs), exactly as every other method's scores.
  auto project = [&](const at::Tensor& z, at::Tensor* pruned) {
    *pruned = select_prune_mask(z.abs(), spec);
    return z.masked_fill(*pruned, 0.0);
  };
  double rho = opt.rho0;
  at::Tensor inverse;
  auto refactor = [&] {
    for (inverse = penalized_inverse(p.hs, rho); !inverse.defined() && rep.factor_retries < 8;
         inverse = penalized_inverse(p.hs, rho)) {
      rho *= 10.0;
      ++rep.factor_retries;
    }
    TORCH_CHECK(inverse.defined(), "ADMM: Cholesky of Hs + rho I failed at rho ", rho);
  };
  refactor();

  at::Tensor previous;  // prune mask at the last support check
  const at::Tensor d_init = project(p.dense, &previous);
  const double kept = std::max<double>(1.0, double(previous.numel() - previous.sum().item<int64_t>()));
  at::Tensor b = p.dense.clone(), d = d_init.clone(), v = at::zeros_like(b), current = previous;
  bool rho_increased = false;
  for (int it = 0; it < opt.max_iters; ++it) {
    rep.iterations = it + 1;
    b = (p.target - v + rho * d).mm(inverse);      // least-squares block
    d = project(b + v / rho, &current);            // sparse block
    v.add_(rho * (b - d));                         // scaled dual
    if ((it + 1) % opt.update_every != 0) continue;
    // Penalty schedule (upstream): grow rho while the support still moves, faster the more it
    // moves; if it barely moves before rho ever grew, rho was too large: shrink it and restart.
    const double changed = double((current != previous).sum().item<int64_t>());
    const double fraction = changed / kept;
    rep.support_change = fraction;
    bool stop = false;
    if (fraction > 0.1) {
      rho_increased = true;
      rho *= 1.3;
    } else if (fraction > 0.005) {
      rho_increased = true;
      rho *= 1.2;
    } else if (changed > 0.5) {
      if (rho_increased) {
        rho *= 1.1;
      } else {
        rho /= 5.0;
        b = p.dense.clone();
        d = d_init.clone();
        v.zero_();
        ++rep.restarts;
      }
    } else if (rho_increased) {
      stop = true;  // support settled
    } else {
      rho /= 5.0;
    }
    previous = current;
    if (stop) break;
    rho = std::min(rho, opt.rho_max);
    refactor();
    if (it >= opt.min_iters && fraction < opt.stop_change) break;
    if (!all_finite(v)) break;
  }
  rep.final_rho = rho;
  at::Tensor result = project(b, pruned_mask);  // upstream projects B, not D, at the end
  rep.finite = all_finite(result);
  if (report) *report = rep;
  return result;
}

at::Tensor refit_kept_weights(const at::Tensor& dense, const at::Tensor& pruned, const at::Tensor& keep,
                              const at::Tensor& gram, const RefitOptions& opt, nlohmann::json* extra) {
  const at::Tensor kept = keep.to(at::kBool);
  at::Tensor fallback = pruned.to(at::kFloat).masked_fill(kept.logical_not(), 0.0);
  nlohmann::json info = nlohmann::json::object();
  at::Tensor result = fallback;
  double percdamp = opt.percdamp;
  for (int retries = 0;; ++retries) {
    ScaledProblem p = make_scaled_problem(dense, gram, percdamp);
    if (p.degenerate) {
      info["skipped"] = "inputs are all zero: nothing to fit";
      break;
    }
    CgReport cg;
    at::Tensor x = conjugate_gradient_on_support(p, kept, p.to_scaled(fallback), opt.max_iters, opt.rtol, &cg);
    at::Tensor w = p.to_weight(x).masked_fill_(kept.logical_not(), 0.0);
    info["iterations"] = cg.iterations;
    info["residual"] = cg.residual;
    info["percdamp"] = percdamp;
    info["retries"] = retries;
    if (cg.finite && all_finite(w)) {
      result = w;
      break;
    }
    if (retries == 3) {
      info["fallback"] = "kept the method's weights (conjugate gradient not finite after 3 dampening retries)";
      break;
    }
    percdamp *= 10.0;
  }
  if (extra) *extra = info;
  return result;
}

double reconstruction_error(const at::Tensor& dense, const at::Tensor& pruned, const at::Tensor& gram) {
  const at::Tensor w = dense.to(at::kFloat), h = gram.to(at::kFloat);
  const double base = trace_quadratic(w, h);
  if (!(base > 0.0)) return std::nan("");
  return trace_quadratic(w - pruned.to(at::kFloat), h) / base;
}

}  // namespace prunekit
