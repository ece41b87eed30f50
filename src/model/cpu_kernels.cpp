#include "prunekit/cpu_kernels.h"

#include <cstdio>
#include <memory>

namespace prunekit {
namespace {

int64_t tensor_bytes(const at::Tensor& t) { return t.defined() ? t.numel() * t.element_size() : 0; }

// The kernels compute in fp32; hand the result back in the caller's dtype, bias added there.
at::Tensor finish(at::Tensor y, const at::Tensor& x, const at::Tensor& bias) {
  if (y.scalar_type() != x.scalar_type()) y = y.to(x.scalar_type());
  if (bias.defined()) y = y + bias;
  return y;
}

std::string human_bytes(int64_t bytes) {
  char buf[32];
  const double b = static_cast<double>(bytes);
  if (b >= (1 << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1 << 30));
  else if (b >= (1 << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1 << 20));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
  return buf;
}

}  // namespace

KernelSwap use_cpu_kernels(LlamaModel& model, KernelMode mode, bool include_lm_head, sparse24::Isa isa) {
  isa = sparse24::resolve_isa(isa);  // fail early on a bad $PRUNEKIT_ISA
  KernelSwap s;
  std::vector<LayerWeights>& layers = model.layers();
  model.overrides.assign(layers.size(), LinearOverride());
  for (size_t li = 0; li < layers.size(); ++li) {
    LayerWeights& w = layers[li];
    // Per layer: one slot per Linear; shared_ptr so the std::function stays copyable.
    auto packed = std::make_shared<std::array<sparse24::Packed24, kNumLinears>>();
    auto dense = std::make_shared<std::array<sparse24::DenseBf16, kNumLinears>>();
    std::array<at::Tensor, kNumLinears> bias = w.bias;
    for (int id = 0; id < kNumLinears; ++id) {
      ++s.linears;
      s.bytes_before += tensor_bytes(w.weight[id]);
      if (mode == KernelMode::Sparse24) {
        if (!sparse24::is_24_sparse(w.weight[id])) {
          s.dense_fallback.push_back(linear_prefix(w.index, id));
          s.bytes_after += tensor_bytes(w.weight[id]);
          continue;
        }
        (*packed)[id] = sparse24::pack(w.weight[id]);
        s.bytes_after += (*packed)[id].nbytes();
      } else {
        (*dense)[id] = sparse24::pack_dense(w.weight[id]);
        s.bytes_after += (*dense)[id].nbytes();
      }
      w.weight[id] = at::Tensor();  // the packed copy replaces it
      ++s.swapped;
    }
    model.overrides[li] = [packed, dense, bias, isa](int id, const at::Tensor& x) -> at::Tensor {
      if ((*packed)[id].defined()) return finish(sparse24::linear(x, (*packed)[id], isa), x, bias[id]);
      if ((*dense)[id].defined()) return finish(sparse24::linear_dense(x, (*dense)[id], isa), x, bias[id]);
      return at::Tensor();  // not 2:4: LibTorch's dense matmul on the kept weight
    };
  }
  if (include_lm_head) {
    ModelHead& head = model.head();
    auto lm = std::make_shared<sparse24::DenseBf16>(sparse24::pack_dense(head.lm_head));
    // A tied lm_head shares the embedding's storage (still needed for the lookup): keep it.
    if (!head.lm_head.is_same(head.embed)) head.lm_head = at::Tensor();
    model.lm_head_override = [lm, isa](const at::Tensor& h) { return sparse24::linear_dense(h, *lm, isa); };
    s.lm_head = true;
    s.lm_head_bytes = lm->nbytes();
  }
  return s;
}

std::string describe(const KernelSwap& s, KernelMode mode) {
  std::string out = mode == KernelMode::Sparse24 ? "packed 2:4: " : "dense bf16 kernel: ";
  out += std::to_string(s.swapped) + " of " + std::to_string(s.linears) + " decoder Linears";
  out += "; their weights " + human_bytes(s.bytes_before) + " -> " + human_bytes(s.bytes_after);
  if (s.lm_head) out += "; lm_head on the dense bf16 kernel";
  if (!s.dense_fallback.empty())
    out += "; not 2:4, left dense: " + std::to_string(s.dense_fallback.size()) + " (first " +
           s.dense_fallback.front() + ")";
  return out;
}

void prune_24_by_magnitude(LlamaModel& model) {
  at::NoGradGuard no_grad;
  for (LayerWeights& w : model.layers())
    for (int id = 0; id < kNumLinears; ++id) w.weight[id] = sparse24::prune_magnitude(w.weight[id]);
}

}  // namespace prunekit
