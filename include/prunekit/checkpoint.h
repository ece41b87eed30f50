// A Hugging Face checkpoint directory: config.json + one or more safetensors shards.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "prunekit/config.h"
#include "prunekit/safetensors.h"

namespace prunekit {

// Read side. Opens config.json, then model.safetensors or model.safetensors.index.json (+ shards).
// Nothing is read into memory until a tensor is asked for.
class Checkpoint {
 public:
  explicit Checkpoint(const std::string& dir);  // InputError on missing dir/config/shard/tensor
  const std::string& dir() const { return dir_; }
  const LlamaConfig& config() const { return config_; }
  bool sharded() const { return sharded_; }

  // Tensor names in storage order (shard by shard, data offset order within a shard).
  std::vector<std::string> names() const;
  bool has(const std::string& name) const;  // true for a tied pair stored under the other name
  // Stored info; for an absent tied lm_head, the embedding's info.
  const TensorInfo& info(const std::string& name) const;
  // Which shard file (basename) holds it.
  std::string shard_of(const std::string& name) const;
  // Zero-copy view in the stored dtype. With tie_word_embeddings, "lm_head.weight" and
  // "model.embed_tokens.weight" each fall back to the other when only one is stored.
  at::Tensor view(const std::string& name) const;
  // Owned copy converted to `dtype` (a fresh tensor, safe to modify).
  at::Tensor load(const std::string& name, at::ScalarType dtype) const;
  // Release the resident pages of a tensor once its layer is done.
  void release(const std::string& name) const;
  // Check every tensor the config implies exists with its shape (LlamaConfig::expected_tensors;
  // InputError naming the first missing or misshapen one).
  void require_llama_tensors() const;

 private:
  std::string dir_;
  LlamaConfig config_;
  bool sharded_ = false;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::vector<std::string> file_names_;
  std::map<std::string, size_t> where_;  // tensor name -> file index
  std::string resolve(const std::string& name) const;
};

// Write side: an HF checkpoint written tensor by tensor, never whole in memory.
// The plan (names, dtypes, shapes, in order) is fixed up front so each shard's header can be
// written first; tensors may then be added in any order. Output goes to a temporary directory
// beside `out_dir`, renamed into place by finish(); the destructor of an unfinished writer
// removes the temporary directory.
struct WritePlanEntry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

class CheckpointWriter {
 public:
  // max_shard_bytes: shards of at most this many data bytes (a single larger tensor gets its own).
  // shard_layout: if non-empty, reuse this exact assignment name -> shard file name (keeps the
  // input's shard layout); otherwise shards are cut by max_shard_bytes and named as transformers
  // does (model.safetensors, or model-0000k-of-0000n.safetensors + index).
  CheckpointWriter(const std::string& out_dir, std::vector<WritePlanEntry> plan,
                   uint64_t max_shard_bytes = 5000000000ULL,
                   const std::map<std::string, std::string>& shard_layout = {});
  ~CheckpointWriter();
  // Converts to the planned dtype; shape must match.
  void add(const std::string& name, const at::Tensor& tensor);
  // Write an extra file (report, masks) into the output directory.
  std::string temp_path(const std::string& file_name) const;
  // Copy config.json, tokenizer and generation files from `src_dir`.
  void copy_side_files(const std::string& src_dir);
  // Verify every planned tensor was added, write index, fsync, rename into place.
  // An existing out_dir (empty or not) is removed first: callers decide about overwriting.
  void finish();
  const std::string& tmp_dir() const { return tmp_dir_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string out_dir_, tmp_dir_;
  bool finished_ = false;
};

// Build a write plan and shard layout that mirror an input checkpoint (names, order, dtypes,
// shard files). A tied lm_head that is absent stays absent.
std::vector<WritePlanEntry> plan_like(const Checkpoint& ck);
std::map<std::string, std::string> shard_layout_like(const Checkpoint& ck);

// Parse "5GB", "500MB", "1000" (bytes) as transformers does (decimal units; GiB/MiB binary).
uint64_t parse_size(const std::string& s);

}  // namespace prunekit
