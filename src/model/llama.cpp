// LLaMA-family decoder forward with transformers' conventions: RMSNorm in fp32, rotate-half RoPE,
// grouped-query attention (kv heads repeated), additive causal mask (+ Mistral's sliding window),
// fp32 softmax, SiLU-gated MLP; Linear biases where the family has them (Qwen2 q/k/v, Llama
// attention_bias/mlp_bias) and Qwen3's per-head q/k RMSNorm before RoPE.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "ops/kernels.h"
#include "prunekit/common.h"
#include "prunekit/model.h"
#include "prunekit/spill.h"
#include "prunekit/sparse24.h"

namespace prunekit {

namespace {
const char* const kModules[kNumLinears] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                           "self_attn.o_proj", "mlp.gate_proj",    "mlp.up_proj",
                                           "mlp.down_proj"};
const char* const kShort[kNumLinears] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                         "gate_proj", "up_proj", "down_proj"};
// Target size of one attention score block (floats): about 1 MiB, so it stays in cache.
constexpr int64_t kBlockScoreFloats = int64_t(256) << 10;
}  // namespace

const char* linear_module(int id) { return kModules[id]; }
const char* linear_short_name(int id) { return kShort[id]; }
std::string linear_prefix(int layer, int id) {
  return "model.layers." + std::to_string(layer) + "." + kModules[id];
}

LayerWeights load_layer(const Checkpoint& ck, int layer, at::ScalarType dtype) {
  const LlamaConfig& cfg = ck.config();
  LayerWeights w;
  w.index = layer;
  const std::string p = "model.layers." + std::to_string(layer) + ".";
  w.input_norm = ck.load(p + "input_layernorm.weight", dtype);
  w.post_norm = ck.load(p + "post_attention_layernorm.weight", dtype);
  if (cfg.qk_norm) {
    w.q_norm = ck.load(p + "self_attn.q_norm.weight", dtype);
    w.k_norm = ck.load(p + "self_attn.k_norm.weight", dtype);
  }
  for (int i = 0; i < kNumLinears; ++i) {
    w.weight[i] = ck.load(linear_prefix(layer, i) + ".weight", dtype);
    if (cfg.has_bias(i)) w.bias[i] = ck.load(linear_prefix(layer, i) + ".bias", dtype);
  }
  return w;
}

LayerWeights layer_to(const LayerWeights& w, const at::Device& device) {
  if (device.is_cpu()) return w;
  LayerWeights c = w;
  auto move = [&](at::Tensor& t) {
    if (t.defined()) t = t.to(device);
  };
  move(c.input_norm);
  move(c.post_norm);
  move(c.q_norm);
  move(c.k_norm);
  for (int i = 0; i < kNumLinears; ++i) {
    move(c.weight[i]);
    move(c.bias[i]);
  }
  return c;
}

void release_layer(const Checkpoint& ck, int layer) {
  const std::string p = "model.layers." + std::to_string(layer) + ".";
  ck.release(p + "input_layernorm.weight");
  ck.release(p + "post_attention_layernorm.weight");
  ck.release(p + "self_attn.q_norm.weight");  // release() ignores names the checkpoint lacks
  ck.release(p + "self_attn.k_norm.weight");
  for (int i = 0; i < kNumLinears; ++i) {
    ck.release(linear_prefix(layer, i) + ".weight");
    if (ck.has(linear_prefix(layer, i) + ".bias")) ck.release(linear_prefix(layer, i) + ".bias");
  }
}

