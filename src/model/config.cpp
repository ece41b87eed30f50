#include "prunekit/config.h"

#include <nlohmann/json.hpp>

#include "prunekit/common.h"

namespace prunekit {

using nlohmann::json;

static int64_t get_int(const json& j, const char* key, const std::string& origin) {
  if (!j.contains(key) || !j[key].is_number_integer())
    throw InputError(origin + ": missing or non-integer \"" + key + "\"");
  int64_t v = j[key].get<int64_t>();
  if (v <= 0) throw InputError(origin + ": \"" + key + "\" must be positive");
  return v;
}
template <class T>
static T get_or(const json& j, const char* key, T dflt) {
  if (!j.contains(key) || j[key].is_null()) return dflt;
  return j[key].get<T>();
}

LlamaConfig LlamaConfig::from_json_text(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    throw InputError(origin + ": not valid JSON");
  }
  if (!j.is_object()) throw InputError(origin + ": not a JSON object");
  LlamaConfig c;
  try {
    if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty())
      c.architecture = j["architectures"][0].get<std::string>();
    else if (j.contains("model_type"))
      c.architecture = j["model_type"] == "mistral" ? "MistralForCausalLM" : "LlamaForCausalLM";
    if (c.architecture != "LlamaForCausalLM" && c.architecture != "MistralForCausalLM")
      throw InputError(origin + ": unsupported architecture \"" + c.architecture +
                       "\" (supported: LlamaForCausalLM, MistralForCausalLM)");
    c.hidden_size = get_int(j, "hidden_size", origin);
    c.intermediate_size = get_int(j, "intermediate_size", origin);
    c.num_hidden_layers = get_int(j, "num_hidden_layers", origin);
    c.num_attention_heads = get_int(j, "num_attention_heads", origin);
    c.vocab_size = get_int(j, "vocab_size", origin);
    c.num_key_value_heads = j.contains("num_key_value_heads") && !j["num_key_value_heads"].is_null()
                                ? get_int(j, "num_key_value_heads", origin)
                                : c.num_attention_heads;
    const bool head_dim_given = j.contains("head_dim") && !j["head_dim"].is_null();
    if (!head_dim_given && c.hidden_size % c.num_attention_heads != 0)
      throw InputError(origin + ": hidden_size " + std::to_string(c.hidden_size) +
                       " is not divisible by num_attention_heads " + std::to_string(c.num_attention_heads) +
                       " (and no head_dim is given)");
    c.head_dim = head_dim_given ? get_int(j, "head_dim", origin) : c.hidden_size / c.num_attention_heads;
    if (c.num_attention_heads % c.num_key_value_heads != 0)
      throw InputError(origin + ": num_attention_heads is not a multiple of num_key_value_heads");
    c.rms_norm_eps = get_or<double>(j, "rms_norm_eps", 1e-6);
    c.rope_theta = get_or<double>(j, "rope_theta", 10000.0);
    c.max_position_embeddings = get_or<int64_t>(j, "max_position_embeddings", 2048);
    c.tie_word_embeddings = get_or<bool>(j, "tie_word_embeddings", false);
    c.attention_bias = get_or<bool>(j, "attention_bias", false);
    c.mlp_bias = get_or<bool>(j, "mlp_bias", false);
    c.torch_dtype = get_or<std::string>(j, "torch_dtype", "float32");
    if (j.contains("bos_token_id") && j["bos_token_id"].is_number_integer())
      c.bos_token_id = j["bos_token_id"].get<int64_t>();
    if (j.contains("eos_token_id") && j["eos_token_id"].is_number_integer())
      c.eos_token_id = j["eos_token_id"].get<int64_t>();
    if (c.architecture == "MistralForCausalLM")
      c.sliding_window = get_or<int64_t>(j, "sliding_window", -1);
    if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) {
      const json& rs = j["rope_scaling"];
      std::string type = rs.contains("rope_type") ? rs["rope_type"].get<std::string>()
                                                  : get_or<std::string>(rs, "type", "none");
      c.rope_scaling.type = type;
      if (type == "linear") {
        c.rope_scaling.factor = get_or<double>(rs, "factor", 1.0);
      } else if (type == "llama3") {
        c.rope_scaling.factor = get_or<double>(rs, "factor", 8.0);
        c.rope_scaling.low_freq_factor = get_or<double>(rs, "low_freq_factor", 1.0);
        c.rope_scaling.high_freq_factor = get_or<double>(rs, "high_freq_factor", 4.0);
        c.rope_scaling.original_max_position_embeddings =
            get_or<double>(rs, "original_max_position_embeddings", 8192.0);
      } else if (type != "default" && type != "none") {
        throw InputError(origin + ": unsupported rope_scaling type \"" + type + "\"");
      } else {
        c.rope_scaling.type = "none";
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(origin + ": field of the wrong type (" + std::string(e.what()) + ")");
  }
  c.validate(origin);
  return c;
}

LlamaConfig LlamaConfig::from_file(const std::string& path) {
  const std::string problem = path_problem(path);
  if (!problem.empty()) throw InputError(path + ": " + (problem == kPathMissing ? "missing config.json" : problem));
  return from_json_text(read_file(path), path);
}

void LlamaConfig::check_seqlen(int64_t seqlen, const std::string& setting) const {
  const std::string value = std::to_string(seqlen);
  if (seqlen <= 1) throw InvalidSetting(setting, value, "sequence length must be > 1");
  if (seqlen > max_position_embeddings)
    throw InvalidSetting(setting, value, "exceeds max_position_embeddings (" +
                                             std::to_string(max_position_embeddings) + ")");
  if (sliding_window > 0 && sliding_window < seqlen)
    throw InvalidSetting(setting, value, "longer than Mistral's sliding_window " + std::to_string(sliding_window) +
                                             " (sliding-window attention is not implemented)");
}

}  // namespace prunekit
