// bench-sparse model: end-to-end prefill and decode tokens/s, dense checkpoint vs its 2:4 twin.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>

#include "prunekit/bench.h"
#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/cpu_kernels.h"
#include "prunekit/log.h"
#include "prunekit/model.h"

namespace prunekit {
namespace bench {

const char* const kPathSparseTorch = "sparse24_torch_f32";

namespace {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int64_t bytes_of(const at::Tensor& t) { return t.defined() ? t.numel() * t.element_size() : 0; }

// Loads the model one path runs on, with its kernels installed.
std::unique_ptr<LlamaModel> load_path(const ModelBenchOptions& opt, const std::string& path, ModelPathInfo* info) {
  const bool sparse = path == kPathSparseOurs || path == kPathSparseTorch;
  const std::string dir = sparse && !opt.sparse_model_dir.empty() ? opt.sparse_model_dir : opt.model_dir;
  info->path = path;
  info->checkpoint = dir;
  Stopwatch sw;
  Checkpoint ck(dir);
  auto model = std::make_unique<LlamaModel>(ck, path == kPathTorchBf16 ? at::kBFloat16 : at::kFloat);
  if (sparse && opt.sparse_model_dir.empty()) {
    prune_24_by_magnitude(*model);
    info->checkpoint += " (2:4 by magnitude on the fly)";
  }
  info->kernels = "LibTorch";
  int64_t bytes = 0;
  if (path == kPathDenseOurs || path == kPathSparseOurs) {
    const KernelMode mode = path == kPathSparseOurs ? KernelMode::Sparse24 : KernelMode::DenseBf16;
    const KernelSwap swap = use_cpu_kernels(*model, mode, /*include_lm_head=*/true, opt.isa);
    if (mode == KernelMode::Sparse24 && swap.swapped == 0)
      throw InvalidSetting("sparse_model", dir, "no Linear is 2:4 sparse (prune it to 2:4 first)");
    info->kernels = describe(swap, mode);
    bytes = swap.bytes_after + swap.lm_head_bytes;
  } else {
    for (const LayerWeights& w : model->layers())
      for (int id = 0; id < kNumLinears; ++id) bytes += bytes_of(w.weight[id]);
    bytes += bytes_of(model->head().lm_head);
  }
  info->weight_bytes = bytes;
  // Warm-up: touch every weight once and start the thread pools.
  model->forward(at::zeros({1, 4}, at::kLong), nullptr, true);
  info->load_s = sw.seconds();
  return model;
}

at::Tensor random_ids(int64_t batch, int64_t len, int64_t vocab, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  // Avoid ids 0-2 (unk/bos/eos in LLaMA vocabularies): plain text tokens.
  return at::randint(3, std::max<int64_t>(4, vocab), {batch, len}, gen, at::kLong);
}

}  // namespace

std::vector<ModelResult> run_model_bench(const ModelBenchOptions& opt, std::vector<ModelPathInfo>* infos,
                                         const std::function<void(const ModelResult&)>& on_result) {
  std::vector<std::string> paths = opt.paths;
  if (paths.empty()) paths = {kPathTorchF32, kPathTorchBf16, kPathDenseOurs, kPathSparseOurs};
  at::NoGradGuard no_grad;
  std::vector<ModelResult> results;
  for (const std::string& path : paths) {
    ModelPathInfo info;
    std::unique_ptr<LlamaModel> model = load_path(opt, path, &info);
    const LlamaConfig& cfg = model->config();
    log::info("model: {}: {}; {:.2f} GiB of weights per token; loaded in {:.1f} s", path, info.kernels,
              static_cast<double>(info.weight_bytes) / (1 << 30), info.load_s);
    for (int64_t batch : opt.batch) {
      for (int64_t len : opt.prefill) {
        if (len > cfg.max_position_embeddings) continue;
        const at::Tensor ids = random_ids(batch, len, cfg.vocab_size, opt.seed);
        std::vector<double> times;
        double spent = 0;
        while (static_cast<int>(times.size()) < std::max(1, opt.repeats) && (times.empty() || spent < opt.max_seconds)) {
          std::vector<KVCache> caches = model->new_caches();
          Stopwatch sw;
          model->forward(ids, &caches, /*last_only=*/true);
          times.push_back(sw.seconds());
          spent += times.back();
        }
        ModelResult r;
        r.phase = "prefill";
        r.path = path;
        r.batch = batch;
        r.tokens = len;
        r.runs = static_cast<int>(times.size());
        r.median_ms = median_of(times) * 1e3;
        r.tokens_per_s = static_cast<double>(batch * len) / (r.median_ms / 1e3);
        results.push_back(r);
        if (on_result) on_result(r);
      }
      if (opt.decode > 0 && opt.decode_context + opt.decode <= cfg.max_position_embeddings) {
        // Fill the cache with the context, then time each greedy step (batch new tokens).
        std::vector<KVCache> caches = model->new_caches();
        at::Tensor logits = model->forward(random_ids(batch, std::max<int64_t>(1, opt.decode_context), cfg.vocab_size,
                                                      opt.seed + 1),
                                           &caches, true);
        std::vector<double> steps;
        for (int64_t s = 0; s < opt.decode; ++s) {
          const at::Tensor next = logits.argmax(-1).view({batch, 1});
          Stopwatch sw;
          logits = model->forward(next, &caches, true);
          steps.push_back(sw.seconds());
        }
        ModelResult r;
        r.phase = "decode";
        r.path = path;
        r.batch = batch;
        r.tokens = opt.decode;
        r.context = std::max<int64_t>(1, opt.decode_context);
        r.runs = static_cast<int>(steps.size());
        r.median_ms = median_of(steps) * 1e3;
        r.tokens_per_s = static_cast<double>(batch) / (r.median_ms / 1e3);
        results.push_back(r);
        if (on_result) on_result(r);
      }
    }
    infos->push_back(info);
    model.reset();  // one path's weights in memory at a time
  }
  for (ModelResult& r : results) {
    double best_dense = 0;
    for (const ModelResult& o : results)
      if (o.phase == r.phase && o.batch == r.batch && o.tokens == r.tokens && is_dense_path(o.path) && o.median_ms > 0)
        best_dense = best_dense == 0 ? o.median_ms : std::min(best_dense, o.median_ms);
    if (best_dense > 0 && r.median_ms > 0) r.speedup = best_dense / r.median_ms;
  }
  return results;
}

std::string model_markdown(const std::vector<ModelResult>& results, const std::vector<ModelPathInfo>& infos) {
  std::ostringstream md;
  md << "| phase | batch | tokens |";
  for (const ModelPathInfo& p : infos) md << " " << p.path << " tok/s |";
  const bool has_sparse = std::any_of(infos.begin(), infos.end(), [](const ModelPathInfo& p) { return p.path == kPathSparseOurs; });
  if (has_sparse) md << " 2:4 speed-up vs fastest dense |";
  md << "\n|---|---:|---:|";
  for (size_t i = 0; i < infos.size(); ++i) md << "---:|";
  if (has_sparse) md << "---:|";
  md << "\n";
  // Rows in the order measured by the first path.
  std::vector<std::tuple<std::string, int64_t, int64_t>> rows;
  for (const ModelResult& r : results) {
    auto key = std::make_tuple(r.phase, r.batch, r.tokens);
    if (std::find(rows.begin(), rows.end(), key) == rows.end()) rows.push_back(key);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) > std::get<0>(b) : false;  // prefill first
  });
  char buf[64];
  for (const auto& row : rows) {
    md << "| " << std::get<0>(row) << " | " << std::get<1>(row) << " | " << std::get<2>(row);
    if (std::get<0>(row) == "decode") {
      for (const ModelResult& r : results)
        if (r.phase == "decode" && r.batch == std::get<1>(row) && r.tokens == std::get<2>(row)) {
          md << " (after " << r.context << ")";
          break;
        }
    }
    md << " |";
    const ModelResult* sparse = nullptr;
    for (const ModelPathInfo& p : infos) {
      const ModelResult* hit = nullptr;
      for (const ModelResult& r : results)
        if (r.path == p.path && r.phase == std::get<0>(row) && r.batch == std::get<1>(row) && r.tokens == std::get<2>(row))
          hit = &r;
      if (hit) {
        std::snprintf(buf, sizeof buf, " %.1f |", hit->tokens_per_s);
        md << buf;
      } else {
        md << " - |";
      }
      if (hit && p.path == kPathSparseOurs) sparse = hit;
    }
    if (has_sparse) {
      if (sparse && sparse->speedup > 0) {
        std::snprintf(buf, sizeof buf, " **%.2fx** |", sparse->speedup);
        md << buf;
      } else {
        md << " - |";
      }
    }
    md << "\n";
  }
  md << "\nPaths: ";
  for (size_t i = 0; i < infos.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(infos[i].weight_bytes) / (1 << 30));
    md << (i ? "; " : "") << "`" << infos[i].path << "` (" << infos[i].kernels << ", " << buf << " of weights read per token)";
  }
  md << ".\n";
  return md.str();
}

