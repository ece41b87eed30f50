// Checked writes, the one atomic text/JSON writer, a small SHA-256, and the interrupt cleanup.
// Every write is checked (a full disk is an IoError, exit 1, never a truncated file that looks
// complete), flushed and fsync'ed before the rename that makes it visible.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "prunekit/common.h"

namespace prunekit {

[[noreturn]] void throw_errno(const std::string& path, const std::string& what, int err) {
  const std::string msg = path + ": " + what + " (" + std::strerror(err) + ")";
  switch (err) {
    case EACCES: case EPERM: case EROFS: case ENOENT: case ENOTDIR: case EISDIR:
    case ENAMETOOLONG: case ELOOP: case EEXIST: case ENOTEMPTY: case ETXTBSY:
      throw InputError(msg);
    default:  // ENOSPC, EFBIG, EDQUOT, EIO, ENOMEM, ...: the run failed, the input was fine
      throw IoError(msg);
  }
}

void write_all(int fd, const void* data, size_t n, const std::string& path) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw_errno(path, "write failed", w < 0 ? errno : EIO);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void pwrite_all(int fd, const void* data, size_t n, uint64_t offset, const std::string& path) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw_errno(path, "write failed", w < 0 ? errno : EIO);
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
}

void fsync_fd(int fd, const std::string& path) {
  // Pipes, terminals and some devices cannot be synced (EINVAL/EROFS): nothing to wait for there.
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) throw_errno(path, "fsync failed", errno);
}

void fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

namespace {

// Follow symlinks in the last component (up to 40, as the kernel does) to the path that a write
// should replace; a dangling link resolves to its missing target.
std::string follow_links(std::string path) {
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
    std::vector<char> buf(PATH_MAX + 1);
    const ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size() - 1);
    if (n < 0) return path;
    std::string target(buf.data(), static_cast<size_t>(n));
    path = !target.empty() && target[0] == '/' ? target : path_parent(path) + "/" + target;
  }
  throw InputError(path + ": too many levels of symbolic links");
}

void close_checked(int fd, const std::string& path) {
  if (::close(fd) != 0 && errno != EINTR) throw_errno(path, "close failed", errno);
}

mode_t file_mode_from_umask() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

