// Pruning: the one Pruner interface and its registry, the shared mask selector, the layer
// allocators and the layer-streamed pipeline behind `prune` (DESIGN.md, docs/ARCHITECTURE.md).
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "prunekit/calib.h"
#include "prunekit/device.h"
#include "prunekit/model.h"
#include "prunekit/recipe.h"

namespace prunekit {

class LayerStream;

// ---------------------------------------------------------------------------------------------
// What to prune (src/prune/select.cpp)

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

// The shared mask selector: the only place scores become masks. Returns the PRUNE mask (bool,
// true = pruned) of a 2-D score.
// Per matrix: prune score <= sort(score)[int(numel * s)] (ties all pruned, as upstream); nothing
// at s <= 0.
// Per row: the int(cols * s) lowest of a stable ascending sort of each row.
// N:M: the N lowest (topk, largest=False) of each group of M consecutive input columns; a short
// last group still loses its N lowest (all of it when it has N or fewer columns).
at::Tensor select_prune_mask(const at::Tensor& score, const SparsitySpec& spec);
// The per-matrix rule on one block of columns as SparseGPT applies it while it sweeps (its
// blocks, or one group of M columns for N:M). Unlike select_prune_mask it prunes the minimum even
// at s = 0, as upstream SparseGPT does.
at::Tensor select_block_prune_mask(const at::Tensor& block_score, const SparsitySpec& spec);
// Share of full groups of M input columns with at most M - N nonzeros in `keep` (nonzero = kept).
double nm_compliance(const at::Tensor& keep, int n, int m);

// ---------------------------------------------------------------------------------------------
// The one interface every method goes through (src/prune/pruner.cpp; one file per method)

// The matrix a method works on: its weight (fp32, modified in place by prune()) and statistics.
struct LinearSite {
  int layer = 0;
  int linear = 0;
  std::string name;  // HF weight name
  at::Tensor& weight;
  const ActivationStats& stats;
};

// What prune() did to one matrix, for the report.
struct PruneOutcome {
  at::Tensor keep_mask;  // uint8 [out, in], 1 = kept (the selection, as the oracle's masks)
  nlohmann::json extra = nlohmann::json::object();  // method-specific facts (retries, ...)
};

// A method scores each weight (higher = keep); the shared selector turns scores into a mask; the
// default prune() zeroes the unselected. A method's parameters arrive resolved (every declared
// parameter present, of its declared type) as a JSON object.
class Pruner {
 public:
  explicit Pruner(nlohmann::json params) : params_(std::move(params)) {}
  virtual ~Pruner() = default;
  virtual std::string name() const = 0;
  virtual StatsKind needs() const = 0;
  virtual Group default_group() const = 0;  // upstream's comparison group for this method
  // OWL can give a layer a sparsity <= 0. Upstream's OWL scripts raise it to 0.01 for Wanda,
  // SparseGPT and RIA but apply it as is for magnitude (which then prunes nothing there).
  virtual bool owl_raises_nonpositive_sparsity() const { return true; }
  virtual at::Tensor score(const LinearSite& site) const;
  // Scores -> prune mask (bool, true = pruned); default: select_prune_mask. RIA's channel
  // reallocation overrides it to select in a permuted column order.
  virtual at::Tensor select(const at::Tensor& score, const SparsitySpec& spec) const;
  // Method-specific facts about one selection for the report (default: none).
  virtual nlohmann::json describe(const at::Tensor& score, const at::Tensor& pruned, const SparsitySpec& spec) const;
  // Default: score -> select -> zero the pruned (kept weights stay bit-identical). SparseGPT
  // overrides it (it updates the kept weights).
  virtual PruneOutcome prune(LinearSite& site, const SparsitySpec& spec) const;
  const nlohmann::json& params() const { return params_; }

