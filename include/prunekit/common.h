// Shared basics: the error types that map to exit codes 2 and 1, fixture paths, resource figures,
// checked file writes.
#pragma once
#include <chrono>
#include <cstdint>
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

// A write that failed while the run was otherwise fine (disk full, file too large, I/O error):
// tools print one line and exit with code 1. Message convention: "<file>: <what failed> (<errno text>)".
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws the error type that fits errno after an operation on `path` failed: InputError when the
// user can fix the path (permission, missing directory, read-only file system, ...), IoError when
// the run failed (no space, file too large, I/O error, ...). `what` says what was attempted.
[[noreturn]] void throw_errno(const std::string& path, const std::string& what, int err);

// True when `s` is one or more ASCII digits and nothing else (the strict integer check of the
// recipe parser and the flag parsers: no sign, no spaces, no hex).
bool all_digits(const std::string& s);

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

// "a/b/c" -> "a/b" and "c"; "c" -> "." and "c"; "/c" -> "/" and "c" (no normalisation).
std::string path_parent(const std::string& path);
std::string path_leaf(const std::string& path);

bool file_exists(const std::string& path);
// What keeps `path` from being read as a regular file, in words ("is a directory", "is a FIFO",
// "is a dangling symbolic link (to X)", "is a symbolic link loop", "does not exist"), or "" when
// it is one.
std::string path_problem(const std::string& path);
constexpr const char* kPathMissing = "does not exist";  // path_problem() of a path with nothing there
bool dir_exists(const std::string& path);
std::string read_file(const std::string& path);  // throws InputError naming the path
// Refuse early (InputError naming `flag`) when `path` could not be created or replaced later: its
// directory is missing or not writable, it is a directory, a dangling symlink or an unwritable file.
void check_writable(const std::string& path, const std::string& flag);

// --- Checked writes (src/common/fileio.cpp) ---------------------------------------------------
// All of them throw IoError (disk full, EFBIG, EIO) or InputError (permissions) naming the path.
void write_all(int fd, const void* data, size_t n, const std::string& path);
void pwrite_all(int fd, const void* data, size_t n, uint64_t offset, const std::string& path);
void fsync_fd(int fd, const std::string& path);  // fsync, then errors are the caller's
void fsync_dir(const std::string& dir);           // best effort: some file systems refuse it
// The one writer of text/JSON results: written to a temporary file beside `path`
// (".<name>.prunekit-tmp-<pid>-XXXXXX"), fsync'ed and renamed over it, so `path` is either the old
// file or the complete new one, never a truncated one. A symlink is followed (its target is
// replaced). A character device or FIFO (/dev/stdout, /dev/full, a pipe) is written directly.
void write_file_atomic(const std::string& path, const std::string& text);
// Write a new file `path` (created or truncated, no rename): checked and fsync'ed. For files
// inside a temporary output directory that is renamed into place as a whole.
void write_file_synced(const std::string& path, const std::string& text);
// Byte-for-byte copy of `src` (symlinks followed) to a new file `dst`, checked and fsync'ed.
// Returns the number of bytes copied.
uint64_t copy_file_synced(const std::string& src, const std::string& dst);
// Lowercase hex SHA-256 of a file's bytes (InputError when it cannot be read), and of a string.
std::string sha256_file_hex(const std::string& path);
std::string sha256_hex(const std::string& data);

// Test hook, not a user option: when $PRUNEKIT_DEBUG_PAUSE equals `point`, print
// "prunekit-debug-pause <point> <pid>" on stderr and sleep up to 120 s (or until the file
// $PRUNEKIT_DEBUG_RESUME exists), so a test can kill the run or change things at that point
// (tests/test_output_safety.cpp).
void debug_pause(const char* point);

// --- Interrupts -------------------------------------------------------------------------------
// SIGINT/SIGTERM/SIGHUP: remove every registered temporary path (file or directory tree), print
// one line and exit with 128 + the signal number (130 for SIGINT, 143 for SIGTERM). Installed by
// init_process. A registration is a small slot (at most 8 live at once); the handler only uses
// async-signal-safe calls. A registered temporary is first renamed aside, so a commit that races
// with the signal either completes (the rename finds nothing) or never sees a half-removed tree.
void install_interrupt_cleanup();
int register_cleanup_path(const std::string& path);  // returns a slot id (-1 when full)
void unregister_cleanup_path(int slot);

}  // namespace prunekit
