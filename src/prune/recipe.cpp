// Recipes: the YAML model of `prune --recipe` (prunekit/recipe.h), its writer and the target rule.
// Needs yaml-cpp and nlohmann_json only (no LibTorch: a ctest compiles it alone).
#include "prunekit/recipe.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

#include "prunekit/common.h"

namespace prunekit {

namespace {

using nlohmann::json;

std::string json_quoted(const std::string& s) { return json(s).dump(); }

int line_of(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  return m.is_null() ? 0 : m.line + 1;
}

std::string stage_key(int stage, const std::string& key) {
  if (stage < 0) return key;
  return "stages[" + std::to_string(stage) + "]" + (key.empty() ? "" : "." + key);
}

[[noreturn]] void fail_at(const std::string& source, int line, const std::string& key, const std::string& problem) {
  const std::string where = (source.empty() ? std::string("recipe") : source) + (line > 0 ? ":" + std::to_string(line) : "");
  throw InputError(where + ": " + key + ": " + problem);
}

// A finite decimal number, the whole token (no trailing text, no hex, no inf/nan).
bool to_number(const std::string& text, double* out) {
  if (text.empty() || text.find_first_of(" \t\n") != std::string::npos) return false;
  if (text.find_first_of("xXnNiI") != std::string::npos) return false;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

// A plain YAML scalar as a JSON value: true/false, an integer, a number, else a string. A quoted
// scalar ("0.5", 'true') stays a string.
json scalar_value(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  const bool neg = !s.empty() && (s[0] == '-' || s[0] == '+');
  if (all_digits(neg ? s.substr(1) : s)) {
    errno = 0;
    const long long v = std::strtoll(s.c_str(), nullptr, 10);
    if (errno != ERANGE) return v;
  }
  double d = 0;
  if (to_number(s, &d)) return d;
  return s;
}

// Parses one document, remembering where each key was.
class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  Recipe parse(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      fail_at(source_, e.mark.is_null() ? 0 : e.mark.line + 1, "YAML", e.msg);
    }
    recipe_.source = source_;
    if (!root.IsMap()) fail_at(source_, line_of(root), "recipe", "must be a map with a \"stages\" list");
    bool have_stages = false;
    for (const auto& kv : unique_keys(root, -1, "")) {
      const std::string& key = kv.first;
      const YAML::Node& v = kv.second.second;
      if (key == "stages") {
        have_stages = true;
        if (!v.IsSequence() || v.size() == 0)
          fail_at(source_, kv.second.first, "stages", "must be a non-empty list of stages");
        int i = 0;
        for (const YAML::Node& s : v) parse_stage(s, i++);
      } else if (key == "ignore") {
        recipe_.ignore = patterns(v, -1, "ignore", &recipe_.ignore_lines);
      } else {
        fail_at(source_, kv.second.first, key, "unknown key (stages|ignore)");
      }
    }
    if (!have_stages) fail_at(source_, line_of(root), "stages", "missing (a list of stages)");
    return recipe_;
  }

 private:
  // A map's keys in file order with their lines; a repeated key is an error (yaml-cpp keeps both).
  std::vector<std::pair<std::string, std::pair<int, YAML::Node>>> unique_keys(const YAML::Node& map, int stage,
                                                                             const std::string& prefix) {
    std::vector<std::pair<std::string, std::pair<int, YAML::Node>>> out;
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const int line = line_of(it->first);
      if (!it->first.IsScalar()) fail_at(source_, line, stage_key(stage, prefix), "keys must be plain names");
      const std::string key = it->first.Scalar();
      if (!seen.insert(key).second)
        fail_at(source_, line, stage_key(stage, prefix + (prefix.empty() ? "" : ".") + key), "given twice");
      out.push_back({key, {line, it->second}});
    }
    return out;
  }

  std::string scalar(const YAML::Node& v, int line, int stage, const std::string& key) {
    if (!v.IsScalar()) fail_at(source_, line, stage_key(stage, key), "expected a single value");
    return v.Scalar();
  }

  double real(const YAML::Node& v, int line, int stage, const std::string& key) {
    const std::string s = scalar(v, line, stage, key);
    double d = 0;
    if (!to_number(s, &d)) fail_at(source_, line, stage_key(stage, key), "expected a number (got " + json_quoted(s) + ")");
    return d;
  }

