// generate: greedy text from a checkpoint, the quickest sanity check of a pruned model.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

#include "common/cli.h"
#include "prunekit/checkpoint.h"
#include "prunekit/cpu_kernels.h"
#include "prunekit/eval.h"
#include "prunekit/log.h"
#include "prunekit/model.h"
#include "prunekit/tokenizer.h"

int main(int argc, char** argv) {
  prunekit::init_process(argc, argv);
  CLI::App app{"generate: greedy decoding with a KV cache (stops on EOS/BOS or the position limit)",
               "generate"};
  std::string model_dir, prompt, dtype = "float32", json_out, device = "cpu";
  int64_t max_new = 0;
  int threads = 0;
  bool sparse_kernels = false;
  app.add_option("--model", model_dir, "HF checkpoint directory")->required();
  app.add_option("--prompt", prompt, "prompt text (BOS is prepended)")->required();
  app.add_option("--max-new-tokens", max_new, "stop after this many new tokens (default 0: position limit)")
      ->check(prunekit::cli::Integer(0, INT64_MAX));
  app.add_option("--dtype", dtype, "compute dtype: float32|bfloat16")->capture_default_str()
      ->check(prunekit::cli::ComputeDtype());
  app.add_option("--json", json_out, "write {prompt_ids, ids, text} to this file");
  app.add_flag("--sparse-kernels", sparse_kernels,
               "run the 2:4-sparse Linears on prunekit's packed 2:4 CPU kernels (weights held in bf16; "
               "Linears that are not 2:4 stay dense)");
  prunekit::cli::add_device_flag(app, &device);
  prunekit::add_threads_flag(app, &threads);
  int code = 0;
  if (!prunekit::parse_cli(app, argc, argv, &code)) return code;

  return prunekit::guarded_main("generate", [&] {
    prunekit::set_threads(threads);
    const prunekit::ComputeDevice compute_device = prunekit::cli::device_from_flag(device);
    if (sparse_kernels && !compute_device.cpu_kernels())
      throw prunekit::cli::UsageError("--sparse-kernels: prunekit's 2:4 kernels are CPU kernels; not with --device " +
                                      device);
    if (!json_out.empty()) prunekit::check_writable(json_out, "--json");
    prunekit::Checkpoint ck(model_dir);
    prunekit::Tokenizer tok(model_dir);
    prunekit::LlamaModel model(ck, prunekit::cli::parse_compute_dtype("--dtype", dtype), compute_device);
    if (sparse_kernels) {
      const prunekit::KernelSwap swap = prunekit::use_cpu_kernels(model, prunekit::KernelMode::Sparse24, /*include_lm_head=*/false);
      if (swap.swapped == 0)
        throw prunekit::InputError("--sparse-kernels: no Linear of " + model_dir +
                                   " is 2:4 sparse (prune it with --pattern 2:4 first)");
      prunekit::log::info("{}", prunekit::describe(swap, prunekit::KernelMode::Sparse24));
    }
    const std::vector<int> prompt_ids = tok.encode(prompt, true);
    const std::vector<int> ids = prunekit::greedy_generate(model, prompt_ids, max_new);
    const std::string text = tok.decode(ids);
    std::printf("%s\n", text.c_str());
    if (!json_out.empty()) {
      nlohmann::json j = {{"prompt_ids", prompt_ids}, {"ids", ids}, {"text", text}};
      prunekit::write_file_atomic(json_out, j.dump() + "\n");
    }
    return 0;
  });
}
