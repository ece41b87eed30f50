// The safetensors parsers without LibTorch (include/prunekit/safetensors_header.h): dtypes, the
// header of one file, the shard index. Part of prunekit_parse (fuzzed, sanitizer-tested).
#include "prunekit/safetensors_header.h"

#include <algorithm>
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

SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, uint64_t size, const std::string& path) {
  auto fail = [&](const std::string& what) { return bad_file(path, what); };
  if (size < 8) throw fail("truncated: " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  SafetensorsHeader h;
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];  // little-endian
  if (header_len > size - 8)
    throw fail("truncated: header length " + std::to_string(header_len) + " runs past the end of the file (" +
         std::to_string(size) + " bytes)");
  h.data_start = 8 + header_len;
  const uint64_t data_size = size - h.data_start;

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
    header = json::parse(bytes + 8, bytes + h.data_start, find_duplicate);
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
        h.metadata[m2.key()] = m2.value().get<std::string>();
      }
      continue;
    }
    h.tensors.push_back(parse_entry(path, it.key(), it.value(), data_size));
  }

  // Sort by offset and require the tensors to tile the data section exactly.
  std::sort(h.tensors.begin(), h.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t pos = 0;
  for (const TensorInfo& t : h.tensors) {
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
  return h;
}

ShardIndex parse_shard_index(const std::string& text, const std::string& index_path) {
  json index;
  try {
    index = json::parse(text);
  } catch (const json::exception&) {
    throw InputError(index_path + ": not valid JSON");
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    throw InputError(index_path + ": no \"weight_map\" object");

  ShardIndex out;
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    if (!it.value().is_string())
      throw InputError(index_path + ": weight_map entry for " + it.key() + " is not a file name");
    out.weight_map[it.key()] = it.value().get<std::string>();
  }
  // Shards in file-name order (model-00001-of-N, model-00002-of-N, ...).
  for (const auto& [name, file] : out.weight_map) out.shard_names.insert(file);
  return out;
}

}  // namespace prunekit
