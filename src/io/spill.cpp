#include "prunekit/spill.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>

#include "prunekit/common.h"

namespace prunekit {
namespace {

// Live mappings by start address -> length, for evict_spilled_rows.
std::mutex g_mutex;
std::map<uintptr_t, size_t> g_mappings;

const std::map<uintptr_t, size_t>::const_iterator find_mapping(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  auto it = g_mappings.upper_bound(a);
  if (it == g_mappings.begin()) return g_mappings.end();
  --it;
  return a < it->first + it->second ? it : g_mappings.end();
}

}  // namespace

at::Tensor spilled_empty(const std::string& dir, at::IntArrayRef sizes, at::ScalarType dtype) {
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  const size_t bytes = std::max<size_t>(1, size_t(numel) * at::elementSize(dtype));
  std::string path = dir + "/.prunekit-activations-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0) throw_errno(dir, "cannot create the activations spill file", errno);
  ::unlink(path.c_str());  // nothing is left behind, whatever happens to the run
  if (const int err = ::posix_fallocate(fd, 0, off_t(bytes)); err != 0) {
    ::close(fd);
    throw_errno(path, "cannot reserve " + std::to_string(bytes) + " bytes for the spilled activations", err);
  }
  void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int map_err = errno;
  ::close(fd);  // the mapping keeps the file
  if (m == MAP_FAILED) throw_errno(path, "cannot map the spilled activations", map_err);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_mappings[reinterpret_cast<uintptr_t>(m)] = bytes;
  }
  return at::from_blob(
      m, sizes,
      [bytes](void* p) {
        {
          std::lock_guard<std::mutex> lock(g_mutex);
          g_mappings.erase(reinterpret_cast<uintptr_t>(p));
        }
        ::munmap(p, bytes);
      },
      at::TensorOptions().dtype(dtype));
}

void evict_spilled_rows(const at::Tensor& t, int64_t begin, int64_t count) {
  if (!t.defined() || !t.is_cpu() || count <= 0 || !t.is_contiguous()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = find_mapping(t.data_ptr());
  if (it == g_mappings.end()) return;
  const uintptr_t row_bytes = uintptr_t(t.numel() / std::max<int64_t>(1, t.size(0))) * t.element_size();
  const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
  const uintptr_t lo = reinterpret_cast<uintptr_t>(t.data_ptr()) + uintptr_t(begin) * row_bytes;
  const uintptr_t hi = std::min(lo + uintptr_t(count) * row_bytes, it->first + it->second);
  // Whole pages inside the rows only: a page shared with the neighbouring rows stays.
  const uintptr_t a = (lo + page - 1) / page * page, b = hi / page * page;
  if (b > a) ::madvise(reinterpret_cast<void*>(a), b - a, MADV_DONTNEED);
}

}  // namespace prunekit
