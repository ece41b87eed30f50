// What may happen at an output directory: the checks before a run (never inside, equal to or
// around the input; only a previous prunekit output is ever replaced), the lock held for the run,
// the removal of temporaries left by dead runs, and the atomic commit.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "prunekit/checkpoint.h"
#include "prunekit/common.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace prunekit {

namespace fs = std::filesystem;

namespace {

// Files whose presence (a JSON object with "prunekit_version") marks a directory as ours.
// The root-level report is where prunekit wrote it before the report moved under prunekit/.
const char* const kMarkers[] = {"prunekit/prune_report.json", "prunekit/make_synthetic.json", "prune_report.json"};

std::string strip_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// realpath of the longest existing prefix, the rest appended: where `p` is or would be.
std::string resolved(const std::string& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p).lexically_normal().string() : r.string();
}

bool is_under(const std::string& inner, const std::string& outer) {  // both resolved, absolute
  if (outer == "/") return true;
  return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 && inner[outer.size()] == '/';
}

bool dir_is_empty(const std::string& dir) {
  std::error_code ec;
  return fs::directory_iterator(dir, ec) == fs::directory_iterator();
}

int sys_renameat2(const char* from, const char* to, unsigned flags) {
#ifdef SYS_renameat2
  return static_cast<int>(::syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags));
#else
  (void)from, (void)to, (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}
bool renameat2_unsupported(int err) { return err == EINVAL || err == ENOSYS || err == ENOTSUP; }

bool pid_alive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

}  // namespace

bool is_prunekit_output(const std::string& dir) {
  for (const char* m : kMarkers) {
    const std::string path = strip_slashes(dir) + "/" + m;
    if (!file_exists(path)) continue;
    try {
      nlohmann::json j = nlohmann::json::parse(read_file(path));
      if (j.is_object() && j.contains("prunekit_version")) return true;
    } catch (const std::exception&) {
      // A truncated or foreign file is no marker.
    }
  }
  return false;
}

void check_outside_input(const std::string& path, const std::string& input_dir, const std::string& flag) {
  const std::string in = resolved(input_dir), p = resolved(path);
  const char* why = p == in ? "is the input model directory"
                    : is_under(p, in) ? "lies inside the input model directory"
                    : is_under(in, p) ? "contains the input model directory"
                                      : nullptr;
  if (why)
    throw InputError(flag + ": " + path + " " + why + " (" + in +
                     "); the input is never modified: choose a path outside it");
}

std::string output_temp_prefix(const std::string& out_dir) { return strip_slashes(out_dir) + ".prunekit-tmp-"; }

std::string check_output_dir(const std::string& out_dir_in, const OutputPolicy& policy) {
  const std::string& flag = policy.flag;
  std::string out = strip_slashes(out_dir_in);
  if (out.empty()) throw InputError(flag + ": empty output directory");
  // A symlink as --out: write where it points (a rename would replace the link itself).
  struct stat lst, st;
  for (int hops = 0; ::lstat(out.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode); ++hops) {
    if (hops == 40) throw InputError(flag + ": " + out_dir_in + ": too many levels of symbolic links");
    char buf[PATH_MAX];
    const ssize_t n = ::readlink(out.c_str(), buf, sizeof buf - 1);
    if (n < 0) break;
    const std::string target(buf, static_cast<size_t>(n));
    const std::string next = strip_slashes(target[0] == '/' ? target : path_parent(out) + "/" + target);
    if (::stat(next.c_str(), &st) != 0 && ::lstat(next.c_str(), &lst) != 0)
      throw InputError(flag + ": " + out_dir_in + " is a dangling symbolic link (to " + target +
                       "); remove it or give the directory itself");
    out = next;
  }
  if (!policy.input_dir.empty()) check_outside_input(out, policy.input_dir, flag);
  const bool exists = ::stat(out.c_str(), &st) == 0;
  if (!exists && !dir_exists(path_parent(out)))
    throw InputError(flag + ": " + out_dir_in + ": parent directory " + path_parent(out) + " does not exist");
  if (exists && !S_ISDIR(st.st_mode))
    throw InputError(flag + ": " + out_dir_in + " exists and is not a directory");
  if (exists && !dir_is_empty(out)) {
    if (!is_prunekit_output(out))
      throw InputError(flag + ": " + out_dir_in + " exists, is not empty and is not a prunekit output (no " +
                       kMarkers[0] + "): refusing to replace it, even with --overwrite");
    if (!policy.overwrite)
      throw InputError(flag + ": " + out_dir_in +
                       " holds a previous prunekit output (use --overwrite to replace it)");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

OutputLock::OutputLock(const std::string& out_dir, const std::string& flag) {
  path_ = strip_slashes(out_dir) + ".prunekit-lock";
  // Lock the file, then check the path still names it: a run that finished meanwhile removes its
  // lock file, and a lock on an unlinked file would protect nothing.
  for (int attempt = 0; attempt < 100; ++attempt) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_errno(path_, "cannot create the lock file of " + flag, errno);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char buf[32] = {0};
      const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
      ::close(fd_);
      fd_ = -1;
      if (err != EWOULDBLOCK) throw_errno(path_, "cannot lock", err);
      const std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
      throw InputError(flag + ": " + out_dir + " is being written by another prunekit run (pid " +
                       holder.substr(0, holder.find('\n')) + ", lock " + path_ + ")");
    }
    struct stat a, b;
    if (::fstat(fd_, &a) == 0 && ::stat(path_.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
      const std::string pid = std::to_string(::getpid()) + "\n";
      if (::ftruncate(fd_, 0) == 0) pwrite_all(fd_, pid.data(), pid.size(), 0, path_);
      cleanup_slot_ = register_cleanup_path(path_);  // SIGINT/SIGTERM remove it too
      return;
    }
    ::close(fd_);
    fd_ = -1;
  }
  throw IoError(path_ + ": could not take the lock (the file kept changing)");
}

OutputLock::~OutputLock() {
  unregister_cleanup_path(cleanup_slot_);
  if (fd_ >= 0) {
    ::unlink(path_.c_str());  // while still holding it: see the constructor
    ::close(fd_);
  }
}

std::vector<std::string> remove_stale_temporaries(const std::string& out_dir) {
  const std::string base = path_leaf(strip_slashes(out_dir)), parent = path_parent(strip_slashes(out_dir));
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    // <out>.prunekit-tmp-<pid>-XXXXXX[.deleting] (a run's output) or <out>.prunekit-old-<pid>-XXXXXX
    // (a previous output being replaced), of a process that no longer exists.
    for (const std::string& prefix : {base + ".prunekit-tmp-", base + ".prunekit-old-"}) {
      if (name.compare(0, prefix.size(), prefix) != 0) continue;
      char* end = nullptr;
      const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
      if (end == name.c_str() + prefix.size() || *end != '-' || pid_alive(pid)) continue;
      std::error_code rm;
      fs::remove_all(e.path(), rm);
      if (!rm) removed.push_back(e.path().string());
    }
  }
  return removed;
}

