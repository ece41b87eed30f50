// The torch-free basics of common.h (error types, path checks, whole-file reads): part of
// prunekit_parse, which the fuzz and sanitizer builds compile without LibTorch.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "prunekit/common.h"

namespace prunekit {

static std::string quoted_if_needed(const std::string& v) {
  const bool plain = !v.empty() && v.find_first_of(" \t\"") == std::string::npos;
  return plain ? v : "\"" + v + "\"";
}

InvalidSetting::InvalidSetting(std::string setting, std::string value, std::string problem)
    : InputError(setting + (value.empty() ? "" : " " + quoted_if_needed(value)) + ": " + problem),
      setting_(std::move(setting)),
      value_(std::move(value)),
      problem_(std::move(problem)) {}

NumericalError::NumericalError(const std::string& where)
    : std::runtime_error("non-finite values (NaN or Inf) in " + where +
                         " (the checkpoint's weights or config produce them)") {}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string shared_dir_from_env() {
  const char* env = std::getenv("PRUNEKIT_SHARED");
  return env ? std::string(env) : std::string();
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
std::string path_problem(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISREG(st.st_mode)) return "";
    if (S_ISDIR(st.st_mode)) return "is a directory, not a file";
    if (S_ISFIFO(st.st_mode)) return "is a FIFO (named pipe), not a regular file";
    if (S_ISSOCK(st.st_mode)) return "is a socket, not a regular file";
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "is a device, not a regular file";
    return "is not a regular file";
  }
  const int err = errno;
  if (err == ELOOP) return "is a symbolic link loop";
  struct stat lst;
  if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    char target[4096];
    const ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    return "is a dangling symbolic link" + (n > 0 ? " (to " + std::string(target, size_t(n)) + ")" : std::string());
  }
  if (err == EACCES) return "cannot be read (permission denied)";
  return kPathMissing;
}

bool dir_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
void check_writable(const std::string& path, const std::string& flag) {
  if (path.empty()) throw InputError(flag + ": empty path");
  struct stat st, lst;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists && ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode))
    throw InputError(flag + ": " + path + " is a dangling symbolic link");
  if (exists) {
    if (S_ISDIR(st.st_mode)) throw InputError(flag + ": " + path + " is a directory");
    if (!S_ISREG(st.st_mode)) {  // a device or pipe is written in place
      if (::access(path.c_str(), W_OK) != 0) throw InputError(flag + ": cannot write " + path + " (not writable)");
      return;
    }
  }
  // A regular file is replaced by a rename: its directory must be writable.
  const std::string dir = path_parent(path);
  if (!dir_exists(dir) || ::access(dir.c_str(), W_OK) != 0)
    throw InputError(flag + ": cannot write " + path + " (directory missing or not writable)");
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(path + ": cannot open file");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace prunekit
