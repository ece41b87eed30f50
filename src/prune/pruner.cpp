// The Pruner defaults (score -> select -> zero) and the parameter resolution every method shares.
#include "prunekit/common.h"
#include "prunekit/prune.h"

namespace prunekit {

at::Tensor Pruner::score(const LinearSite& site) const {
  throw std::logic_error(name() + " does not score weights");
}

at::Tensor Pruner::select(const at::Tensor& score, const SparsitySpec& spec) const {
  return select_prune_mask(score, spec);
}

nlohmann::json Pruner::describe(const at::Tensor&, const at::Tensor&, const SparsitySpec&) const {
  return nlohmann::json::object();
}

PruneOutcome Pruner::prune(LinearSite& site, const SparsitySpec& spec) const {
  PruneOutcome out;
  const at::Tensor s = score(site);
  const at::Tensor pruned = select(s, spec);
  out.extra = describe(s, pruned, spec);
  site.weight.masked_fill_(pruned, 0.0);  // kept weights stay bit-identical
  out.keep_mask = pruned.logical_not().to(at::kByte);
  return out;
}

static bool same_type(const nlohmann::json& want, const nlohmann::json& got) {
  if (want.is_boolean()) return got.is_boolean();
  if (want.is_number_integer()) return got.is_number_integer();
  if (want.is_number()) return got.is_number();
  if (want.is_string()) return got.is_string();
  return false;
}

static const char* type_name(const nlohmann::json& v) {
  if (v.is_boolean()) return "true or false";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  return "a string";
}

nlohmann::json resolve_method_params(const MethodInfo& info, const nlohmann::json& given) {
  nlohmann::json resolved = nlohmann::json::object();
  for (const MethodParam& p : info.params) resolved[p.name] = p.default_value;
  if (given.is_null()) return resolved;
  if (!given.is_object()) throw InputError("method " + info.name + ": parameters must be a name -> value map");
  for (auto it = given.begin(); it != given.end(); ++it) {
    const MethodParam* decl = nullptr;
    for (const MethodParam& p : info.params)
      if (p.name == it.key()) decl = &p;
    if (!decl) {
      std::string known;
      for (const MethodParam& p : info.params) known += (known.empty() ? "" : "|") + p.name;
      throw InputError("method " + info.name + ": unknown parameter \"" + it.key() + "\" (" +
                       (known.empty() ? "it has none" : known) + ")");
    }
    if (!same_type(decl->default_value, it.value()))
      throw InputError("method " + info.name + ": parameter " + it.key() + " must be " +
                       type_name(decl->default_value) + " (got " + it.value().dump() + ")");
    // An integer given for a floating parameter stays a float in the resolved set.
    resolved[it.key()] = decl->default_value.is_number_float() ? nlohmann::json(it.value().get<double>()) : it.value();
  }
  return resolved;
}

const MethodInfo& method_info(const std::string& name) {
  for (const MethodInfo& m : registered_methods())
    if (m.name == name) return m;
  std::string known;
  for (const MethodInfo& m : registered_methods()) known += (known.empty() ? "" : "|") + m.name;
  throw InvalidSetting("method", name, "unknown method (" + known + ")");
}

std::vector<std::string> pruner_names() {
  std::vector<std::string> names;
  for (const MethodInfo& m : registered_methods()) names.push_back(m.name);
  return names;
}

std::unique_ptr<Pruner> make_pruner(const std::string& name, const nlohmann::json& params) {
  const MethodInfo& info = method_info(name);
  return info.make(resolve_method_params(info, params));
}

}  // namespace prunekit
