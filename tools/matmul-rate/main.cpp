// matmul-rate: the fp32 (or bf16) matmul rate of this machine in GFLOP/s, for FLOP-bound ratios
// printed next to benchmark timings (speed is reported as ratios measured in one run).
#include <cstdio>

#include "common/cli.h"

int main(int argc, char** argv) {
  prunekit::init_process(argc, argv);
  CLI::App app{"matmul-rate: GFLOP/s of x[M,K] @ W[N,K]^T with LibTorch on this machine", "matmul-rate"};
  int64_t m = 512, k = 2048, n = 5632;
  std::string dtype = "float32";
  double seconds = 2.0;
  int threads = 0;
  namespace cli = prunekit::cli;
  app.add_option("-m", m, "tokens")->capture_default_str()->check(cli::Integer(1, 1 << 20));
  app.add_option("-k", k, "input features")->capture_default_str()->check(cli::Integer(1, 1 << 20));
  app.add_option("-n", n, "output features")->capture_default_str()->check(cli::Integer(1, 1 << 20));
  app.add_option("--dtype", dtype, "float32|bfloat16")->capture_default_str()->check(cli::ComputeDtype());
  app.add_option("--seconds", seconds, "time spent measuring")->capture_default_str()->check(cli::Real(0, 3600));
  prunekit::add_threads_flag(app, &threads);
  int code = 0;
  if (!prunekit::parse_cli(app, argc, argv, &code)) return code;
  return prunekit::guarded_main("matmul-rate", [&] {
    prunekit::set_threads(threads);
    const at::ScalarType st = cli::parse_compute_dtype("--dtype", dtype);
    at::Tensor x = at::randn({m, k}).to(st), w = at::randn({n, k}).to(st);
    at::matmul(x, w.t());  // warm-up
    prunekit::Stopwatch clock;
    int runs = 0;
    while (clock.seconds() < seconds || runs < 3) {
      at::matmul(x, w.t());
      ++runs;
    }
    const double gflops = 2.0 * m * k * n * runs / clock.seconds() / 1e9;
    std::printf("matmul %lldx%lldx%lld %s, %d threads: %.1f GFLOP/s\n", (long long)m, (long long)k, (long long)n,
                dtype.c_str(), prunekit::num_threads(), gflops);
    return 0;
  });
}
