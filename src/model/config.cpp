#include "prunekit/config.h"

#include <nlohmann/json.hpp>

#include "prunekit/common.h"

namespace prunekit {

using nlohmann::json;

namespace {

const char* const kSupported = "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM";

int64_t get_int(const json& j, const char* key, const std::string& origin) {
  if (!j.contains(key) || !j[key].is_number_integer())
    throw InputError(origin + ": missing or non-integer \"" + key + "\"");
  int64_t v = j[key].get<int64_t>();
  if (v <= 0) throw InputError(origin + ": \"" + key + "\" must be positive");
  return v;
}
int64_t get_int_or(const json& j, const char* key, int64_t dflt, const std::string& origin) {
  return j.contains(key) && !j[key].is_null() ? get_int(j, key, origin) : dflt;
}
template <class T>
T get_or(const json& j, const char* key, T dflt) {
  if (!j.contains(key) || j[key].is_null()) return dflt;
  return j[key].get<T>();
}

// The architecture from "architectures" (what transformers instantiates) or "model_type".
std::string architecture_of(const json& j, const std::string& origin) {
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty())
    return j["architectures"][0].get<std::string>();
  if (j.contains("model_type") && j["model_type"].is_string()) {
    const std::string t = j["model_type"].get<std::string>();
    if (t == "llama") return "LlamaForCausalLM";
    if (t == "mistral") return "MistralForCausalLM";
    if (t == "qwen2") return "Qwen2ForCausalLM";
    if (t == "qwen3") return "Qwen3ForCausalLM";
    throw InputError(origin + ": unsupported model_type \"" + t + "\" (supported architectures: " + kSupported + ")");
  }
  return "LlamaForCausalLM";
}

// rope_scaling (transformers 4.x) or rope_parameters (5.x, which also holds rope_theta).
void parse_rope(const json& j, LlamaConfig& c, const std::string& origin) {
  const char* field = j.contains("rope_parameters") && !j["rope_parameters"].is_null() ? "rope_parameters"
                                                                                       : "rope_scaling";
  c.rope_theta = get_or<double>(j, "rope_theta", 10000.0);
  if (!j.contains(field) || j[field].is_null()) return;
  const json& rs = j[field];
  if (!rs.is_object()) throw InputError(origin + ": \"" + field + "\" is not an object");
  if (rs.contains("rope_theta")) c.rope_theta = rs["rope_theta"].get<double>();
  const std::string key = rs.contains("rope_type") ? "rope_type" : "type";
  const std::string type = get_or<std::string>(rs, key.c_str(), "default");
  if (type == "default" || type == "none") return;
  c.rope_scaling.type = type;
  if (type == "linear") {
    c.rope_scaling.factor = get_or<double>(rs, "factor", 1.0);
  } else if (type == "llama3") {
    c.rope_scaling.factor = get_or<double>(rs, "factor", 8.0);
    c.rope_scaling.low_freq_factor = get_or<double>(rs, "low_freq_factor", 1.0);
    c.rope_scaling.high_freq_factor = get_or<double>(rs, "high_freq_factor", 4.0);
    c.rope_scaling.original_max_position_embeddings = get_or<double>(rs, "original_max_position_embeddings", 8192.0);
  } else {
    // yarn, dynamic, longrope, mrope, ...: different frequencies and/or attention scaling.
    throw InputError(origin + ": " + field + "." + key + " \"" + type +
                     "\" is not supported (supported: default, linear, llama3)");
  }
}

}  // namespace

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
    c.architecture = architecture_of(j, origin);
    const bool llama = c.architecture == "LlamaForCausalLM", mistral = c.architecture == "MistralForCausalLM";
    const bool qwen2 = c.architecture == "Qwen2ForCausalLM", qwen3 = c.architecture == "Qwen3ForCausalLM";
    if (!llama && !mistral && !qwen2 && !qwen3)
      throw InputError(origin + ": unsupported architecture \"" + c.architecture + "\" (supported: " + kSupported + ")");

    // What these families' configs can ask for that this forward does not implement.
    const std::string act = get_or<std::string>(j, "hidden_act", "silu");
    if (act != "silu" && act != "swish")  // transformers' ACT2FN: both are x * sigmoid(x)
      throw InputError(origin + ": hidden_act \"" + act + "\" is not supported (supported: silu)");
    for (const char* moe : {"num_local_experts", "num_experts", "n_routed_experts"})
      if (j.contains(moe) && j[moe].is_number() && j[moe].get<double>() > 0)
        throw InputError(origin + ": \"" + moe + "\": " + j[moe].dump() +
                         " (mixture-of-experts layers are not supported)");
    if (j.contains("quantization_config") && !j["quantization_config"].is_null())
      throw InputError(origin + ": \"quantization_config\" is set (quantized checkpoints are not supported; "
                       "prune the unquantized model)");
    if ((qwen2 || qwen3) && get_or<bool>(j, "use_sliding_window", false))
      throw InputError(origin + ": use_sliding_window true is not supported for " + c.architecture +
                       " (per-layer sliding windows are not implemented)");
    if (j.contains("layer_types") && j["layer_types"].is_array())
      for (const json& t : j["layer_types"])
        if (!t.is_string() || t.get<std::string>() != "full_attention")
          throw InputError(origin + ": layer_types contains " + t.dump() +
                           " (only \"full_attention\" layers are supported)");

    c.hidden_size = get_int(j, "hidden_size", origin);
    c.intermediate_size = get_int(j, "intermediate_size", origin);
    c.num_hidden_layers = get_int(j, "num_hidden_layers", origin);
    c.num_attention_heads = get_int(j, "num_attention_heads", origin);
    c.vocab_size = get_int(j, "vocab_size", origin);
    c.num_key_value_heads = get_int_or(j, "num_key_value_heads", c.num_attention_heads, origin);
    // Without head_dim, hidden_size / num_attention_heads must be exact (Qwen3Config defaults to 128).
    const bool head_dim_given = j.contains("head_dim") && !j["head_dim"].is_null();
    if (!head_dim_given && !qwen3 && c.hidden_size % c.num_attention_heads != 0)
      throw InputError(origin + ": hidden_size " + std::to_string(c.hidden_size) +
                       " is not divisible by num_attention_heads " + std::to_string(c.num_attention_heads) +
                       " (and no head_dim is given)");
    c.head_dim = get_int_or(j, "head_dim", qwen3 ? 128 : c.hidden_size / c.num_attention_heads, origin);
    if (c.head_dim <= 0 || c.head_dim % 2 != 0)
      throw InputError(origin + ": head_dim " + std::to_string(c.head_dim) + " must be even and positive (RoPE)");
    if (c.num_attention_heads % c.num_key_value_heads != 0)
      throw InputError(origin + ": num_attention_heads is not a multiple of num_key_value_heads");
    c.rms_norm_eps = get_or<double>(j, "rms_norm_eps", 1e-6);
    // An integer, checked: a float such as 6.4e26 converted to int64 is undefined (found by fuzz_config).
    c.max_position_embeddings = get_int_or(j, "max_position_embeddings", 2048, origin);
    c.tie_word_embeddings = get_or<bool>(j, "tie_word_embeddings", false);
    // Biases as each family's modeling code builds its Linears.
    if (llama || qwen3) c.attention_bias = c.o_proj_bias = get_or<bool>(j, "attention_bias", false);
    if (qwen2) c.attention_bias = true;  // Qwen2Attention: q/k/v bias=True, o_proj bias=False
    if (llama) c.mlp_bias = get_or<bool>(j, "mlp_bias", false);
    c.qk_norm = qwen3;
    c.torch_dtype = get_or<std::string>(j, "torch_dtype", get_or<std::string>(j, "dtype", "float32"));
    if (j.contains("bos_token_id") && j["bos_token_id"].is_number_integer())
      c.bos_token_id = j["bos_token_id"].get<int64_t>();
    if (j.contains("eos_token_id") && j["eos_token_id"].is_number_integer())
      c.eos_token_id = j["eos_token_id"].get<int64_t>();
    if (mistral)  // MistralConfig's default is 4096; null means full attention
      c.sliding_window = !j.contains("sliding_window") ? 4096 : get_int_or(j, "sliding_window", -1, origin);
    parse_rope(j, c, origin);
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
}

