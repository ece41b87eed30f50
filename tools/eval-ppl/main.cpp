// eval-ppl: perplexity of a checkpoint on a text file with the wikitext2 protocol of the
// pruning papers (whole file tokenised once with one BOS, non-overlapping windows).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

#include "common/cli.h"
#include "prunekit/checkpoint.h"
#include "prunekit/corpus.h"
#include "prunekit/eval.h"
#include "prunekit/model.h"
#include "prunekit/tokenizer.h"

int main(int argc, char** argv) {
  prunekit::init_process(argc, argv);
  CLI::App app{"eval-ppl: perplexity with the wikitext2 protocol (docs/CONVENTIONS.md section 6)", "eval-ppl"};
  std::string model_dir, dataset, dtype = "float32", json_out, device = "cpu";
  int64_t seqlen = 0, batch = 8, max_windows = 0;
  int threads = 0;
  bool quiet = false;
  app.add_option("--model", model_dir, "HF checkpoint directory")->required();
  app.add_option("--dataset", dataset, "plain text, or JSON lines with \"text\" (joined with blank lines)")
      ->required();
  app.add_option("--seqlen", seqlen, "window length (default: max_position_embeddings)")
      ->check(prunekit::cli::Integer(2, INT32_MAX));
  app.add_option("--dtype", dtype, "compute dtype: float32|bfloat16")->capture_default_str()
      ->check(prunekit::cli::ComputeDtype());
  app.add_option("--batch", batch, "windows per forward batch")->capture_default_str()
      ->check(prunekit::cli::Integer(1, INT32_MAX));
  app.add_option("--max-windows", max_windows, "evaluate at most this many windows (default 0: all)")
      ->check(prunekit::cli::Integer(0, INT64_MAX));
  prunekit::cli::add_device_flag(app, &device);
  app.add_option("--json", json_out, "also write the result as JSON to this file");
  app.add_flag("--quiet", quiet, "no progress or notes (--log-level warn)");
  prunekit::add_threads_flag(app, &threads);
  int code = 0;
  if (!prunekit::parse_cli(app, argc, argv, &code)) return code;

  return prunekit::guarded_main("eval-ppl", [&] {
    prunekit::set_threads(threads);
    const prunekit::ComputeDevice compute_device = prunekit::cli::device_from_flag(device);
    if (!json_out.empty()) prunekit::check_writable(json_out, "--json");
    prunekit::Checkpoint ck(model_dir);
    prunekit::Tokenizer tok(model_dir);
    const std::string text = prunekit::read_eval_text(dataset);
    const std::vector<int> ids = tok.encode(text, /*add_bos=*/true);
    prunekit::PerplexityOptions opt;
    opt.seqlen = seqlen;
    opt.batch = batch;
    opt.max_windows = max_windows;
    opt.dtype = prunekit::cli::parse_compute_dtype("--dtype", dtype);
    opt.quiet = quiet;
    opt.device = compute_device;
    prunekit::PerplexityResult r = prunekit::evaluate_perplexity(ck, ids, opt);
    const double rss = prunekit::peak_rss_mb();
    std::printf("ppl %.4f  windows %lld  tokens %lld of %lld  seqlen %lld  %.0f tokens/s  peak RSS %.0f MiB\n",
                r.ppl, (long long)r.windows, (long long)r.tokens_evaluated, (long long)r.corpus_tokens,
                (long long)r.seqlen, r.tokens_per_s, rss);
    if (!json_out.empty()) {
      nlohmann::json j = {{"ppl", r.ppl},           {"windows", r.windows},
                          {"tokens_evaluated", r.tokens_evaluated}, {"corpus_tokens", r.corpus_tokens},
                          {"seqlen", r.seqlen},
                          {"tokens_per_s", r.tokens_per_s}, {"peak_rss_mb", rss},
                          {"seconds", r.seconds},   {"model", model_dir},
                          {"dataset", dataset},     {"dtype", dtype},
                          {"device", compute_device.name()}};
      prunekit::write_file_atomic(json_out, j.dump(2) + "\n");
    }
    return 0;
  });
}
