// prune_report.json as an accumulator: per-module and per-layer facts, totals and phase timings
// of one prune run (no globals: one object per run).
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "prunekit/common.h"
#include "prunekit/prune.h"

namespace prunekit {

class PruneReport {
 public:
  explicit PruneReport(bool quiet) : quiet_(quiet) {}

  // Adds the seconds from its construction to its destruction to a phase of time_s.
  class PhaseTimer {
   public:
    PhaseTimer(PruneReport& r, std::string phase) : report_(r), phase_(std::move(phase)) {}
    ~PhaseTimer() { report_.add_time(phase_, clock_.seconds()); }
    PhaseTimer(const PhaseTimer&) = delete;
    PhaseTimer& operator=(const PhaseTimer&) = delete;

   private:
    PruneReport& report_;
    std::string phase_;
    Stopwatch clock_;
  };
  PhaseTimer time(std::string phase) { return PhaseTimer(*this, std::move(phase)); }
  void add_time(const std::string& phase, double seconds);

  // One Linear after pruning: `keep` is its keep mask (undefined when it was not selected), `spec`
  // what it was pruned to (its N:M compliance is reported).
  void add_module(int layer, int linear, const at::Tensor& weight, const at::Tensor& keep,
                  const SparsitySpec& spec, const nlohmann::json& extra);
  // The reconstruction error ||X(W-Ŵ)ᵀ||²/||XWᵀ||² of one pruned Linear (summarised at finish()).
  void add_reconstruction_error(double error) { recon_errors_.push_back(error); }
  // Close the layer's entry in layers[] (the allocator adds what it knows about the layer).
  void end_layer(int layer, const Allocator& allocator);
  // A top-level field (calibration, owl, method, ...).
  void set(const std::string& key, nlohmann::json value) { doc_[key] = std::move(value); }
  // The finished report: totals, layers, modules, time_s (with total) and peak RSS.
  nlohmann::json finish(double total_seconds);

 private:
  bool quiet_;
  nlohmann::json doc_ = nlohmann::json::object();
  nlohmann::json modules_ = nlohmann::json::object(), layers_ = nlohmann::json::array();
  nlohmann::json phases_ = nlohmann::json::object();
  int64_t layer_pruned_ = 0, layer_numel_ = 0;
  int64_t total_pruned_ = 0, total_numel_ = 0, sel_pruned_ = 0, sel_numel_ = 0;
  bool warned_partial_group_ = false;
  std::vector<double> recon_errors_;
  // The phase during which the process's peak RSS (VmHWM) last grew, and the peak at the end of
  // each phase that raised it: where a run's memory goes (docs/MEMORY.md).
  double last_peak_mb_ = 0;
  std::string peak_phase_;
  nlohmann::json peak_by_phase_ = nlohmann::json::object();
};

}  // namespace prunekit
