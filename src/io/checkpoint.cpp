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
#include "prunekit/log.h"

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
  if (!dir_exists(dir)) {
    const std::string problem = path_problem(dir);
    throw InputError(dir + ": " + (problem.empty() ? "is a file, not a model directory"
                                   : problem == kPathMissing ? "model directory not found" : problem));
  }
  config_ = LlamaConfig::from_file(join(dir, "config.json"));

  const std::string single = join(dir, kSingleFile), index_path = join(dir, kIndexFile);
  // As transformers does: a single model.safetensors wins over an index. Something at that name
  // that cannot be read (a directory, a FIFO, a broken link) is reported as what it is.
  const std::string single_problem = path_problem(single);
  if (!single_problem.empty() && single_problem != kPathMissing) throw InputError(single + ": " + single_problem);
  if (single_problem.empty()) {
    files_.push_back(std::make_unique<SafetensorsFile>(single));
    file_names_.push_back(kSingleFile);
    for (const TensorInfo& t : files_[0]->tensors()) where_[t.name] = 0;
    return;
  }
  const std::string index_problem = path_problem(index_path);
  if (!index_problem.empty() && index_problem != kPathMissing) throw InputError(index_path + ": " + index_problem);
  if (!file_exists(index_path)) {
    std::string hint = file_exists(join(dir, "pytorch_model.bin")) ||
                               file_exists(join(dir, "pytorch_model.bin.index.json"))
                           ? " (only safetensors checkpoints are supported; pytorch_model.bin is not)"
                           : "";
    throw InputError(dir + ": no " + kSingleFile + " or " + kIndexFile + hint);
  }

  sharded_ = true;
  const ShardIndex index = parse_shard_index(read_file(index_path), index_path);
  const std::map<std::string, std::string>& weight_map = index.weight_map;  // tensor -> shard file
  const std::set<std::string>& shard_names = index.shard_names;              // in file-name order
  std::map<std::string, size_t> shard_index;
  for (const std::string& file : shard_names) {
    if (file.find('/') != std::string::npos)
      throw InputError(index_path + ": shard name \"" + file + "\" must be a plain file name");
    const std::string path = join(dir, file);
    const std::string problem = path_problem(path);
    if (!problem.empty())
      throw InputError(path + ": shard named by " + kIndexFile + " " + (problem == kPathMissing ? "not found" : problem));
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
    // Integer or bool weights would be converted silently (or fail deep inside LibTorch).
    if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16)
      throw InputError(dir_ + ": tensor " + t.name + " has dtype " + dtype_name(t.dtype) +
                       ", expected a float dtype (F32, F16 or BF16)");
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

// fsync every file and folder under `dir` (files written by others, e.g. through std::ofstream).
void fsync_tree(const std::string& dir) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) && !it->is_directory(ec)) continue;
    const std::string path = it->path().string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_errno(path, "cannot open to sync", errno);
    const bool ok = ::fsync(fd) == 0 || errno == EINVAL;
    const int err = errno;
    ::close(fd);
    if (!ok) throw_errno(path, "fsync failed", err);
  }
  fsync_dir(dir);
}

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

}  // namespace

struct CheckpointWriter::Impl {
  std::vector<WritePlanEntry> plan;
  std::map<std::string, size_t> by_name;  // name -> plan index
  std::vector<Slot> slots;                // parallel to plan
  std::vector<ShardFile> shards;
  bool write_index = false;
  std::mutex mu;  // guards Slot::added; add() may be called from several threads
  OutputPolicy policy;
  std::unique_ptr<OutputLock> lock;
  int cleanup_slot = -1;

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
                                   const std::map<std::string, std::string>& shard_layout,
                                   const OutputPolicy& policy)
    : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  im.policy = policy;
  // Checked before and after taking the lock: another run may have committed meanwhile.
  out_dir_ = check_output_dir(out_dir, policy);
  im.lock = std::make_unique<OutputLock>(out_dir_, policy.flag);
  out_dir_ = check_output_dir(out_dir, policy);
  for (const std::string& stale : remove_stale_temporaries(out_dir_))
    log::warn("removed {}, the temporary output of an interrupted run", stale);
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
  std::string tmpl = output_temp_prefix(out_dir_) + std::to_string(::getpid()) + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw_errno(out_dir_, "cannot create the temporary output directory", errno);
  tmp_dir_ = tmpl;
  im.cleanup_slot = register_cleanup_path(tmp_dir_);
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
      if (s.fd < 0) throw_errno(path, "cannot create", errno);
      uint8_t len[8];
      for (int b = 0; b < 8; ++b) len[b] = static_cast<uint8_t>(uint64_t(text.size()) >> (8 * b));
      pwrite_all(s.fd, len, 8, 0, path);
      pwrite_all(s.fd, text.data(), text.size(), 8, path);
      if (::ftruncate(s.fd, static_cast<off_t>(s.data_start + s.data_size)) != 0)
        throw_errno(path, "cannot size file", errno);
    }
  } catch (...) {
    im.close_all();
    std::error_code ec;
    fs::remove_all(tmp_dir_, ec);
    unregister_cleanup_path(im.cleanup_slot);
    throw;
  }
}

