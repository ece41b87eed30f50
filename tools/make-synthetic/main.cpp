// make-synthetic: write a random LLaMA checkpoint with the real hyperparameters of a known model.
// Tensors are generated and written one at a time, so even llama-3-8b needs only one tensor in memory.
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
#include "prunekit/cli.h"
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
};

const std::map<std::string, Shape>& shapes() {
  static const std::map<std::string, Shape> s = {
      {"stories260K", {64, 172, 5, 8, 4, 512, 512, 10000.0, 1e-5, true, 1, 2, "f32"}},
      {"llama-90m", {1024, 2816, 8, 16, 4, 512, 2048, 10000.0, 1e-5, false, 1, 2, "f32"}},
      {"tinyllama-1.1b", {2048, 5632, 22, 32, 4, 32000, 2048, 10000.0, 1e-5, false, 1, 2, "bf16"}},
      {"llama-2-7b", {4096, 11008, 32, 32, 32, 32000, 4096, 10000.0, 1e-5, false, 1, 2, "f16"}},
      {"llama-3-8b", {4096, 14336, 32, 32, 8, 128256, 8192, 500000.0, 1e-5, false, 128000, 128001, "bf16"}},
  };
  return s;
}

DType parse_dtype(const std::string& s) {
  if (s == "f32") return DType::F32;
  if (s == "f16") return DType::F16;
  return DType::BF16;
}
const char* torch_dtype_name(DType d) {
  return d == DType::F32 ? "float32" : d == DType::F16 ? "float16" : "bfloat16";
}

nlohmann::ordered_json config_json(const Shape& s, DType dtype) {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"attention_bias", false},
          {"attention_dropout", 0.0},
          {"bos_token_id", s.bos},
          {"eos_token_id", s.eos},
          {"head_dim", s.hidden / s.heads},
          {"hidden_act", "silu"},
          {"hidden_size", s.hidden},
          {"initializer_range", 0.02},
          {"intermediate_size", s.intermediate},
          {"max_position_embeddings", s.max_pos},
          {"mlp_bias", false},
          {"model_type", "llama"},
          {"num_attention_heads", s.heads},
          {"num_hidden_layers", s.layers},
          {"num_key_value_heads", s.kv_heads},
          {"pretraining_tp", 1},
          {"rms_norm_eps", s.rms_eps},
          {"rope_scaling", nullptr},
          {"rope_theta", s.rope_theta},
          {"tie_word_embeddings", s.tied},
          {"torch_dtype", torch_dtype_name(dtype)},
          {"use_cache", true},
          {"vocab_size", s.vocab}};
}

struct Planned {
  WritePlanEntry entry;
  double std;  // 0: a norm weight, all ones
};

