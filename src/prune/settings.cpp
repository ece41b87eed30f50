// `prune --print-config`: the effective settings of a prune run and the facts of every registered
// method (parameters with defaults, statistics, calibration), as JSON. Read by scripts (the sweeps)
// instead of restating them.
#include "prunekit/prune.h"

namespace prunekit {

using nlohmann::json;

namespace {

const char* stats_name(StatsKind k) {
  switch (k) {
    case StatsKind::None: return "none";
    case StatsKind::ColumnNorms: return "column_norms";
    case StatsKind::Gram: return "gram";
  }
  return "none";
}

}  // namespace

json describe_prune_settings(const PruneOptions& opt) {
  json methods = json::object();
  for (const MethodInfo& m : registered_methods()) {
    const std::unique_ptr<Pruner> p = m.make(resolve_method_params(m, json::object()));
    json params = json::object();
    for (const MethodParam& mp : m.params) params[mp.name] = {{"default", mp.default_value}, {"help", mp.help}};
    methods[m.name] = {{"summary", m.summary},
                       {"params", params},
                       {"stats", stats_name(p->needs())},
                       {"needs_calibration", p->needs() != StatsKind::None},
                       {"default_group", group_name(p->default_group())}};
  }
  const std::unique_ptr<Pruner> pruner = make_pruner(opt.method, opt.method_params);
  const std::unique_ptr<Allocator> allocator = make_allocator(opt.owl);
  OwlOptions owl_on = opt.owl;
  owl_on.enabled = true;
  const bool owl_calibrates = !make_allocator(owl_on)->calibration_pass().empty();
  const SparsitySpec& spec = opt.spec;
  const Group group = opt.group_given ? spec.group : pruner->default_group();
  // As prune_checkpoint: a method with statistics, --reconstruct or a calibrating allocator
  // (OWL's dense outlier pass) reads the calibration corpus.
  const bool needs_calibration =
      pruner->needs() != StatsKind::None || opt.reconstruct || !allocator->calibration_pass().empty();
  return {
      {"prunekit_version", PRUNEKIT_VERSION},
      {"method", opt.method},
      {"method_params", pruner->params()},
      {"sparsity", spec.is_nm() ? double(spec.n) / spec.m : spec.sparsity},
      {"pattern", spec.is_nm() ? std::to_string(spec.n) + ":" + std::to_string(spec.m) : "unstructured"},
      {"group", spec.is_nm() ? "n:m" : group_name(group)},
      {"needs_calibration", needs_calibration},
      {"calibration",
       {{"corpus", opt.calib_path.empty() ? json(nullptr) : json(opt.calib_path)},
        {"docs", opt.calib_docs},
        {"nsamples", opt.nsamples},
        {"seqlen", opt.seqlen > 0 ? json(opt.seqlen) : json("max_position_embeddings")},
        {"seed", opt.seed},
        {"batch", opt.batch}}},
      {"owl", {{"enabled", opt.owl.enabled}, {"m", opt.owl.m}, {"lambda", opt.owl.lambda},
               {"needs_calibration", owl_calibrates}}},
      {"reconstruct", {{"enabled", opt.reconstruct}, {"max_iters", opt.refit.max_iters}, {"rtol", opt.refit.rtol},
                       {"percdamp", opt.refit.percdamp}, {"needs_calibration", true}}},
      {"modules", opt.modules_arg},
      {"layers", opt.layers_arg.empty() ? "all" : opt.layers_arg},
      {"dtype", opt.dtype == at::kFloat ? "float32" : "bfloat16"},
      {"max_shard_bytes", opt.max_shard_bytes ? json(opt.max_shard_bytes) : json("like the input")},
      {"save_masks", opt.save_masks},
      {"methods", methods},
  };
}

}  // namespace prunekit
