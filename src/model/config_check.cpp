// Range checks of a parsed config.json, before anything is sized from it: every dimension
// positive and within what any real checkpoint has, every product used for a size free of
// overflow, every float that feeds the forward finite and in its domain (a zero rope_theta or a
// negative rms_norm_eps gives NaN perplexities, a huge hidden_size overflows byte counts).
#include <cmath>

#include "prunekit/common.h"
#include "prunekit/config.h"

namespace prunekit {

namespace {

// Far above any released LLaMA-family model (hidden 16384, intermediate 53248, vocab 256000,
// 126 layers, 128 heads, 10M positions), far below where int64 byte counts overflow.
constexpr int64_t kMaxWidth = int64_t(1) << 24;      // hidden, intermediate, vocab
constexpr int64_t kMaxCount = int64_t(1) << 16;      // layers, heads, head_dim
constexpr int64_t kMaxPositions = int64_t(1) << 24;  // max_position_embeddings, sliding_window
constexpr int64_t kMaxWeightElements = int64_t(1) << 40;

}  // namespace

void LlamaConfig::validate(const std::string& origin) const {
  auto fail = [&](const std::string& field, const std::string& value, const std::string& what) {
    return InputError(origin + ": \"" + field + "\" " + value + " " + what);
  };
  auto in_range = [&](const char* field, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi)
      throw fail(field, std::to_string(v),
                 "is out of range (supported: " + std::to_string(lo) + " to " + std::to_string(hi) + ")");
  };
  auto positive_finite = [&](const char* field, double v) {
    if (!(std::isfinite(v) && v > 0)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", v);
      throw fail(field, buf, "must be a finite number > 0");
    }
  };
  in_range("hidden_size", hidden_size, 1, kMaxWidth);
  in_range("intermediate_size", intermediate_size, 1, kMaxWidth);
  in_range("vocab_size", vocab_size, 1, kMaxWidth);
  in_range("num_hidden_layers", num_hidden_layers, 1, kMaxCount);
  in_range("num_attention_heads", num_attention_heads, 1, kMaxCount);
  in_range("num_key_value_heads", num_key_value_heads, 1, num_attention_heads);
  in_range("head_dim", head_dim, 2, kMaxCount);
  in_range("max_position_embeddings", max_position_embeddings, 1, kMaxPositions);
  if (num_attention_heads % num_key_value_heads != 0)
    throw fail("num_attention_heads", std::to_string(num_attention_heads),
               "is not a multiple of num_key_value_heads " + std::to_string(num_key_value_heads));
  if (sliding_window != -1) in_range("sliding_window", sliding_window, 1, kMaxPositions);
  // The element counts of the largest weights, overflow-checked.
  const std::pair<const char*, int64_t> products[] = {
      {"vocab_size x hidden_size", vocab_size},
      {"intermediate_size x hidden_size", intermediate_size},
      {"num_attention_heads x head_dim x hidden_size", num_attention_heads * head_dim},
  };
  for (const auto& [what, rows] : products) {
    int64_t n = 0;
    if (__builtin_mul_overflow(rows, hidden_size, &n) || n > kMaxWeightElements)
      throw InputError(origin + ": " + what + " is larger than any supported weight (" +
                       std::to_string(kMaxWeightElements) + " elements)");
  }
  positive_finite("rms_norm_eps", rms_norm_eps);
  positive_finite("rope_theta", rope_theta);
  if (rope_scaling.type != "none") {
    positive_finite("rope_scaling.factor", rope_scaling.factor);
    if (rope_scaling.type == "llama3") {
      positive_finite("rope_scaling.low_freq_factor", rope_scaling.low_freq_factor);
      positive_finite("rope_scaling.original_max_position_embeddings", rope_scaling.original_max_position_embeddings);
      if (!(std::isfinite(rope_scaling.high_freq_factor) && rope_scaling.high_freq_factor > rope_scaling.low_freq_factor))
        throw fail("rope_scaling.high_freq_factor", std::to_string(rope_scaling.high_freq_factor),
                   "must be finite and greater than low_freq_factor (the smoothing divides by their difference)");
    }
  }
}

}  // namespace prunekit