  double sparsity(const YAML::Node& v, int line, int stage, const std::string& key) {
    const double d = real(v, line, stage, key);
    if (!(d >= 0.0 && d < 1.0))
      fail_at(source_, line, stage_key(stage, key), v.Scalar() + " is out of range: must be in [0, 1)");
    return d;
  }

  // A list of exact names / "re:" regexes (a single string is a one-item list).
  std::vector<std::string> patterns(const YAML::Node& v, int stage, const std::string& key,
                                    std::map<std::string, int>* lines) {
    std::vector<std::string> out;
    std::vector<YAML::Node> items;
    if (v.IsScalar()) {
      items.push_back(v);
    } else if (v.IsSequence()) {
      for (const YAML::Node& n : v) items.push_back(n);
    } else {
      fail_at(source_, line_of(v), stage_key(stage, key), "expected a list of weight names or \"re:\" regexes");
    }
    if (items.empty()) fail_at(source_, line_of(v), stage_key(stage, key), "empty list");
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string item_key = key + "[" + std::to_string(i) + "]";
      const int line = line_of(items[i]);
      const std::string s = scalar(items[i], line, stage, item_key);
      if (s.empty() || s == "re:") fail_at(source_, line, stage_key(stage, item_key), "empty name");
      if (s.rfind("re:", 0) == 0) {
        try {
          std::regex re(s.substr(3), std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          fail_at(source_, line, stage_key(stage, item_key), "regex " + json_quoted(s.substr(3)) + " does not compile (" +
                                                                 e.what() + ")");
        }
      }
      (*lines)[item_key] = line;
      out.push_back(s);
    }
    return out;
  }

  void parse_stage(const YAML::Node& node, int index) {
    RecipeStage st;
    st.lines[""] = line_of(node);
    if (!node.IsMap()) fail_at(source_, line_of(node), stage_key(index, ""), "a stage must be a map (method, sparsity or pattern, ...)");
    bool have_sparsity = false;
    for (const auto& kv : unique_keys(node, index, "")) {
      const std::string& key = kv.first;
      const int line = kv.second.first;
      const YAML::Node& v = kv.second.second;
      st.lines[key] = line;
      if (key == "method") {
        st.method = scalar(v, line, index, key);
        if (st.method.empty()) fail_at(source_, line, stage_key(index, key), "empty method name");
      } else if (key == "sparsity") {
        st.sparsity = sparsity(v, line, index, key);
        have_sparsity = true;
      } else if (key == "pattern") {
        const std::string s = scalar(v, line, index, key);
        const size_t colon = s.find(':');
        const std::string a = colon == std::string::npos ? s : s.substr(0, colon);
        const std::string b = colon == std::string::npos ? "" : s.substr(colon + 1);
        if (!all_digits(a) || !all_digits(b) || a.size() > 6 || b.size() > 6)
          fail_at(source_, line, stage_key(index, key), "expected N:M, e.g. \"2:4\" (got " + json_quoted(s) + ")");
        st.n = std::atoi(a.c_str());
        st.m = std::atoi(b.c_str());
        if (st.n < 1 || st.n >= st.m || st.m > 65536)
          fail_at(source_, line, stage_key(index, key), s + " needs 1 <= N < M <= 65536");
      } else if (key == "params") {
        if (v.IsNull()) continue;
        if (!v.IsMap()) fail_at(source_, line, stage_key(index, key), "expected a map of parameter -> value");
        for (const auto& p : unique_keys(v, index, key)) {
          st.lines["params." + p.first] = p.second.first;
          if (!p.second.second.IsScalar())
            fail_at(source_, p.second.first, stage_key(index, "params." + p.first), "expected a single value");
          st.params[p.first] = scalar_value(p.second.second);
        }
      } else if (key == "group") {
        st.group = scalar(v, line, index, key);
        if (st.group != "per-row" && st.group != "per-matrix")
          fail_at(source_, line, stage_key(index, key), "unknown group " + json_quoted(st.group) + " (per-row|per-matrix)");
      } else if (key == "targets") {
        st.targets = patterns(v, index, key, &st.lines);
      } else if (key == "ignore") {
        st.ignore = patterns(v, index, key, &st.lines);
      } else if (key == "allocator") {
        parse_allocator(v, line, index, st);
      } else if (key == "layer_sparsity") {
        if (!v.IsMap() || v.size() == 0)
          fail_at(source_, line, stage_key(index, key), "expected a map of layer (or range a-b) -> sparsity, e.g. {0: 0.3, 5-7: 0.6}");
        for (const auto& p : unique_keys(v, index, key)) {
          const std::string item_key = key + "." + p.first;
          const std::string& k = p.first;
          const size_t dash = k.find('-');
          const std::string a = k.substr(0, dash), b = dash == std::string::npos ? a : k.substr(dash + 1);
          if (!all_digits(a) || !all_digits(b) || a.size() > 9 || b.size() > 9)
            fail_at(source_, p.second.first, stage_key(index, item_key), "expected a layer index or a range a-b");
          const int lo = std::atoi(a.c_str()), hi = std::atoi(b.c_str());
          if (lo > hi) fail_at(source_, p.second.first, stage_key(index, item_key), "range runs backwards");
          const double s = sparsity(p.second.second, p.second.first, index, item_key);
          for (int l = lo; l <= hi; ++l) {
            if (st.layer_sparsity.count(l))
              fail_at(source_, p.second.first, stage_key(index, item_key), "layer " + std::to_string(l) + " given twice");
            st.layer_sparsity[l] = s;
            st.lines["layer_sparsity." + std::to_string(l)] = p.second.first;
          }
        }
      } else {
        fail_at(source_, line, stage_key(index, key),
                "unknown key (method|sparsity|pattern|params|group|targets|ignore|allocator|layer_sparsity)");
      }
    }
    const int stage_line = st.lines[""];
    if (st.method.empty()) fail_at(source_, stage_line, stage_key(index, "method"), "missing");
    if (have_sparsity && st.is_nm())
      fail_at(source_, st.lines["sparsity"], stage_key(index, "sparsity"),
              "give sparsity or pattern, not both (N:M prunes exactly N/M)");
    if (!have_sparsity && !st.is_nm())
      fail_at(source_, stage_line, stage_key(index, "sparsity"), "missing (give sparsity or pattern)");
    if (st.is_nm() && st.allocator == "owl")
      fail_at(source_, st.lines["allocator"], stage_key(index, "allocator"),
              "owl cannot be combined with an N:M pattern (N:M fixes every layer at N/M)");
    if (st.is_nm() && !st.layer_sparsity.empty())
      fail_at(source_, st.lines["layer_sparsity"], stage_key(index, "layer_sparsity"),
              "per-layer sparsities need an unstructured stage (N:M fixes every layer at N/M)");
    if (st.is_nm() && !st.group.empty())
      fail_at(source_, st.lines["group"], stage_key(index, "group"), "does not apply to an N:M pattern");
    recipe_.stages.push_back(std::move(st));
  }

