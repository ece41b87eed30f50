// bench-sparse: what 2:4 sparsity buys on CPU.
//   gemm  - Linear shapes of a model: LibTorch f32/bf16, our dense bf16 kernel, our packed 2:4.
//   model - end-to-end prefill and decode: dense checkpoint vs its 2:4 twin on our packed kernels.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "prunekit/bench.h"
#include "prunekit/checkpoint.h"
#include "prunekit/log.h"
#include "common/cli.h"
#include "prunekit/sparse24.h"

namespace {

struct GemmArgs {
  std::string shape = "llama-2-7b";
  std::string tokens = "1,8,32,128,512,2048";
  std::string dtype = "f32,bf16";
  std::string device = "cpu";
  std::string paths;
  std::string isa = "auto";
  std::string json_out;
  int iters = 20;
  int warmup = 2;
  double max_seconds = 2.0;
  double working_set_mb = -1;
  bool hot = false;
  int threads = 0;
  bool threads_check = true;
};

// The "Machine: ..." line under each table's heading.
void print_machine_line(const prunekit::bench::MachineInfo& m) {
  std::printf("Machine: %s, %d cores, %d threads, kernel ISA %s, LibTorch %s", m.cpu.c_str(), m.cores,
              m.threads, m.isa.c_str(), m.torch.c_str());
  if (!m.blas_core.empty()) std::printf(", OpenBLAS kernels %s", m.blas_core.c_str());
  if (!m.env.empty()) std::printf(", env: %s", m.env.c_str());
  std::printf(".\nWait policy: %s; LibTorch's OpenMP: %s.\n", m.wait_policy.c_str(),
              std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : "default");
}

// "a,b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c != ',') {
      cur += c;
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

// "Threads: ..." lines: our kernels' per-token-count sums over the shapes with all threads (the
// table's run) against the same cells rerun on one thread. Threads must never make a kernel slower.
void print_thread_check(const prunekit::bench::GemmBenchOptions& opt,
                        const std::vector<prunekit::bench::GemmResult>& results, int threads, bool enabled) {
  using namespace prunekit;
  if (!enabled || threads <= 1) return;
  bench::GemmBenchOptions one = opt;
  one.paths.clear();
  for (const auto& p : opt.paths)
    if (p == bench::kPathDenseOurs || p == bench::kPathSparseOurs) one.paths.push_back(p);
  if (one.paths.empty()) return;
  log::info("gemm: the same cells of our kernels on 1 thread");
  set_threads(1);
  const auto single = bench::run_gemm_bench(one, [](const bench::GemmResult&) {});
  set_threads(threads);
  std::map<std::pair<std::string, int64_t>, double> all_ms, one_ms;
  for (const auto& r : results) all_ms[{r.path, r.tokens}] += r.median_ms;
  for (const auto& r : single) one_ms[{r.path, r.tokens}] += r.median_ms;
  std::printf("\nThreads (sum over the shapes, medians): 1 thread vs %d threads, same cells run after the table.\n\n", threads);
  std::printf("| path | tokens | 1 thread ms | %d threads ms | speed-up from threads |\n|---|---:|---:|---:|---:|\n", threads);
  for (const auto& [key, ms1] : one_ms) {
    const double msn = all_ms.count(key) ? all_ms[key] : 0;
    std::printf("| %s | %lld | %.2f | %.2f | %.2fx%s |\n", key.first.c_str(), static_cast<long long>(key.second), ms1, msn,
                msn > 0 ? ms1 / msn : 0.0, msn > ms1 ? " (threads SLOWER)" : "");
  }
}

int run_gemm(const GemmArgs& a) {
  using namespace prunekit;
  set_threads(a.threads);
  bench::GemmBenchOptions opt;
  opt.shapes = bench::parse_shapes(a.shape);
  opt.tokens = bench::parse_int_list(a.tokens, "--tokens");
  if (a.iters < 1) throw InputError("--iters: must be >= 1");
  if (a.max_seconds <= 0) throw InputError("--max-seconds: must be > 0");
  opt.iters = a.iters;
  opt.warmup = a.warmup;
  opt.max_seconds = a.max_seconds;
  opt.working_set_mb = a.hot ? 0.0 : a.working_set_mb;
  try {
    opt.isa = sparse24::resolve_isa(sparse24::parse_isa(a.isa));
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string("--isa: ") + e.what());
  }
  if (a.device != "cpu" && a.device != "cuda") throw InputError("--device: '" + a.device + "' is not cpu or cuda");
  if (!a.paths.empty()) {
    opt.paths = split_commas(a.paths);
  } else if (a.device == "cuda") {
    // LibTorch dense fp16/bf16 vs cuSPARSELt 2:4 in the same dtypes (--dtype does not apply).
    opt.paths = {bench::kPathCudaF16, bench::kPathCudaBf16, bench::kPathCudaSparseF16, bench::kPathCudaSparseBf16};
  } else {
    bool f32 = false, bf16 = false;
    for (const std::string& d : split_commas(a.dtype)) {
      if (d == "f32" || d == "float32") f32 = true;
      else if (d == "bf16" || d == "bfloat16") bf16 = true;
      else if (d == "both") f32 = bf16 = true;
      else throw InputError("--dtype: '" + d + "' is not f32, bf16 or both");
    }
    if (f32) opt.paths.push_back(bench::kPathTorchF32);
    if (bf16) opt.paths.push_back(bench::kPathTorchBf16);
    opt.paths.push_back(bench::kPathDenseOurs);
    opt.paths.push_back(bench::kPathSparseOurs);
  }
  if (!a.json_out.empty()) check_writable(a.json_out, "--json");

