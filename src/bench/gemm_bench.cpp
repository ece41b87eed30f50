// bench-sparse gemm: dense (LibTorch f32/bf16, our bf16 kernel) vs packed 2:4 on Linear shapes.
#include <ATen/ATen.h>
#include <torch/csrc/api/include/torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <chrono>
#include <thread>
#include <tuple>

#include "ops/cuda24.h"
#include "prunekit/bench.h"
#include "prunekit/common.h"
#include "prunekit/log.h"
#include "prunekit/parallel.h"

// OpenBLAS (LibTorch's BLAS here) introspection, when it is the loaded BLAS (weak: optional).
extern "C" {
__attribute__((weak)) char* openblas_get_corename(void);
__attribute__((weak)) char* openblas_get_config(void);
}

namespace prunekit {
namespace bench {

const char* const kPathTorchF32 = "torch_f32";
const char* const kPathTorchBf16 = "torch_bf16";
const char* const kPathDenseOurs = "dense_bf16_ours";
const char* const kPathSparseOurs = "sparse24_ours";
const char* const kPathCudaF16 = "cuda_f16";
const char* const kPathCudaBf16 = "cuda_bf16";
const char* const kPathCudaSparseF16 = "cuda_sparse24_f16";
const char* const kPathCudaSparseBf16 = "cuda_sparse24_bf16";

bool is_dense_path(const std::string& p) { return p.find("sparse24") == std::string::npos; }
bool is_cuda_path(const std::string& p) { return p.rfind("cuda_", 0) == 0; }
bool cuda_paths_available(std::string* why) { return ops::cuda24::available(why); }
std::string cuda_build_info() { return ops::cuda24::build_info(); }

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) {
    // trim
    const auto b = cur.find_first_not_of(" \t"), e = cur.find_last_not_of(" \t");
    out.push_back(b == std::string::npos ? std::string() : cur.substr(b, e - b + 1));
  }
  return out;
}

bool parse_i64(const std::string& s, int64_t* v) {
  if (s.empty()) return false;
  char* end = nullptr;
  const long long x = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0') return false;
  *v = x;
  return true;
}

std::vector<LinearShape> llama_layer(int64_t hidden, int64_t inter, int64_t heads, int64_t kv_heads) {
  const int64_t head_dim = hidden / heads, kv = kv_heads * head_dim;
  return {{"q_proj", hidden, hidden, 0},   {"k_proj", hidden, kv, 0},      {"v_proj", hidden, kv, 0},
          {"o_proj", hidden, hidden, 0},   {"gate_proj", hidden, inter, 0}, {"up_proj", hidden, inter, 0},
          {"down_proj", inter, hidden, 0}};
}

int64_t l3_cache_bytes() {
  for (int idx = 0; idx < 8; ++idx) {
    const std::string base = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(idx) + "/";
    std::ifstream lv(base + "level"), sz(base + "size");
    int level = 0;
    std::string size;
    if (!(lv >> level) || !(sz >> size)) continue;
    if (level != 3) continue;
    int64_t n = std::atoll(size.c_str());
    if (!size.empty() && (size.back() == 'K' || size.back() == 'k')) n *= 1024;
    if (!size.empty() && (size.back() == 'M' || size.back() == 'm')) n *= 1024 * 1024;
    return n;
  }
  return 0;
}

struct Stats {
  double median = 0, min = 0, max = 0, q1 = 0, q3 = 0;
};
Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto q = [&](double f) {  // linear interpolation between closest ranks
    const double pos = f * static_cast<double>(v.size() - 1);
    const size_t i = static_cast<size_t>(pos);
    const double frac = pos - static_cast<double>(i);
    return i + 1 < v.size() ? v[i] * (1 - frac) + v[i + 1] * frac : v[i];
  };
  s.median = q(0.5);
  s.q1 = q(0.25);
  s.q3 = q(0.75);
  s.min = v.front();
  s.max = v.back();
  return s;
}

