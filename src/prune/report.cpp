#include "prune/report.h"

#include "prunekit/log.h"
#include "prunekit/reconstruct.h"

#include <cstdio>

namespace prunekit {

void PruneReport::add_time(const std::string& phase, double seconds) {
  phases_[phase] = phases_.value(phase, 0.0) + seconds;
  const double peak = peak_rss_mb();
  if (peak > last_peak_mb_ + 1.0) {  // grew during this phase (by more than noise)
    peak_phase_ = phase;
    peak_by_phase_[phase] = peak;
    last_peak_mb_ = peak;
  }
  log::trace("phase {}: {:.3f} s (so far {:.3f} s)", phase, seconds, phases_[phase].get<double>());
}

void PruneReport::add_module(int layer, int linear, const at::Tensor& weight, const at::Tensor& keep,
                             const SparsitySpec& spec, const nlohmann::json& extra) {
  const bool selected = keep.defined();
  const int64_t numel = weight.numel();
  const int64_t pruned = selected ? numel - keep.sum().item<int64_t>() : 0;
  layer_pruned_ += pruned;
  layer_numel_ += numel;
  nlohmann::json m = {{"shape", {weight.size(0), weight.size(1)}}, {"selected", selected}, {"pruned", pruned},
                      {"sparsity", double(pruned) / double(numel)}, {"zeros", (weight == 0).sum().item<int64_t>()}};
  if (selected) {
    sel_pruned_ += pruned;
    sel_numel_ += numel;
    if (spec.is_nm()) {
      const bool divides = weight.size(1) % spec.m == 0;
      const double compliance = nm_compliance(keep, spec.n, spec.m);
      m["nm_compliance"] = compliance;
      m["nm_deployable"] = divides && compliance == 1.0;
      if (!divides && !warned_partial_group_ && !quiet_) {
        log::warn("{} has {} inputs, not a multiple of {}: its short last group is pruned like upstream (N "
                  "smallest, all of it when <= N); such modules are not N:M-deployable",
                  linear_short_name(linear), weight.size(1), spec.m);
        warned_partial_group_ = true;
      }
    }
    for (auto it = extra.begin(); it != extra.end(); ++it) m[it.key()] = it.value();
  }
  modules_[linear_prefix(layer, linear) + ".weight"] = m;
}

void PruneReport::end_layer(int layer, const Allocator& allocator) {
  nlohmann::json entry = {{"layer", layer}, {"pruned", layer_pruned_}, {"numel", layer_numel_},
                          {"sparsity", double(layer_pruned_) / double(layer_numel_)}};
  allocator.describe_layer(layer, entry);
  layers_.push_back(entry);
  total_pruned_ += layer_pruned_;
  total_numel_ += layer_numel_;
  layer_pruned_ = layer_numel_ = 0;
}

nlohmann::json PruneReport::finish(double total_seconds) {
  nlohmann::json r = doc_;
  r["total_sparsity"] = double(total_pruned_) / double(total_numel_);
  r["selected_sparsity"] = sel_numel_ ? double(sel_pruned_) / double(sel_numel_) : 0.0;
  r["prunable_weights"] = total_numel_;
  r["pruned_weights"] = total_pruned_;
  r["layers"] = layers_;
  r["modules"] = modules_;
  r["reconstruction_error"] = summarize_errors(recon_errors_);
  nlohmann::json phases = phases_;
  phases["total"] = phases.value("total", 0.0) + total_seconds;
  r["time_s"] = phases;
  // --log-level debug: where the time went, phase by phase (the report's time_s).
  for (auto it = phases.begin(); it != phases.end(); ++it)
    log::debug("phase {}: {:.3f} s", it.key(), it.value().get<double>());
  r["peak_rss_mb"] = peak_rss_mb();
  r["peak_rss_phase"] = peak_phase_.empty() ? nlohmann::json(nullptr) : nlohmann::json(peak_phase_);
  r["peak_rss_mb_by_phase"] = peak_by_phase_;
  if (!peak_phase_.empty()) log::debug("peak RSS {:.0f} MiB, reached in phase {}", r["peak_rss_mb"].get<double>(), peak_phase_);
  return r;
}

}  // namespace prunekit
