#include "prunekit/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "prunekit/common.h"

namespace prunekit {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kSingleFile = "model.safetensors";
const char* kIndexFile = "model.safetensors.index.json";
const char* kEmbed = "model.embed_tokens.weight";
const char* kLmHead = "lm_head.weight";

std::string join(const std::string& dir, const std::string& file) {
  return dir.empty() || dir.back() == '/' ? dir + file : dir + "/" + file;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Checkpoint (read side)

Checkpoint::Checkpoint(const std::string& dir) : dir_(dir) {
  if (!dir_exists(dir)) throw InputError(dir + ": model directory not found");
  config_ = LlamaConfig::from_file(join(dir, "config.json"));

  const std::string single = join(dir, kSingleFile), index_path = join(dir, kIndexFile);
  // As transformers does: a single model.safetensors wins over an index.
  if (file_exists(single)) {
    files_.push_back(std::make_unique<SafetensorsFile>(single));
    file_names_.push_back(kSingleFile);
    for (const TensorInfo& t : files_[0]->tensors()) where_[t.name] = 0;
    return;
  }
  if (!file_exists(index_path)) {
    std::string hint = file_exists(join(dir, "pytorch_model.bin")) ||
                               file_exists(join(dir, "pytorch_model.bin.index.json"))
                           ? " (only safetensors checkpoints are supported; pytorch_model.bin is not)"
                           : "";
    throw InputError(dir + ": no " + kSingleFile + " or " + kIndexFile + hint);
  }

  sharded_ = true;
  json index;
  try {
    index = json::parse(read_file(index_path));
  } catch (const json::exception&) {
    throw InputError(index_path + ": not valid JSON");
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    throw InputError(index_path + ": no \"weight_map\" object");

  std::map<std::string, std::string> weight_map;  // tensor -> shard file
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    if (!it.value().is_string())
      throw InputError(index_path + ": weight_map entry for " + it.key() + " is not a file name");
    weight_map[it.key()] = it.value().get<std::string>();
  }
  // Shards in file-name order (model-00001-of-N, model-00002-of-N, ...).
  std::set<std::string> shard_names;
  for (const auto& [name, file] : weight_map) shard_names.insert(file);
  std::map<std::string, size_t> shard_index;
  for (const std::string& file : shard_names) {
    if (file.find('/') != std::string::npos)
      throw InputError(index_path + ": shard name \"" + file + "\" must be a plain file name");
    const std::string path = join(dir, file);
    if (!file_exists(path))
      throw InputError(path + ": shard named by " + kIndexFile + " not found");
    shard_index[file] = files_.size();
    files_.push_back(std::make_unique<SafetensorsFile>(path));
    file_names_.push_back(file);
  }
  // Only what the index names is visible (transformers ignores anything else in a shard).
  for (const auto& [name, file] : weight_map) {
    size_t i = shard_index.at(file);
    if (!files_[i]->has(name))
      throw InputError(files_[i]->path() + ": missing tensor " + name + " (named by " + kIndexFile + ")");
    where_[name] = i;
  }
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < files_.size(); ++i)
    for (const TensorInfo& t : files_[i]->tensors()) {
      auto it = where_.find(t.name);
      if (it != where_.end() && it->second == i) out.push_back(t.name);
    }
  return out;
}

// The stored name that `name` reads from, or "" when absent.
std::string Checkpoint::resolve(const std::string& name) const {
  if (where_.count(name)) return name;
  // Tied embeddings: transformers shares one matrix, which a checkpoint may store under either
  // name (save_pretrained usually keeps the embedding; some writers keep only lm_head.weight).
  if (config_.tie_word_embeddings) {
    if (name == kLmHead && where_.count(kEmbed)) return kEmbed;
    if (name == kEmbed && where_.count(kLmHead)) return kLmHead;
  }
  return "";
}

bool Checkpoint::has(const std::string& name) const { return !resolve(name).empty(); }

const TensorInfo& Checkpoint::info(const std::string& name) const {
  std::string stored = resolve(name);
  if (stored.empty()) throw InputError(dir_ + ": missing tensor " + name);
  return files_[where_.at(stored)]->info(stored);
}

std::string Checkpoint::shard_of(const std::string& name) const {
  std::string stored = resolve(name);
  if (stored.empty()) throw InputError(dir_ + ": missing tensor " + name);
  return file_names_[where_.at(stored)];
}

at::Tensor Checkpoint::view(const std::string& name) const {
  std::string stored = resolve(name);
  if (stored.empty()) throw InputError(dir_ + ": missing tensor " + name);
  return files_[where_.at(stored)]->view(stored);
}

at::Tensor Checkpoint::load(const std::string& name, at::ScalarType dtype) const {
  at::Tensor v = view(name);
  at::Tensor out = at::empty(v.sizes(), v.options().dtype(dtype));
  out.copy_(v);
  return out;
}

void Checkpoint::release(const std::string& name) const {
  std::string stored = resolve(name);
  if (!stored.empty()) files_[where_.at(stored)]->release(stored);
}

void Checkpoint::require_llama_tensors() const {
  for (const ExpectedTensor& e : config_.expected_tensors()) {
    if (!has(e.name)) {
      const bool tied_pair = e.name == kEmbed || e.name == kLmHead;
      throw InputError(dir_ + ": missing tensor " + e.name +
                       (tied_pair && !config_.tie_word_embeddings && has(e.name == kEmbed ? kLmHead : kEmbed)
                            ? " (config.json has tie_word_embeddings false)"
                            : ""));
    }
    const TensorInfo& t = info(e.name);
    if (t.shape != e.shape)
      throw InputError(dir_ + ": tensor " + t.name + " has shape " + c10::str(at::IntArrayRef(t.shape)) +
                       ", config.json implies " + c10::str(at::IntArrayRef(e.shape)));
  }
}

// ---------------------------------------------------------------------------------------------
// CheckpointWriter (write side)

namespace {

struct ShardFile {
  std::string name;
  int fd = -1;
  uint64_t data_start = 0;  // 8 + padded header length
  uint64_t data_size = 0;
  std::vector<size_t> entries;  // plan indices, in data order
};

struct Slot {
  size_t shard = 0;
  uint64_t begin = 0, end = 0;
  bool added = false;
};

uint64_t plan_bytes(const WritePlanEntry& e) {
  uint64_t n = dtype_size(e.dtype);
  for (int64_t d : e.shape) n *= static_cast<uint64_t>(d);
  return n;
}

std::string shard_file_name(size_t k, size_t n) {
  if (n == 1) return kSingleFile;
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", k + 1, n);
  return buf;
}

void pwrite_all(int fd, const void* data, size_t n, uint64_t offset, const std::string& path) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw InputError(path + ": write failed (" + std::strerror(errno) + ")");
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
}

void write_text_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError(path + ": cannot create (" + std::strerror(errno) + ")");
  try {
    pwrite_all(fd, text.data(), text.size(), 0, path);
    ::fsync(fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

struct CheckpointWriter::Impl {
  std::vector<WritePlanEntry> plan;
  std::map<std::string, size_t> by_name;  // name -> plan index
  std::vector<Slot> slots;                // parallel to plan
  std::vector<ShardFile> shards;
  bool write_index = false;
  std::mutex mu;  // guards Slot::added; add() may be called from several threads

  void close_all() {
    for (ShardFile& s : shards)
      if (s.fd >= 0) {
        ::close(s.fd);
        s.fd = -1;
      }
  }
};

CheckpointWriter::CheckpointWriter(const std::string& out_dir, std::vector<WritePlanEntry> plan,
                                   uint64_t max_shard_bytes,
                                   const std::map<std::string, std::string>& shard_layout)
    : impl_(std::make_unique<Impl>()), out_dir_(out_dir) {
  while (out_dir_.size() > 1 && out_dir_.back() == '/') out_dir_.pop_back();
  if (out_dir_.empty()) throw InputError("--out: empty output directory");
  Impl& im = *impl_;
  im.plan = std::move(plan);
  im.slots.resize(im.plan.size());
  for (size_t i = 0; i < im.plan.size(); ++i) {
    if (!im.by_name.emplace(im.plan[i].name, i).second)
      throw std::invalid_argument("CheckpointWriter: duplicate tensor " + im.plan[i].name + " in plan");
    for (int64_t d : im.plan[i].shape)
      if (d < 0) throw std::invalid_argument("CheckpointWriter: negative dim in " + im.plan[i].name);
  }

  // Assign each planned tensor to a shard.
  if (!shard_layout.empty()) {
    std::set<std::string> files;
    for (const WritePlanEntry& e : im.plan) {
      auto it = shard_layout.find(e.name);
      if (it == shard_layout.end())
        throw std::invalid_argument("CheckpointWriter: shard_layout has no file for " + e.name);
      files.insert(it->second);
    }
    std::map<std::string, size_t> file_index;
    for (const std::string& f : files) {
      file_index[f] = im.shards.size();
      im.shards.emplace_back();
      im.shards.back().name = f;
    }
    for (size_t i = 0; i < im.plan.size(); ++i)
      im.shards[file_index.at(shard_layout.at(im.plan[i].name))].entries.push_back(i);
  } else {
    // Greedy in plan order: start a new shard when the next tensor would overflow this one.
    std::vector<std::vector<size_t>> groups(1);
    uint64_t cur = 0;
    for (size_t i = 0; i < im.plan.size(); ++i) {
      uint64_t n = plan_bytes(im.plan[i]);
      if (!groups.back().empty() && cur + n > max_shard_bytes) {
        groups.emplace_back();
        cur = 0;
      }
      groups.back().push_back(i);
      cur += n;
    }
    for (size_t k = 0; k < groups.size(); ++k) {
      im.shards.emplace_back();
      im.shards.back().name = shard_file_name(k, groups.size());
      im.shards.back().entries = groups[k];
    }
  }
  // An index is needed whenever the reader could not find the data as a lone model.safetensors.
  im.write_index = im.shards.size() > 1 || (im.shards.size() == 1 && im.shards[0].name != kSingleFile);

  // The temporary directory sits beside out_dir so the final rename stays on one filesystem.
  std::string tmpl = out_dir_ + ".tmp-" + std::to_string(::getpid()) + "-XXXXXX";
  if (!::mkdtemp(tmpl.data()))
    throw InputError(out_dir_ + ": cannot create output directory (" + std::strerror(errno) + ")");
  tmp_dir_ = tmpl;
  ::chmod(tmp_dir_.c_str(), 0755);  // mkdtemp makes it 0700; the final model dir should be readable

  try {
    for (ShardFile& s : im.shards) {
      nlohmann::ordered_json header;
      header["__metadata__"] = {{"format", "pt"}};
      uint64_t offset = 0;
      for (size_t i : s.entries) {
        const WritePlanEntry& e = im.plan[i];
        uint64_t n = plan_bytes(e);
        header[e.name] = {{"dtype", dtype_name(e.dtype)}, {"shape", e.shape}, {"data_offsets", {offset, offset + n}}};
        im.slots[i] = {static_cast<size_t>(&s - im.shards.data()), offset, offset + n, false};
        offset += n;
      }
      std::string text = header.dump();
      text.append((8 - text.size() % 8) % 8, ' ');
      s.data_start = 8 + text.size();
      s.data_size = offset;

      const std::string path = join(tmp_dir_, s.name);
      s.fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (s.fd < 0) throw InputError(path + ": cannot create (" + std::strerror(errno) + ")");
      uint8_t len[8];
      for (int b = 0; b < 8; ++b) len[b] = static_cast<uint8_t>(uint64_t(text.size()) >> (8 * b));
      pwrite_all(s.fd, len, 8, 0, path);
      pwrite_all(s.fd, text.data(), text.size(), 8, path);
      if (::ftruncate(s.fd, static_cast<off_t>(s.data_start + s.data_size)) != 0)
        throw InputError(path + ": cannot size file (" + std::strerror(errno) + ")");
    }
  } catch (...) {
    im.close_all();
    std::error_code ec;
    fs::remove_all(tmp_dir_, ec);
    throw;
  }
}

CheckpointWriter::~CheckpointWriter() {
  if (impl_) impl_->close_all();
  if (!finished_ && !tmp_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(tmp_dir_, ec);
  }
}

void CheckpointWriter::add(const std::string& name, const at::Tensor& tensor) {
  Impl& im = *impl_;
  if (finished_) throw std::logic_error("CheckpointWriter: add(" + name + ") after finish()");
  auto it = im.by_name.find(name);
  if (it == im.by_name.end())
    throw std::invalid_argument("CheckpointWriter: tensor " + name + " is not in the write plan");
  const size_t i = it->second;
  const WritePlanEntry& e = im.plan[i];
  if (tensor.sizes().vec() != e.shape)
    throw std::invalid_argument("CheckpointWriter: tensor " + name + " has shape " +
                                c10::str(tensor.sizes()) + ", planned " + c10::str(at::IntArrayRef(e.shape)));
  {
    std::lock_guard<std::mutex> lock(im.mu);
    if (im.slots[i].added) throw std::invalid_argument("CheckpointWriter: tensor " + name + " added twice");
    im.slots[i].added = true;
  }
  at::Tensor t = tensor.to(at::kCPU, to_scalar_type(e.dtype)).contiguous();
  const Slot& slot = im.slots[i];
  const ShardFile& s = im.shards[slot.shard];
  if (slot.end > slot.begin)
    pwrite_all(s.fd, t.data_ptr(), slot.end - slot.begin, s.data_start + slot.begin, join(tmp_dir_, s.name));
}

std::string CheckpointWriter::temp_path(const std::string& file_name) const { return join(tmp_dir_, file_name); }

void CheckpointWriter::copy_side_files(const std::string& src_dir) {
  for (const char* f : {"config.json", "generation_config.json", "tokenizer.model", "tokenizer.json",
                        "tokenizer_config.json", "special_tokens_map.json"}) {
    const std::string src = join(src_dir, f);
    if (!file_exists(src)) continue;
    std::error_code ec;
    fs::copy_file(src, temp_path(f), fs::copy_options::overwrite_existing, ec);
    if (ec) throw InputError(src + ": cannot copy to " + temp_path(f) + " (" + ec.message() + ")");
  }
}

void CheckpointWriter::finish() {
  Impl& im = *impl_;
  if (finished_) return;
  size_t missing = 0;
  std::string first_missing;
  for (size_t i = 0; i < im.plan.size(); ++i)
    if (!im.slots[i].added && missing++ == 0) first_missing = im.plan[i].name;
  if (missing)
    throw std::logic_error("CheckpointWriter: " + std::to_string(missing) +
                           " planned tensor(s) never added (first: " + first_missing + ")");

  if (im.write_index) {
    json weight_map = json::object();  // std::map-backed: keys come out sorted, as transformers
    uint64_t total = 0;
    for (size_t i = 0; i < im.plan.size(); ++i) {
      weight_map[im.plan[i].name] = im.shards[im.slots[i].shard].name;
      total += im.slots[i].end - im.slots[i].begin;
    }
    json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    write_text_file(temp_path(kIndexFile), index.dump(2) + "\n");
  }
  for (ShardFile& s : im.shards) {
    if (::fsync(s.fd) != 0)
      throw InputError(join(tmp_dir_, s.name) + ": fsync failed (" + std::strerror(errno) + ")");
  }
  im.close_all();
  fsync_dir(tmp_dir_);

  // The caller decided to overwrite: a previous out_dir (empty or not) is removed first.
  std::error_code ec;
  if (fs::exists(out_dir_, ec)) {
    if (!fs::is_directory(out_dir_, ec))
      throw InputError(out_dir_ + ": exists and is not a directory");
    fs::remove_all(out_dir_, ec);
    if (ec) throw InputError(out_dir_ + ": cannot remove the existing directory (" + ec.message() + ")");
  }
  if (::rename(tmp_dir_.c_str(), out_dir_.c_str()) != 0)
    throw InputError(out_dir_ + ": cannot move " + tmp_dir_ + " into place (" + std::strerror(errno) + ")");
  fsync_dir(fs::path(out_dir_).parent_path().empty() ? "." : fs::path(out_dir_).parent_path().string());
  finished_ = true;
}

// ---------------------------------------------------------------------------------------------

std::vector<WritePlanEntry> plan_like(const Checkpoint& ck) {
  std::vector<WritePlanEntry> plan;
  for (const std::string& n : ck.names()) {
    const TensorInfo& t = ck.info(n);
    plan.push_back({n, t.dtype, t.shape});
  }
  return plan;
}

std::map<std::string, std::string> shard_layout_like(const Checkpoint& ck) {
  std::map<std::string, std::string> layout;
  for (const std::string& n : ck.names()) layout[n] = ck.shard_of(n);
  return layout;
}

uint64_t parse_size(const std::string& s) {
  auto bad = [&]() {
    return InputError("--max-shard-size: cannot parse \"" + s +
                      "\" (expected a byte count or a size such as 5GB, 500MB, 2GiB)");
  };
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) throw bad();
  std::string unit = s.substr(i);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::map<std::string, double> units = {
      {"", 1.0},      {"B", 1.0},         {"KB", 1e3},        {"MB", 1e6},           {"GB", 1e9},
      {"TB", 1e12},   {"KIB", 1024.0},    {"MIB", 1048576.0}, {"GIB", 1073741824.0}, {"TIB", 1099511627776.0}};
  auto u = units.find(unit);
  if (u == units.end()) throw bad();
  const std::string number = s.substr(0, i);
  if (unit.empty() && number.find('.') != std::string::npos) throw bad();  // bytes are whole
  char* end = nullptr;
  double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !(v > 0) || v * u->second >= 9e18) throw bad();
  const uint64_t bytes = static_cast<uint64_t>(std::llround(v * u->second));
  if (bytes == 0) throw bad();
  return bytes;
}

}  // namespace prunekit