// One path on one shape: its weight copies and a way to run copy i on T tokens.
struct Runner {
  std::string path;
  int64_t bytes = 0;  // per copy
  std::vector<at::Tensor> f32, bf16;
  std::vector<sparse24::DenseBf16> dense;
  std::vector<sparse24::Packed24> packed;
  std::vector<at::Tensor> cuda;  // CUDA paths: the dense fp16/bf16 weight, or its cuSPARSELt form
  int copies() const {
    return static_cast<int>(std::max({f32.size(), bf16.size(), dense.size(), packed.size(), cuda.size()}));
  }
};

int copies_for(int64_t bytes, double working_set_bytes) {
  if (working_set_bytes <= 0 || bytes <= 0) return 1;
  const double n = std::ceil(working_set_bytes / static_cast<double>(bytes));
  return static_cast<int>(std::min(4096.0, std::max(1.0, n)));
}

Runner make_runner(const std::string& path, const at::Tensor& w, double ws_bytes) {
  Runner r;
  r.path = path;
  if (path == kPathTorchF32) {
    at::Tensor base = w.contiguous();
    r.bytes = static_cast<int64_t>(base.nbytes());
    const int n = copies_for(r.bytes, ws_bytes);
    for (int i = 0; i < n; ++i) r.f32.push_back(i == 0 ? base : base.clone());
  } else if (path == kPathTorchBf16) {
    at::Tensor base = w.to(at::kBFloat16).contiguous();
    r.bytes = static_cast<int64_t>(base.nbytes());
    const int n = copies_for(r.bytes, ws_bytes);
    for (int i = 0; i < n; ++i) r.bf16.push_back(i == 0 ? base : base.clone());
  } else if (path == kPathDenseOurs) {
    sparse24::DenseBf16 base = sparse24::pack_dense(w);
    r.bytes = base.nbytes();
    const int n = copies_for(r.bytes, ws_bytes);
    for (int i = 0; i < n; ++i) {
      sparse24::DenseBf16 c = base;
      if (i > 0) c.values = base.values.clone();
      r.dense.push_back(c);
    }
  } else if (path == kPathSparseOurs) {
    sparse24::Packed24 base = sparse24::pack(w);
    r.bytes = base.nbytes();
    const int n = copies_for(r.bytes, ws_bytes);
    for (int i = 0; i < n; ++i) {
      sparse24::Packed24 c = base;
      if (i > 0) {
        c.data = base.data.clone();
      }
      r.packed.push_back(c);
    }
  } else if (is_cuda_path(path)) {
    const bool half = path == kPathCudaF16 || path == kPathCudaSparseF16;
    at::Tensor base = w.to(at::kCUDA, half ? at::kHalf : at::kBFloat16).contiguous();
    if (!is_dense_path(path)) base = ops::cuda24::compress_24(base);
    r.bytes = static_cast<int64_t>(base.nbytes());  // cuSPARSELt form: kept values + metadata
    const int n = copies_for(r.bytes, ws_bytes);
    for (int i = 0; i < n; ++i) r.cuda.push_back(i == 0 ? base : base.clone());
  } else {
    throw InvalidSetting("paths", path, "unknown path");
  }
  return r;
}

struct Buffers {
  at::Tensor x, xb, y, yb;
  at::Tensor xc16, xcb, yc16, ycb;  // CUDA paths (fp16, bf16), only when one is requested
};

