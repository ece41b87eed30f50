// inspect: what a checkpoint holds: per-module shape, dtype, sparsity and N:M compliance.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

#include "common/cli.h"
#include "prunekit/checkpoint.h"
#include "prunekit/model.h"
#include "prunekit/prune.h"

int main(int argc, char** argv) {
  prunekit::init_process(argc, argv);
  CLI::App app{"inspect: per-module sparsity and N:M compliance of a checkpoint's decoder Linears", "inspect"};
  std::string model_dir, pattern, json_out;
  app.add_option("--model", model_dir, "HF checkpoint directory")->required();
  app.add_option("--pattern", pattern, "also report compliance with this N:M pattern (2:4 and 4:8 always)")
      ->check(prunekit::cli::Pattern());
  app.add_option("--json", json_out, "write the table as JSON");
  int threads = 0;
  prunekit::add_threads_flag(app, &threads);
  int code = 0;
  if (!prunekit::parse_cli(app, argc, argv, &code)) return code;

  return prunekit::guarded_main("inspect", [&] {
    prunekit::set_threads(threads);
    if (!json_out.empty()) prunekit::check_writable(json_out, "--json");
    prunekit::Checkpoint ck(model_dir);
    ck.require_llama_tensors();
    std::vector<std::pair<int, int>> patterns = {{2, 4}, {4, 8}};
    if (!pattern.empty()) {
      const auto [n, m] = prunekit::cli::parse_nm("--pattern", pattern);
      if (!((n == 2 && m == 4) || (n == 4 && m == 8))) patterns.push_back({n, m});
    }
    const auto& cfg = ck.config();
    nlohmann::json modules = nlohmann::json::object();
    int64_t zeros_total = 0, numel_total = 0;
    std::printf("%-40s %-12s %-5s %9s", "module", "shape", "dtype", "sparsity");
    for (auto [n, m] : patterns) std::printf("  %d:%d ok", n, m);
    std::printf("\n");
    for (int l = 0; l < cfg.num_hidden_layers; ++l) {
      for (int i = 0; i < prunekit::kNumLinears; ++i) {
        const std::string name = prunekit::linear_prefix(l, i) + ".weight";
        const auto& info = ck.info(name);
        at::Tensor w = ck.load(name, at::kFloat);
        const int64_t zeros = (w == 0).sum().item<int64_t>();
        zeros_total += zeros;
        numel_total += w.numel();
        nlohmann::json m = {{"shape", info.shape}, {"dtype", prunekit::dtype_name(info.dtype)},
                            {"zeros", zeros}, {"sparsity", double(zeros) / double(w.numel())}};
        char shape[32];
        std::snprintf(shape, sizeof shape, "%lldx%lld", (long long)w.size(0), (long long)w.size(1));
        std::printf("%-40s %-12s %-5s %9.6f", name.c_str(), shape, prunekit::dtype_name(info.dtype).c_str(),
                    m["sparsity"].get<double>());
        for (auto [n, mm] : patterns) {
          const double share = prunekit::nm_compliance(w != 0, n, mm);
          m["nm_" + std::to_string(n) + "_" + std::to_string(mm) + "_compliance"] = share;
          std::printf("  %6.2f%%", 100.0 * share);
        }
        std::printf("\n");
        modules[name] = m;
        ck.release(name);
      }
    }
    const double total = double(zeros_total) / double(numel_total);
    std::printf("total sparsity of the %lld prunable weights: %.6f\n", (long long)numel_total, total);
    if (!json_out.empty()) {
      prunekit::write_file_atomic(json_out, nlohmann::json{{"model", model_dir},
                                                           {"total_sparsity", total},
                                                           {"prunable_weights", numel_total},
                                                           {"zeros", zeros_total},
                                                           {"modules", modules}}
                                                .dump(2) +
                                                "\n");
    }
    return 0;
  });
}
