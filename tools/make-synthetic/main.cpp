// make-synthetic: write a random checkpoint (Llama, Qwen2 or Qwen3 architecture) with the real
// hyperparameters of a known model. Tensors are generated and written one at a time, so even an
// 8B model needs only one tensor in memory. The tensor list is the config's own
// (LlamaConfig::expected_tensors), so the checkpoint is exactly what the loader expects.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "prunekit/checkpoint.h"
#include "common/cli.h"
#include "prunekit/common.h"

namespace fs = std::filesystem;
using namespace prunekit;

namespace {

struct Shape {
  int64_t hidden, intermediate, layers, heads, kv_heads, vocab, max_pos;
  double rope_theta, rms_eps;
  bool tied;
  int64_t bos, eos;
  const char* default_dtype;
  const char* arch = "llama";  // llama | qwen2 | qwen3
  int64_t head_dim = 0;        // 0: hidden / heads
  bool llama3_rope = false;    // Llama-3.1's rope_scaling {llama3, factor 8, 1, 4, 8192}
};

const std::map<std::string, Shape>& shapes() {
  static const std::map<std::string, Shape> s = {
      {"stories260K", {64, 172, 5, 8, 4, 512, 512, 10000.0, 1e-5, true, 1, 2, "f32"}},
      {"llama-90m", {1024, 2816, 8, 16, 4, 512, 2048, 10000.0, 1e-5, false, 1, 2, "f32"}},
      {"tinyllama-1.1b", {2048, 5632, 22, 32, 4, 32000, 2048, 10000.0, 1e-5, false, 1, 2, "bf16"}},
      {"llama-2-7b", {4096, 11008, 32, 32, 32, 32000, 4096, 10000.0, 1e-5, false, 1, 2, "f16"}},
      {"llama-3-8b", {4096, 14336, 32, 32, 8, 128256, 8192, 500000.0, 1e-5, false, 128000, 128001, "bf16"}},
      // meta-llama/Llama-3.1-8B, Qwen/Qwen2.5-7B, Qwen/Qwen3-8B config.json values.
      {"llama-3.1-8b", {4096, 14336, 32, 32, 8, 128256, 131072, 500000.0, 1e-5, false, 128000, 128001, "bf16",
                        "llama", 128, true}},
      {"qwen2.5-7b", {3584, 18944, 28, 28, 4, 152064, 131072, 1000000.0, 1e-6, false, 151643, 151643, "bf16",
                      "qwen2"}},
      {"qwen3-8b", {4096, 12288, 36, 32, 8, 151936, 40960, 1000000.0, 1e-6, false, 151643, 151645, "bf16",
                    "qwen3", 128}},
  };
  return s;
}

// The shape --arch alone stands for.
const char* default_shape_of(const std::string& arch) {
  return arch == "qwen2" ? "qwen2.5-7b" : arch == "qwen3" ? "qwen3-8b" : "llama-3.1-8b";
}

DType parse_dtype(const std::string& s) {
  if (s == "f32") return DType::F32;
  if (s == "f16") return DType::F16;
  return DType::BF16;
}
const char* torch_dtype_name(DType d) {
  return d == DType::F32 ? "float32" : d == DType::F16 ? "float16" : "bfloat16";
}

// config.json as transformers writes it for the architecture (the fields its config class has).
nlohmann::ordered_json config_json(const Shape& s, DType dtype) {
  const std::string arch = s.arch;
  const int64_t head_dim = s.head_dim > 0 ? s.head_dim : s.hidden / s.heads;
  nlohmann::ordered_json c;
  c["architectures"] = {arch == "qwen2" ? "Qwen2ForCausalLM" : arch == "qwen3" ? "Qwen3ForCausalLM" : "LlamaForCausalLM"};
  if (arch != "qwen2") c["attention_bias"] = false;
  c["attention_dropout"] = 0.0;
  c["bos_token_id"] = s.bos;
  c["eos_token_id"] = s.eos;
  if (arch != "qwen2") c["head_dim"] = head_dim;
  c["hidden_act"] = "silu";
  c["hidden_size"] = s.hidden;
  c["initializer_range"] = 0.02;
  c["intermediate_size"] = s.intermediate;
  c["max_position_embeddings"] = s.max_pos;
  if (arch == "llama") c["mlp_bias"] = false;
  if (arch != "llama") c["max_window_layers"] = s.layers;
  c["model_type"] = arch;
  c["num_attention_heads"] = s.heads;
  c["num_hidden_layers"] = s.layers;
  c["num_key_value_heads"] = s.kv_heads;
  if (arch == "llama") c["pretraining_tp"] = 1;
  c["rms_norm_eps"] = s.rms_eps;
  if (s.llama3_rope)
    c["rope_scaling"] = {{"factor", 8.0}, {"high_freq_factor", 4.0}, {"low_freq_factor", 1.0},
                         {"original_max_position_embeddings", 8192}, {"rope_type", "llama3"}};
  else
    c["rope_scaling"] = nullptr;
  c["rope_theta"] = s.rope_theta;
  if (arch != "llama") {
    c["sliding_window"] = arch == "qwen2" ? nlohmann::ordered_json(s.max_pos) : nlohmann::ordered_json(nullptr);
    c["use_sliding_window"] = false;
  }
  c["tie_word_embeddings"] = s.tied;
  c["torch_dtype"] = torch_dtype_name(dtype);
  c["use_cache"] = true;
  c["vocab_size"] = s.vocab;
  return c;
}

struct Planned {
  WritePlanEntry entry;
  double std;  // 0: a norm weight, all ones
};

// The config's tensors in state_dict order (a tied lm_head is not stored, as save_pretrained).
// Scales keep activations O(1) through every layer: inputs of q/k/v/gate/up are RMS-normalised,
// so 1/sqrt(fan_in) gives unit outputs; o_proj and down_proj add into the residual, so they get
// a further 1/sqrt(2 * layers) (GPT-2 style). Norms are ones, biases small.
std::vector<Planned> plan_for(const LlamaConfig& cfg, DType dtype) {
  const double residual = 1.0 / std::sqrt(2.0 * static_cast<double>(cfg.num_hidden_layers));
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  std::vector<Planned> p;
  for (const ExpectedTensor& e : cfg.expected_tensors()) {
    double std = 0.0;
    if (e.name == "lm_head.weight") {
      if (cfg.tie_word_embeddings) continue;
      std = 1.0 / std::sqrt(static_cast<double>(e.shape[1]));
    } else if (e.name == "model.embed_tokens.weight") {
      std = 0.02;
    } else if (ends_with(e.name, ".bias")) {
      std = 0.02;
    } else if (e.shape.size() == 2) {
      std = 1.0 / std::sqrt(static_cast<double>(e.shape[1]));
      if (ends_with(e.name, "o_proj.weight") || ends_with(e.name, "down_proj.weight")) std *= residual;
    }
    p.push_back({{e.name, dtype, e.shape}, std});
  }
  return p;
}

// --tokenizer: a file (tokenizer.model or tokenizer.json) or a directory whose tokenizer files
// are all copied (tokenizer.json, tokenizer.model, tokenizer_config.json, special_tokens_map.json).
std::vector<std::pair<std::string, std::string>> tokenizer_files(const std::string& src) {
  std::vector<std::pair<std::string, std::string>> out;  // source path, name in the model dir
  if (fs::is_directory(src)) {
    for (const char* f : {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"})
      if (file_exists(src + "/" + f)) out.push_back({src + "/" + f, f});
    if (out.empty() || (out[0].second != "tokenizer.json" && out[0].second != "tokenizer.model"))
      throw InputError("--tokenizer: " + src + " holds no tokenizer.json or tokenizer.model");
  } else if (file_exists(src)) {
    const std::string base = fs::path(src).filename().string();
    out.push_back({src, base == "tokenizer.json" ? "tokenizer.json" : "tokenizer.model"});
  } else {
    throw InputError("--tokenizer: " + src + " not found");
  }
  return out;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// normal(0, std) in `dtype`, drawn in f32 chunks with one generator per chunk: the result depends
// only on (seed, tensor, chunk), never on the thread count.
at::Tensor random_normal(const std::vector<int64_t>& shape, double std, uint64_t seed, at::ScalarType dtype) {
  at::Tensor out = at::empty(shape, at::TensorOptions().dtype(dtype));
  at::Tensor flat = out.view({-1});
  const int64_t n = flat.numel(), chunk = int64_t(1) << 20;
  at::parallel_for(0, (n + chunk - 1) / chunk, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const int64_t lo = c * chunk, len = std::min(chunk, n - lo);
      at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(splitmix64(seed ^ splitmix64(c)));
      at::Tensor buf = at::empty({len}, at::kFloat);
      buf.normal_(0.0, std, gen);
      flat.slice(0, lo, lo + len).copy_(buf);
    }
  });
  return out;
}


}  // namespace

int main(int argc, char** argv) {
  prunekit::init_process(argc, argv);
  CLI::App app{"Write a random Llama/Qwen2/Qwen3 checkpoint with the hyperparameters of a known model"};
  app.name("make-synthetic");
  std::string shape_name, arch, dtype_name_s, out, max_shard = "2GB", tokenizer;
  uint64_t seed = 0;
  int threads = 0;
  int64_t layers = 0;
  std::vector<std::string> shape_names;
  for (const auto& [name, s] : shapes()) shape_names.push_back(name);
  app.add_option("--shape", shape_name, "model shape (default: the --arch's own 8B-class model)")
      ->check(CLI::IsMember(shape_names));
  app.add_option("--arch", arch,
                 "architecture: llama (Llama-3.1-8B shapes), qwen2 (Qwen2.5-7B), qwen3 (Qwen3-8B); with --shape, "
                 "that shape's sizes with this architecture's tensors (Qwen2 q/k/v biases, Qwen3 q/k norms)")
      ->check(CLI::IsMember({"llama", "qwen2", "qwen3"}));
  app.add_option("--dtype", dtype_name_s, "stored dtype (default: the model's own)")
      ->check(CLI::IsMember({"bf16", "f16", "f32"}));
  app.add_option("--out", out, "output model directory (replaced only if it holds a previous make-synthetic or prunekit output)")->required();
  app.add_option("--seed", seed, "random seed (default 0)")->check(cli::Integer(0, INT64_MAX));
  app.add_option("--max-shard-size", max_shard, "shard size, e.g. 2GB, 500MB, 1GiB (default 2GB)")
      ->check(cli::Size());
  app.add_option("--tokenizer", tokenizer,
                 "tokenizer to copy into the output: a tokenizer.model or tokenizer.json file, or a directory "
                 "(its tokenizer.json, tokenizer.model, tokenizer_config.json, special_tokens_map.json)");
  app.add_option("--layers", layers,
                 "decoder layers (default: the model's own); fewer gives the model's exact per-layer shapes "
                 "at a fraction of the size, e.g. for per-token speed of a 7B-class layer")
      ->check(cli::Integer(1, 65536));
  add_threads_flag(app, &threads);
  int code = 0;
  if (!parse_cli(app, argc, argv, &code)) return code;

  return guarded_main("make-synthetic", [&]() {
    set_threads(threads);
    if (shape_name.empty() && arch.empty()) throw InputError("--shape or --arch: one is required");
    Shape s = shapes().at(shape_name.empty() ? default_shape_of(arch) : shape_name);
    if (!arch.empty()) s.arch = arch.c_str();
    if (layers > 0) s.layers = layers;
    const DType dtype = parse_dtype(dtype_name_s.empty() ? s.default_dtype : dtype_name_s);
    const uint64_t max_shard_bytes = cli::parse_size("--max-shard-size", max_shard);
    const auto tokenizer_copies = tokenizer.empty() ? decltype(tokenizer_files("")){} : tokenizer_files(tokenizer);
    const std::string config_text = config_json(s, dtype).dump(2) + "\n";
    const LlamaConfig cfg = LlamaConfig::from_json_text(config_text, "make-synthetic config");
    Stopwatch clock;
    std::vector<Planned> planned = plan_for(cfg, dtype);
    std::vector<WritePlanEntry> plan;
    for (const Planned& p : planned) plan.push_back(p.entry);
    // Replacing a previous make-synthetic (or prunekit) output is fine; anything else is refused.
    OutputPolicy policy;
    policy.overwrite = true;
    CheckpointWriter writer(out, plan, max_shard_bytes, {}, policy);

    const at::ScalarType st = to_scalar_type(dtype);
    uint64_t params = 0;
    for (size_t i = 0; i < planned.size(); ++i) {
      const Planned& p = planned[i];
      at::Tensor t = p.std == 0.0 ? at::ones(p.entry.shape, at::TensorOptions().dtype(st))
                                  : random_normal(p.entry.shape, p.std, splitmix64(seed) + i, st);
      writer.add(p.entry.name, t);
      params += static_cast<uint64_t>(t.numel());
    }
    writer.write_text("config.json", config_text);
    for (const auto& [src, name] : tokenizer_copies) copy_file_synced(src, writer.temp_path(name));
    // The marker that lets a later run replace this directory.
    writer.write_text("prunekit/make_synthetic.json",
                      nlohmann::json{{"prunekit_version", PRUNEKIT_VERSION}, {"shape", shape_name},
                                     {"layers", s.layers}, {"dtype", dtype_name(dtype)}, {"seed", seed}}
                              .dump(2) +
                          "\n");
    writer.finish();

    int shards = 0;
    for (const auto& e : fs::directory_iterator(out)) shards += e.path().extension() == ".safetensors";
    const std::string what = (shape_name.empty() ? default_shape_of(arch) : shape_name) +
                             (arch.empty() ? "" : " as " + cfg.architecture);
    std::printf("make-synthetic: wrote %s (%llu parameters, %s, %d shard%s) to %s in %.1fs\n", what.c_str(),
                static_cast<unsigned long long>(params), dtype_name(dtype).c_str(), shards, shards == 1 ? "" : "s",
                out.c_str(), clock.seconds());
    return 0;
  });
}