void run_once(const Runner& r, int copy, Buffers& b, sparse24::Isa isa) {
  if (r.path == kPathTorchF32) {
    at::mm_out(b.y, b.x, r.f32[copy].t());
  } else if (r.path == kPathTorchBf16) {
    at::mm_out(b.yb, b.xb, r.bf16[copy].t());
  } else if (r.path == kPathDenseOurs) {
    const auto& w = r.dense[copy];
    sparse24::gemm_dense(w, b.x.data_ptr<float>(), b.x.size(0), w.cols, b.y.data_ptr<float>(), w.rows, isa);
  } else if (r.path == kPathCudaF16) {
    at::mm_out(b.yc16, b.xc16, r.cuda[copy].t());
  } else if (r.path == kPathCudaBf16) {
    at::mm_out(b.ycb, b.xcb, r.cuda[copy].t());
  } else if (r.path == kPathCudaSparseF16) {
    b.yc16 = ops::cuda24::sparse_linear(r.cuda[copy], b.xc16);
  } else if (r.path == kPathCudaSparseBf16) {
    b.ycb = ops::cuda24::sparse_linear(r.cuda[copy], b.xcb);
  } else {
    const auto& w = r.packed[copy];
    sparse24::gemm(w, b.x.data_ptr<float>(), b.x.size(0), w.cols, b.y.data_ptr<float>(), w.rows, isa);
  }
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string ms_cell(const GemmResult& r) {
  return fmt(r.median_ms < 1 ? "%.4f" : (r.median_ms < 100 ? "%.3f" : "%.1f"), r.median_ms) +
         (r.capped ? "†" : "");
}

std::string path_label(const std::string& p) {
  if (p == kPathTorchF32) return "LibTorch f32";
  if (p == kPathTorchBf16) return "LibTorch bf16";
  if (p == kPathDenseOurs) return "dense bf16 (ours)";
  if (p == kPathSparseOurs) return "2:4 packed (ours)";
  if (p == kPathCudaF16) return "CUDA fp16";
  if (p == kPathCudaBf16) return "CUDA bf16";
  if (p == kPathCudaSparseF16) return "cuSPARSELt 2:4 fp16";
  if (p == kPathCudaSparseBf16) return "cuSPARSELt 2:4 bf16";
  return p;
}

// Every path, in table order; the CPU ones are the default.
const std::vector<std::string>& all_paths() {
  static const std::vector<std::string> p = {kPathTorchF32,      kPathTorchBf16,      kPathDenseOurs,
                                             kPathSparseOurs,    kPathCudaF16,        kPathCudaBf16,
                                             kPathCudaSparseF16, kPathCudaSparseBf16};
  return p;
}
const std::vector<std::string> kCpuPaths = {kPathTorchF32, kPathTorchBf16, kPathDenseOurs, kPathSparseOurs};

// The output a path's run_once wrote, as fp32 on the CPU.
at::Tensor output_of(const std::string& path, const Buffers& b) {
  if (path == kPathTorchBf16) return b.yb.to(at::kFloat);
  if (path == kPathCudaF16 || path == kPathCudaSparseF16) return b.yc16.to(at::kCPU, at::kFloat);
  if (path == kPathCudaBf16 || path == kPathCudaSparseBf16) return b.ycb.to(at::kCPU, at::kFloat);
  return b.y.clone();
}

}  // namespace

std::vector<int64_t> parse_int_list(const std::string& text, const std::string& flag) {
  std::vector<int64_t> out;
  for (const auto& item : split(text, ',')) {
    int64_t v = 0;
    if (!parse_i64(item, &v) || v <= 0)
      throw InputError(flag + ": '" + item + "' is not a positive integer (in '" + text + "')");
    out.push_back(v);
  }
  if (out.empty()) throw InputError(flag + ": empty list");
  return out;
}

std::vector<LinearShape> parse_shapes(const std::string& spec) {
  if (spec == "llama-2-7b") return llama_layer(4096, 11008, 32, 32);
  if (spec == "tinyllama-1.1b") return llama_layer(2048, 5632, 32, 4);
  std::vector<LinearShape> out;
  for (const auto& item : split(spec, ';')) {
    if (item.empty()) continue;
    const auto parts = split(item, ',');
    std::vector<int64_t> v;
    for (const auto& p : parts) {
      int64_t x = 0;
      if (!parse_i64(p, &x) || x < 0) {
        v.clear();
        break;
      }
      v.push_back(x);
    }
    if (v.size() != 2 && v.size() != 3)
      throw InvalidSetting("shape", item, "is not llama-2-7b, tinyllama-1.1b, M,K,N or K,N (M tokens, K in, N out)");
    LinearShape s;
    s.tokens = v.size() == 3 ? v[0] : 0;
    s.in = v[v.size() - 2];
    s.out = v[v.size() - 1];
    if (s.in <= 0 || s.out <= 0) throw InvalidSetting("shape", item, "K and N must be positive");
    if (s.in % 4 != 0) throw InvalidSetting("shape", item, "K (in features) must be a multiple of 4 for 2:4");
    s.name = std::to_string(s.in) + "->" + std::to_string(s.out);
    out.push_back(s);
  }
  if (out.empty()) throw InvalidSetting("shape", spec, "no shape given");
  return out;
}