nlohmann::json model_json(const MachineInfo& m, const ModelBenchOptions& opt, const std::vector<ModelResult>& results,
                          const std::vector<ModelPathInfo>& infos) {
  nlohmann::json j;
  j["machine"] = {{"cpu", m.cpu},   {"cores", m.cores}, {"threads", m.threads}, {"isa", m.isa},
                  {"torch", m.torch}, {"blas_core", m.blas_core}, {"env", m.env}};
  j["options"] = {{"model", opt.model_dir},         {"sparse_model", opt.sparse_model_dir},
                  {"prefill", opt.prefill},         {"decode", opt.decode},
                  {"decode_context", opt.decode_context}, {"batch", opt.batch},
                  {"repeats", opt.repeats},         {"max_seconds", opt.max_seconds}};
  j["paths"] = nlohmann::json::array();
  for (const ModelPathInfo& p : infos)
    j["paths"].push_back({{"path", p.path}, {"checkpoint", p.checkpoint}, {"kernels", p.kernels},
                          {"weight_bytes", p.weight_bytes}, {"load_s", p.load_s}});
  j["results"] = nlohmann::json::array();
  for (const ModelResult& r : results)
    j["results"].push_back({{"phase", r.phase}, {"path", r.path}, {"batch", r.batch}, {"tokens", r.tokens},
                            {"context", r.context}, {"runs", r.runs}, {"median_ms", r.median_ms},
                            {"tokens_per_s", r.tokens_per_s}, {"speedup", r.speedup}});
  return j;
}

}  // namespace bench
}  // namespace prunekit