void commit_output_dir(const std::string& tmp, const std::string& out, bool replace_previous) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    // 1. Into place only if nothing is there (or an empty directory, which holds nothing).
    int rc = sys_renameat2(tmp.c_str(), out.c_str(), RENAME_NOREPLACE);
    int err = errno;
    if (rc != 0 && renameat2_unsupported(err)) {
      // rename(2) of a directory fails on a non-empty directory or a file and only replaces an
      // empty directory: the same guarantee, without the syscall.
      rc = ::rename(tmp.c_str(), out.c_str());
      err = errno;
    }
    if (rc == 0) return;
    if (err != EEXIST && err != ENOTEMPTY && err != ENOTDIR && err != EISDIR)
      throw_errno(out, "cannot move " + tmp + " into place", err);

    // 2. Something is there now.
    struct stat st;
    if (::lstat(out.c_str(), &st) != 0) continue;  // gone again: retry
    if (!S_ISDIR(st.st_mode))
      throw InputError(out + ": appeared during the run and is not a directory; left untouched, the result "
                             "was discarded");
    if (dir_is_empty(out)) {
      ::rmdir(out.c_str());  // fails harmlessly if something was put in it meanwhile
      continue;
    }
    if (!is_prunekit_output(out))
      throw InputError(out + ": appeared during the run and is not a prunekit output; left untouched, the "
                             "result was discarded");
    if (!replace_previous)
      throw InputError(out + ": a prunekit output appeared there during the run (use --overwrite to replace "
                             "it); the result was discarded");

    // 3. Swap with the previous prunekit output, then remove it from where the new one was.
    if (sys_renameat2(tmp.c_str(), out.c_str(), RENAME_EXCHANGE) == 0) {
      if (!is_prunekit_output(tmp)) {  // replaced by something else between the check and the swap
        sys_renameat2(tmp.c_str(), out.c_str(), RENAME_EXCHANGE);
        throw InputError(out + ": changed during the commit and is not a prunekit output; left untouched");
      }
      std::error_code ec;
      fs::remove_all(tmp, ec);
      return;
    }
    if (!renameat2_unsupported(errno)) throw_errno(out, "cannot swap in the new output", errno);
    // Without RENAME_EXCHANGE: move the old output aside to a fresh name, then into place.
    std::string aside = out + ".prunekit-old-" + std::to_string(::getpid()) + "-XXXXXX";
    if (!::mkdtemp(aside.data())) throw_errno(out, "cannot create a directory beside it", errno);
    if (::rename(out.c_str(), aside.c_str()) != 0) {  // replaces the empty `aside` only
      const int e = errno;
      ::rmdir(aside.c_str());
      throw_errno(out, "cannot move the previous output aside", e);
    }
    if (::rename(tmp.c_str(), out.c_str()) != 0) {
      const int e = errno;
      ::rename(aside.c_str(), out.c_str());
      throw_errno(out, "cannot move " + tmp + " into place", e);
    }
    std::error_code ec;
    fs::remove_all(aside, ec);
    return;
  }
  throw IoError(out + ": kept changing during the commit; the result was discarded");
}

}  // namespace prunekit