// Inverse frequencies with rope_scaling applied, as transformers' rope init functions.
static at::Tensor inverse_frequencies(const LlamaConfig& cfg) {
  const int64_t dim = cfg.head_dim;
  at::Tensor inv = 1.0 / at::pow(cfg.rope_theta,
                                 at::arange(0, dim, 2, at::kLong).to(at::kFloat) / double(dim));
  if (cfg.rope_scaling.type == "llama3") {
    const auto& rs = cfg.rope_scaling;
    const double low_wavelen = rs.original_max_position_embeddings / rs.low_freq_factor;
    const double high_wavelen = rs.original_max_position_embeddings / rs.high_freq_factor;
    at::Tensor wavelen = 2.0 * M_PI / inv;
    at::Tensor scaled = at::where(wavelen > low_wavelen, inv / rs.factor, inv);
    at::Tensor smooth = (rs.original_max_position_embeddings / wavelen - rs.low_freq_factor) /
                        (rs.high_freq_factor - rs.low_freq_factor);
    at::Tensor smoothed = (1 - smooth) * scaled / rs.factor + smooth * scaled;
    at::Tensor medium = at::logical_not(wavelen < high_wavelen) & at::logical_not(wavelen > low_wavelen);
    inv = at::where(medium, smoothed, scaled);
  } else if (cfg.rope_scaling.type == "linear") {
    inv = inv / cfg.rope_scaling.factor;  // transformers >= 4.45 scales the frequencies, not positions
  }
  return inv;
}

Rope::Rope(const LlamaConfig& cfg, int64_t max_len, const at::Device& device) {
  at::Tensor inv = inverse_frequencies(cfg);
  at::Tensor t = at::arange(max_len, at::kLong).to(at::kFloat);
  at::Tensor freqs = at::outer(t, inv);
  at::Tensor emb = at::cat({freqs, freqs}, -1);
  cos = emb.cos().to(device);
  sin = emb.sin().to(device);
}

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  at::Tensor h = x.to(at::kFloat);
  at::Tensor var = h.pow(2).mean(-1, /*keepdim=*/true);
  h = h * at::rsqrt(var + eps);
  return weight * h.to(x.scalar_type());
}

static at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// x: [B, H, T, D]; cos/sin: [T, D] in fp32, cast to x's dtype as transformers does.
static at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  at::Tensor c = cos.to(x.scalar_type()), s = sin.to(x.scalar_type());
  return x * c + rotate_half(x) * s;
}

static at::Tensor linear(const LayerWeights& w, int id, const at::Tensor& x, const ForwardOptions& opt) {
  if (opt.linear_override && *opt.linear_override) {
    at::Tensor y = (*opt.linear_override)(id, x);
    if (y.defined()) return y;
  }
  at::Tensor y = at::matmul(x, w.weight[id].t());
  if (w.bias[id].defined()) y = y + w.bias[id];
  return y;
}

// Causal attention for one sequence. q: [nh, T, D], k/v: [kvh, Tk, D]; query t sits at key
// position (Tk - T + t). Heads are grouped per kv head (head h uses kv head h / n_rep, as
// transformers' repeat_kv), so no repeated copy of k/v is made. Queries are processed in row
// blocks that see only the keys they may attend to: the score block stays cache-sized and the
// masked upper triangle is mostly never computed. window > 0: query at position p sees only keys
// j > p - window (Mistral's sliding window, transformers' sliding_window_overlay).
static at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t n_rep,
                         int64_t window) {
  const int64_t nh = q.size(0), T = q.size(1), D = q.size(2);
  const int64_t kvh = k.size(0), Tk = k.size(1), offset = Tk - T;
  const double scale = 1.0 / std::sqrt(double(D));
  at::Tensor out = at::empty({kvh, n_rep, T, D}, q.options());
  at::Tensor qg = q.view({kvh, n_rep, T, D});
  const int64_t block = std::clamp<int64_t>(kBlockScoreFloats / std::max<int64_t>(1, nh * Tk), 16, T);
  for (int64_t r0 = 0; r0 < T; r0 += block) {
    const int64_t rows = std::min(block, T - r0);
    const int64_t visible = std::min(Tk, offset + r0 + rows);  // keys the block's last row sees
    // Keys before `first` are outside every row's window.
    const int64_t first = window > 0 ? std::max<int64_t>(0, offset + r0 + 1 - window) : 0;
    const int64_t span = visible - first;
    at::Tensor qb = qg.narrow(2, r0, rows).reshape({kvh, n_rep * rows, D});
    at::Tensor scores =
        at::bmm(qb, k.narrow(1, first, span).transpose(1, 2)).mul_(scale).to(at::kFloat);
    const bool windowed = window > 0 && offset + r0 + rows - window > first;
    if (offset + r0 + 1 < visible || windowed) {
      // Row r (absolute p = offset + r0 + r) may see keys p - window < j <= p.
      const at::TensorOptions index = q.options().dtype(at::kLong);  // on q's device
      at::Tensor j = at::arange(first, visible, index).view({1, -1});
      at::Tensor limit = at::arange(offset + r0, offset + r0 + rows, index).view({-1, 1});
      at::Tensor masked = j > limit;
      if (window > 0) masked = masked | (j <= limit - window);
      scores.view({kvh, n_rep, rows, span}).masked_fill_(masked, -std::numeric_limits<float>::infinity());
    }
    at::Tensor probs = at::softmax(scores, -1).to(q.scalar_type());
    at::Tensor ob = at::bmm(probs, v.narrow(1, first, span));  // [kvh, n_rep*rows, D]
    out.narrow(2, r0, rows).copy_(ob.view({kvh, n_rep, rows, D}));
  }
  return out.view({nh, T, D});
}

