// Micro-benchmarks behind bench-sparse: dense (LibTorch f32/bf16, our bf16 kernel) vs packed 2:4.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "prunekit/sparse24.h"

namespace prunekit {
namespace bench {

// One Linear weight [out, in]. tokens > 0 pins the token count (from an M,K,N spec).
struct LinearShape {
  std::string name;
  int64_t in = 0, out = 0;
  int64_t tokens = 0;
};

// "llama-2-7b" | "tinyllama-1.1b" (q,k,v,o,gate,up,down of one decoder layer), or a ';'-separated
// list of "M,K,N" (x [M,K] @ W^T [K,N]: M tokens, K in features, N out features; M = 0 means use
// --tokens) or "K,N". InputError("--shape: ...") on anything else.
std::vector<LinearShape> parse_shapes(const std::string& spec);
// "1,8,32" -> {1, 8, 32}; InputError("<flag>: ...") unless every item is a positive integer.
std::vector<int64_t> parse_int_list(const std::string& text, const std::string& flag);

// Path names, in table order.
extern const char* const kPathTorchF32;    // "torch_f32":  at::mm, fp32 weight (OpenBLAS)
extern const char* const kPathTorchBf16;   // "torch_bf16": at::mm, bf16 weight and activations
extern const char* const kPathDenseOurs;   // "dense_bf16_ours": sparse24::gemm_dense
extern const char* const kPathSparseOurs;  // "sparse24_ours":   sparse24::gemm
// CUDA paths (only in a build against LibTorch >= 2.1 with CUDA; see src/ops/cuda24.h): at::mm in
// fp16 / bf16, and cuSPARSELt's 2:4 matmul (at::_cslt_sparse_mm) in fp16 / bf16.
extern const char* const kPathCudaF16;         // "cuda_f16"
extern const char* const kPathCudaBf16;        // "cuda_bf16"
extern const char* const kPathCudaSparseF16;   // "cuda_sparse24_f16"
extern const char* const kPathCudaSparseBf16;  // "cuda_sparse24_bf16"
// A path is sparse when its name contains "sparse24"; speed-ups are against the fastest dense path.
bool is_dense_path(const std::string& path);
bool is_cuda_path(const std::string& path);  // name starts with "cuda_"
// Whether the CUDA paths can run here; otherwise *why says what is missing (build or device).
bool cuda_paths_available(std::string* why);
// CUDA launches are queued: a timed run of a CUDA path is this many back-to-back calls, then one
// wait; the per-call time is reported.
constexpr int kCudaCallsPerRun = 20;
// e.g. "LibTorch 1.13.0 without CUDA: CUDA 2:4 path not built".
std::string cuda_build_info();

struct GemmBenchOptions {
  std::vector<LinearShape> shapes;
  std::vector<int64_t> tokens;
  std::vector<std::string> paths;  // empty: the four CPU paths
  int iters = 20;                  // timed runs per cell (at most)
  int warmup = 2;                  // untimed runs per cell (at most; see max_seconds)
  double max_seconds = 2.0;        // per cell and path: stop timing it once this much was spent
  // Weight copies are rotated so each timed run reads weights that are not in cache (decode
  // streams every layer's weights from DRAM). < 0: auto (2 x L3, at least 256 MiB); 0: hot (one
  // copy, may be cache resident).
  double working_set_mb = -1;
  sparse24::Isa isa = sparse24::Isa::Auto;
  uint64_t seed = 1234;
};

struct GemmResult {
  std::string shape;  // e.g. "q_proj"
  int64_t in = 0, out = 0, tokens = 0;
  std::string path;
  int runs = 0;
  bool capped = false;  // fewer than 10 timed runs because of max_seconds
  double median_ms = 0, min_ms = 0, max_ms = 0, q1_ms = 0, q3_ms = 0;
  double gflops = 0;       // dense-equivalent 2 * tokens * in * out / median
  double weight_gbps = 0;  // weight bytes of this path / median
  int64_t weight_bytes = 0;
  int copies = 1;
  double speedup = 0;  // fastest dense median / this median (same shape and tokens)
};

struct MachineInfo {
  std::string cpu;  // model name from /proc/cpuinfo
  int cores = 0;    // logical CPUs online
  int threads = 0;  // intra-op threads used
  std::string isa;  // kernel level actually used
  std::string torch;
  int64_t l3_bytes = 0;
  std::string blas, blas_core;  // OpenBLAS config and kernel family, when OpenBLAS is loaded
  std::string env;              // threading/BLAS environment variables that were set
  std::string wait_policy;      // how our kernels' pool workers wait (ops::wait_policy)
};
MachineInfo machine_info(sparse24::Isa isa);

// Runs every (shape, tokens, path) cell, each (shape, tokens) cell measured in 4 passes over
// its paths; on_result is called as each cell finishes (speedup is
// filled in the returned vector only, once a (shape, tokens) row is complete).
std::vector<GemmResult> run_gemm_bench(const GemmBenchOptions& opt,
                                       const std::function<void(const GemmResult&)>& on_result = {});

// Markdown: a summary table (one row per shape and token count, plus per-layer totals when the
// shapes are a whole model layer) and a detailed table (one row per path).
std::string gemm_summary_markdown(const std::vector<GemmResult>& results);
std::string gemm_detail_markdown(const std::vector<GemmResult>& results);
nlohmann::json gemm_json(const MachineInfo& machine, const GemmBenchOptions& opt,
                         const std::vector<GemmResult>& results);

// ---- bench-sparse model: end-to-end prefill and decode, one path at a time ----

extern const char* const kPathSparseTorch;  // "sparse24_torch_f32": the 2:4 twin on LibTorch f32 (control)

struct ModelBenchOptions {
  std::string model_dir;         // the dense checkpoint
  std::string sparse_model_dir;  // its 2:4-pruned twin; empty: 2:4 by magnitude on the fly
  std::vector<int64_t> prefill{128, 512, 2048};  // prompt lengths (tokens per sequence)
  int64_t decode = 128;          // decode steps timed per batch size
  int64_t decode_context = 128;  // prompt tokens in the KV cache before the timed decode steps
  std::vector<int64_t> batch{1, 8};
  std::vector<std::string> paths;  // empty: torch_f32, torch_bf16, dense_bf16_ours, sparse24_ours
  int repeats = 3;            // prefill runs per cell (at most; the median is reported)
  double max_seconds = 30.0;  // stop repeating a prefill cell once this much was spent
  sparse24::Isa isa = sparse24::Isa::Auto;
  uint64_t seed = 1234;
};

struct ModelResult {
  std::string phase;  // "prefill" | "decode"
  std::string path;
  int64_t batch = 0;
  int64_t tokens = 0;   // prefill: prompt length; decode: steps timed
  int64_t context = 0;  // decode: tokens in the cache before the first timed step
  int runs = 0;         // prefill: forward runs; decode: steps
  double median_ms = 0;  // prefill: one forward; decode: one step (batch tokens)
  double tokens_per_s = 0;
  double speedup = 0;   // fastest dense path's median / this median (same phase, batch, tokens)
};

struct ModelPathInfo {
  std::string path, checkpoint, kernels;  // kernels: what use_cpu_kernels did, or "LibTorch"
  int64_t weight_bytes = 0;  // decoder Linear + lm_head weight bytes the path reads per token
  double load_s = 0;
};

// on_result is called as each cell finishes (before speed-ups are known).
std::vector<ModelResult> run_model_bench(const ModelBenchOptions& opt, std::vector<ModelPathInfo>* paths,
                                         const std::function<void(const ModelResult&)>& on_result = {});
std::string model_markdown(const std::vector<ModelResult>& results, const std::vector<ModelPathInfo>& paths);
nlohmann::json model_json(const MachineInfo& machine, const ModelBenchOptions& opt,
                          const std::vector<ModelResult>& results, const std::vector<ModelPathInfo>& paths);

}  // namespace bench
}  // namespace prunekit
