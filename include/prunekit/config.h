// LlamaConfig: the subset of a Hugging Face config.json that the decoder forward needs, for the
// LLaMA-shaped families (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM).
// Anything a family's config can say that this forward does not implement is refused at parse
// time (InputError naming the field and its value), never run approximately.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace prunekit {

struct RopeScaling {
  std::string type = "none";  // none | linear | llama3
  double factor = 1.0;
  double low_freq_factor = 1.0, high_freq_factor = 4.0;
  double original_max_position_embeddings = 8192;
};

// One tensor the checkpoint must hold, with the shape the config implies.
struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
};

struct LlamaConfig {
  std::string architecture = "LlamaForCausalLM";
  int64_t hidden_size = 0, intermediate_size = 0, num_hidden_layers = 0;
  int64_t num_attention_heads = 0, num_key_value_heads = 0, head_dim = 0;
  double rms_norm_eps = 1e-6, rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 2048, vocab_size = 0;
  // Mistral sliding-window attention: query i sees keys j with i - window < j <= i. -1: none.
  int64_t sliding_window = -1;
  bool tie_word_embeddings = false;
  // Which Linears carry a bias: q/k/v (Llama/Qwen3 attention_bias; always for Qwen2), o_proj
  // (Llama/Qwen3 attention_bias; never for Qwen2), gate/up/down (Llama mlp_bias).
  bool attention_bias = false, o_proj_bias = false, mlp_bias = false;
  // Qwen3: per-head RMSNorm of q and k over head_dim (self_attn.q_norm / k_norm) before RoPE.
  bool qk_norm = false;
  std::string torch_dtype = "float32";
  int64_t bos_token_id = 1, eos_token_id = 2;

  // Parse and validate; InputError naming the file on anything missing or unsupported.
  static LlamaConfig from_json_text(const std::string& text, const std::string& origin);
  static LlamaConfig from_file(const std::string& path);
  // Refuse a sequence length beyond max_position_embeddings (or <= 1).
  void check_seqlen(int64_t seqlen, const std::string& flag) const;

  // Whether Linear `linear` (0..6: q, k, v, o, gate, up, down) has a bias.
  bool has_bias(int linear) const {
    return linear <= 2 ? attention_bias : linear == 3 ? o_proj_bias : mlp_bias;
  }
  // Keys a query attends to at most (the sliding window), or -1 for all earlier positions.
  int64_t attention_window() const { return sliding_window; }
  // Every tensor a checkpoint of this config holds, with its shape, in state_dict order
  // (lm_head last; with tie_word_embeddings it may be stored under either name).
  std::vector<ExpectedTensor> expected_tensors() const;
};

}  // namespace prunekit
