#include "prunekit/common.h"
#include "prunekit/cpu_isa.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace prunekit {

static double read_status_kb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string k(key);
  while (std::getline(f, line)) {
    if (line.compare(0, k.size(), k) == 0) return std::atof(line.c_str() + k.size() + 1);
  }
  return 0.0;
}
double peak_rss_mb() { return read_status_kb("VmHWM") / 1024.0; }
double current_rss_mb() { return read_status_kb("VmRSS") / 1024.0; }

// OpenBLAS (Debian builds it DYNAMIC_ARCH) picks its kernels from the CPU's family/model numbers.
// Some hypervisors hide them ("Intel(R) Xeon(R) Processor"), and OpenBLAS then falls back to its
// generic SSE3 "Prescott" kernels: measured on such a VM with AVX-512, fp32 matmul several times
// slower. When that happened, name the kernels the CPU's feature flags support (what OpenBLAS
// itself would choose for them). OpenBLAS reads OPENBLAS_CORETYPE only when it loads.
static const char* openblas_coretype_fix() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return nullptr;  // the user's choice
  using CoreName = char* (*)();
  auto corename = reinterpret_cast<CoreName>(::dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (!corename || !corename()) return nullptr;
  std::string core = corename();
  for (char& c : core) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (core != "prescott") return nullptr;
  if (ops::cpu_has_avx512()) return "SkylakeX";
  if (ops::cpu_has_avx2_fma()) return "Haswell";
  return nullptr;
}

void init_process(int argc, char** argv) {
  (void)argc;
  // glibc gives every thread that allocates its own malloc arena, and freed blocks stay in it:
  // with the OpenMP workers allocating in the attention and the kernels, peak RSS of prune on
  // tinyllama-1.1b rose from 1060 to 1412 MiB at the same speed. One arena, unless the user chose.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) ::mallopt(M_ARENA_MAX, 1);
  bool changed = false;
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    changed = true;
  }
  if (const char* core = openblas_coretype_fix()) {
    ::setenv("OPENBLAS_CORETYPE", core, 1);
    changed = true;
  }
  // Both are read when the libraries load, before main(): run the program again with them set.
  if (changed) ::execv("/proc/self/exe", argv);  // returns only on failure: then go on as we are
  install_interrupt_cleanup();
}

static int g_threads = 0;
void set_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  g_threads = n;
  at::set_num_threads(n);
  // LibTorch 1.13 sets OpenMP's thread count but not OpenBLAS's own pthread pool, whose idle
  // workers otherwise spin (sched_yield) against ours. Looked up at run time: the BLAS behind
  // LibTorch may not be OpenBLAS.
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(n);
}
int num_threads() { return g_threads > 0 ? g_threads : at::get_num_threads(); }

}  // namespace prunekit