  void parse_allocator(const YAML::Node& v, int line, int index, RecipeStage& st) {
    if (v.IsScalar()) {
      st.allocator = v.Scalar();
    } else if (v.IsMap()) {
      bool named = false;
      for (const auto& p : unique_keys(v, index, "allocator")) {
        const std::string k = "allocator." + p.first;
        st.lines[k] = p.second.first;
        if (p.first == "name") {
          st.allocator = scalar(p.second.second, p.second.first, index, k);
          named = true;
        } else if (p.first == "m") {
          st.owl_m = real(p.second.second, p.second.first, index, k);
          if (!(st.owl_m > 0)) fail_at(source_, p.second.first, stage_key(index, k), "must be > 0");
        } else if (p.first == "lambda") {
          st.owl_lambda = real(p.second.second, p.second.first, index, k);
          if (!(st.owl_lambda >= 0 && st.owl_lambda < 1))
            fail_at(source_, p.second.first, stage_key(index, k), "must be in [0, 1)");
        } else {
          fail_at(source_, p.second.first, stage_key(index, k), "unknown key (name|m|lambda)");
        }
      }
      if (!named) fail_at(source_, line, stage_key(index, "allocator.name"), "missing (uniform|owl)");
      if (st.allocator == "uniform" && (st.lines.count("allocator.m") || st.lines.count("allocator.lambda")))
        fail_at(source_, line, stage_key(index, "allocator"), "m and lambda are OWL's (name: owl)");
    } else {
      fail_at(source_, line, stage_key(index, "allocator"), "expected uniform, owl or {name: owl, m: 5, lambda: 0.08}");
    }
    if (st.allocator != "uniform" && st.allocator != "owl")
      fail_at(source_, line, stage_key(index, "allocator"), "unknown allocator " + json_quoted(st.allocator) + " (uniform|owl)");
  }

  std::string source_;
  Recipe recipe_;
};