// The fused fp32 kernel (src/ops/kernels.h). layer_forward uses it unless $PRUNEKIT_ATTENTION=eager;
// $PRUNEKIT_ISA picks the level.
using AttnKernel = ops::AttendRowsFn;
// What layer_forward uses, resolved once.
static AttnKernel default_attention_kernel() {
  static const AttnKernel kernel = [] {
    const char* mode = std::getenv("PRUNEKIT_ATTENTION");
    if (mode && std::string(mode) == "eager") return AttnKernel(nullptr);
    return ops::kernels(ops::Isa::Auto).attend_rows;
  }();
  return kernel;
}

// Same contract as attend() for fp32, written straight into out [T, nh * D] (contiguous): one
// fused pass per query row (src/ops/kernels.h) instead of five LibTorch ops over the scores.
static void attend_fused(AttnKernel kernel, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                         int64_t n_rep, int64_t window, at::Tensor out) {
  const int64_t nh = q.size(0), T = q.size(1), D = q.size(2), kvh = k.size(0), Tk = k.size(1);
  const at::Tensor qc = q.contiguous();
  const at::Tensor kT = k.transpose(1, 2).contiguous();  // [kvh, D, Tk]: keys contiguous per d
  const at::Tensor vT = v.transpose(1, 2).contiguous();
  std::vector<float> scratch(static_cast<size_t>(Tk));
  for (int64_t g = 0; g < kvh; ++g) {
    ops::AttnTask task;
    task.q = qc.data_ptr<float>() + g * n_rep * T * D;
    task.kT = kT.data_ptr<float>() + g * D * Tk;
    task.vT = vT.data_ptr<float>() + g * D * Tk;
    task.out = out.data_ptr<float>() + g * n_rep * D;
    task.out_row_stride = nh * D;
    task.n_rep = n_rep;
    task.T = T;
    task.Tk = Tk;
    task.D = D;
    task.offset = Tk - T;
    task.window = window;
    task.scale = static_cast<float>(1.0 / std::sqrt(double(D)));
    task.scratch = scratch.data();
    kernel(task);
  }
}

