// Calibration statistics: what a pruning method learns from the inputs of each Linear during a
// calibration forward (capture hooks on Linear inputs, activation statistics).
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <cstdint>

#include "prunekit/model.h"

namespace prunekit {

// Statistics a method needs from the calibration forward.
enum class StatsKind { None, ColumnNorms, Gram };

// Per-Linear input statistics, accumulated one calibration sample at a time with upstream's
// float32 running-mean recurrences (CONVENTIONS.md sections 4 and 8).
struct ActivationStats {
  at::Tensor scaler_row;  // float32 [in]: running mean over samples of ||x[:, c]||^2
  at::Tensor hessian;     // float32 [in, in]: (2/n) sum X^T X (SparseGPT)
  int64_t nsamples = 0;
  void add_column_norms(const at::Tensor& x);  // x: [T, in] one sample
  void add_gram(const at::Tensor& x);          // x: [T, in] one sample (counts its own samples)
  int64_t gram_samples = 0;
};

// Statistics of the Linear inputs of one decoder layer, filled by a capture hook during the
// layer's forward. q/k/v share one input and gate/up another: each distinct input is accumulated
// once and shared afterwards (finish()).
class LayerCapture {
 public:
  // Accumulate `kind` for the inputs of the Linears with want[id] set.
  // With also_gram, the Gram matrix X^T X is accumulated too (the reconstruction error and
  // --reconstruct need it whatever the method scores with).
  LayerCapture(StatsKind kind, const std::array<bool, kNumLinears>& want, bool also_gram = false);
  LayerCapture(const LayerCapture&) = delete;  // the hook points at this object
  LayerCapture& operator=(const LayerCapture&) = delete;
  // The hook to pass to a layer forward (ForwardOptions::capture); valid while *this lives.
  const CaptureFn& hook() const { return hook_; }
  // Copy the shared inputs' statistics to k/v (from q) and up (from gate). Call once, after the
  // last forward.
  void finish();
  const ActivationStats& stats(int linear) const { return stats_[linear]; }

 private:
  StatsKind kind_;
  bool also_gram_ = false;
  std::array<bool, kNumLinears> want_{};
  std::array<ActivationStats, kNumLinears> stats_;
  CaptureFn hook_;
};

// The Linear whose input `linear` shares (q for k/v, gate for up; itself otherwise).
int shared_input_of(int linear);

}  // namespace prunekit
