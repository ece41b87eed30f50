#include <cmath>

#include "prunekit/common.h"
#include "prunekit/eval.h"
#include "prunekit/model.h"
#include "prunekit/progress.h"

namespace prunekit {

PerplexityResult evaluate_perplexity(const Checkpoint& ck, const std::vector<int>& ids,
                                     const PerplexityOptions& opt) {
  const LlamaConfig& cfg = ck.config();
  const int64_t seqlen = opt.seqlen > 0 ? opt.seqlen : cfg.max_position_embeddings;
  cfg.check_seqlen(seqlen, "seqlen");
  int64_t nwin = static_cast<int64_t>(ids.size()) / seqlen;
  if (nwin == 0)
    throw InputError("the evaluation text has " + std::to_string(ids.size()) +
                     " tokens, shorter than one window of " + std::to_string(seqlen));
  if (opt.max_windows > 0) nwin = std::min(nwin, opt.max_windows);

  Stopwatch clock;
  PerplexityResult res;
  res.seqlen = seqlen;
  res.windows = nwin;
  res.corpus_tokens = static_cast<int64_t>(ids.size());
  res.tokens_evaluated = nwin * seqlen;
  at::Tensor all = at::from_blob(const_cast<int*>(ids.data()), {nwin * seqlen}, at::kInt)
                       .to(at::kLong)
                       .view({nwin, seqlen});

  LayerStream stream(ck, opt.dtype, opt.batch, opt.device);
  const int64_t bytes_per_window = seqlen * cfg.hidden_size * at::elementSize(opt.dtype);
  const int64_t chunk = std::max<int64_t>(1, opt.max_activation_bytes / bytes_per_window);
  const int64_t nchunks = (nwin + chunk - 1) / chunk;
  ProgressBar bar("", nchunks * cfg.num_hidden_layers, opt.quiet, "layer");
  int64_t steps = 0;
  for (int64_t c0 = 0; c0 < nwin; c0 += chunk) {
    const int64_t n = std::min(chunk, nwin - c0);
    at::Tensor win = all.narrow(0, c0, n);
    at::Tensor hidden = stream.run(win, [&](int) { bar.update(++steps); });
    for (int64_t i = 0; i < n; ++i) {
      // Mean cross-entropy of the seqlen-1 next-token predictions, log-softmax in fp32.
      at::Tensor logits = stream.head().logits(hidden[i].narrow(0, 0, seqlen - 1), cfg.rms_norm_eps);
      // -log_softmax at the target = logsumexp - logit: no second [seqlen, vocab] tensor.
      at::Tensor target = win[i].narrow(0, 1, seqlen - 1).to(logits.device());
      at::Tensor nll = (at::logsumexp(logits, -1) - logits.gather(1, target.unsqueeze(1)).squeeze(1)).mean();
      const double window_nll = nll.item<double>();
      if (!std::isfinite(window_nll))
        throw NumericalError("the loss of window " + std::to_string(c0 + i) + " (final norm and lm_head)");
      res.window_nll.push_back(window_nll);
    }
  }
  bar.finish();
  double sum = 0;
  for (double v : res.window_nll) sum += v;
  res.ppl = std::exp(sum / static_cast<double>(res.window_nll.size()));
  res.seconds = clock.seconds();
  res.tokens_per_s = double(nwin * seqlen) / std::max(res.seconds, 1e-9);
  return res;
}

}  // namespace prunekit