// A name YAML reads back as the same string when written plain.
bool plain_name(const std::string& s) {
  if (s.empty() || s == "true" || s == "false" || s == "null" || s == "yes" || s == "no" || s == "on" || s == "off")
    return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

// A YAML flow sequence of strings ("..." JSON escapes are valid YAML double-quoted scalars).
std::string yaml_list(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + json_quoted(items[i]);
  return s + "]";
}

// The layer ranges of equal consecutive overrides: {0: 0.3, 5: 0.6, 6: 0.6} -> "0": 0.3, "5-6": 0.6.
std::vector<std::pair<std::string, double>> override_ranges(const std::map<int, double>& m) {
  std::vector<std::pair<std::string, double>> out;
  for (auto it = m.begin(); it != m.end();) {
    auto end = it;
    int last = it->first;
    while (std::next(end) != m.end() && std::next(end)->first == last + 1 && std::next(end)->second == it->second) {
      ++end;
      last = end->first;
    }
    out.push_back({last == it->first ? std::to_string(it->first) : std::to_string(it->first) + "-" + std::to_string(last),
                   it->second});
    it = std::next(end);
  }
  return out;
}

bool matches(const std::string& pattern, const std::string& name) {
  if (pattern.rfind("re:", 0) == 0) return std::regex_match(name, std::regex(pattern.substr(3), std::regex::ECMAScript));
  return pattern == name;
}

// Decoder layer of a candidate "model.layers.<l>. ..." name, -1 if none.
int layer_of(const std::string& name) {
  const std::string p = "model.layers.";
  if (name.rfind(p, 0) != 0) return -1;
  return std::atoi(name.c_str() + p.size());
}

}  // namespace

void Recipe::fail(int stage, const std::string& key, const std::string& problem) const {
  int line = 0;
  if (stage < 0) {
    auto it = ignore_lines.find(key);
    if (it != ignore_lines.end()) line = it->second;
  } else if (stage < int(stages.size())) {
    const auto& lines = stages[stage].lines;
    auto it = lines.find(key);
    if (it == lines.end()) it = lines.find("");
    if (it != lines.end()) line = it->second;
  }
  fail_at(source, line, stage_key(stage, key), problem);
}

Recipe parse_recipe(const std::string& yaml_text, const std::string& source) {
  return Parser(source).parse(yaml_text);
}

Recipe load_recipe(const std::string& path) { return parse_recipe(read_file(path), path); }

std::string recipe_to_yaml(const Recipe& r) {
  std::ostringstream y;
  y << "# prunekit recipe (prune --recipe FILE)\n";
  if (!r.ignore.empty()) y << "ignore: " << yaml_list(r.ignore) << "\n";
  y << "stages:\n";
  for (const RecipeStage& s : r.stages) {
    y << "  - method: " << (plain_name(s.method) ? s.method : json_quoted(s.method)) << "\n";
    if (s.is_nm())
      y << "    pattern: \"" << s.n << ":" << s.m << "\"\n";
    else
      y << "    sparsity: " << json(s.sparsity).dump() << "\n";
    if (!s.params.empty()) {
      y << "    params: {";
      bool first = true;
      for (auto it = s.params.begin(); it != s.params.end(); ++it, first = false)
        y << (first ? "" : ", ") << it.key() << ": " << it.value().dump();
      y << "}\n";
    }
    if (!s.group.empty()) y << "    group: " << s.group << "\n";
    if (!s.targets.empty()) y << "    targets: " << yaml_list(s.targets) << "\n";
    if (!s.ignore.empty()) y << "    ignore: " << yaml_list(s.ignore) << "\n";
    if (s.allocator == "owl")
      y << "    allocator: {name: owl, m: " << json(s.owl_m).dump() << ", lambda: " << json(s.owl_lambda).dump() << "}\n";
    else
      y << "    allocator: uniform\n";
    if (!s.layer_sparsity.empty()) {
      y << "    layer_sparsity: {";
      bool first = true;
      for (const auto& [k, v] : override_ranges(s.layer_sparsity)) {
        y << (first ? "" : ", ") << json_quoted(k) << ": " << json(v).dump();
        first = false;
      }
      y << "}\n";
    }
  }
  return y.str();
}