  std::string why;
  for (const auto& p : opt.paths)
    if (bench::is_cuda_path(p) && !bench::cuda_paths_available(&why))
      throw InputError((a.paths.empty() ? "--device cuda: " : "--paths: " + p + ": ") + why);

  const bench::MachineInfo m = bench::machine_info(opt.isa);
  log::info("gemm: {}, {} cores, {} threads, kernels {}, LibTorch {}, L3 {:.0f} MiB", m.cpu, m.cores, m.threads, m.isa,
            m.torch, m.l3_bytes / 1048576.0);
  if (!m.blas_core.empty()) log::info("gemm: LibTorch BLAS: {} (kernels: {})", m.blas, m.blas_core);
  if (m.blas_core == "Prescott")
    log::warn("gemm: OpenBLAS does not know this CPU and uses its generic SSE3 (Prescott) kernels, so LibTorch "
              "f32 is far below what it can do here; for a fair baseline run with OPENBLAS_CORETYPE=SkylakeX (or "
              "Haswell)");
  auto results = bench::run_gemm_bench(opt, [](const bench::GemmResult& r) {
    log::info("gemm: {:<10} {:>6}x{:<6} T={:<5} {:<16} {:>4} runs  median {:>10.4f} ms  ({:.4f}-{:.4f})  {:>7.1f} GB/s",
              r.shape, r.in, r.out, r.tokens, r.path, r.runs, r.median_ms, r.min_ms, r.max_ms, r.weight_gbps);
  });
  std::printf("## bench-sparse gemm: %s\n\n", a.shape.c_str());
  print_machine_line(m);
  for (const auto& p : opt.paths)
    if (bench::is_cuda_path(p)) {
      std::printf("CUDA: %s; a timed run is %d back-to-back calls, then one wait (per-call time reported); "
                  "cuSPARSELt pads the tokens to a multiple of 8.\n",
                  bench::cuda_build_info().c_str(), bench::kCudaCallsPerRun);
      break;
    }
  std::printf("Median of up to %d timed runs per path after warm-up, taken in 4 passes over the paths "
              "(blocks with a pause between, so background load hits every path alike; cells marked "
              "† hit the %.1f s per-path cap and have fewer than 10 runs). "
              "Weights: random, pruned 2:4 by magnitude; %s.\n\n",
              opt.iters, opt.max_seconds,
              opt.working_set_mb == 0 ? "one copy (hot, may be cache resident)"
                                      : "copies rotated so each run reads weights not in cache");
  std::printf("%s\n", bench::gemm_summary_markdown(results).c_str());
  std::printf("<details><summary>All paths (median, min-max, IQR, GFLOP/s dense-equivalent, weight GB/s)</summary>\n\n%s\n</details>\n",
              bench::gemm_detail_markdown(results).c_str());
  print_thread_check(opt, results, m.threads, a.threads_check);
  if (!a.json_out.empty()) {
    write_file_atomic(a.json_out, bench::gemm_json(m, opt, results).dump(2) + "\n");
    log::info("gemm: wrote {}", a.json_out);
  }
  return 0;
}

