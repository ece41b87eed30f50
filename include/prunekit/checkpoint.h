// A Hugging Face checkpoint directory: config.json + one or more safetensors shards.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <nlohmann/json.hpp>
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
  // Check every tensor the config implies (LlamaConfig::expected_tensors): present, a float dtype,
  // the shape the config implies. InputError naming the tensor, expected and found.
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

// --- Output directories (src/io/output_dir.cpp) --------------------------------------------
// Never lose what a user owns: an output directory is written as a temporary directory beside it
// ("<out>.prunekit-tmp-<pid>-XXXXXX"), under a lock ("<out>.prunekit-lock") held for the run, and
// committed by an atomic rename that never replaces anything but an empty directory or, with
// overwrite, a previous prunekit output (recognised by its marker, kReportFile).
constexpr const char* kReportDir = "prunekit";
constexpr const char* kReportFile = "prunekit/prune_report.json";

struct OutputPolicy {
  std::string input_dir;   // if set: the output may not equal, lie inside or contain it (symlinks resolved)
  bool overwrite = false;  // replace a previous prunekit output
  std::string flag = "--out";  // how errors name the output
};
// True when `dir` holds a prunekit marker (prunekit/prune_report.json, prunekit/make_synthetic.json,
// or the root-level prune_report.json of older versions) that parses and names a prunekit_version.
bool is_prunekit_output(const std::string& dir);
// Checks before any work (InputError naming policy.flag): a dangling symlink, a file, a path
// related to the input, a non-empty directory that is not a prunekit output (refused even with
// overwrite), a previous output without overwrite. Returns the directory to write (symlinks
// of the last component followed, trailing slashes removed).
std::string check_output_dir(const std::string& out_dir, const OutputPolicy& policy);
// An exclusive flock on "<out>.prunekit-lock" (holding the owner's pid) for the life of the object;
// InputError naming the other run's pid when it is held.
class OutputLock {
 public:
  OutputLock(const std::string& out_dir, const std::string& flag);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
  int cleanup_slot_ = -1;
};
// InputError naming `flag` when `path` is, lies inside or contains `input_dir` (symlinks resolved).
void check_outside_input(const std::string& path, const std::string& input_dir, const std::string& flag);
// "<out>.prunekit-tmp-": the prefix of a run's temporary output.
std::string output_temp_prefix(const std::string& out_dir);
// Remove the temporary directories that runs killed before they could clean up left beside
// out_dir (their pid no longer exists); returns what was removed.
std::vector<std::string> remove_stale_temporaries(const std::string& out_dir);
// Atomically move `tmp` to `out`: renameat2(RENAME_NOREPLACE) (rename(2) where unsupported); an
// empty directory at `out` is removed first; a previous prunekit output is swapped out
// (RENAME_EXCHANGE, or moved aside) and deleted only when replace_previous; anything else there
// is left untouched (InputError).
void commit_output_dir(const std::string& tmp, const std::string& out, bool replace_previous);

// Write side: an HF checkpoint written tensor by tensor, never whole in memory.
// The plan (names, dtypes, shapes, in order) is fixed up front so each shard's header can be
// written first; tensors may then be added in any order. The constructor checks the output
// directory (check_output_dir), takes its lock, removes stale temporaries of dead runs and creates
// the temporary directory; finish() fsyncs everything and commits it (commit_output_dir). An
// unfinished writer's destructor, or SIGINT/SIGTERM, removes the temporary directory.
struct WritePlanEntry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

// What copy_side_files carried over from the input directory: every file and folder (config,
// tokenizer, chat template, README, LICENSE, original/, ...) except, at its root, the weights
// (*.safetensors, pytorch_model*.bin), the shard indexes, a previous run's prunekit/ folder and
// .git/.cache; dangling links and special files are skipped too.
struct SideFiles {
  struct Copied {
    std::string path;  // relative to the directory
    uint64_t bytes;
    bool via_symlink;
  };
  std::vector<Copied> copied;
  std::vector<std::pair<std::string, std::string>> skipped;  // path, reason
};

class CheckpointWriter {
 public:
  // max_shard_bytes: shards of at most this many data bytes (a single larger tensor gets its own).
  // shard_layout: if non-empty, reuse this exact assignment name -> shard file name (keeps the
  // input's shard layout); otherwise shards are cut by max_shard_bytes and named as transformers
  // does (model.safetensors, or model-0000k-of-0000n.safetensors + index).
  CheckpointWriter(const std::string& out_dir, std::vector<WritePlanEntry> plan,
                   uint64_t max_shard_bytes = 5000000000ULL,
                   const std::map<std::string, std::string>& shard_layout = {},
                   const OutputPolicy& policy = {});
  ~CheckpointWriter();
  // Converts to the planned dtype; shape must match.
  void add(const std::string& name, const at::Tensor& tensor);
  // Path of an extra file (report, masks) inside the temporary directory; a relative name with
  // folders ("prunekit/masks.safetensors") gets its folders created.
  std::string temp_path(const std::string& file_name) const;
  // Write an extra text file into the output, checked and fsync'ed.
  void write_text(const std::string& file_name, const std::string& text) const;
  // Copy every file and folder of `src_dir` that is not weights (see SideFiles) byte for byte,
  // symlinks resolved. Returns what was copied and what was left out, and why.
  SideFiles copy_side_files(const std::string& src_dir);
  // Verify every planned tensor was added, write index, fsync every file, commit into place.
  void finish();
  const std::string& tmp_dir() const { return tmp_dir_; }
  const std::string& out_dir() const { return out_dir_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string out_dir_, tmp_dir_;
  bool finished_ = false;
};

// sha256 and size of config.json, the shard index and every shard of `ck`, to trace a result
// back to its checkpoint.
struct FileDigest {
  std::string file;  // relative to ck.dir()
  uint64_t bytes;
  std::string sha256;
};
std::vector<FileDigest> input_digests(const Checkpoint& ck);
// For prune_report.json: {"copied": {path: {"bytes"[, "via_symlink"]}}, "copied_bytes", "skipped":
// {path: reason}} and {file: {"bytes", "sha256"}}.
nlohmann::json to_json(const SideFiles& side);
nlohmann::json to_json(const std::vector<FileDigest>& digests);

// Build a write plan and shard layout that mirror an input checkpoint (names, order, dtypes,
// shard files). A tied lm_head that is absent stays absent.
std::vector<WritePlanEntry> plan_like(const Checkpoint& ck);
std::map<std::string, std::string> shard_layout_like(const Checkpoint& ck);


}  // namespace prunekit