MachineInfo machine_info(sparse24::Isa isa) {
  MachineInfo m;
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto c = line.find(':');
      if (c != std::string::npos) m.cpu = line.substr(line.find_first_not_of(" \t", c + 1));
      break;
    }
  }
  m.cores = static_cast<int>(std::thread::hardware_concurrency());
  m.threads = num_threads();
  m.isa = sparse24::isa_name(sparse24::resolve_isa(isa));
  m.torch = TORCH_VERSION;
  m.l3_bytes = l3_cache_bytes();
  if (openblas_get_config) m.blas = openblas_get_config();
  if (openblas_get_corename) m.blas_core = openblas_get_corename();
  for (const char* var : {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_CORETYPE", "PRUNEKIT_ISA", "PRUNEKIT_SPIN_US"}) {
    if (const char* v = std::getenv(var)) {
      if (!m.env.empty()) m.env += " ";
      m.env += std::string(var) + "=" + v;
    }
  }
  m.wait_policy = ops::wait_policy();
  return m;
}

std::vector<GemmResult> run_gemm_bench(const GemmBenchOptions& opt,
                                       const std::function<void(const GemmResult&)>& on_result) {
  const std::vector<std::string> paths = opt.paths.empty() ? kCpuPaths : opt.paths;
  bool cuda = false;
  for (const auto& p : paths) {
    if (std::find(all_paths().begin(), all_paths().end(), p) == all_paths().end())
      throw InvalidSetting("paths", p, "unknown path");
    cuda = cuda || is_cuda_path(p);
  }
  std::string why;
  if (cuda && !ops::cuda24::available(&why)) throw InvalidSetting("paths", "", "CUDA paths unavailable: " + why);
  double ws = opt.working_set_mb * 1024.0 * 1024.0;
  if (opt.working_set_mb < 0) ws = std::max<double>(2.0 * static_cast<double>(l3_cache_bytes()), 256.0 * 1024 * 1024);
  const sparse24::Isa isa = sparse24::resolve_isa(opt.isa);

  std::vector<GemmResult> results;
  for (size_t si = 0; si < opt.shapes.size(); ++si) {
    const LinearShape& shape = opt.shapes[si];
    const std::vector<int64_t> tokens = shape.tokens > 0 ? std::vector<int64_t>{shape.tokens} : opt.tokens;
    at::manual_seed(opt.seed + si);
    const at::Tensor w = sparse24::prune_magnitude(at::randn({shape.out, shape.in}) * 0.02);
    std::map<int64_t, Buffers> bufs;
    for (int64_t T : tokens) {
      Buffers b;
      b.x = at::randn({T, shape.in});
      b.xb = b.x.to(at::kBFloat16);
      b.y = at::empty({T, shape.out});
      b.yb = at::empty({T, shape.out}, at::kBFloat16);
      if (cuda) {
        b.xc16 = b.x.to(at::kCUDA, at::kHalf);
        b.xcb = b.x.to(at::kCUDA, at::kBFloat16);
        b.yc16 = at::empty({T, shape.out}, b.xc16.options());
        b.ycb = at::empty({T, shape.out}, b.xcb.options());
      }
      bufs[T] = b;
    }
    // All paths' weight copies live at once: a cell is measured in two passes over the paths, so
    // background load on a shared machine hits every path alike (see the timing loop below).
    std::vector<Runner> runners;
    std::vector<int> next_copy(paths.size(), 0);
    at::Tensor reference;  // sanity: every path computes the same product (bf16 within rounding)
    for (size_t p = 0; p < paths.size(); ++p) {
      runners.push_back(make_runner(paths[p], w, ws));
      Buffers& b = bufs[tokens.front()];
      run_once(runners[p], 0, b, isa);
      at::Tensor out = output_of(paths[p], b);
      if (!reference.defined()) {
        reference = out;
      } else {
        const double err = (out - reference).abs().max().item<double>();
        const double scale = reference.abs().max().item<double>() + 1e-12;
        if (err > 0.05 * scale)
          log::warn("{} on {} differs from {} by {:.3g} (max |y| {:.3g})", paths[p], shape.name, paths.front(), err,
                    scale);
      }
    }
    auto run_path = [&](size_t p, Buffers& b) {
      const bool on_cuda = is_cuda_path(paths[p]);
      const int calls = on_cuda ? kCudaCallsPerRun : 1;
      Stopwatch sw;
      for (int c = 0; c < calls; ++c) {
        run_once(runners[p], next_copy[p], b, isa);
        next_copy[p] = (next_copy[p] + 1) % runners[p].copies();
      }
      if (on_cuda) ops::cuda24::synchronize();
      return sw.seconds() / calls;
    };
    for (int64_t T : tokens) {
      Buffers& b = bufs[T];
      std::vector<std::vector<double>> times(paths.size());
      std::vector<double> spent(paths.size(), 0.0);
      std::vector<bool> active(paths.size(), true);
      // kPasses passes; in each, every path gets a block of runs (warm-up, then its share of the
      // runs and of the time budget), the path order reversed every other pass. So slow phases of
      // a shared machine (other jobs, a busy hyperthread sibling) hit every path alike. Blocks
      // rather than run-by-run interleaving, with a pause after each: thread pools (OpenMP,
      // OpenBLAS' pthreads behind LibTorch f32) keep spinning for a while after a call and would
      // steal the cores from whatever runs next. A first warm-up run longer than the whole
      // per-path budget is kept as the (only) measurement.
      constexpr int kPasses = 4;
      for (int pass = 0; pass < kPasses; ++pass) {
        const int target = (opt.iters * (pass + 1) + kPasses - 1) / kPasses;
        const double budget = opt.max_seconds * (pass + 1) / kPasses;
        for (size_t k = 0; k < paths.size(); ++k) {
          const size_t p = pass % 2 == 0 ? k : paths.size() - 1 - k;
          if (!active[p]) continue;
          double warm = 0;
          const int warmup = pass == 0 ? std::max(1, opt.warmup) : 1;
          for (int i = 0; i < warmup; ++i) {
            const double t = run_path(p, b);
            warm += t;
            if (pass == 0 && i == 0 && t >= opt.max_seconds) {
              times[p].push_back(t);
              active[p] = false;
              break;
            }
            if (warm >= opt.max_seconds / (2 * kPasses)) break;
          }
          while (active[p] && static_cast<int>(times[p].size()) < target && spent[p] < budget) {
            const double t = run_path(p, b);
            times[p].push_back(t);
            spent[p] += t;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(paths[p] == kPathTorchF32 ? 150 : 20));
        }
      }
      for (size_t p = 0; p < paths.size(); ++p) {
        GemmResult res;
        res.shape = shape.name;
        res.in = shape.in;
        res.out = shape.out;
        res.tokens = T;
        res.path = paths[p];
        res.weight_bytes = runners[p].bytes;
        res.copies = runners[p].copies();
        const Stats s = stats_of(times[p]);
        res.runs = static_cast<int>(times[p].size());
        res.capped = res.runs < std::min(10, opt.iters);
        res.median_ms = s.median * 1e3;
        res.min_ms = s.min * 1e3;
        res.max_ms = s.max * 1e3;
        res.q1_ms = s.q1 * 1e3;
        res.q3_ms = s.q3 * 1e3;
        res.gflops = 2.0 * static_cast<double>(T) * shape.in * shape.out / s.median / 1e9;
        res.weight_gbps = static_cast<double>(runners[p].bytes) / s.median / 1e9;
        if (on_result) on_result(res);
        results.push_back(res);
      }
    }
  }
  // Order by shape, tokens, path; speedup vs the fastest dense path of the same cell.
  auto shape_rank = [&](const std::string& name) {
    for (size_t i = 0; i < opt.shapes.size(); ++i)
      if (opt.shapes[i].name == name) return i;
    return opt.shapes.size();
  };
  auto path_rank = [&](const std::string& p) {
    return static_cast<size_t>(std::find(all_paths().begin(), all_paths().end(), p) - all_paths().begin());
  };
  std::stable_sort(results.begin(), results.end(), [&](const GemmResult& a, const GemmResult& b) {
    return std::make_tuple(shape_rank(a.shape), a.tokens, path_rank(a.path)) <
           std::make_tuple(shape_rank(b.shape), b.tokens, path_rank(b.path));
  });
  for (auto& r : results) {
    double best = 0;
    for (const auto& o : results)
      if (o.shape == r.shape && o.tokens == r.tokens && is_dense_path(o.path) && o.median_ms > 0)
        best = best == 0 ? o.median_ms : std::min(best, o.median_ms);
    r.speedup = best > 0 ? best / r.median_ms : 0;
  }
  return results;
}