 protected:
  nlohmann::json params_;
};

// One parameter of a method: its name (also the CLI flag --<method>-<name>), its default (whose
// JSON type is the parameter's type: bool, integer, number or string) and a one-line help.
struct MethodParam {
  std::string name;
  nlohmann::json default_value;
  std::string help;
};

// A registry entry (src/prune/registry.cpp): a method's name, what it is, its parameters and how to
// build it from resolved parameters.
struct MethodInfo {
  std::string name;
  std::string summary;
  std::vector<MethodParam> params;
  std::function<std::unique_ptr<Pruner>(const nlohmann::json& resolved_params)> make;
};
const std::vector<MethodInfo>& registered_methods();
const MethodInfo& method_info(const std::string& name);  // InputError for an unknown name
std::vector<std::string> pruner_names();
// The method's declared parameters with `given` (name -> value) applied; InputError naming the
// method and parameter for an unknown name or a value of the wrong type.
nlohmann::json resolve_method_params(const MethodInfo& info, const nlohmann::json& given);
// Registry lookup + resolve_method_params + construction (the method validates its values).
std::unique_ptr<Pruner> make_pruner(const std::string& name,
                                    const nlohmann::json& params = nlohmann::json::object());

// ---------------------------------------------------------------------------------------------
// Which Linears are pruned (src/prune/targets.cpp)

struct ModuleSelection {
  std::array<bool, kNumLinears> linear{{true, true, true, true, true, true, true}};
  std::set<int> layers;  // empty: all
  bool selected(int layer, int linear_id) const {
    return linear[linear_id] && (layers.empty() || layers.count(layer));
  }
  std::array<bool, kNumLinears> linears_of(int layer) const;
  int last_layer(int num_layers) const;  // last decoder layer with a selected Linear, -1 if none
  // modules: all|attn|mlp|comma list of short names; layers: e.g. "0-3,7" ("" = all).
  static ModuleSelection parse(const std::string& modules, const std::string& layers, int num_layers);
};

// ---------------------------------------------------------------------------------------------
// Which sparsity each decoder layer gets (src/prune/allocate.cpp)

// OWL: outlier-weighed layerwise sparsity (CONVENTIONS.md section 7).
struct OwlOptions {
  bool enabled = false;
  double m = 5.0;
  double lambda = 0.08;
};
// Per-layer sparsities from outlier ratios (percent); all equal -> uniform (`uniform_fallback`).
std::vector<double> owl_layer_sparsities(const std::vector<double>& outlier_ratio_percent,
                                         double target, double lambda, bool* uniform_fallback);

// The mask-fixed refit of --reconstruct (prunekit/reconstruct.h).
struct RefitOptions {
  int max_iters = 10;      // conjugate-gradient iterations
  double rtol = 1e-6;      // stop when every row's residual on its support is this small
  double percdamp = 0.01;  // ridge term: percdamp * mean(diag XᵀX), as ALPS
};

// What an allocator may look at: the model streamed dense over the calibration windows.
struct AllocationInput {
  LayerStream& stream;
  const at::Tensor& calib_ids;  // [nsamples, seqlen]; undefined when nothing needs calibration
  const SparsitySpec& spec;
  const Pruner& pruner;
  bool quiet = false;
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual std::string name() const = 0;
  // The dense calibration pass this allocator runs first (its phase in the report's time_s), or
  // "" when it needs no calibration data.
  virtual std::string calibration_pass() const { return ""; }
  // The sparsity of every decoder layer (N:M specs ignore it).
  virtual std::vector<double> allocate(const AllocationInput& in) = 0;
  // What the allocation found, for prune_report.json ("owl"; null when nothing to say), and the
  // per-layer entries it adds to the report's layers[].
  virtual nlohmann::json report() const { return nullptr; }
  virtual void describe_layer(int layer, nlohmann::json& layer_entry) const {}
};
// Uniform (every layer at the target), or OWL when enabled.
std::unique_ptr<Allocator> make_allocator(const OwlOptions& owl);

// ---------------------------------------------------------------------------------------------
// The layer-streamed prune (src/prune/pipeline.cpp)

struct PruneOptions {
  std::string model_dir, out_dir;
  std::string method = "wanda";
  nlohmann::json method_params = nlohmann::json::object();  // given parameters, name -> value
  SparsitySpec spec;
  bool group_given = false;
  OwlOptions owl;
  std::string calib_path;  // empty: no calibration (magnitude) or error
  std::string calib_docs = "file";
  int64_t nsamples = 128, seqlen = 0, seed = 0;
  int64_t batch = 8;
  std::string modules_arg = "all", layers_arg;
  at::ScalarType dtype = at::kFloat;
  // Where the layer stream, statistics, scoring and selection run (prunekit/device.h); the weights
  // are read on the CPU and moved there a layer at a time, results come back for the writer.
  ComputeDevice device;
  bool save_masks = false, overwrite = false, quiet = false;
  // --reconstruct: after the method's mask, re-fit the kept weights to the dense layer's outputs
  // (conjugate gradient on the fixed support against the Linear's XᵀX); the mask never changes.
  bool reconstruct = false;
  RefitOptions refit;
  // The per-Linear reconstruction error ||X(W-Ŵ)ᵀ||² / ||XWᵀ||² in the report and --save-masks
  // stats, for any method; always under --reconstruct. Asked for because it is not free: a Gram
  // matrix per Linear input for methods that have none (Wanda 1.4x) and an [out,in]x[in,in]
  // product per Linear for all (SparseGPT 1.15x; bench/RESULTS.md).
  bool measure_error = false;
  // Calibration activations memory-mapped from a file (prunekit/spill.h) instead of held in RAM:
  // bit-identical results, a peak of one layer + one batch. The file goes in activations_dir
  // (default: the directory that holds out_dir) and is unlinked from the start.
  bool activations_on_disk = false;
  std::string activations_dir;
  uint64_t max_shard_bytes = 0;  // 0: keep the input's shard layout
  std::string json_path;
  nlohmann::json args = nlohmann::json::object();  // the command line, for the report
  // A recipe (prune --recipe): when it has stages, it replaces method, method_params, spec,
  // group_given, owl, modules_arg and layers_arg (which otherwise form a one-stage recipe).
  Recipe recipe;
};

// ---------------------------------------------------------------------------------------------
// Recipes resolved against a model (src/prune/plan.cpp): which Pruner and spec prune each Linear

struct PlanStage {
  RecipeStage recipe;  // effective: parameters resolved, group filled
  std::unique_ptr<Pruner> pruner;
  std::unique_ptr<Allocator> allocator;
  SparsitySpec spec;                   // the stage's target (per-layer sparsity: layer_sparsity)
  std::vector<std::string> weights;    // its effective set of weight names
  std::vector<double> layer_sparsity;  // per decoder layer, after allocate() and the overrides
};

struct PrunePlan {
  Recipe recipe;  // effective (effective_recipe)
  std::vector<PlanStage> stages;
  std::vector<std::array<int, kNumLinears>> stage_of;  // [layer][linear]: stage index, -1 = not pruned
  const PlanStage* stage_at(int layer, int linear) const;
  // The spec of one Linear (its stage's, at the layer's sparsity); the Linear must be planned.
  SparsitySpec spec_at(int layer, int linear) const;
  std::array<bool, kNumLinears> linears_of(int layer) const;
  int last_layer() const;  // last decoder layer with a planned Linear, -1 if none
  // What the one calibration forward captures for every planned Linear: the union of the stages'
  // needs (column norms when any stage needs them; Gram otherwise when any needs it).
  StatsKind stats_kind() const;
  // The allocator to describe layers in the report: the first OWL stage's, else stage 0's.
  const Allocator& report_allocator() const;
};

// Methods and parameters checked against the registry (InputError with the recipe's file:line),
// parameters resolved to the full set, each unstructured stage's group filled with the method's
// default: the recipe --print-recipe shows and prune_report.json embeds.
Recipe effective_recipe(const Recipe& recipe);
// The recipe of a plain flag run: one stage from method, method_params, spec, group_given, owl,
// modules_arg and layers_arg (InvalidSetting "modules"/"layers" as ModuleSelection::parse).
Recipe recipe_from_options(const PruneOptions& opt, int num_layers);
// The plan of a recipe on a model with num_layers decoder layers: pruners and allocators built,
// targets assigned (assign_recipe_targets). layer_sparsity stays empty until the pipeline allocates.
PrunePlan make_prune_plan(const Recipe& recipe, int num_layers);

// Validate options that need no files (InputError naming the flag).
void validate_prune_options(const PruneOptions& opt);
// Run the whole prune; writes the output directory atomically and returns the report.
nlohmann::json prune_checkpoint(const PruneOptions& opt);
// `prune --print-config` (src/prune/settings.cpp): the effective settings of `opt` (method and its
// resolved parameters, sparsity, pattern, group, calibration, OWL, --reconstruct, whether the run
// reads calibration data) and, under "methods", every registered method's summary, parameters
// (default, help), statistics, default group and whether it needs calibration.
nlohmann::json describe_prune_settings(const PruneOptions& opt);

}  // namespace prunekit
