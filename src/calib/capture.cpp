// Capture hooks on the Linear inputs of a decoder layer.
#include "prunekit/calib.h"

namespace prunekit {

int shared_input_of(int linear) {
  if (linear == kK || linear == kV) return kQ;
  if (linear == kUp) return kGate;
  return linear;
}

LayerCapture::LayerCapture(StatsKind kind, const std::array<bool, kNumLinears>& want, bool also_gram)
    : kind_(kind), also_gram_(also_gram) {
  for (int i = 0; i < kNumLinears; ++i)
    if (want[i]) want_[shared_input_of(i)] = true;
  hook_ = [this](int id, const at::Tensor& x) {
    if (shared_input_of(id) != id || !want_[id] || (kind_ == StatsKind::None && !also_gram_)) return;
    for (int64_t b = 0; b < x.size(0); ++b) {  // one sample at a time: upstream's recurrence
      if (kind_ == StatsKind::ColumnNorms) stats_[id].add_column_norms(x[b]);
      if (kind_ == StatsKind::Gram || also_gram_) stats_[id].add_gram(x[b]);
    }
  };
}

void LayerCapture::finish() {
  for (int i = 0; i < kNumLinears; ++i)
    if (shared_input_of(i) != i) stats_[i] = stats_[shared_input_of(i)];
}

}  // namespace prunekit
