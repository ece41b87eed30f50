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

// ---- dtypes ----

std::string dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I64: return "I64";
    case DType::I32: return "I32";
    case DType::U8: return "U8";
    case DType::BOOL: return "BOOL";
  }
  return "?";
}

DType dtype_from_name(const std::string& s) {
  static const std::map<std::string, DType> names = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"I64", DType::I64},
      {"I32", DType::I32}, {"U8", DType::U8},   {"BOOL", DType::BOOL}};
  auto it = names.find(s);
  if (it == names.end())
    throw InputError("unknown dtype \"" + s + "\" (supported: F32, F16, BF16, I64, I32, U8, BOOL)");
  return it->second;
}

size_t dtype_size(DType d) {
  switch (d) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I64: return 8;
    case DType::I32: return 4;
    case DType::U8: return 1;
    case DType::BOOL: return 1;
  }
  return 0;
}

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

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// ---- reader ----

namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

InputError bad_file(const std::string& path, const std::string& what) {
  return InputError(path + ": " + what);
}

// Parse and check one tensor entry of the header.
TensorInfo parse_entry(const std::string& path, const std::string& name, const json& e,
                       uint64_t data_size) {
  auto fail = [&](const std::string& what) { return bad_file(path, what); };
  if (!e.is_object()) throw fail("tensor " + name + ": header entry is not a JSON object");
  // Absent and present-but-wrong are different mistakes: say which.
  auto require = [&](const char* key, bool ok, const char* expected) {
    if (!e.contains(key)) throw fail("tensor " + name + ": missing \"" + key + "\"");
    if (!ok)
      throw fail("tensor " + name + ": \"" + key + "\" is not " + expected + " (got " +
                 e[key].dump().substr(0, 40) + ")");
  };
  require("dtype", e.contains("dtype") && e["dtype"].is_string(), "a string");
  require("shape", e.contains("shape") && e["shape"].is_array(), "an array");
  require("data_offsets", e.contains("data_offsets") && e["data_offsets"].is_array(), "an array");

  TensorInfo t;
  t.name = name;
  const std::string dt = e["dtype"].get<std::string>();
  try {
    t.dtype = dtype_from_name(dt);
  } catch (const InputError& err) {
    throw fail("tensor " + name + ": " + err.what());
  }
  uint64_t numel = 1;
  for (const json& d : e["shape"]) {
    if (!d.is_number_unsigned()) throw fail("tensor " + name + ": shape entries must be non-negative integers");
    uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, v, &numel))
      throw fail("tensor " + name + ": shape too large");
    t.shape.push_back(static_cast<int64_t>(v));
  }
  const json& off = e["data_offsets"];
  if (off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
    throw fail("tensor " + name + ": data_offsets must be two non-negative integers");
  t.begin = off[0].get<uint64_t>();
  t.end = off[1].get<uint64_t>();
  if (t.begin > t.end)
    throw fail("tensor " + name + ": data_offsets [" + std::to_string(t.begin) + ", " +
         std::to_string(t.end) + "] are not ordered");
  if (t.end > data_size)
    throw fail("tensor " + name + ": data_offsets [" + std::to_string(t.begin) + ", " +
         std::to_string(t.end) + "] out of bounds (data section is " + std::to_string(data_size) +
         " bytes)");
  uint64_t expect = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_size(t.dtype)), &expect) ||
      expect != t.nbytes())
    throw fail("tensor " + name + ": shape " + shape_str(t.shape) + " x " + dt + " needs " +
         std::to_string(numel * dtype_size(t.dtype)) + " bytes but data_offsets span " +
         std::to_string(t.nbytes()));
  return t;
}

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

    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | map_[i];  // little-endian
    if (header_len > size - 8)
      throw fail("truncated: header length " + std::to_string(header_len) + " runs past the end of the file (" +
           std::to_string(size) + " bytes)");
    data_start_ = 8 + header_len;
    const uint64_t data_size = size - data_start_;

    json header;
    std::set<std::string> top_keys;
    std::string duplicate;
    // nlohmann keeps the last of two equal keys; a header naming a tensor twice is malformed
    // (the Python safetensors loader refuses it too).
    const json::parser_callback_t find_duplicate = [&](int depth, json::parse_event_t event, json& parsed) {
      if (event == json::parse_event_t::key && depth == 1 && !top_keys.insert(parsed.get<std::string>()).second &&
          duplicate.empty())
        duplicate = parsed.get<std::string>();
      return true;
    };
    try {
      header = json::parse(map_ + 8, map_ + data_start_, find_duplicate);
    } catch (const json::exception&) {
      throw fail("header is not valid JSON");
    }
    if (!duplicate.empty()) throw fail("header names tensor \"" + duplicate + "\" twice");
    if (!header.is_object()) throw fail("header is not a JSON object");

    for (auto it = header.begin(); it != header.end(); ++it) {
      if (it.key() == "__metadata__") {
        if (!it.value().is_object()) throw fail("__metadata__ is not a JSON object");
        for (auto m2 = it.value().begin(); m2 != it.value().end(); ++m2) {
          if (!m2.value().is_string()) throw fail("__metadata__ value of \"" + m2.key() + "\" is not a string");
          metadata_[m2.key()] = m2.value().get<std::string>();
        }
        continue;
      }
      tensors_.push_back(parse_entry(path_, it.key(), it.value(), data_size));
    }

    // Sort by offset and require the tensors to tile the data section exactly.
    std::sort(tensors_.begin(), tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t pos = 0;
    for (const TensorInfo& t : tensors_) {
      if (t.begin < pos)
        throw fail("tensor " + t.name + ": data_offsets [" + std::to_string(t.begin) + ", " +
             std::to_string(t.end) + "] overlapping the previous tensor (which ends at " +
             std::to_string(pos) + ")");
      if (t.begin > pos)
        throw fail("tensor " + t.name + ": gap in data_offsets: bytes [" + std::to_string(pos) + ", " +
             std::to_string(t.begin) + ") belong to no tensor");
      pos = t.end;
    }
    if (pos != data_size)
      throw fail("gap in data_offsets: data section is " + std::to_string(data_size) +
           " bytes but the tensors cover " + std::to_string(pos));
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
