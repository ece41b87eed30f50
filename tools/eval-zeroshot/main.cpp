// eval-zeroshot: zero-shot multiple-choice accuracy with lm-evaluation-harness semantics
// (shared/data/zeroshot/README.md): acc and acc_norm per task, their mean, optional JSON.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "prunekit/checkpoint.h"
#include "prunekit/cli.h"
#include "prunekit/model.h"
#include "prunekit/tokenizer.h"
#include "prunekit/zeroshot.h"

namespace {

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  if (!list.empty() && list.back() == ',') out.push_back("");
  return out;
}

// "path/to/stories260K/" -> "stories260K"
std::string base_name(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  prunekit::init_process(argc, argv);
  CLI::App app{"eval-zeroshot: zero-shot multiple-choice accuracy (lm-eval semantics)", "eval-zeroshot"};
  std::string model_dir, task_list, data_dir, json_out, dtype = "float32";
  int64_t limit = 0, batch = 16, doc_workers = 0;
  int threads = 0;
  bool quiet = false;
  app.add_option("--model", model_dir, "HF checkpoint directory")->required();
  app.add_option("--tasks", task_list,
                 "comma-separated task names; each reads <data-dir>/<name>.jsonl (boolq, rte, hellaswag, "
                 "arc_easy, arc_challenge, piqa, openbookqa, winogrande, or a generic "
                 "{\"context\",\"choices\",\"gold\"} file)")
      ->required();
  app.add_option("--data-dir", data_dir,
                 "task files (default: $PRUNEKIT_SHARED/data/zeroshot, else ../shared/data/zeroshot)");
  app.add_option("--limit", limit, "first N documents per task (0: all)");
  app.add_option("--batch", batch, "continuation rows per forward")->capture_default_str();
  app.add_option("--json", json_out, "also write the result as JSON to this file");
  app.add_option("--dtype", dtype, "compute dtype: float32|bfloat16")->capture_default_str();
  app.add_option("--doc-workers", doc_workers,
                 "documents scored concurrently (0: auto, all threads for small models, else 1)");
  app.add_flag("--quiet", quiet, "no progress bar");
  prunekit::add_threads_flag(app, &threads);
  int code = 0;
  if (!prunekit::parse_cli(app, argc, argv, &code)) return code;

  return prunekit::guarded_main("eval-zeroshot", [&] {
    prunekit::set_threads(threads);
    if (batch < 1) throw prunekit::InputError("--batch: must be >= 1");
    if (limit < 0) throw prunekit::InputError("--limit: must be >= 0");
    if (doc_workers < 0) throw prunekit::InputError("--doc-workers: must be >= 0");
    const at::ScalarType compute = prunekit::parse_compute_dtype(dtype);
    dtype = compute == at::kFloat ? "float32" : "bfloat16";
    const std::vector<std::string> tasks = split_commas(task_list);
    if (tasks.empty()) throw prunekit::InputError("--tasks: no task given");
    if (!json_out.empty()) prunekit::check_writable(json_out, "--json");
    // Fail on a missing task file before loading the model.
    for (const std::string& t : tasks) prunekit::resolve_task_file(t, data_dir);

    prunekit::Checkpoint ck(model_dir);
    prunekit::Tokenizer tok(model_dir);
    prunekit::LlamaModel model(ck, compute);
    prunekit::ZeroShotOptions opt;
    opt.data_dir = data_dir;
    opt.limit = limit;
    opt.batch = batch;
    opt.doc_workers = doc_workers;
    opt.quiet = quiet;
    const prunekit::ZeroShotResult r = prunekit::evaluate_zeroshot(model, tok, tasks, opt);
    std::printf("%s", prunekit::zeroshot_table(r).c_str());
    std::printf("%lld items in %.1fs (%.1f items/s), max_length %lld, %s\n", static_cast<long long>(r.items),
                r.seconds, double(r.items) / std::max(r.seconds, 1e-9), static_cast<long long>(r.max_length),
                dtype.c_str());
    if (!json_out.empty()) {
      prunekit::write_file_atomic(json_out, prunekit::zeroshot_json(r, base_name(model_dir), dtype).dump(1) + "\n");
    }
    return 0;
  });
}