std::string gemm_summary_markdown(const std::vector<GemmResult>& results) {
  std::vector<std::string> paths;
  for (const auto& p : all_paths())
    for (const auto& r : results)
      if (r.path == p) {
        paths.push_back(p);
        break;
      }
  // A weight-GB/s and a speed-up column per 2:4 path (one on a CPU run; fp16 and bf16 on CUDA).
  std::vector<std::string> sparse_paths;
  for (const auto& p : paths)
    if (!is_dense_path(p)) sparse_paths.push_back(p);
  std::ostringstream os;
  os << "| shape (in->out) | tokens |";
  for (const auto& p : paths) os << " " << path_label(p) << " ms |";
  for (const auto& p : sparse_paths) {
    const std::string prefix = sparse_paths.size() == 1 ? "2:4" : path_label(p);
    os << " " << prefix << " weight GB/s | " << prefix << " speedup vs best dense |";
  }
  os << "\n|---|---:|";
  for (size_t i = 0; i < paths.size() + 2 * sparse_paths.size(); ++i) os << "---:|";
  os << "\n";
  // Rows in result order (shape, tokens); per-token totals across shapes at the end.
  std::vector<std::pair<std::string, int64_t>> cells;
  std::map<std::pair<std::string, int64_t>, std::map<std::string, const GemmResult*>> by;
  std::vector<std::string> shapes;
  std::vector<int64_t> tokens;
  for (const auto& r : results) {
    auto key = std::make_pair(r.shape, r.tokens);
    if (!by.count(key)) cells.push_back(key);
    by[key][r.path] = &r;
    if (std::find(shapes.begin(), shapes.end(), r.shape) == shapes.end()) shapes.push_back(r.shape);
    if (std::find(tokens.begin(), tokens.end(), r.tokens) == tokens.end()) tokens.push_back(r.tokens);
  }
  for (const auto& key : cells) {
    const auto& m = by[key];
    const GemmResult* any = m.begin()->second;
    os << "| " << key.first << " (" << any->in << "->" << any->out << ") | " << key.second << " |";
    for (const auto& p : paths) os << " " << (m.count(p) ? ms_cell(*m.at(p)) : "-") << " |";
    for (const auto& p : sparse_paths) {
      if (m.count(p)) {
        const auto* s = m.at(p);
        os << " " << fmt("%.1f", s->weight_gbps) << " | **" << fmt("%.2f", s->speedup) << "x** |";
      } else {
        os << " - | - |";
      }
    }
    os << "\n";
  }
  // Totals: sum of medians over all shapes, per token count (= one decoder layer for a model).
  if (shapes.size() > 1) {
    std::sort(tokens.begin(), tokens.end());
    for (int64_t T : tokens) {
      std::map<std::string, double> total;
      bool complete = true;
      for (const auto& s : shapes) {
        auto it = by.find({s, T});
        if (it == by.end()) {
          complete = false;
          break;
        }
        for (const auto& p : paths) {
          if (!it->second.count(p)) complete = false;
          else total[p] += it->second.at(p)->median_ms;
        }
      }
      if (!complete) continue;
      os << "| **all " << shapes.size() << " shapes (sum)** | " << T << " |";
      double best_dense = 0;
      for (const auto& p : paths) {
        os << " " << fmt(total[p] < 100 ? "%.3f" : "%.1f", total[p]) << " |";
        if (is_dense_path(p)) best_dense = best_dense == 0 ? total[p] : std::min(best_dense, total[p]);
      }
      for (const auto& p : sparse_paths) {
        int64_t bytes = 0;
        for (const auto& s : shapes) bytes += by[{s, T}].at(p)->weight_bytes;
        os << " " << fmt("%.1f", bytes / (total[p] * 1e-3) / 1e9) << " | **"
           << fmt("%.2f", best_dense > 0 ? best_dense / total[p] : 0) << "x** |";
      }
      os << "\n";
    }
  }
  return os.str();
}