static void causal_attention_into(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, at::Tensor out,
                                  AttentionImpl impl, int64_t window) {
  const int64_t nh = q.size(0), T = q.size(1), D = q.size(2), n_rep = nh / k.size(0);
  AttnKernel fused = nullptr;
  // The fused kernel is CPU-only; a device-generic policy (prunekit/device.h) keeps Auto eager.
  if (impl != AttentionImpl::Eager && q.scalar_type() == at::kFloat && q.is_cpu() &&
      (impl == AttentionImpl::Fused || !generic_ops_forced())) {
    fused = impl == AttentionImpl::Fused ? ops::kernels(ops::Isa::Auto).attend_rows
                                         : default_attention_kernel();
  }
  if (fused && out.is_contiguous()) {
    attend_fused(fused, q, k, v, n_rep, window, out);
  } else if (fused) {
    at::Tensor tmp = at::empty({T, nh * D}, q.options());
    attend_fused(fused, q, k, v, n_rep, window, tmp);
    out.copy_(tmp);
  } else {
    out.copy_(attend(q, k, v, n_rep, window).transpose(0, 1).reshape({T, nh * D}));
  }
}

at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, AttentionImpl impl,
                            int64_t window) {
  at::Tensor out = at::empty({q.size(1), q.size(0) * q.size(2)}, q.options());
  causal_attention_into(q, k, v, out, impl, window);
  return out;
}

at::Tensor layer_forward(const LlamaConfig& cfg, const LayerWeights& w, const at::Tensor& x,
                         const Rope& rope, const ForwardOptions& opt) {
  const int64_t B = x.size(0), T = x.size(1);
  const int64_t nh = cfg.num_attention_heads, kvh = cfg.num_key_value_heads, D = cfg.head_dim;
  auto capture = [&](int id, const at::Tensor& in) {
    if (opt.capture && *opt.capture) (*opt.capture)(id, in);
  };

  // Self-attention block.
  at::Tensor h = rms_norm(x, w.input_norm, cfg.rms_norm_eps);
  capture(kQ, h);
  capture(kK, h);
  capture(kV, h);
  at::Tensor q = linear(w, kQ, h, opt).view({B, T, nh, D});
  at::Tensor k = linear(w, kK, h, opt).view({B, T, kvh, D});
  at::Tensor v = linear(w, kV, h, opt).view({B, T, kvh, D}).transpose(1, 2);
  if (w.q_norm.defined()) {
    // Qwen3: RMSNorm of each head's q and k over head_dim, before RoPE. The weights stay in the
    // dtype they were loaded in (a pruning master copy is fp32); cast to the compute dtype.
    q = rms_norm(q, w.q_norm.to(q.scalar_type()), cfg.rms_norm_eps);
    k = rms_norm(k, w.k_norm.to(k.scalar_type()), cfg.rms_norm_eps);
  }
  q = q.transpose(1, 2);
  k = k.transpose(1, 2);
  at::Tensor cos = rope.cos.narrow(0, opt.pos0, T), sin = rope.sin.narrow(0, opt.pos0, T);
  q = apply_rope(q, cos, sin);
  k = apply_rope(k, cos, sin);
  if (opt.cache) {
    KVCache& c = *opt.cache;
    if (c.len == 0) {
      c.k = k.contiguous();
      c.v = v.contiguous();
    } else {
      c.k = at::cat({c.k, k}, 2);
      c.v = at::cat({c.v, v}, 2);
    }
    c.len += T;
    k = c.k;
    v = c.v;
  }
  at::Tensor attn = at::empty({B, T, nh * D}, x.options());
  // One sequence per task: the per-sequence ops are small, and intra-op threading of many
  // small ops costs more in synchronisation than it gains (measured 9x slower on stories260K).
  // (On another device the ops are queued from this thread, one sequence after the other.)
  auto attend_sequences = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      causal_attention_into(q[b], k[b], v[b], attn[b], AttentionImpl::Auto, cfg.attention_window());
  };
  if (x.is_cpu())
    at::parallel_for(0, B, 1, attend_sequences);
  else
    attend_sequences(0, B);
  capture(kO, attn);
  at::Tensor hidden = x + linear(w, kO, attn, opt);

  // MLP block.
  h = rms_norm(hidden, w.post_norm, cfg.rms_norm_eps);
  capture(kGate, h);
  capture(kUp, h);
  at::Tensor act = at::silu(linear(w, kGate, h, opt)) * linear(w, kUp, h, opt);
  capture(kDown, act);
  return hidden + linear(w, kDown, act, opt);
}

