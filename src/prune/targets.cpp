// Which decoder-layer Linears a prune touches: module and layer selections.
#include <sstream>

#include "prunekit/common.h"
#include "prunekit/prune.h"

namespace prunekit {

std::array<bool, kNumLinears> ModuleSelection::linears_of(int layer) const {
  std::array<bool, kNumLinears> on{};
  for (int i = 0; i < kNumLinears; ++i) on[i] = selected(layer, i);
  return on;
}

int ModuleSelection::last_layer(int num_layers) const {
  for (int l = num_layers - 1; l >= 0; --l)
    for (int i = 0; i < kNumLinears; ++i)
      if (selected(l, i)) return l;
  return -1;
}

ModuleSelection ModuleSelection::parse(const std::string& modules, const std::string& layers,
                                       int num_layers) {
  ModuleSelection sel;
  if (!modules.empty() && modules != "all") {
    sel.linear.fill(false);
    std::stringstream ss(modules);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item == "attn") {
        for (int i = kQ; i <= kO; ++i) sel.linear[i] = true;
      } else if (item == "mlp") {
        for (int i = kGate; i <= kDown; ++i) sel.linear[i] = true;
      } else {
        bool found = false;
        for (int i = 0; i < kNumLinears; ++i)
          if (item == linear_short_name(i)) sel.linear[i] = found = true;
        if (!found)
          throw InvalidSetting("modules", item,
                               "unknown module (all|attn|mlp|q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj)");
      }
    }
  }
  if (!layers.empty()) {
    std::stringstream ss(layers);
    std::string item;
    while (std::getline(ss, item, ',')) {
      int a = 0, b = 0;
      char dash = 0;
      std::stringstream is(item);
      if (!(is >> a)) throw InvalidSetting("layers", item, "cannot parse (e.g. 0-3,7)");
      b = a;
      if (is >> dash) {
        if (dash != '-' || !(is >> b)) throw InvalidSetting("layers", item, "cannot parse (e.g. 0-3,7)");
      }
      if (is.peek() != std::char_traits<char>::eof()) throw InvalidSetting("layers", item, "cannot parse (e.g. 0-3,7)");
      if (a < 0 || b >= num_layers || a > b)
        throw InvalidSetting("layers", item, "outside 0-" + std::to_string(num_layers - 1) + " (the model has " +
                                                 std::to_string(num_layers) + " decoder layers)");
      for (int i = a; i <= b; ++i) sel.layers.insert(i);
    }
  }
  return sel;
}

}  // namespace prunekit