nlohmann::json recipe_to_json(const Recipe& r) {
  json stages = json::array();
  for (const RecipeStage& s : r.stages) {
    json st = {{"method", s.method}, {"params", s.params}};
    if (s.is_nm())
      st["pattern"] = std::to_string(s.n) + ":" + std::to_string(s.m);
    else
      st["sparsity"] = s.sparsity;
    if (!s.group.empty()) st["group"] = s.group;
    st["targets"] = s.targets;
    st["ignore"] = s.ignore;
    st["allocator"] = s.allocator == "owl" ? json{{"name", "owl"}, {"m", s.owl_m}, {"lambda", s.owl_lambda}}
                                           : json{{"name", "uniform"}};
    json over = json::object();
    for (const auto& [l, v] : s.layer_sparsity) over[std::to_string(l)] = v;
    st["layer_sparsity"] = over;
    stages.push_back(st);
  }
  return {{"source", r.source.empty() ? json(nullptr) : json(r.source)}, {"ignore", r.ignore}, {"stages", stages}};
}

std::vector<std::vector<std::string>> assign_recipe_targets(const Recipe& r, const std::vector<std::string>& candidates,
                                                            int num_layers) {
  // Every entry must match some candidate (a typo would otherwise prune nothing, silently).
  auto check_matches = [&](int stage, const std::string& key, const std::string& pattern) {
    for (const std::string& c : candidates)
      if (matches(pattern, c)) return;
    r.fail(stage, key, json_quoted(pattern) + " matches no prunable weight of the model (decoder-layer Linear weights, e.g. "
                           "model.layers.0.self_attn.q_proj.weight)");
  };
  for (size_t i = 0; i < r.ignore.size(); ++i) check_matches(-1, "ignore[" + std::to_string(i) + "]", r.ignore[i]);
  std::map<std::string, int> named_by;  // exact target name -> the stage that named it
  std::set<std::string> claimed;
  std::vector<std::vector<std::string>> out;
  for (size_t si = 0; si < r.stages.size(); ++si) {
    const RecipeStage& s = r.stages[si];
    const int stage = int(si);
    for (size_t i = 0; i < s.targets.size(); ++i) {
      const std::string key = "targets[" + std::to_string(i) + "]";
      check_matches(stage, key, s.targets[i]);
      if (s.targets[i].rfind("re:", 0) != 0) {
        auto [it, fresh] = named_by.insert({s.targets[i], stage});
        if (!fresh && it->second != stage)
          r.fail(stage, key, json_quoted(s.targets[i]) + " is already targeted by name in stages[" +
                                 std::to_string(it->second) + "] (a weight may be named by one stage only)");
      }
    }
    for (size_t i = 0; i < s.ignore.size(); ++i) check_matches(stage, "ignore[" + std::to_string(i) + "]", s.ignore[i]);
    for (const auto& [layer, v] : s.layer_sparsity)
      if (layer >= num_layers)
        r.fail(stage, "layer_sparsity." + std::to_string(layer),
               "layer " + std::to_string(layer) + " is outside 0-" + std::to_string(num_layers - 1) +
                   " (the model has " + std::to_string(num_layers) + " decoder layers)");
    // Compile each regex once.
    auto compile = [](const std::vector<std::string>& pats) {
      std::vector<std::pair<bool, std::regex>> res;  // (is_regex, regex); exact names compare directly
      for (const std::string& p : pats)
        res.push_back(p.rfind("re:", 0) == 0 ? std::make_pair(true, std::regex(p.substr(3), std::regex::ECMAScript))
                                             : std::make_pair(false, std::regex()));
      return res;
    };
    const auto tre = compile(s.targets), ire = compile(s.ignore), gre = compile(r.ignore);
    auto any = [](const std::vector<std::string>& pats, const std::vector<std::pair<bool, std::regex>>& res,
                  const std::string& name) {
      for (size_t i = 0; i < pats.size(); ++i)
        if (res[i].first ? std::regex_match(name, res[i].second) : pats[i] == name) return true;
      return false;
    };
    std::vector<std::string> mine;
    for (const std::string& c : candidates) {
      if (!s.targets.empty() && !any(s.targets, tre, c)) continue;
      if (any(s.ignore, ire, c) || any(r.ignore, gre, c)) continue;
      if (claimed.count(c)) continue;
      if (layer_of(c) < 0 || layer_of(c) >= num_layers) continue;
      mine.push_back(c);
    }
    if (mine.empty())
      r.fail(stage, "", "prunes no weight (everything its targets match is ignored or taken by an earlier stage)");
    for (const std::string& c : mine) claimed.insert(c);
    out.push_back(std::move(mine));
  }
  return out;
}

std::string recipe_regex_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string("\\^$.|?*+()[]{}").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace prunekit
