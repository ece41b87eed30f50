// The safetensors formats without LibTorch: dtypes, the header of one file (tensor names, dtypes,
// shapes, data offsets) and the shard index (model.safetensors.index.json). Part of
// prunekit_parse, so the fuzz and sanitizer builds drive these parsers directly on bytes.
// Format: 8-byte little-endian header length N, N bytes of JSON header, then the data section.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace prunekit {

enum class DType { F32, F16, BF16, I64, I32, U8, BOOL };

std::string dtype_name(DType d);              // "F32", ...
DType dtype_from_name(const std::string& s);  // throws InputError on unknown
size_t dtype_size(DType d);

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // offsets inside the data section
  int64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

// What the header of a safetensors file says, validated against the file's size.
struct SafetensorsHeader {
  size_t data_start = 0;              // 8 + header length: where the data section begins
  std::vector<TensorInfo> tensors;    // in data offset order, tiling the data section exactly
  std::map<std::string, std::string> metadata;
};
// Parse the `size` bytes of a whole safetensors file at `bytes` (only the length prefix and the
// header are read; the data section is only measured). InputError "<path>: <what>" for: fewer than
// 8 bytes, a header length past the end, a header that is not a JSON object or names a tensor
// twice, non-string metadata, an unknown or non-string dtype, malformed / unordered /
// out-of-bounds / overlapping data_offsets, gaps or trailing bytes, shape x dtype size different
// from the byte span.
SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, uint64_t size, const std::string& path);

// A shard index: tensor -> shard file name, and the shard names in file-name order.
struct ShardIndex {
  std::map<std::string, std::string> weight_map;
  std::set<std::string> shard_names;
};
// Parse the text of model.safetensors.index.json. InputError "<index_path>: <what>" when it is not
// JSON, has no "weight_map" object, or a weight_map value is not a string. (Shard names are
// checked against the directory by Checkpoint: a plain file name that exists.)
ShardIndex parse_shard_index(const std::string& text, const std::string& index_path);

}  // namespace prunekit