std::vector<ExpectedTensor> LlamaConfig::expected_tensors() const {
  const int64_t h = hidden_size, q = num_attention_heads * head_dim, kv = num_key_value_heads * head_dim;
  const int64_t f = intermediate_size;
  std::vector<ExpectedTensor> out;
  out.push_back({"model.embed_tokens.weight", {vocab_size, h}});
  // As transformers' state_dict: per layer q, k, v, o (+ q_norm, k_norm), gate, up, down, then
  // the two norms. Linear shapes are [out, in].
  const char* const names[7] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};
  const int64_t shapes[7][2] = {{q, h}, {kv, h}, {kv, h}, {h, q}, {f, h}, {f, h}, {h, f}};
  for (int64_t l = 0; l < num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (int i = 0; i < 7; ++i) {
      out.push_back({p + names[i] + ".weight", {shapes[i][0], shapes[i][1]}});
      if (has_bias(i)) out.push_back({p + names[i] + ".bias", {shapes[i][0]}});
      if (qk_norm && i == 3) {
        out.push_back({p + "self_attn.q_norm.weight", {head_dim}});
        out.push_back({p + "self_attn.k_norm.weight", {head_dim}});
      }
    }
    out.push_back({p + "input_layernorm.weight", {h}});
    out.push_back({p + "post_attention_layernorm.weight", {h}});
  }
  out.push_back({"model.norm.weight", {h}});
  out.push_back({"lm_head.weight", {vocab_size, h}});
  return out;
}

}  // namespace prunekit
