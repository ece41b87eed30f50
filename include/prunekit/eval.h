// Evaluation: perplexity with the wikitext2 protocol of the pruning papers (CONVENTIONS.md §6).
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <vector>

#include "prunekit/checkpoint.h"
#include "prunekit/device.h"

namespace prunekit {

struct PerplexityOptions {
  int64_t seqlen = 0;  // 0: max_position_embeddings
  int64_t batch = 8;   // windows per forward batch
  int64_t max_windows = 0;  // 0: all
  at::ScalarType dtype = at::kFloat;
  ComputeDevice device;  // where the layers stream to (prunekit/device.h)
  // Hidden states of at most this many bytes are held at once; more windows are processed in
  // chunks, each streaming the layers again.
  int64_t max_activation_bytes = int64_t(1) << 30;
  bool quiet = false;
};

struct PerplexityResult {
  double ppl = 0;
  int64_t windows = 0, seqlen = 0;
  int64_t tokens_evaluated = 0;  // windows x seqlen: the tokens fed (max_windows counted)
  int64_t corpus_tokens = 0;     // the whole text with its BOS
  double seconds = 0, tokens_per_s = 0;
  std::vector<double> window_nll;  // mean NLL of each window
};

// ids: the whole text tokenised once with one BOS (the protocol). nwin = ids / seqlen windows,
// remainder dropped; ppl = exp(mean of window mean NLLs).
PerplexityResult evaluate_perplexity(const Checkpoint& ck, const std::vector<int>& ids,
                                     const PerplexityOptions& opt);

}  // namespace prunekit

namespace prunekit {
class LlamaModel;

// Greedy decoding with a KV cache from prompt ids (BOS included). Stops on EOS or BOS (the
// TinyStories models end a story with BOS; the stop token is not appended), after
// max_new_tokens (<= 0: no limit), or at the position limit (at most max_position_embeddings
// positions are fed, so the result holds at most that + 1 ids). Returns all ids incl. prompt.
std::vector<int> greedy_generate(LlamaModel& model, const std::vector<int>& prompt_ids,
                                 int64_t max_new_tokens, bool* stopped_on_special = nullptr);
}  // namespace prunekit
