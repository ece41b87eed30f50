// LlamaConfig: the subset of a Hugging Face config.json that the LLaMA forward needs.
#pragma once
#include <cstdint>
#include <string>

namespace prunekit {

struct RopeScaling {
  std::string type = "none";  // none | linear | llama3
  double factor = 1.0;
  double low_freq_factor = 1.0, high_freq_factor = 4.0;
  double original_max_position_embeddings = 8192;
};

struct LlamaConfig {
  std::string architecture = "LlamaForCausalLM";
  int64_t hidden_size = 0, intermediate_size = 0, num_hidden_layers = 0;
  int64_t num_attention_heads = 0, num_key_value_heads = 0, head_dim = 0;
  double rms_norm_eps = 1e-6, rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 2048, vocab_size = 0;
  int64_t sliding_window = -1;  // -1: none
  bool tie_word_embeddings = false, attention_bias = false, mlp_bias = false;
  std::string torch_dtype = "float32";
  int64_t bos_token_id = 1, eos_token_id = 2;

  // Parse and validate; InputError naming the file on anything missing or unsupported.
  static LlamaConfig from_json_text(const std::string& text, const std::string& origin);
  static LlamaConfig from_file(const std::string& path);
  // Range checks (src/model/config_check.cpp), run by from_json_text: InputError naming `origin`,
  // the field and its value.
  void validate(const std::string& origin) const;
  // Refuse a sequence length this model cannot run (InvalidSetting naming `setting`): < 2, past
  // max_position_embeddings, or past a Mistral sliding window.
  void check_seqlen(int64_t seqlen, const std::string& setting = "seqlen") const;
};

}  // namespace prunekit