// Tensors in state_dict order. Scales keep activations O(1) through every layer: inputs of
// q/k/v/gate/up are RMS-normalised, so 1/sqrt(fan_in) gives unit outputs; o_proj and down_proj
// add into the residual, so they get a further 1/sqrt(2 * layers) (GPT-2 style).
std::vector<Planned> plan_for(const Shape& s, DType dtype) {
  const int64_t h = s.hidden, hd = s.hidden / s.heads, q = s.heads * hd, kv = s.kv_heads * hd;
  const int64_t f = s.intermediate;
  const double residual = 1.0 / std::sqrt(2.0 * static_cast<double>(s.layers));
  auto inv_sqrt = [](int64_t n) { return 1.0 / std::sqrt(static_cast<double>(n)); };
  std::vector<Planned> p;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, double std) {
    p.push_back({{name, dtype, std::move(shape)}, std});
  };
  add("model.embed_tokens.weight", {s.vocab, h}, 0.02);
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string l = "model.layers." + std::to_string(i) + ".";
    add(l + "self_attn.q_proj.weight", {q, h}, inv_sqrt(h));
    add(l + "self_attn.k_proj.weight", {kv, h}, inv_sqrt(h));
    add(l + "self_attn.v_proj.weight", {kv, h}, inv_sqrt(h));
    add(l + "self_attn.o_proj.weight", {h, q}, inv_sqrt(q) * residual);
    add(l + "mlp.gate_proj.weight", {f, h}, inv_sqrt(h));
    add(l + "mlp.up_proj.weight", {f, h}, inv_sqrt(h));
    add(l + "mlp.down_proj.weight", {h, f}, inv_sqrt(f) * residual);
    add(l + "input_layernorm.weight", {h}, 0.0);
    add(l + "post_attention_layernorm.weight", {h}, 0.0);
  }
  add("model.norm.weight", {h}, 0.0);
  if (!s.tied) add("lm_head.weight", {s.vocab, h}, inv_sqrt(h));
  return p;
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
  CLI::App app{"Write a random LLaMA checkpoint with the hyperparameters of a known model"};
  app.name("make-synthetic");
  std::string shape_name, dtype_name_s, out, max_shard = "2GB", tokenizer;
  uint64_t seed = 0;
  int threads = 0;
  int64_t layers = 0;
  std::vector<std::string> shape_names;
  for (const auto& [name, s] : shapes()) shape_names.push_back(name);
  app.add_option("--shape", shape_name, "model shape")->required()->check(CLI::IsMember(shape_names));
  app.add_option("--dtype", dtype_name_s, "stored dtype (default: the model's own)")
      ->check(CLI::IsMember({"bf16", "f16", "f32"}));
  app.add_option("--out", out, "output model directory (replaced only if it holds a previous make-synthetic or prunekit output)")->required();
  app.add_option("--seed", seed, "random seed (default 0)");
  app.add_option("--max-shard-size", max_shard, "shard size, e.g. 2GB, 500MB, 1GiB (default 2GB)");
  app.add_option("--tokenizer", tokenizer, "tokenizer.model to copy into the output");
  app.add_option("--layers", layers,
                 "decoder layers (default: the model's own); fewer gives the model's exact per-layer shapes "
                 "at a fraction of the size, e.g. for per-token speed of a 7B-class layer");
  add_threads_flag(app, &threads);
  int code = 0;
  if (!parse_cli(app, argc, argv, &code)) return code;

  return guarded_main("make-synthetic", [&]() {
    set_threads(threads);
    Shape s = shapes().at(shape_name);
    if (layers < 0) throw InputError("--layers: must be >= 1");
    if (layers > 0) s.layers = layers;
    const DType dtype = parse_dtype(dtype_name_s.empty() ? s.default_dtype : dtype_name_s);
    const uint64_t max_shard_bytes = parse_size(max_shard);
    if (!tokenizer.empty() && !file_exists(tokenizer))
      throw InputError("--tokenizer: " + tokenizer + " not found");
    Stopwatch clock;
    std::vector<Planned> planned = plan_for(s, dtype);
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
    writer.write_text("config.json", config_json(s, dtype).dump(2) + "\n");
    if (!tokenizer.empty()) copy_file_synced(tokenizer, writer.temp_path("tokenizer.model"));
    // The marker that lets a later run replace this directory.
    writer.write_text("prunekit/make_synthetic.json",
                      nlohmann::json{{"prunekit_version", PRUNEKIT_VERSION}, {"shape", shape_name},
                                     {"layers", s.layers}, {"dtype", dtype_name(dtype)}, {"seed", seed}}
                              .dump(2) +
                          "\n");
    writer.finish();

    int shards = 0;
    for (const auto& e : fs::directory_iterator(out)) shards += e.path().extension() == ".safetensors";
    std::printf("make-synthetic: wrote %s (%llu parameters, %s, %d shard%s) to %s in %.1fs\n", shape_name.c_str(),
                static_cast<unsigned long long>(params), dtype_name(dtype).c_str(), shards, shards == 1 ? "" : "s",
                out.c_str(), clock.seconds());
    return 0;
  });
}