CheckpointWriter::~CheckpointWriter() {
  if (impl_) impl_->close_all();
  if (!finished_ && !tmp_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(tmp_dir_, ec);
  }
  if (impl_) unregister_cleanup_path(impl_->cleanup_slot);
  // impl_ (and with it the lock) goes last, after the temporary directory is gone.
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

std::string CheckpointWriter::temp_path(const std::string& file_name) const {
  const size_t slash = file_name.find_last_of('/');
  if (slash != std::string::npos) {
    std::error_code ec;
    fs::create_directories(join(tmp_dir_, file_name.substr(0, slash)), ec);
    if (ec) throw_errno(join(tmp_dir_, file_name.substr(0, slash)), "cannot create", ec.value());
  }
  return join(tmp_dir_, file_name);
}

void CheckpointWriter::write_text(const std::string& file_name, const std::string& text) const {
  write_file_synced(temp_path(file_name), text);
}

namespace {

// Why a root-level entry of the input is not carried over, or "" to copy it.
std::string skip_reason(const std::string& name, const std::string& src_dir) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (name == kIndexFile || name == "pytorch_model.bin.index.json") return "shard index (written anew)";
  if (ends_with(".safetensors"))
    return "weights: the output's own shards replace them (loaders that glob *.safetensors would read any other)";
  if (name.rfind("pytorch_model", 0) == 0 && ends_with(".bin")) return "dense weights in another format";
  if (name == kReportDir) return "a previous prunekit run's report and masks";
  if (name == "prune_report.json" && is_prunekit_output(src_dir)) return "a previous prunekit run's report";
  if (name == ".git") return "version control data (may hold the dense weights)";
  if (name == ".cache") return "download cache metadata";
  return "";
}

void copy_tree(const std::string& src, const std::string& dst, const std::string& rel, int depth,
               std::set<std::pair<dev_t, ino_t>>& visited, SideFiles& out) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(src, ec)) names.push_back(e.path().filename().string());
  if (ec) throw_errno(src, "cannot list", ec.value());
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string from = join(src, name), to = join(dst, name), r = rel.empty() ? name : rel + "/" + name;
    if (depth == 0) {
      const std::string why = skip_reason(name, src);
      if (!why.empty()) {
        out.skipped.push_back({r, why});
        continue;
      }
    }
    struct stat lst, st;
    if (::lstat(from.c_str(), &lst) != 0) continue;  // vanished
    const bool link = S_ISLNK(lst.st_mode);
    if (::stat(from.c_str(), &st) != 0) {
      out.skipped.push_back({r, "dangling symbolic link"});
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (!visited.insert({st.st_dev, st.st_ino}).second || depth >= 32) {
        out.skipped.push_back({r, "symbolic link loop"});
        continue;
      }
      if (::mkdir(to.c_str(), 0755) != 0 && errno != EEXIST) throw_errno(to, "cannot create", errno);
      copy_tree(from, to, r, depth + 1, visited, out);
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      out.skipped.push_back({r, "not a regular file (device, FIFO or socket)"});
      continue;
    }
    out.copied.push_back({r, copy_file_synced(from, to), link});
  }
}

}  // namespace

SideFiles CheckpointWriter::copy_side_files(const std::string& src_dir) {
  SideFiles out;
  std::set<std::pair<dev_t, ino_t>> visited;
  struct stat st;
  if (::stat(src_dir.c_str(), &st) == 0) visited.insert({st.st_dev, st.st_ino});
  copy_tree(src_dir, tmp_dir_, "", 0, visited, out);
  return out;
}

nlohmann::json to_json(const SideFiles& side) {
  json copied = json::object(), skipped = json::object();
  uint64_t total = 0;
  for (const SideFiles::Copied& c : side.copied) {
    copied[c.path] = c.via_symlink ? json{{"bytes", c.bytes}, {"via_symlink", true}} : json{{"bytes", c.bytes}};
    total += c.bytes;
  }
  for (const auto& [path, why] : side.skipped) skipped[path] = why;
  return {{"copied", copied}, {"copied_bytes", total}, {"skipped", skipped}};
}

nlohmann::json to_json(const std::vector<FileDigest>& digests) {
  json out = json::object();
  for (const FileDigest& d : digests) out[d.file] = {{"bytes", d.bytes}, {"sha256", d.sha256}};
  return out;
}

std::vector<FileDigest> input_digests(const Checkpoint& ck) {
  std::vector<std::string> files = {"config.json"};
  if (ck.sharded()) files.push_back(kIndexFile);
  std::set<std::string> seen;
  for (const std::string& n : ck.names()) {
    const std::string shard = ck.shard_of(n);
    if (seen.insert(shard).second) files.push_back(shard);
  }
  std::vector<FileDigest> out;
  for (const std::string& f : files) {
    const std::string path = join(ck.dir(), f);
    struct stat st;
    const uint64_t bytes = ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    out.push_back({f, bytes, sha256_file_hex(path)});
  }
  return out;
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
    write_file_synced(temp_path(kIndexFile), index.dump(2) + "\n");
  }
  for (ShardFile& s : im.shards) fsync_fd(s.fd, join(tmp_dir_, s.name));
  for (ShardFile& s : im.shards) {
    if (::close(s.fd) != 0 && errno != EINTR) throw_errno(join(tmp_dir_, s.name), "close failed", errno);
    s.fd = -1;
  }
  // Whatever else the caller put in (side files, report, masks) is on disk before the rename too.
  fsync_tree(tmp_dir_);

  debug_pause("commit");
  commit_output_dir(tmp_dir_, out_dir_, im.policy.overwrite);
  finished_ = true;
  unregister_cleanup_path(im.cleanup_slot);
  im.cleanup_slot = -1;
  fsync_dir(fs::path(out_dir_).parent_path().empty() ? "." : fs::path(out_dir_).parent_path().string());
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

}  // namespace prunekit
