// The tensors a LLaMA-family checkpoint must hold, with shapes derived from its config, and the
// check of a checkpoint against them (names, float dtypes, shapes) before anything is computed:
// a wrong shape otherwise surfaces as a LibTorch error with a C++ stack trace, or not at all.
#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/model.h"

namespace prunekit {

std::vector<ExpectedTensor> expected_tensors(const LlamaConfig& c) {
  const int64_t q_rows = c.num_attention_heads * c.head_dim, kv_rows = c.num_key_value_heads * c.head_dim;
  const std::string q_dims = "num_attention_heads x head_dim", kv_dims = "num_key_value_heads x head_dim";
  std::vector<ExpectedTensor> out = {
      {"model.embed_tokens.weight", {c.vocab_size, c.hidden_size}, "[vocab_size, hidden_size]"},
      {"model.norm.weight", {c.hidden_size}, "[hidden_size]"},
      {"lm_head.weight", {c.vocab_size, c.hidden_size}, "[vocab_size, hidden_size]"},
  };
  // [out, in] of each Linear, in LinearId order, and how the config gives them.
  const std::array<std::pair<std::vector<int64_t>, std::string>, kNumLinears> linear = {{
      {{q_rows, c.hidden_size}, "[" + q_dims + ", hidden_size]"},
      {{kv_rows, c.hidden_size}, "[" + kv_dims + ", hidden_size]"},
      {{kv_rows, c.hidden_size}, "[" + kv_dims + ", hidden_size]"},
      {{c.hidden_size, q_rows}, "[hidden_size, " + q_dims + "]"},
      {{c.intermediate_size, c.hidden_size}, "[intermediate_size, hidden_size]"},
      {{c.intermediate_size, c.hidden_size}, "[intermediate_size, hidden_size]"},
      {{c.hidden_size, c.intermediate_size}, "[hidden_size, intermediate_size]"},
  }};
  for (int layer = 0; layer < c.num_hidden_layers; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    out.push_back({p + "input_layernorm.weight", {c.hidden_size}, "[hidden_size]"});
    out.push_back({p + "post_attention_layernorm.weight", {c.hidden_size}, "[hidden_size]"});
    for (int i = 0; i < kNumLinears; ++i) {
      const auto& [shape, dims] = linear[i];
      out.push_back({linear_prefix(layer, i) + ".weight", shape, dims});
      const bool biased = i <= kO ? c.attention_bias : c.mlp_bias;
      if (biased) out.push_back({linear_prefix(layer, i) + ".bias", {shape[0]}, "[" + dims.substr(1, dims.find(',') - 1) + "]"});
    }
  }
  return out;
}

void Checkpoint::require_llama_tensors() const {
  auto shape_str = [](const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  };
  for (const ExpectedTensor& e : expected_tensors(config_)) {
    if (!has(e.name)) throw InputError(dir_ + ": missing tensor " + e.name);
    const TensorInfo& t = info(e.name);
    if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16)
      throw InputError(dir_ + ": tensor " + e.name + " has dtype " + dtype_name(t.dtype) +
                       ", expected a float dtype (F32, F16 or BF16)");
    if (t.shape != e.shape)
      throw InputError(dir_ + ": tensor " + e.name + " has shape " + shape_str(t.shape) + ", expected " +
                       shape_str(e.shape) + " = " + e.dims + " from config.json");
  }
}

}  // namespace prunekit
