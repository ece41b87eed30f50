// Writes the seed corpora of the fuzz targets from tests/fixtures (scripts/fuzz.sh runs it into
// build-fuzz/seeds/<target>/, which is generated, never committed):
//   fuzz_seeds <fixtures dir> <out dir>
// safetensors_header: every fixture .safetensors with its shapes cut to at most 2 per dimension
//   (so the seeds stay small and still parse), and its header alone (a truncated file);
// shard_index, config: the fixtures' index and config.json files; tokenizer_json: the small
//   tinystories-656k tokenizer.json and two minimal ones; tokenizer_encode: the golden tokenizer
//   texts; corpus: pieces of the fixture corpora, one gzipped; zeroshot_task: every task line with
//   the first byte that picks its task (fuzz_zeroshot_task.cpp's table).
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../gzip_bytes.h"
#include "prunekit/common.h"
#include "prunekit/safetensors_header.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int g_written = 0;

void put(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
  ++g_written;
}

std::string slurp(const fs::path& p) { return prunekit::read_file(p.string()); }

std::string tag(const fs::path& fixtures, const fs::path& p) {
  std::string s = fs::relative(p, fixtures).string();
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

std::string safetensors_bytes(const json& header, uint64_t data_size) {
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(uint64_t(text.size()) >> (8 * i));
  return out + text + std::string(data_size, '\0');
}

using prunekit_test::gzip;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fuzz_seeds <fixtures dir> <out dir>\n");
    return 2;
  }
  const fs::path fixtures = argv[1], out = argv[2];
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(fixtures))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());

  for (const fs::path& p : files) {
    const std::string name = p.filename().string(), t = tag(fixtures, p);
    if (p.extension() == ".safetensors") {
      const std::string bytes = slurp(p);
      const auto h = prunekit::parse_safetensors_header(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                        bytes.size(), p.string());
      put(out / "safetensors_header", t + ".header-only", bytes.substr(0, h.data_start));
      json header = json::object();
      if (!h.metadata.empty()) header["__metadata__"] = h.metadata;
      uint64_t offset = 0;
      for (const prunekit::TensorInfo& ti : h.tensors) {
        std::vector<int64_t> shape = ti.shape;
        uint64_t n = prunekit::dtype_size(ti.dtype);
        for (int64_t& d : shape) n *= uint64_t(d = std::min<int64_t>(d, 2));
        header[ti.name] = {{"dtype", prunekit::dtype_name(ti.dtype)}, {"shape", shape}, {"data_offsets", {offset, offset + n}}};
        offset += n;
      }
      put(out / "safetensors_header", t + ".small", safetensors_bytes(header, offset));
    } else if (name == "model.safetensors.index.json") {
      put(out / "shard_index", t, slurp(p));
    } else if (name == "config.json") {
      put(out / "config", t, slurp(p));
    } else if (name == "tokenizer.json" && fs::file_size(p) < 200000) {
      put(out / "tokenizer_json", t, slurp(p));
    } else if (p.extension() == ".jsonl" && p.parent_path().filename() == "zeroshot") {
      static const std::map<std::string, char> task_byte = {
          {"boolq", 0}, {"rte", 1}, {"hellaswag", 2}, {"arc_easy", 3}, {"arc_challenge", 4}, {"piqa", 5},
          {"openbookqa", 6}, {"winogrande", 7}, {"tinystories-cloze", 8}};
      const auto it = task_byte.find(p.stem().string());
      const char b = it == task_byte.end() ? 9 : it->second;
      int k = 0;
      for (const std::string& line : lines_of(slurp(p))) {
        if (k >= 20) break;
        put(out / "zeroshot_task", t + "." + std::to_string(k++), std::string(1, b) + line);
      }
    } else if ((p.extension() == ".jsonl" && (p.parent_path().filename() == "tokenizer-golden" ||
                                               p.parent_path().filename() == "tokenizer"))) {
      int k = 0;
      for (const std::string& line : lines_of(slurp(p))) {
        const json j = json::parse(line, nullptr, false);
        if (k >= 40 || !j.is_object() || !j.contains("text") || !j["text"].is_string()) continue;
        put(out / "tokenizer_encode", t + "." + std::to_string(k++), j["text"].get<std::string>());
      }
    } else if (p.parent_path().filename() == "data" &&
               (p.extension() == ".jsonl" || p.extension() == ".txt")) {
      const std::string s = slurp(p);
      for (size_t k = 0; k < 4 && k * 4096 < s.size(); ++k) {
        // Whole lines, about 4 KB from a few places in the file.
        size_t b = s.rfind('\n', k * (s.size() / 4));
        b = b == std::string::npos ? 0 : b + 1;
        size_t e = s.find('\n', std::min(s.size(), b + 4096));
        const std::string piece = s.substr(b, e == std::string::npos ? std::string::npos : e + 1 - b);
        put(out / "corpus", t + "." + std::to_string(k), piece);
        if (k == 0) put(out / "corpus", t + ".gz", gzip(piece));
      }
    }
  }
  // Minimal tokenizer.json files: byte-level BPE and Metaspace with an added token.
  put(out / "tokenizer_json", "mini-bytelevel.json",
      R"({"version":"1.0","added_tokens":[{"id":5,"content":"<s>","single_word":false,"lstrip":false,)"
      R"("rstrip":false,"normalized":false,"special":true}],"normalizer":null,)"
      R"("pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},)"
      R"("post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},)"
      R"({"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{"<s>":{"id":"<s>","ids":[5],"tokens":["<s>"]}}},)"
      R"("decoder":{"type":"ByteLevel"},"model":{"type":"BPE","dropout":null,"unk_token":null,)"
      R"("byte_fallback":false,"vocab":{"a":0,"b":1,"ab":2,"Ġ":3,"Ġab":4},"merges":["a b","Ġ ab"]}})");
  put(out / "tokenizer_json", "mini-metaspace.json",
      R"({"version":"1.0","added_tokens":[],"normalizer":{"type":"Sequence","normalizers":[{"type":"NFC"},)"
      R"({"type":"Replace","pattern":{"String":" "},"content":"▁"}]},"pre_tokenizer":{"type":"Metaspace",)"
      R"("replacement":"▁","prepend_scheme":"first","split":false},"post_processor":null,)"
      R"("decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},)"
      R"({"type":"ByteFallback"},{"type":"Fuse"}]},"model":{"type":"BPE","unk_token":"<unk>","byte_fallback":true,)"
      R"("vocab":{"<unk>":0,"<0x41>":1,"▁":2,"a":3,"▁a":4},"merges":[["▁","a"]]}})");
  std::printf("fuzz_seeds: %d seed files under %s\n", g_written, out.c_str());
  return 0;
}
