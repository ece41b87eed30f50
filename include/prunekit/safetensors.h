// safetensors files: a validating mmap reader and a streaming, shard-aware writer.
// Format: 8-byte little-endian header length N, N bytes of JSON header, then the data section.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "prunekit/safetensors_header.h"  // DType, TensorInfo, the header parser (no LibTorch)

namespace prunekit {

at::ScalarType to_scalar_type(DType d);
DType from_scalar_type(at::ScalarType t);  // throws std::invalid_argument when unsupported

// A validated, memory-mapped safetensors file. Validation (parse_safetensors_header; all InputError,
// naming the file): header length vs file size, header is a JSON object, every dtype known, data_offsets in bounds,
// ordered, non-overlapping and covering the data section, shape product x dtype size = byte length.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  // Tensors in file (data offset) order.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  bool has(const std::string& name) const;
  const TensorInfo& info(const std::string& name) const;  // throws InputError if absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Zero-copy view of the mapping (read-only memory: never write into it).
  at::Tensor view(const std::string& name) const;
  // Drop the resident pages of this tensor's bytes (madvise DONTNEED); the view stays valid
  // and pages fault back in from the file if touched again.
  void release(const std::string& name) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  size_t data_start_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Load a whole small safetensors file (masks, stats, calibration) into owned tensors.
std::map<std::string, at::Tensor> load_safetensors(const std::string& path);
// Write owned tensors to one safetensors file (names sorted, as safetensors' Python API does).
void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace prunekit