std::string gemm_detail_markdown(const std::vector<GemmResult>& results) {
  std::ostringstream os;
  os << "| shape (in->out) | tokens | path | runs | median ms | min-max ms | IQR ms | GFLOP/s | weight GB/s | "
        "speedup |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : results) {
    os << "| " << r.shape << " (" << r.in << "->" << r.out << ") | " << r.tokens << " | " << r.path << " | "
       << r.runs << (r.capped ? "†" : "") << " | " << fmt("%.4f", r.median_ms) << " | "
       << fmt("%.4f", r.min_ms) << "-" << fmt("%.4f", r.max_ms) << " | " << fmt("%.4f", r.q1_ms) << "-"
       << fmt("%.4f", r.q3_ms) << " | " << fmt("%.1f", r.gflops) << " | " << fmt("%.1f", r.weight_gbps)
       << " | " << fmt("%.2f", r.speedup) << "x |\n";
  }
  return os.str();
}

nlohmann::json gemm_json(const MachineInfo& m, const GemmBenchOptions& opt,
                         const std::vector<GemmResult>& results) {
  nlohmann::json j;
  j["machine"] = {{"cpu", m.cpu},     {"cores", m.cores},       {"threads", m.threads},
                  {"isa", m.isa},     {"torch", m.torch},       {"l3_bytes", m.l3_bytes},
                  {"blas", m.blas},   {"blas_core", m.blas_core}, {"env", m.env},
                  {"wait_policy", m.wait_policy}};
  j["options"] = {{"iters", opt.iters},
                  {"warmup", opt.warmup},
                  {"max_seconds_per_cell", opt.max_seconds},
                  {"working_set_mb", opt.working_set_mb}};
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : results) {
    arr.push_back({{"shape", r.shape},
                   {"in_features", r.in},
                   {"out_features", r.out},
                   {"tokens", r.tokens},
                   {"path", r.path},
                   {"runs", r.runs},
                   {"capped", r.capped},
                   {"median_ms", r.median_ms},
                   {"min_ms", r.min_ms},
                   {"max_ms", r.max_ms},
                   {"q1_ms", r.q1_ms},
                   {"q3_ms", r.q3_ms},
                   {"gflops", r.gflops},
                   {"weight_bytes", r.weight_bytes},
                   {"weight_gbps", r.weight_gbps},
                   {"weight_copies", r.copies},
                   {"speedup", r.speedup}});
  }
  j["results"] = arr;
  return j;
}

}  // namespace bench
}  // namespace prunekit