ModelHead ModelHead::load(const Checkpoint& ck, at::ScalarType dtype, const at::Device& device) {
  ModelHead m;
  // A tied pair stored once (under either name; Checkpoint resolves it) is one matrix: share the
  // storage instead of holding a second copy.
  const bool tied_absent = ck.config().tie_word_embeddings &&
                           ck.info("lm_head.weight").name == ck.info("model.embed_tokens.weight").name;
  // An untied embedding is only gathered from: keep it in its stored precision (half the bytes
  // of fp32 for bf16/f16 checkpoints) and widen the gathered rows.
  const at::ScalarType stored = to_scalar_type(ck.info("model.embed_tokens.weight").dtype);
  m.embed = ck.load("model.embed_tokens.weight", tied_absent ? dtype : stored);
  m.final_norm = ck.load("model.norm.weight", dtype);
  m.lm_head = tied_absent ? m.embed : ck.load("lm_head.weight", dtype);
  if (!device.is_cpu()) {
    m.embed = m.embed.to(device);
    m.final_norm = m.final_norm.to(device);
    m.lm_head = tied_absent ? m.embed : m.lm_head.to(device);
  }
  // The owned copies are made: drop the mapped pages so they don't count twice in RSS.
  for (const char* name : {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"}) ck.release(name);
  return m;
}

at::Tensor ModelHead::embed_ids(const at::Tensor& ids) const {
  return at::embedding(embed, ids.to(embed.device())).to(final_norm.scalar_type());
}

at::Tensor ModelHead::logits(const at::Tensor& hidden, double eps) const {
  at::Tensor h = rms_norm(hidden, final_norm, eps);
  return at::matmul(h, lm_head.t()).to(at::kFloat);
}

void check_finite(const at::Tensor& hidden, int layer) {
  if (!at::isfinite(hidden).all().item<bool>()) throw NumericalError("the output of decoder layer " + std::to_string(layer));
}

LlamaModel::LlamaModel(const Checkpoint& ck, at::ScalarType dtype, const ComputeDevice& device)
    : cfg_(ck.config()), device_(device) {
  check_device_available(device_);
  ck.require_llama_tensors();
  head_ = ModelHead::load(ck, dtype, device_.device);
  for (int i = 0; i < cfg_.num_hidden_layers; ++i) {
    layers_.push_back(layer_to(load_layer(ck, i, dtype), device_.device));
    if (!device_.is_cpu()) release_layer(ck, i);  // the device holds the copy
  }
  rope_ = std::make_unique<Rope>(cfg_, cfg_.max_position_embeddings, device_.device);
}

at::Tensor LlamaModel::forward(const at::Tensor& ids, std::vector<KVCache>* caches, bool last_only) {
  const DevicePolicy policy(device_);
  at::Tensor h = head_.embed_ids(ids);
  const int64_t pos0 = caches ? (*caches)[0].len : 0;
  if (pos0 + ids.size(1) > cfg_.max_position_embeddings)
    throw std::runtime_error("sequence exceeds max_position_embeddings");
  for (size_t i = 0; i < layers_.size(); ++i) {
    ForwardOptions opt;
    opt.pos0 = pos0;
    opt.cache = caches ? &(*caches)[i] : nullptr;
    if (i < overrides.size() && overrides[i]) opt.linear_override = &overrides[i];
    h = layer_forward(cfg_, layers_[i], h, *rope_, opt);
  }
  if (last_only) h = h.narrow(1, h.size(1) - 1, 1);
  if (lm_head_override) return lm_head_override(rms_norm(h, head_.final_norm, cfg_.rms_norm_eps)).to(at::kFloat);
  return head_.logits(h, cfg_.rms_norm_eps).to(at::kCPU);  // the callers read logits on the CPU
}

LayerStream::LayerStream(const Checkpoint& ck, at::ScalarType dtype, int64_t batch, const ComputeDevice& device)
    : ck_(ck), dtype_(dtype), batch_(std::max<int64_t>(1, batch)), device_(device) {
  check_device_available(device_);
  ck.require_llama_tensors();
}

const ModelHead& LayerStream::head() {
  if (!head_) head_ = std::make_unique<ModelHead>(ModelHead::load(ck_, dtype_, device_.device));
  return *head_;
}

const Rope& LayerStream::rope(int64_t len) {
  if (!rope_ || rope_->cos.size(0) < len) rope_ = std::make_unique<Rope>(config(), len, device_.device);
  return *rope_;
}

at::Tensor LayerStream::embed(const at::Tensor& ids) const {
  const at::Tensor table = ck_.view("model.embed_tokens.weight");
  const at::Tensor cpu_ids = ids.to(at::kCPU);
  at::Tensor hidden;
  if (spill_dir_.empty() || !device_.device.is_cpu()) {
    // Gathered on the CPU from the mapping; only the rows travel to the device.
    hidden = at::embedding(table, cpu_ids).to(dtype_).to(device_.device);
  } else {
    // Spilled (CPU only): filled batch by batch, each batch's pages dropped once written.
    hidden = spilled_empty(spill_dir_, {ids.size(0), ids.size(1), table.size(1)}, dtype_);
    for (int64_t b0 = 0; b0 < ids.size(0); b0 += batch_) {
      const int64_t nb = std::min(batch_, ids.size(0) - b0);
      hidden.narrow(0, b0, nb).copy_(at::embedding(table, cpu_ids.narrow(0, b0, nb)));
      evict_spilled_rows(hidden, b0, nb);
    }
  }
  ck_.release("model.embed_tokens.weight");
  return hidden;
}

LayerWeights layer_in_dtype(const LayerWeights& w, at::ScalarType dtype) {
  if (w.weight[0].scalar_type() == dtype) return w;
  LayerWeights c = w;
  c.input_norm = w.input_norm.to(dtype);
  c.post_norm = w.post_norm.to(dtype);
  if (w.q_norm.defined()) c.q_norm = w.q_norm.to(dtype);
  if (w.k_norm.defined()) c.k_norm = w.k_norm.to(dtype);
  for (int i = 0; i < kNumLinears; ++i) {
    c.weight[i] = w.weight[i].to(dtype);
    if (w.bias[i].defined()) c.bias[i] = w.bias[i].to(dtype);
  }
  return c;
}

void LayerStream::forward(const LayerWeights& w, at::Tensor& hidden, const CaptureFn* capture, bool update) {
  const DevicePolicy policy(device_);
  const LayerWeights compute = layer_in_dtype(w, dtype_);
  const Rope& r = rope(hidden.size(1));
  ++forwards_;
  for (int64_t b0 = 0; b0 < hidden.size(0); b0 += batch_) {
    const int64_t nb = std::min(batch_, hidden.size(0) - b0);
    at::Tensor slice = hidden.narrow(0, b0, nb);
    ForwardOptions fo;
    fo.capture = capture;
    at::Tensor out = layer_forward(config(), compute, slice, r, fo);
    if (update) {
      // A NaN or Inf fails the run here, naming the layer, not as "ppl nan" at the end (checked
      // per batch: no full-size mask of all hidden states, and spilled ones are not read back).
      check_finite(out, w.index);
      slice.copy_(out);
    }
    evict_spilled_rows(hidden, b0, nb);  // spilled activations: only this batch was resident
  }
}

at::Tensor LayerStream::run(const at::Tensor& ids, const std::function<void(int)>& on_layer) {
  at::Tensor hidden = head().embed_ids(ids);
  for (int layer = 0; layer < config().num_hidden_layers; ++layer) {
    const LayerWeights w = load(layer);
    release(layer);  // load() copied: the mapped pages leave the peak before the forward
    forward(w, hidden);
    if (on_layer) on_layer(layer);
  }
  return hidden;
}

}  // namespace prunekit