struct ModelArgs {
  std::string model, sparse_model, prefill = "128,512,2048", batch = "1,8", paths, isa = "auto", json_out;
  int64_t decode = 128, context = 128;
  int repeats = 3;
  double max_seconds = 30.0;
  int threads = 0;
};

int run_model(const ModelArgs& a) {
  using namespace prunekit;
  set_threads(a.threads);
  bench::ModelBenchOptions opt;
  opt.model_dir = a.model;
  opt.sparse_model_dir = a.sparse_model;
  opt.prefill = a.prefill.empty() || a.prefill == "0" ? std::vector<int64_t>{} : bench::parse_int_list(a.prefill, "--prefill");
  opt.batch = bench::parse_int_list(a.batch, "--batch");
  if (a.decode < 0) throw InputError("--decode: must be >= 0");
  if (a.context < 1) throw InputError("--context: must be >= 1");
  if (a.repeats < 1) throw InputError("--repeats: must be >= 1");
  opt.decode = a.decode;
  opt.decode_context = a.context;
  opt.repeats = a.repeats;
  opt.max_seconds = a.max_seconds;
  try {
    opt.isa = sparse24::resolve_isa(sparse24::parse_isa(a.isa));
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string("--isa: ") + e.what());
  }
  const std::vector<std::string> known = {bench::kPathTorchF32, bench::kPathTorchBf16, bench::kPathDenseOurs,
                                          bench::kPathSparseOurs, bench::kPathSparseTorch};
  for (const std::string& p : split_commas(a.paths)) {
    if (std::find(known.begin(), known.end(), p) == known.end()) throw InputError("--paths: unknown path '" + p + "'");
    opt.paths.push_back(p);
  }
  // Open both checkpoints before the long run so a bad directory fails in a second.
  { Checkpoint check(opt.model_dir); }
  if (!opt.sparse_model_dir.empty()) { Checkpoint check(opt.sparse_model_dir); }
  if (!a.json_out.empty()) check_writable(a.json_out, "--json");
  const bench::MachineInfo m = bench::machine_info(opt.isa);
  std::vector<bench::ModelPathInfo> infos;
  auto results = bench::run_model_bench(opt, &infos, [](const bench::ModelResult& r) {
    log::info("model: {:<18} {:<7} batch {:<3} tokens {:<5} {:>4} runs  median {:>10.2f} ms  {:>9.1f} tok/s", r.path,
              r.phase, r.batch, r.tokens, r.runs, r.median_ms, r.tokens_per_s);
  });
  std::printf("## bench-sparse model: %s\n\n", opt.model_dir.c_str());
  print_machine_line(m);
  std::printf("Prefill: tokens/s of one forward over batch x tokens (KV cache filled, logits of the last "
              "position only), median of up to %d runs. Decode: greedy steps with a KV cache after a "
              "context of %lld tokens; tokens/s = batch / median step time over %lld steps. Activations "
              "fp32 on every path except torch_bf16.\n\n",
              opt.repeats, static_cast<long long>(opt.decode_context), static_cast<long long>(opt.decode));
  std::printf("%s\n", bench::model_markdown(results, infos).c_str());
  if (!a.json_out.empty()) {
    write_file_atomic(a.json_out, bench::model_json(m, opt, results, infos).dump(2) + "\n");
    log::info("model: wrote {}", a.json_out);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // prunekit::init_process makes OpenMP's idle workers wait passively (so they leave OpenBLAS'
  // pthread pool alone). Measured on the 2-core VM: fully passive workers make every
  // OpenMP-parallel kernel (ours, LibTorch bf16) up to 2x slower, since a woken worker is often
  // placed on its waker's core; a ~1 ms spin before sleeping keeps both LibTorch f32 and the
  // OpenMP kernels fast. So add that spin unless the user chose a policy or spin count.
  if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT")) ::setenv("GOMP_SPINCOUNT", "100000", 1);
  prunekit::init_process(argc, argv);
  CLI::App app{"bench-sparse: dense vs packed 2:4 sparse kernels on CPU", "bench-sparse"};
  app.require_subcommand(1);

  GemmArgs g;
  CLI::App* gemm = app.add_subcommand("gemm", "time the Linear shapes of a model: dense vs packed 2:4");
  gemm->add_option("--shape", g.shape,
                   "llama-2-7b | tinyllama-1.1b | M,K,N[;M,K,N...] (M tokens, 0 = --tokens; K in, N out)")
      ->capture_default_str();
  gemm->add_option("--tokens", g.tokens, "token counts, comma separated")->capture_default_str();
  gemm->add_option("--dtype", g.dtype,
                   "LibTorch dense baseline(s): f32, bf16 or f32,bf16 (our kernels always store bf16)")
      ->capture_default_str();
  gemm->add_option("--paths", g.paths,
                   "explicit paths (overrides --dtype and --device): torch_f32,torch_bf16,dense_bf16_ours,"
                   "sparse24_ours,cuda_f16,cuda_bf16,cuda_sparse24_f16,cuda_sparse24_bf16");
  gemm->add_option("--device", g.device,
                   "cpu, or cuda: LibTorch fp16/bf16 vs cuSPARSELt 2:4 (only in a build against LibTorch "
                   ">= 2.1 with CUDA)")
      ->capture_default_str();
  namespace cli = prunekit::cli;
  gemm->add_option("--iters", g.iters, "timed runs per cell (at most)")->capture_default_str()
      ->check(cli::Integer(1, 1000000));
  gemm->add_option("--warmup", g.warmup, "warm-up runs per cell (at most)")->capture_default_str()
      ->check(cli::Integer(0, 1000000));
  gemm->add_option("--max-seconds", g.max_seconds, "per-cell time cap for the timed runs")->capture_default_str()
      ->check(cli::Real(1e-3, 86400));
  gemm->add_option("--working-set-mb", g.working_set_mb,
                   "rotate weight copies over this many MiB (default: 2 x L3, >= 256 MiB)");
  gemm->add_flag("--hot", g.hot, "one weight copy (cache resident when it fits)");
  gemm->add_option("--isa", g.isa, "kernel level: auto|scalar|avx2|avx512")->capture_default_str();
  gemm->add_option("--json", g.json_out, "write machine info and all results as JSON");
  prunekit::add_threads_flag(*gemm, &g.threads);
  gemm->add_flag("!--no-thread-check", g.threads_check,
                 "skip the 1-thread rerun of our kernels (the \"Threads\" table after the main one)");

  ModelArgs md;
  CLI::App* model = app.add_subcommand("model", "end-to-end prefill and decode tokens/s: dense vs its 2:4 twin");
  model->add_option("--model", md.model, "dense HF checkpoint directory")->required();
  model->add_option("--sparse-model", md.sparse_model,
                    "its 2:4-pruned twin (prune --pattern 2:4); default: 2:4 by magnitude on the fly");
  model->add_option("--prefill", md.prefill, "prompt lengths, comma separated (0: no prefill rows)")->capture_default_str();
  model->add_option("--decode", md.decode, "greedy decode steps timed per batch size (0: none)")->capture_default_str()
      ->check(cli::Integer(0, 1 << 24));
  model->add_option("--context", md.context, "tokens in the KV cache before the timed decode steps")->capture_default_str()
      ->check(cli::Integer(1, 1 << 24));
  model->add_option("--batch", md.batch, "batch sizes, comma separated")->capture_default_str();
  model->add_option("--paths", md.paths,
                    "torch_f32,torch_bf16,dense_bf16_ours,sparse24_ours (default) and/or sparse24_torch_f32 "
                    "(the 2:4 twin on LibTorch: control)");
  model->add_option("--repeats", md.repeats, "prefill runs per cell (at most)")->capture_default_str()
      ->check(cli::Integer(1, 1000000));
  model->add_option("--max-seconds", md.max_seconds, "stop repeating a prefill cell after this long")->capture_default_str()
      ->check(cli::Real(1e-3, 86400));
  model->add_option("--isa", md.isa, "kernel level: auto|scalar|avx2|avx512")->capture_default_str();
  model->add_option("--json", md.json_out, "write machine info, paths and all results as JSON");
  prunekit::add_threads_flag(*model, &md.threads);
  model->footer("Paths run one after another, each with its own copy of the model in memory (fp32 for "
                  "torch_f32 and our kernels' activations, bf16 for torch_bf16; our kernels hold bf16 or "
                  "packed 2:4 weights).");

  int code = 0;
  if (!prunekit::parse_cli(app, argc, argv, &code)) return code;
  return prunekit::guarded_main("bench-sparse", [&] {
    if (gemm->parsed()) return run_gemm(g);
    if (model->parsed()) return run_model(md);
    return 2;
  });
}
