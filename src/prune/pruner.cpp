// Pruner defaults and the method registry.
#include <functional>

#include "prunekit/common.h"
#include "prunekit/prune.h"
#include "prune/methods.h"

namespace prunekit {

at::Tensor Pruner::score(const LinearSite& site) const {
  throw std::logic_error(name() + " does not score weights");
}

at::Tensor Pruner::select(const at::Tensor& score, const SparsitySpec& spec, nlohmann::json*) const {
  return select_prune_mask(score, spec);
}

PruneOutcome Pruner::prune(LinearSite& site, const SparsitySpec& spec) const {
  PruneOutcome out;
  at::Tensor pruned = select(score(site), spec, &out.extra);
  site.weight.masked_fill_(pruned, 0.0);  // kept weights stay bit-identical
  out.keep_mask = pruned.logical_not().to(at::kByte);
  return out;
}

namespace {
using Factory = std::function<std::unique_ptr<Pruner>(const MethodParams&)>;
// The registry: adding a method is one file (src/prune/<name>.cpp) and one line here.
const std::vector<std::pair<std::string, Factory>>& registry() {
  static const std::vector<std::pair<std::string, Factory>> r = {
      {"magnitude", make_magnitude_pruner},
      {"wanda", make_wanda_pruner},
      {"ria", make_ria_pruner},
      {"sparsegpt", make_sparsegpt_pruner},
      {"alps", make_alps_pruner},
  };
  return r;
}
}  // namespace

std::unique_ptr<Pruner> make_pruner(const std::string& name, const MethodParams& params) {
  for (const auto& [n, f] : registry())
    if (n == name) return f(params);
  std::string known;
  for (const auto& e : registry()) known += (known.empty() ? "" : "|") + e.first;
  throw InputError("--method: unknown method \"" + name + "\" (" + known + ")");
}

std::vector<std::string> pruner_names() {
  std::vector<std::string> names;
  for (const auto& e : registry()) names.push_back(e.first);
  return names;
}

}  // namespace prunekit