// Write `text` to the open `fd`, fsync and close it (closed on error too).
void write_sync_close(int fd, const std::string& text, const std::string& path) {
  try {
    write_all(fd, text.data(), text.size(), path);
    fsync_fd(fd, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  close_checked(fd, path);
}

}  // namespace

std::string path_parent(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}
std::string path_leaf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void write_file_synced(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno(path, "cannot create", errno);
  write_sync_close(fd, text, path);
}

void write_file_atomic(const std::string& path_in, const std::string& text) {
  if (path_in.empty()) throw InputError("(empty path): cannot write");
  struct stat st;
  const bool special = path_in.rfind("/dev/", 0) == 0 || path_in.rfind("/proc/", 0) == 0 ||
                       (::stat(path_in.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode));
  if (special) {  // a device or pipe: nothing to rename, but every byte is still checked
    const int fd = ::open(path_in.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw_errno(path_in, "cannot open for writing", errno);
    write_sync_close(fd, text, path_in);
    return;
  }
  const std::string path = follow_links(path_in);
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw InputError(path + ": is a directory");
  const std::string dir = path_parent(path);
  std::string tmp = dir + "/." + path_leaf(path) + ".prunekit-tmp-" + std::to_string(::getpid()) + "-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw_errno(path, "cannot create a temporary file beside it", errno);
  const int slot = register_cleanup_path(tmp);
  try {
    ::fchmod(fd, file_mode_from_umask());
    write_sync_close(fd, text, path);
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno(path, "cannot rename into place", errno);
  } catch (...) {
    ::unlink(tmp.c_str());
    unregister_cleanup_path(slot);
    throw;
  }
  unregister_cleanup_path(slot);
  fsync_dir(dir);
}

uint64_t copy_file_synced(const std::string& src, const std::string& dst) {
  const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw_errno(src, "cannot read", errno);
  struct stat st;
  if (::fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(in);
    throw InputError(src + ": not a regular file");
  }
  const int out = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
  if (out < 0) {
    const int err = errno;
    ::close(in);
    throw_errno(dst, "cannot create", err);
  }
  uint64_t total = 0;
  try {
    std::vector<char> buf(1 << 20);
    for (;;) {
      const ssize_t n = ::read(in, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno(src, "read failed", errno);
      if (n == 0) break;
      write_all(out, buf.data(), static_cast<size_t>(n), dst);
      total += static_cast<uint64_t>(n);
    }
    fsync_fd(out, dst);
  } catch (...) {
    ::close(in);
    ::close(out);
    throw;
  }
  ::close(in);
  close_checked(out, dst);
  return total;
}

// ---------------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4), enough to fingerprint the input files in prune_report.json.

namespace {

struct Sha256 {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint8_t block[64];
  size_t fill = 0;
  uint64_t bytes = 0;

  static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

  void compress(const uint8_t* p) {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = uint32_t(p[4 * i]) << 24 | uint32_t(p[4 * i + 1]) << 16 | uint32_t(p[4 * i + 2]) << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }

  void update(const uint8_t* p, size_t n) {
    bytes += n;
    if (fill) {
      const size_t take = std::min(n, 64 - fill);
      std::memcpy(block + fill, p, take);
      fill += take;
      p += take;
      n -= take;
      if (fill < 64) return;
      compress(block);
      fill = 0;
    }
    for (; n >= 64; p += 64, n -= 64) compress(p);
    std::memcpy(block, p, n);
    fill = n;
  }

  std::string hex() {
    const uint64_t bits = bytes * 8;
    const uint8_t pad = 0x80, zero = 0;
    update(&pad, 1);
    while (fill != 56) update(&zero, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    update(len, 8);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (uint32_t v : h)
      for (int s = 28; s >= 0; s -= 4) out += digits[(v >> s) & 15];
    return out;
  }
};

}  // namespace

std::string sha256_hex(const std::string& data) {
  Sha256 s;
  s.update(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  return s.hex();
}

std::string sha256_file_hex(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno(path, "cannot read", errno);
  Sha256 s;
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw_errno(path, "read failed", err);
    }
    if (n == 0) break;
    s.update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return s.hex();
}

void debug_pause(const char* point) {
  const char* want = std::getenv("PRUNEKIT_DEBUG_PAUSE");
  if (!want || std::strcmp(want, point) != 0) return;
  // A test hook, not a log line: tests wait for this exact text (whatever the log level).
  std::fprintf(stderr, "prunekit-debug-pause %s %d\n", point, static_cast<int>(::getpid()));
  std::fflush(stderr);
  const char* resume = std::getenv("PRUNEKIT_DEBUG_RESUME");  // go on once this file exists
  for (int i = 0; i < 1200; ++i) {
    if (resume && file_exists(resume)) return;
    ::usleep(100000);
  }
}

// ---------------------------------------------------------------------------------------------
// Interrupt cleanup. The handler may run on any thread while others keep working, so it only
// uses async-signal-safe calls on fixed buffers.

namespace {

constexpr int kCleanupSlots = 8;
struct CleanupSlot {
  std::atomic<int> state{0};  // 0 free, 1 being filled, 2 live
  char path[PATH_MAX];
};
CleanupSlot g_cleanup[kCleanupSlots];
std::atomic<int> g_in_handler{0};

struct Dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

// Remove `name` (relative to dirfd) and, for a directory, everything under it (up to 24 levels).
void remove_tree_signal_safe(int dirfd, const char* name, int depth) {
  if (::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return;
  if (depth > 24) return;
  const int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  // Deleting while reading a directory may skip entries: rescan until a pass finds nothing.
  for (int pass = 0; pass < 64; ++pass) {
    bool found = false;
    ::lseek(fd, 0, SEEK_SET);
    alignas(8) char buf[1024];
    for (;;) {
      const long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        const Dirent64* d = reinterpret_cast<const Dirent64*>(buf + off);
        off += d->d_reclen;
        if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) continue;
        found = true;
        remove_tree_signal_safe(fd, d->d_name, depth + 1);
      }
    }
    if (!found) break;
  }
  ::close(fd);
  ::unlinkat(dirfd, name, AT_REMOVEDIR);
}

void write_stderr(const char* s) {
  size_t n = std::strlen(s);
  while (n > 0) {
    const ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

extern "C" void on_interrupt(int sig) {
  if (g_in_handler.exchange(1) != 0) return;  // a second signal while cleaning up: finish this one
  int removed = 0;
  for (CleanupSlot& s : g_cleanup) {
    if (s.state.load() != 2) continue;
    // Rename aside first: a commit racing with us either already moved it (rename fails: the
    // output is complete) or will not find it (never a half-removed tree under the final name).
    char aside[PATH_MAX + 16];
    const size_t n = std::strlen(s.path);
    if (n + 10 >= sizeof aside) continue;
    std::memcpy(aside, s.path, n);
    std::memcpy(aside + n, ".deleting", 10);
    if (::rename(s.path, aside) != 0) continue;
    remove_tree_signal_safe(AT_FDCWD, aside, 0);
    ++removed;
  }
  write_stderr(program_invocation_short_name);
  write_stderr(sig == SIGINT ? ": interrupted (SIGINT)" : sig == SIGTERM ? ": terminated (SIGTERM)" : ": hangup (SIGHUP)");
  write_stderr(removed ? "; the temporary output was removed\n" : "\n");
  ::_exit(128 + sig);
}

}  // namespace

void install_interrupt_cleanup() {
  // Past `ulimit -f`, a write should fail with EFBIG (an IoError, cleaned up) rather than the
  // default SIGXFSZ killing the process with its temporary output left behind.
  ::signal(SIGXFSZ, SIG_IGN);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, s);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old;
    // A signal ignored by whoever started us (nohup, a shell's background job) stays ignored.
    if (::sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    ::sigaction(s, &sa, nullptr);
  }
}

int register_cleanup_path(const std::string& path) {
  if (path.size() + 1 > sizeof(CleanupSlot::path)) return -1;
  for (int i = 0; i < kCleanupSlots; ++i) {
    int expected = 0;
    if (!g_cleanup[i].state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(g_cleanup[i].path, path.c_str(), path.size() + 1);
    g_cleanup[i].state.store(2);
    return i;
  }
  return -1;
}

void unregister_cleanup_path(int slot) {
  if (slot >= 0 && slot < kCleanupSlots) g_cleanup[slot].state.store(0);
}

}  // namespace prunekit
