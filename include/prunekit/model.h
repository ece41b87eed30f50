// The LLaMA-family decoder forward (transformers' conventions; Llama, Mistral, Qwen2, Qwen3), one
// decoder layer at a time.
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "prunekit/checkpoint.h"
#include "prunekit/config.h"
#include "prunekit/device.h"

namespace prunekit {

// The seven Linears of a decoder layer, in upstream's order (CONVENTIONS.md section 1).
enum LinearId { kQ = 0, kK, kV, kO, kGate, kUp, kDown };
constexpr int kNumLinears = 7;
// "self_attn.q_proj", ..., "mlp.down_proj"
const char* linear_module(int id);
// "q_proj", ..., "down_proj"
const char* linear_short_name(int id);
// "model.layers.<layer>.<module>" (+ ".weight" / ".bias" by the caller)
std::string linear_prefix(int layer, int id);

// One decoder layer's parameters, owned, in the compute dtype (norm weights too).
struct LayerWeights {
  int index = -1;
  at::Tensor input_norm, post_norm;
  at::Tensor q_norm, k_norm;                   // [head_dim], Qwen3 only (undefined otherwise)
  std::array<at::Tensor, kNumLinears> weight;  // [out, in]
  std::array<at::Tensor, kNumLinears> bias;    // undefined when the config has none
};
LayerWeights load_layer(const Checkpoint& ck, int layer, at::ScalarType dtype);
// The same weights on `device` (converted on the CPU, then moved: the values are those of the CPU
// path); `w` itself on the CPU.
LayerWeights layer_to(const LayerWeights& w, const at::Device& device);
void release_layer(const Checkpoint& ck, int layer);

// Rotary tables for positions [0, max_len): cos/sin [max_len, head_dim] in fp32, with
// rope_scaling (linear, llama3) applied to the inverse frequencies as transformers does.
struct Rope {
  at::Tensor cos, sin;
  // Computed on the CPU and moved to `device` (the same tables on every device).
  Rope(const LlamaConfig& cfg, int64_t max_len, const at::Device& device = at::Device(at::kCPU));
};

// Per-layer KV cache for incremental decoding.
struct KVCache {
  at::Tensor k, v;  // [B, kv_heads, len, head_dim]
  int64_t len = 0;
};

// Called with each Linear's input (before the Linear) during a layer forward: [B, T, in].
using CaptureFn = std::function<void(int linear, const at::Tensor& input)>;
// Optional replacement for a Linear's matmul (e.g. packed 2:4 kernels): y = f(x) or undefined
// to fall back to the dense weight.
using LinearOverride = std::function<at::Tensor(int linear, const at::Tensor& x)>;

struct ForwardOptions {
  int64_t pos0 = 0;          // absolute position of x[:, 0]
  KVCache* cache = nullptr;  // append to and attend over the cache when set
  const CaptureFn* capture = nullptr;
  const LinearOverride* linear_override = nullptr;
};

// x: [B, T, hidden] in the compute dtype; returns the layer output, same shape and dtype.
at::Tensor layer_forward(const LlamaConfig& cfg, const LayerWeights& w, const at::Tensor& x,
                         const Rope& rope, const ForwardOptions& opt = {});

// Throws NumericalError naming the decoder layer when `hidden` (its output) holds a NaN or Inf:
// a bad weight or config then fails the run where it went wrong, not as "ppl nan" at the end.
void check_finite(const at::Tensor& hidden, int layer);

// Causal attention of one sequence as transformers' eager attention: q [nh, T, D], k/v
// [kvh, Tk, D] (head h uses kv head h / (nh / kvh)), query t at key position p = Tk - T + t sees
// keys j <= p, and with window > 0 only j > p - window (Mistral's sliding window); returns
// [T, nh * D]. Auto: the fused fp32 kernel (src/ops/kernels.h) for fp32 on CPU unless
// $PRUNEKIT_ATTENTION=eager or a device-generic policy is in force (prunekit/device.h), else
// LibTorch ops (what every other dtype and device uses).
enum class AttentionImpl { Auto, Eager, Fused };
at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            AttentionImpl impl = AttentionImpl::Auto, int64_t window = -1);

// RMSNorm in fp32 as transformers: weight * (x.float() * rsqrt(mean(x^2) + eps)).to(dtype)
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// Embedding, final norm and lm_head: the parts outside the decoder layers.
struct ModelHead {
  at::Tensor embed;       // [vocab, hidden] compute dtype
  at::Tensor final_norm;  // [hidden]
  at::Tensor lm_head;     // [vocab, hidden] (shares storage with embed when tied)
  static ModelHead load(const Checkpoint& ck, at::ScalarType dtype,
                       const at::Device& device = at::Device(at::kCPU));
  at::Tensor embed_ids(const at::Tensor& ids) const;        // [B, T] int64 -> [B, T, hidden]
  at::Tensor logits(const at::Tensor& hidden, double eps) const;  // fp32 [B, T, vocab]
};

