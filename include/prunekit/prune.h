// Pruning: the one Pruner interface, the shared mask selector, activation statistics and the
// layer-streamed pipeline behind `prune` (DESIGN.md).
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "prunekit/model.h"

namespace prunekit {

// Which weights compete for pruning (CONVENTIONS.md section 2).
enum class Group { PerRow, PerMatrix };
std::string group_name(Group g);
Group group_from_name(const std::string& s);  // "per-row" | "per-matrix"

// What to prune in one matrix: a ratio in a comparison group, or N of every M input columns.
struct SparsitySpec {
  double sparsity = 0.5;
  int n = 0, m = 0;  // N:M when m > 0 (sparsity is then ignored, as upstream)
  Group group = Group::PerRow;
  bool is_nm() const { return m > 0; }
};

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

// The matrix a method works on: its weight (fp32, modified in place by prune()) and statistics.
struct LinearSite {
  int layer = 0;
  int linear = 0;
  std::string name;  // HF weight name
  at::Tensor& weight;
  const ActivationStats& stats;
};

// Method parameters that only some methods read.
struct MethodParams {
  double ria_a = 0.5;
  bool ria_reallocation = false;
  bool ria_lsa = false;
  int sparsegpt_blocksize = 128;
  double sparsegpt_percdamp = 0.01;
  double alps_rho0 = 0.1;     // ALPS initial ADMM penalty (upstream llama_sequential: 0.1)
  int alps_iters = 300;       // ALPS ADMM iteration cap (upstream max_iter)
  int alps_pcg_iters = 10;    // ALPS conjugate-gradient iterations on the final support (upstream maxiter)
};

// What prune() did to one matrix, for the report.
struct PruneOutcome {
  at::Tensor keep_mask;  // uint8 [out, in], 1 = kept (the selection, as the oracle's masks)
  nlohmann::json extra = nlohmann::json::object();  // method-specific facts (retries, ...)
};

// The one interface every method goes through. A method scores each weight (higher = keep);
// the shared selector turns scores into a mask; the default prune() zeroes the unselected.
class Pruner {
 public:
  explicit Pruner(MethodParams params = {}) : params_(params) {}
  virtual ~Pruner() = default;
  virtual std::string name() const = 0;
  virtual StatsKind needs() const = 0;
  virtual Group default_group() const = 0;  // upstream's comparison group for this method
  virtual at::Tensor score(const LinearSite& site) const;
  // Scores -> prune mask (bool, true = pruned); default: the shared selector. RIA's channel
  // reallocation overrides this to select in a permuted column order.
  virtual at::Tensor select(const at::Tensor& score, const SparsitySpec& spec, nlohmann::json* extra) const;
  virtual PruneOutcome prune(LinearSite& site, const SparsitySpec& spec) const;
  const MethodParams& params() const { return params_; }

 protected:
  MethodParams params_;
};

// Registry: --method NAME -> Pruner.
std::unique_ptr<Pruner> make_pruner(const std::string& name, const MethodParams& params = {});
std::vector<std::string> pruner_names();

// The shared mask selector. Returns the PRUNE mask (bool, true = pruned).
// Per matrix: prune score <= sort(score)[int(numel * s)] (ties all pruned, as upstream).
// Per row: the int(cols * s) lowest of a stable ascending sort of each row.
// N:M: the N lowest (topk, largest=False) of each group of M consecutive input columns; a short
// last group still loses its N lowest (all of it when it has N or fewer columns).
at::Tensor select_prune_mask(const at::Tensor& score, const SparsitySpec& spec);
// RIA channel reallocation (CONVENTIONS.md section 3): the column permutation `index`.
at::Tensor ria_channel_permutation(const at::Tensor& score, int m);
// Optional refinement of that permutation (--ria-lsa): for each group position in turn, a linear
// sum assignment re-deals the channels at that position over the groups to maximise the score
// N:M keeps. Returns `index` unchanged when M does not divide the columns.
at::Tensor refine_permutation_lsa(const at::Tensor& score, const at::Tensor& index, int n, int m);
// True when every full group of M input columns has at least N zeros in `weight_or_keep`
// interpreted as a keep mask (nonzero = kept).
double nm_compliance(const at::Tensor& keep, int n, int m);

// Which decoder-layer Linears are pruned (--modules, --layers).
struct ModuleSelection {
  std::array<bool, kNumLinears> linear{{true, true, true, true, true, true, true}};
  std::set<int> layers;  // empty: all
  bool selected(int layer, int linear_id) const {
    return linear[linear_id] && (layers.empty() || layers.count(layer));
  }
  static ModuleSelection parse(const std::string& modules, const std::string& layers, int num_layers);
};

// OWL: outlier-weighed layerwise sparsity (CONVENTIONS.md section 7).
struct OwlOptions {
  bool enabled = false;
  double m = 5.0;
  double lambda = 0.08;
};
// Per-layer sparsities from outlier ratios (percent); all equal -> uniform (`uniform_fallback`).
std::vector<double> owl_layer_sparsities(const std::vector<double>& outlier_ratio_percent,
                                         double target, double lambda, bool* uniform_fallback);

struct PruneOptions {
  std::string model_dir, out_dir;
  std::string method = "wanda";
  SparsitySpec spec;
  bool group_given = false;
  MethodParams params;
  OwlOptions owl;
  std::string calib_path;  // empty: no calibration (magnitude) or error
  std::string calib_docs = "file";
  int64_t nsamples = 128, seqlen = 0, seed = 0;
  int64_t batch = 8;
  ModuleSelection modules;
  std::string modules_arg = "all", layers_arg;
  at::ScalarType dtype = at::kFloat;
  bool save_masks = false, overwrite = false, quiet = false;
  uint64_t max_shard_bytes = 0;  // 0: keep the input's shard layout
  std::string json_path;
  nlohmann::json args = nlohmann::json::object();  // the command line, for the report
};

// Validate options that need no files (InputError naming the flag).
void validate_prune_options(const PruneOptions& opt);
// Run the whole prune; writes the output directory atomically and returns the report.
nlohmann::json prune_checkpoint(const PruneOptions& opt);

}  // namespace prunekit
