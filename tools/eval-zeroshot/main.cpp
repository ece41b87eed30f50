// eval-zeroshot: multiple-choice accuracy with lm-evaluation-harness semantics
// (tests/fixtures/data/zeroshot/README.md, docs/CONVENTIONS.md section 10): acc and acc_norm per
// task, their mean; JSON in our layout or lm-eval's results shape, lm-eval's per-sample log,
// few-shot contexts.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "common/cli.h"
#include "prunekit/checkpoint.h"
#include "prunekit/model.h"
#include "prunekit/tokenizer.h"
#include "prunekit/zeroshot.h"

namespace {

// "path/to/stories260K/" -> "stories260K"
std::string base_name(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Write beside the target and rename, so a reader never sees a half-written file.
}  // namespace

int main(int argc, char** argv) {
  prunekit::init_process(argc, argv);
  CLI::App app{"eval-zeroshot: zero-shot multiple-choice accuracy (lm-eval semantics)", "eval-zeroshot"};
  std::string model_dir, task_list, data_dir, json_out, dtype = "float32", output_format = "prunekit", samples_out,
      device = "cpu";
  int64_t limit = 0, batch = 16, doc_workers = 0, num_fewshot = 0;
  uint64_t fewshot_seed = 1234;
  int threads = 0;
  bool quiet = false;
  app.add_option("--model", model_dir, "HF checkpoint directory")->required();
  app.add_option("--tasks", task_list,
                 "comma-separated task names; each reads <data-dir>/<name>.jsonl (boolq, rte, hellaswag, "
                 "arc_easy, arc_challenge, piqa, openbookqa, winogrande, or a generic "
                 "{\"context\",\"choices\",\"gold\"} file)")
      ->required()
      ->check(prunekit::cli::List());
  app.add_option("--data-dir", data_dir,
                 "task files (default: $PRUNEKIT_SHARED/data/zeroshot, else ../shared/data/zeroshot, else this "
                 "checkout's tests/fixtures/data/zeroshot)");
  app.add_option("--limit", limit, "first N documents per task (default 0: all)")
      ->check(prunekit::cli::Integer(0, INT64_MAX));
  app.add_option("--batch", batch, "continuation rows per forward")->capture_default_str()
      ->check(prunekit::cli::Integer(1, INT32_MAX));
  app.add_option("--json", json_out, "also write the result as JSON to this file");
  app.add_option("--output-format", output_format,
                 "layout of --json: prunekit (ours) or lm-eval (lm-evaluation-harness's results file: "
                 "results[task][\"acc,none\"], configs, versions, n-samples, ...)")
      ->capture_default_str()
      ->check(CLI::IsMember({"prunekit", "lm-eval"}));
  app.add_option("--log-samples", samples_out,
                 "write one JSON line per document (lm-eval's --log_samples shape: doc, arguments, "
                 "per-choice loglikelihood and is_greedy, target, acc) to this file");
  app.add_option("--num-fewshot", num_fewshot,
                 "solved examples before each document, drawn as lm-eval does from <data-dir>/<task>.train.jsonl, "
                 "else from the task file itself (the document excluded)")
      ->capture_default_str()
      ->check(prunekit::cli::Integer(0, 1000));
  app.add_option("--fewshot-seed", fewshot_seed, "seed of the few-shot draw (lm-eval's fewshot_random_seed)")
      ->capture_default_str();
  app.add_option("--dtype", dtype, "compute dtype: float32|bfloat16")->capture_default_str()
      ->check(prunekit::cli::ComputeDtype());
  prunekit::cli::add_device_flag(app, &device);
  app.add_option("--doc-workers", doc_workers,
                 "documents scored concurrently (0: auto, all threads for small models, else 1)")
      ->check(prunekit::cli::Integer(0, 4096));
  app.add_flag("--quiet", quiet, "no progress or notes (--log-level warn)");
  prunekit::add_threads_flag(app, &threads);
  int code = 0;
  if (!prunekit::parse_cli(app, argc, argv, &code)) return code;

  return prunekit::guarded_main("eval-zeroshot", [&] {
    prunekit::set_threads(threads);
    const prunekit::ComputeDevice compute_device = prunekit::cli::device_from_flag(device);
    if (output_format == "lm-eval" && json_out.empty())
      throw prunekit::InputError("--output-format lm-eval: give --json FILE for the results file");
    if (!json_out.empty()) prunekit::check_writable(json_out, "--json");
    if (!samples_out.empty()) prunekit::check_writable(samples_out, "--log-samples");
    const at::ScalarType compute = prunekit::cli::parse_compute_dtype("--dtype", dtype);
    dtype = compute == at::kFloat ? "float32" : "bfloat16";
    const std::vector<std::string> tasks = prunekit::cli::parse_list("--tasks", task_list);
    if (!json_out.empty()) prunekit::check_writable(json_out, "--json");
    // Fail on a missing task file before loading the model.
    for (const std::string& t : tasks) prunekit::resolve_task_file(t, data_dir);

    prunekit::Checkpoint ck(model_dir);
    prunekit::Tokenizer tok(model_dir);
    prunekit::LlamaModel model(ck, compute, compute_device);
    prunekit::ZeroShotOptions opt;
    opt.data_dir = data_dir;
    opt.limit = limit;
    opt.batch = batch;
    opt.doc_workers = doc_workers;
    opt.quiet = quiet;
    opt.num_fewshot = num_fewshot;
    opt.fewshot_seed = fewshot_seed;
    opt.keep_samples = !samples_out.empty();
    const double started = double(std::time(nullptr));
    const prunekit::ZeroShotResult r = prunekit::evaluate_zeroshot(model, tok, tasks, opt);
    std::printf("%s", prunekit::zeroshot_table(r).c_str());
    std::printf("%lld items in %.1fs (%.1f items/s), max_length %lld, %s\n", static_cast<long long>(r.items),
                r.seconds, double(r.items) / std::max(r.seconds, 1e-9), static_cast<long long>(r.max_length),
                dtype.c_str());
    if (!json_out.empty() && output_format == "lm-eval") {
      prunekit::LmEvalRunInfo run;
      run.model_dir = model_dir;
      run.dtype = dtype;
      run.device = compute_device.name();
      run.batch = batch;
      for (const std::string& name : ck.names())  // parameters counted once (a tied lm_head copy is not one)
        if (!(name == "lm_head.weight" && ck.config().tie_word_embeddings)) run.num_parameters += ck.info(name).numel();
      run.date = started;
      prunekit::write_file_atomic(json_out, prunekit::lm_eval_results_json(r, run).dump(2) + "\n");
    } else if (!json_out.empty()) {
      prunekit::write_file_atomic(json_out, prunekit::zeroshot_json(r, base_name(model_dir), dtype).dump(1) + "\n");
    }
    if (!samples_out.empty()) prunekit::write_file_atomic(samples_out, prunekit::lm_eval_samples_jsonl(r));
    return 0;
  });
}