// Whole model in memory: for generation and zero-shot scoring of small/medium models. On a
// non-CPU device the weights and KV caches live there; ids may be given on the CPU and the logits
// come back on the CPU.
class LlamaModel {
 public:
  LlamaModel(const Checkpoint& ck, at::ScalarType dtype, const ComputeDevice& device = {});
  const LlamaConfig& config() const { return cfg_; }
  const ComputeDevice& device() const { return device_; }
  // ids [B, T] starting at position caches[0].len; returns fp32 logits [B, T, vocab], or
  // [B, 1, vocab] for the last position only when last_only (decoding needs no more, and
  // prefill then skips T - 1 rows of the lm_head product, as serving engines do).
  at::Tensor forward(const at::Tensor& ids, std::vector<KVCache>* caches = nullptr, bool last_only = false);
  std::vector<KVCache> new_caches() const { return std::vector<KVCache>(cfg_.num_hidden_layers); }
  std::vector<LayerWeights>& layers() { return layers_; }
  ModelHead& head() { return head_; }
  // Optional per-layer Linear override (e.g. packed 2:4 kernels), indexed by layer.
  std::vector<LinearOverride> overrides;
  // Optional lm_head replacement: normed hidden [B, T, hidden] -> logits (any float dtype).
  std::function<at::Tensor(const at::Tensor&)> lm_head_override;

 private:
  LlamaConfig cfg_;
  ComputeDevice device_;
  ModelHead head_;
  std::vector<LayerWeights> layers_;
  std::unique_ptr<Rope> rope_;
};

// The one layer-streamed walk through a model, for prune and eval alike: the hidden states of many
// sequences go through one decoder layer at a time, in batches, with an optional capture hook on
// the Linear inputs. Peak memory: one layer + the hidden states (+ embedding/lm_head once head()
// is asked for). On a non-CPU device (prunekit/device.h) the layer, the hidden states and the
// head live there: load() reads the layer on the CPU from the mapping and moves it.
class LayerStream {
 public:
  LayerStream(const Checkpoint& ck, at::ScalarType dtype, int64_t batch = 8, const ComputeDevice& device = {});
  const LlamaConfig& config() const { return ck_.config(); }
  at::ScalarType dtype() const { return dtype_; }
  const ComputeDevice& device() const { return device_; }
  // Embedding, final norm and lm_head in the compute dtype, loaded on first use.
  const ModelHead& head();
  const Rope& rope(int64_t len);
  // Hidden states [N, T, hidden] of ids [N, T], gathered from the mapped embedding rows only (no
  // lm_head is loaded; the mapping's pages are dropped again).
  at::Tensor embed(const at::Tensor& ids) const;
  // With a directory, embed() returns hidden states spilled to a file there (prunekit/spill.h)
  // and forward() keeps only the batch in use resident: the same numbers, less memory.
  void spill_activations_to(std::string dir) { spill_dir_ = std::move(dir); }
  // Layer `layer`'s weights in the compute dtype, or in `dtype` (pruning keeps an fp32 master
  // copy that it modifies), and the release of its mapped pages.
  LayerWeights load(int layer) const { return layer_to(load_layer(ck_, layer, dtype_), device_.device); }
  LayerWeights load(int layer, at::ScalarType dtype) const {
    return layer_to(load_layer(ck_, layer, dtype), device_.device);
  }
  void release(int layer) const { release_layer(ck_, layer); }
  // Push every sequence of `hidden` through layer `w` (any dtype: converted to the compute dtype
  // when it differs), `batch` sequences at a time; capture sees each Linear input. With `update`
  // the outputs replace `hidden` (the next layer's inputs), else `hidden` is left as it was.
  void forward(const LayerWeights& w, at::Tensor& hidden, const CaptureFn* capture = nullptr,
               bool update = true);
  // Hidden states after all decoder layers (before the final norm) for ids [N, T].
  // on_layer(i) is called after layer i finished (progress).
  at::Tensor run(const at::Tensor& ids, const std::function<void(int)>& on_layer = nullptr);
  // Layer forwards over all sequences so far (each forward() call counts one), for FLOP figures.
  int64_t layer_forwards() const { return forwards_; }

 private:
  const Checkpoint& ck_;
  at::ScalarType dtype_;
  int64_t batch_;
  ComputeDevice device_;
  std::unique_ptr<ModelHead> head_;
  std::unique_ptr<Rope> rope_;
  int64_t forwards_ = 0;
  std::string spill_dir_;
};

// A copy of `w` in `dtype` (norms, weights, biases); `w` itself when it already is.
LayerWeights layer_in_dtype(const LayerWeights& w, at::ScalarType dtype);


}  // namespace prunekit
