#include "prunekit/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "prunekit/common.h"

namespace prunekit {

using nlohmann::json;

at::ScalarType to_scalar_type(DType d) {
  switch (d) {
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::I64: return at::kLong;
    case DType::I32: return at::kInt;
    case DType::U8: return at::kByte;
    case DType::BOOL: return at::kBool;
  }
  return at::kFloat;
}

DType from_scalar_type(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return DType::F32;
    case at::kHalf: return DType::F16;
    case at::kBFloat16: return DType::BF16;
    case at::kLong: return DType::I64;
    case at::kInt: return DType::I32;
    case at::kByte: return DType::U8;
    case at::kBool: return DType::BOOL;
    default: break;
  }
  throw std::invalid_argument(std::string("no safetensors dtype for ") + c10::toString(t));
}

// ---- reader ----

namespace {
InputError bad_file(const std::string& path, const std::string& what) { return InputError(path + ": " + what); }
}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  auto fail = [&](const std::string& what) { return bad_file(path_, what); };
  // Before open(): opening a FIFO would block, and a directory or a broken link deserves its name.
  const std::string problem = path_problem(path);
  if (!problem.empty()) throw fail(problem);
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) throw fail(std::string("cannot open (") + std::strerror(errno) + ")");
  try {
    struct stat st;
    if (::fstat(fd_, &st) != 0) throw fail(std::string("cannot stat (") + std::strerror(errno) + ")");
    if (!S_ISREG(st.st_mode)) throw fail("not a regular file");
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size < 8) throw fail("truncated: " + std::to_string(size) + " bytes, shorter than the 8-byte header length");

    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (m == MAP_FAILED) throw fail(std::string("cannot mmap (") + std::strerror(errno) + ")");
    map_ = static_cast<uint8_t*>(m);
    map_size_ = size;

    SafetensorsHeader header = parse_safetensors_header(map_, size, path_);
    data_start_ = header.data_start;
    tensors_ = std::move(header.tensors);
    metadata_ = std::move(header.metadata);
    for (size_t i = 0; i < tensors_.size(); ++i) index_[tensors_[i].name] = i;
  } catch (...) {
    if (map_) ::munmap(map_, map_size_);
    ::close(fd_);
    map_ = nullptr;
    fd_ = -1;
    throw;
  }
  // The mapping keeps the file's pages reachable; the descriptor is no longer needed.
  ::close(fd_);
  fd_ = -1;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, map_size_);
  if (fd_ >= 0) ::close(fd_);
}

bool SafetensorsFile::has(const std::string& name) const { return index_.count(name) != 0; }

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw InputError(path_ + ": missing tensor " + name);
  return tensors_[it->second];
}

at::Tensor SafetensorsFile::view(const std::string& name) const {
  const TensorInfo& t = info(name);
  auto options = at::TensorOptions().dtype(to_scalar_type(t.dtype));
  if (t.nbytes() == 0) return at::empty(t.shape, options);
  uint8_t* p = map_ + data_start_ + t.begin;
  // Writers pad the header to 8 bytes so data is aligned; a file that is not gets a copy
  // rather than a misaligned view.
  if (reinterpret_cast<uintptr_t>(p) % dtype_size(t.dtype) != 0) {
    at::Tensor copy = at::empty(t.shape, options);
    std::memcpy(copy.data_ptr(), p, t.nbytes());
    return copy;
  }
  return at::from_blob(p, t.shape, options);
}

void SafetensorsFile::release(const std::string& name) const {
  const TensorInfo& t = info(name);
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  uintptr_t lo = reinterpret_cast<uintptr_t>(map_ + data_start_ + t.begin);
  uintptr_t hi = reinterpret_cast<uintptr_t>(map_ + data_start_ + t.end);
  // Only whole pages inside this tensor: neighbours sharing an edge page stay resident.
  lo = (lo + page - 1) / page * page;
  hi = hi / page * page;
  if (lo < hi) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
}

// ---- whole-file helpers ----

std::map<std::string, at::Tensor> load_safetensors(const std::string& path) {
  SafetensorsFile f(path);
  std::map<std::string, at::Tensor> out;
  for (const TensorInfo& t : f.tensors()) out[t.name] = f.view(t.name).clone();
  return out;
}

void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> data;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    at::Tensor t = tensor.to(at::kCPU).contiguous();
    uint64_t nbytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    header[name] = {{"dtype", dtype_name(from_scalar_type(t.scalar_type()))},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    data.push_back(t);
  }
  std::string text = header.empty() ? "{}" : header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  // Write beside the target and rename, so a reader never sees a half-written file.
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno(path, "cannot create", errno);
  try {
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(uint64_t(text.size()) >> (8 * i));
    write_all(fd, len, 8, path);
    write_all(fd, text.data(), text.size(), path);
    for (const at::Tensor& t : data) write_all(fd, t.data_ptr(), t.numel() * t.element_size(), path);
    fsync_fd(fd, path);
    if (::close(fd) != 0) throw_errno(path, "close failed", errno);
    fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno(path, "cannot rename into place", errno);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace prunekit
