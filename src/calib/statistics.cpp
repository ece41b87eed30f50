// Activation statistics with upstream's float32 running-mean recurrences, one sample at a time.
#include <cmath>

#include "prunekit/calib.h"

namespace prunekit {

// locuslab/wanda WrappedGPT.add_batch: s *= n/(n+1); n += 1; s += ||x[:, c]||_2^2 / n,
// the norm taken over the tokens of the sample in float32 (CONVENTIONS.md section 4).
void ActivationStats::add_column_norms(const at::Tensor& x) {
  at::Tensor inp = x.reshape({-1, x.size(-1)}).t().to(at::kFloat);  // [in, T], as upstream
  if (!scaler_row.defined()) scaler_row = at::zeros({inp.size(0)}, inp.options());  // on x's device
  scaler_row.mul_(double(nsamples) / double(nsamples + 1));
  nsamples += 1;
  scaler_row.add_(at::norm(inp, 2, {1}).pow(2) / nsamples);
}

// SparseGPT add_batch: H *= n/(n+1); n += 1; x = sqrt(2/n) x; H += x^T x (CONVENTIONS.md §8).
void ActivationStats::add_gram(const at::Tensor& x) {
  at::Tensor inp = x.reshape({-1, x.size(-1)}).t();  // [in, T]
  if (!hessian.defined()) hessian = at::zeros({inp.size(0), inp.size(0)}, inp.options().dtype(at::kFloat));
  hessian.mul_(double(gram_samples) / double(gram_samples + 1));
  gram_samples += 1;
  inp = std::sqrt(2.0 / double(gram_samples)) * inp.to(at::kFloat);
  hessian.add_(at::matmul(inp, inp.t()));
}

}  // namespace prunekit
