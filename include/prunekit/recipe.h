// Pruning recipes: which weights each stage prunes, with which method, sparsity or N:M pattern,
// parameters and layer allocator (`prune --recipe FILE.yaml`; the flags of a plain `prune` run are
// a one-stage recipe). Plain structs and strings: parsing needs neither LibTorch nor the method
// registry; the pipeline turns a recipe into a per-Linear plan (prunekit/prune.h, PrunePlan).
//
// The file (YAML; README "Recipes", configs/recipes/):
//
//   ignore: ["re:model\\.layers\\.0\\..*"]      # optional, applies to every stage
//   stages:
//     - method: ria                              # a registered method
//       pattern: "2:4"                           # or sparsity: 0.6 (exactly one of the two)
//       params: {a: 0.5}                         # the method's registry parameters (optional)
//       group: per-matrix                        # optional: per-row|per-matrix (default: the method's)
//       targets: ["re:.*self_attn\\..*"]         # optional (default: every decoder Linear weight)
//       ignore: [model.layers.3.self_attn.o_proj.weight]   # optional
//       allocator: uniform                       # or owl, or {name: owl, m: 5, lambda: 0.08}
//       layer_sparsity: {0: 0.3, "5-7": 0.6}     # optional per-layer overrides (unstructured only)
//
// Targets and ignores are exact HF weight names (model.layers.0.self_attn.q_proj.weight) or, with a
// "re:" prefix, ECMAScript regexes that must match a whole name; only the seven decoder-layer Linear
// weights are candidates. Assignment: a stage's effective set = (weights its targets match) minus
// (weights its or the top-level ignore matches) minus (weights in an earlier stage's effective set).
// A weight named exactly (not by regex) in the targets of two stages is an error; so are a target or
// ignore entry matching no candidate and a stage left empty. layer_sparsity replaces the allocator's.
#pragma once
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace prunekit {

struct RecipeStage {
  std::string method;
  nlohmann::json params = nlohmann::json::object();  // given parameters, name -> value
  double sparsity = -1;                               // unstructured target (when m == 0)
  int n = 0, m = 0;                                   // N:M when m > 0
  std::string group;                                  // "" = the method's upstream group
  std::vector<std::string> targets;                   // empty = every candidate weight
  std::vector<std::string> ignore;                    // the stage's own (the top-level one is separate)
  std::map<int, double> layer_sparsity;               // decoder layer -> sparsity (overrides the allocator)
  std::string allocator = "uniform";                  // uniform | owl
  double owl_m = 5.0, owl_lambda = 0.08;
  // 1-based line of each key as it appeared in the file ("method", "targets[1]", "layer_sparsity.5-7",
  // "" for the stage itself); empty for a recipe built from options.
  std::map<std::string, int> lines;
  bool is_nm() const { return m > 0; }
};

struct Recipe {
  std::string source;  // the file, or "" for a recipe built from the command line
  std::vector<std::string> ignore;  // top-level: applies to every stage
  std::map<std::string, int> ignore_lines;  // "ignore[i]" -> line
  std::vector<RecipeStage> stages;

  // InputError "<source>:<line>: stages[<i>].<key>: <problem>" (without ":<line>" when the key has
  // none; "recipe" as the source of one built from options). stage < 0: a top-level key.
  [[noreturn]] void fail(int stage, const std::string& key, const std::string& problem) const;
};

// Parse a recipe (InputError naming source, key and line for anything unknown or invalid: YAML
// syntax, unknown keys, a missing method, a bad sparsity / pattern / group / allocator / override,
// a regex that does not compile). Method names and parameters are checked against the registry
// later, by the pipeline's plan (make_prune_plan), with the same file:line message.
Recipe parse_recipe(const std::string& yaml_text, const std::string& source);
Recipe load_recipe(const std::string& path);  // read + parse (InputError when it cannot be read)

// The recipe as YAML that parse_recipe reads back to the same recipe (numbers round-trip exactly),
// and as JSON (for prune_report.json).
std::string recipe_to_yaml(const Recipe& recipe);
nlohmann::json recipe_to_json(const Recipe& recipe);

// Which candidate weights each stage prunes (the rule above), in the order of `candidates`.
// Also checks the per-layer overrides against num_layers. InputError with file:line on a target or
// ignore matching nothing, a weight named exactly by two stages, an override outside the model.
std::vector<std::vector<std::string>> assign_recipe_targets(const Recipe& recipe,
                                                            const std::vector<std::string>& candidates,
                                                            int num_layers);

// Helpers shared with the pipeline and the tools.
std::string recipe_regex_escape(const std::string& text);  // a literal for a "re:" target

}  // namespace prunekit
