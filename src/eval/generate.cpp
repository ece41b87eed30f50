#include "prunekit/common.h"
#include "prunekit/eval.h"
#include "prunekit/model.h"

namespace prunekit {

std::vector<int> greedy_generate(LlamaModel& model, const std::vector<int>& prompt_ids,
                                 int64_t max_new_tokens, bool* stopped_on_special) {
  const LlamaConfig& cfg = model.config();
  if (prompt_ids.empty()) throw InvalidSetting("prompt", "", "empty prompt");
  if (static_cast<int64_t>(prompt_ids.size()) > cfg.max_position_embeddings)
    throw InvalidSetting("prompt", "", std::to_string(prompt_ids.size()) + " tokens, longer than max_position_embeddings (" +
                                           std::to_string(cfg.max_position_embeddings) + ")");
  std::vector<int> ids = prompt_ids;
  std::vector<KVCache> caches = model.new_caches();
  if (stopped_on_special) *stopped_on_special = false;
  std::vector<int64_t> feed(prompt_ids.begin(), prompt_ids.end());
  int64_t generated = 0;
  while (true) {
    at::Tensor in = at::tensor(feed, at::kLong).view({1, -1});
    at::Tensor logits = model.forward(in, &caches, /*last_only=*/true);
    const int next = static_cast<int>(logits[0][-1].argmax().item<int64_t>());
    if (next == cfg.eos_token_id || next == cfg.bos_token_id) {
      if (stopped_on_special) *stopped_on_special = true;
      break;
    }
    ids.push_back(next);
    ++generated;
    if (max_new_tokens > 0 && generated >= max_new_tokens) break;
    if (caches[0].len >= cfg.max_position_embeddings) break;  // every position has been fed
    feed.assign(1, next);
  }
  return ids;
}

}  // namespace prunekit
