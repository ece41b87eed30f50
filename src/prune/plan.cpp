// Recipes resolved against the method registry and a model: the per-Linear plan the pipeline runs
// (which Pruner and SparsitySpec prune each decoder-layer Linear, or none).
#include <algorithm>

#include "prunekit/common.h"
#include "prunekit/prune.h"

namespace prunekit {

namespace {

std::string json_quoted(const std::string& s) { return nlohmann::json(s).dump(); }

std::string known_methods() {
  std::string known;
  for (const MethodInfo& m : registered_methods()) known += (known.empty() ? "" : "|") + m.name;
  return known;
}

const MethodInfo& stage_method(const Recipe& r, int i) {
  const std::string& name = r.stages[i].method;
  for (const MethodInfo& m : registered_methods())
    if (m.name == name) return m;
  r.fail(i, "method", "unknown method " + json_quoted(name) + " (" + known_methods() + ")");
}

// The stage's parameters resolved (every declared one present), errors naming params.<name>.
nlohmann::json stage_params(const Recipe& r, int i, const MethodInfo& info) {
  const nlohmann::json& given = r.stages[i].params;
  for (auto it = given.begin(); it != given.end(); ++it) {
    try {
      resolve_method_params(info, nlohmann::json{{it.key(), it.value()}});
    } catch (const InputError& e) {
      r.fail(i, "params." + it.key(), e.what());
    }
  }
  return resolve_method_params(info, given);
}

}  // namespace

Recipe effective_recipe(const Recipe& recipe) {
  Recipe out = recipe;
  for (int i = 0; i < int(out.stages.size()); ++i) {
    RecipeStage& s = out.stages[i];
    const MethodInfo& info = stage_method(recipe, i);
    s.params = stage_params(recipe, i, info);
    if (!s.is_nm() && s.group.empty()) {
      std::unique_ptr<Pruner> p;
      try {
        p = info.make(s.params);
      } catch (const InputError& e) {
        recipe.fail(i, "params", e.what());
      }
      s.group = group_name(p->default_group());
    }
  }
  return out;
}

Recipe recipe_from_options(const PruneOptions& opt, int num_layers) {
  Recipe r;
  RecipeStage s;
  s.method = opt.method;
  s.params = opt.method_params.is_null() ? nlohmann::json::object() : opt.method_params;
  if (opt.spec.is_nm()) {
    s.n = opt.spec.n;
    s.m = opt.spec.m;
  } else {
    s.sparsity = opt.spec.sparsity;
    if (opt.group_given) s.group = group_name(opt.spec.group);
  }
  if (opt.owl.enabled) {
    s.allocator = "owl";
    s.owl_m = opt.owl.m;
    s.owl_lambda = opt.owl.lambda;
  }
  // --modules / --layers as one regex target over the HF names.
  const ModuleSelection sel = ModuleSelection::parse(opt.modules_arg, opt.layers_arg, num_layers);
  const bool all_linears = std::all_of(sel.linear.begin(), sel.linear.end(), [](bool b) { return b; });
  if (!all_linears || !sel.layers.empty()) {
    std::string layers = "\\d+", modules;
    if (!sel.layers.empty()) {
      layers.clear();
      for (int l : sel.layers) layers += (layers.empty() ? "" : "|") + std::to_string(l);
      layers = "(" + layers + ")";
    }
    for (int i = 0; i < kNumLinears; ++i)
      if (sel.linear[i]) modules += (modules.empty() ? "" : "|") + recipe_regex_escape(linear_module(i));
    s.targets.push_back("re:model\\.layers\\." + layers + "\\.(" + modules + ")\\.weight");
  }
  r.stages.push_back(std::move(s));
  return r;
}

PrunePlan make_prune_plan(const Recipe& recipe, int num_layers) {
  PrunePlan plan;
  plan.recipe = effective_recipe(recipe);
  std::vector<std::string> candidates;
  for (int l = 0; l < num_layers; ++l)
    for (int i = 0; i < kNumLinears; ++i) candidates.push_back(linear_prefix(l, i) + ".weight");
  const std::vector<std::vector<std::string>> weights = assign_recipe_targets(plan.recipe, candidates, num_layers);
  plan.stage_of.assign(num_layers, {});
  for (auto& a : plan.stage_of) a.fill(-1);
  for (int si = 0; si < int(plan.recipe.stages.size()); ++si) {
    const RecipeStage& rs = plan.recipe.stages[si];
    PlanStage st;
    st.recipe = rs;
    try {
      st.pruner = method_info(rs.method).make(rs.params);
    } catch (const InputError& e) {
      recipe.fail(si, "params", e.what());
    }
    OwlOptions owl;
    owl.enabled = rs.allocator == "owl";
    owl.m = rs.owl_m;
    owl.lambda = rs.owl_lambda;
    st.allocator = make_allocator(owl);
    if (rs.is_nm()) {
      st.spec.n = rs.n;
      st.spec.m = rs.m;
      st.spec.sparsity = double(rs.n) / rs.m;
      st.spec.group = st.pruner->default_group();
    } else {
      st.spec.sparsity = rs.sparsity;
      st.spec.group = group_from_name(rs.group);
    }
    st.weights = weights[si];
    for (int l = 0; l < num_layers; ++l)
      for (int i = 0; i < kNumLinears; ++i)
        if (std::find(st.weights.begin(), st.weights.end(), linear_prefix(l, i) + ".weight") != st.weights.end())
          plan.stage_of[l][i] = si;
    plan.stages.push_back(std::move(st));
  }
  return plan;
}

const PlanStage* PrunePlan::stage_at(int layer, int linear) const {
  const int s = stage_of.at(layer)[linear];
  return s < 0 ? nullptr : &stages[s];
}

SparsitySpec PrunePlan::spec_at(int layer, int linear) const {
  const PlanStage& st = *stage_at(layer, linear);
  SparsitySpec spec = st.spec;
  if (!spec.is_nm() && !st.layer_sparsity.empty()) spec.sparsity = st.layer_sparsity.at(layer);
  return spec;
}

std::array<bool, kNumLinears> PrunePlan::linears_of(int layer) const {
  std::array<bool, kNumLinears> on{};
  for (int i = 0; i < kNumLinears; ++i) on[i] = stage_of.at(layer)[i] >= 0;
  return on;
}

int PrunePlan::last_layer() const {
  for (int l = int(stage_of.size()) - 1; l >= 0; --l)
    for (int i = 0; i < kNumLinears; ++i)
      if (stage_of[l][i] >= 0) return l;
  return -1;
}

StatsKind PrunePlan::stats_kind() const {
  StatsKind kind = StatsKind::None;
  for (const PlanStage& s : stages) {
    if (s.weights.empty()) continue;
    const StatsKind k = s.pruner->needs();
    if (k == StatsKind::ColumnNorms) kind = StatsKind::ColumnNorms;
    if (k == StatsKind::Gram && kind == StatsKind::None) kind = StatsKind::Gram;
  }
  return kind;
}

const Allocator& PrunePlan::report_allocator() const {
  for (const PlanStage& s : stages)
    if (s.allocator->name() == "owl") return *s.allocator;
  return *stages.at(0).allocator;
}

}  // namespace prunekit
