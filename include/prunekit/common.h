// Shared basics: the error type that maps to exit code 2, fixture paths, resource figures.
#pragma once
#include <chrono>
#include <stdexcept>
#include <string>

namespace prunekit {

// Bad input from the user (file, flag, data): tools print one line and exit with code 2.
// Message convention: "<file or --flag>: <what is wrong>".
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A setting the library was given has a value it cannot use. The library names the setting in
// its own terms (the option field, e.g. "sparsity", "owl_lambda", "seqlen") and never a flag; the
// tools layer maps the setting to its flag (tools/common/cli.h). what(): "<setting> <value>: <problem>".
class InvalidSetting : public InputError {
 public:
  InvalidSetting(std::string setting, std::string value, std::string problem);
  const std::string& setting() const { return setting_; }
  const std::string& value() const { return value_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string setting_, value_, problem_;
};

// A computation produced NaN or Inf (a run failure, exit code 1): where names the place, e.g.
// "decoder layer 3" or "the loss of window 7".
class NumericalError : public std::runtime_error {
 public:
  explicit NumericalError(const std::string& where);
};

// Root of the shared fixtures (models/, data/, reference/): $PRUNEKIT_SHARED, else "" if unset.
std::string shared_dir_from_env();

// Peak resident set size of this process in MiB (from /proc/self/status VmHWM).
double peak_rss_mb();
// Current resident set size in MiB (VmRSS).
double current_rss_mb();

// Call first in main(). LibTorch's OpenMP workers spin while idle and then fight OpenBLAS's own
// pthread pool for the cores (measured: 2 threads 2x slower than 1 on stories260K). OpenMP
// reads OMP_WAIT_POLICY only when it loads, before main(), so when it is unset this sets it to
// PASSIVE and re-executes the program once (a user's own setting is respected). The same re-exec
// sets OPENBLAS_CORETYPE when OpenBLAS failed to recognise the CPU (generic "Prescott" kernels on
// a VM that hides the CPU model) but the CPU has AVX2/AVX-512 (see common.cpp).
void init_process(int argc, char** argv);

// Intra-op threads for LibTorch and our kernels; n <= 0 means all cores.
void set_threads(int n);
int num_threads();

struct Stopwatch {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  void reset() { t0 = std::chrono::steady_clock::now(); }
};

bool file_exists(const std::string& path);
// What keeps `path` from being read as a regular file, in words ("is a directory", "is a FIFO",
// "is a dangling symbolic link (to X)", "is a symbolic link loop", "does not exist"), or "" when
// it is one.
std::string path_problem(const std::string& path);
constexpr const char* kPathMissing = "does not exist";  // path_problem() of a path with nothing there
bool dir_exists(const std::string& path);
std::string read_file(const std::string& path);  // throws InputError naming the path
// Refuse early (InputError naming `flag`) when `path` could not be created or replaced later.
void check_writable(const std::string& path, const std::string& flag);

}  // namespace prunekit
