// The parsers of prunekit_parse on bytes, without LibTorch: safetensors header, shard index,
// config.json, corpora, zero-shot task lines; and the regression inputs of the fuzz targets
// (tests/fuzz/, docs/FUZZING.md). This file links only prunekit_parse, so the sanitizer build
// (scripts/test.sh --sanitize) runs it under ASan + UBSan; the main suite runs it too.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fixtures.h"
#include "gzip_bytes.h"
#include "prunekit/common.h"
#include "prunekit/config.h"
#include "prunekit/corpus.h"
#include "prunekit/safetensors_header.h"
#include "prunekit/tokenizer.h"
#include "prunekit/zeroshot.h"

using prunekit::InputError;

namespace {

void expect_refused(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no InputError (expected one mentioning \"" << needle << "\")";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// A safetensors file: 8-byte little-endian length, the header text, `data` zero bytes.
std::string st_file(const std::string& header, size_t data = 0) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(uint64_t(header.size()) >> (8 * i));
  return out + header + std::string(data, '\0');
}

prunekit::SafetensorsHeader parse_st(const std::string& bytes) {
  return prunekit::parse_safetensors_header(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "f.st");
}

using prunekit_test::gzip;

}  // namespace

TEST(Parse, SafetensorsHeaderOfFixturesAndCorruptBytes) {
  PRUNEKIT_FIXTURE(path, "models/stories260K/model.safetensors");
  const std::string bytes = prunekit::read_file(path);
  const prunekit::SafetensorsHeader h = parse_st(bytes);
  ASSERT_FALSE(h.tensors.empty());
  uint64_t pos = 0;
  for (const prunekit::TensorInfo& t : h.tensors) {
    EXPECT_EQ(t.begin, pos) << t.name;
    pos = t.end;
  }
  EXPECT_EQ(h.data_start + pos, bytes.size());

  const std::string one = R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const auto ok = parse_st(st_file(one, 8));
  ASSERT_EQ(ok.tensors.size(), 1u);
  EXPECT_EQ(ok.metadata.at("format"), "pt");
  expect_refused([] { parse_st(std::string(5, '\0')); }, "f.st: truncated: 5 bytes");
  expect_refused([&] { parse_st(st_file(one, 8).substr(0, 20)); }, "runs past the end");
  expect_refused([&] { parse_st(st_file(one, 12)); }, "gap in data_offsets");
  expect_refused([] { parse_st(st_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                       R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8)); },
                 "names tensor \"w\" twice");
  expect_refused([] { parse_st(st_file(R"({"__metadata__":{"a":1}})")); }, "__metadata__ value of \"a\"");
  expect_refused([] { parse_st(st_file(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}})")); },
                 "shape too large");
  expect_refused([] { parse_st(st_file("[1]")); }, "not a JSON object");
  expect_refused([] { parse_st(st_file("{")); }, "not valid JSON");
}

TEST(Parse, ShardIndex) {
  PRUNEKIT_FIXTURE(path, "models/stories260K-sharded/model.safetensors.index.json");
  const prunekit::ShardIndex index = prunekit::parse_shard_index(prunekit::read_file(path), path);
  EXPECT_EQ(index.shard_names.size(), 2u);
  EXPECT_EQ(index.weight_map.at("model.embed_tokens.weight"), "model-00001-of-00002.safetensors");
  expect_refused([] { prunekit::parse_shard_index("{", "i.json"); }, "i.json: not valid JSON");
  expect_refused([] { prunekit::parse_shard_index("{}", "i.json"); }, "no \"weight_map\" object");
  expect_refused([] { prunekit::parse_shard_index(R"({"weight_map":{"w":3}})", "i.json"); },
                 "weight_map entry for w is not a file name");
}

TEST(Parse, ConfigFromText) {
  PRUNEKIT_FIXTURE(path, "models/stories260K/config.json");
  const auto c = prunekit::LlamaConfig::from_json_text(prunekit::read_file(path), path);
  EXPECT_GT(c.hidden_size, 0);
  EXPECT_FALSE(c.expected_tensors().empty());
  expect_refused([] { prunekit::LlamaConfig::from_json_text("{", "c.json"); }, "c.json");
  // fuzz_config's finding: a max_position_embeddings of 6.4e26 was converted to int64 (undefined);
  // it is bad input now, as a fractional or negative one is, and an integer one still reads.
  std::string text = prunekit::read_file(path);
  const size_t at = text.find("\"max_position_embeddings\"");
  ASSERT_NE(at, std::string::npos);
  const size_t colon = text.find(':', at), end = text.find_first_of(",}", colon);
  for (const char* bad : {"6.4e26", "512.5", "-1"}) {
    const std::string t = text.substr(0, colon + 1) + " " + bad + text.substr(end);
    expect_refused([&] { prunekit::LlamaConfig::from_json_text(t, "c.json"); }, "c.json");
  }
  EXPECT_EQ(prunekit::LlamaConfig::from_json_text(text.substr(0, colon + 1) + " 4096" + text.substr(end), "c.json")
                .max_position_embeddings, 4096);
}

TEST(Parse, CorpusBytes) {
  using prunekit::DocMode;
  const std::string jsonl = "{\"text\":\"a\"}\n\n{\"text\":\"b\"}\n";
  EXPECT_EQ(prunekit::documents_from_bytes(jsonl, "c.jsonl", DocMode::File), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(prunekit::eval_text_from_bytes(jsonl, "c.jsonl"), "a\n\nb");
  EXPECT_EQ(prunekit::documents_from_bytes(gzip(jsonl), "c.jsonl.gz", DocMode::File),
            (std::vector<std::string>{"a", "b"}));
  const std::string text = "one\ntwo\n\n\nthree\r\n";
  EXPECT_EQ(prunekit::documents_from_bytes(text, "t.txt", DocMode::Lines),
            (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(prunekit::documents_from_bytes(text, "t.txt", DocMode::Paragraphs),
            (std::vector<std::string>{"one\ntwo", "three"}));
  EXPECT_EQ(prunekit::eval_text_from_bytes(text, "t.txt"), text);
  expect_refused([] { prunekit::documents_from_bytes("", "e.txt", DocMode::File); }, "e.txt: empty");
  expect_refused([] { prunekit::documents_from_bytes("\n\n", "e.txt", DocMode::Lines); }, "no documents");
  expect_refused([] { prunekit::documents_from_bytes("{\"text\":1}\n", "c.jsonl", DocMode::File); },
                 "c.jsonl:1: record has no string field \"text\"");
  expect_refused([] { prunekit::documents_from_bytes("{\"text\":\"a\"}\n{x\n", "c.jsonl", DocMode::File); },
                 "c.jsonl:2: not valid JSON");
  expect_refused([&] { prunekit::documents_from_bytes(gzip(jsonl).substr(0, 12), "c.gz", DocMode::File); },
                 "c.gz: corrupt or truncated gzip data");
}

TEST(Parse, ZeroShotTaskLines) {
  const auto d = prunekit::parse_task_line("x", R"({"context":"a","choices":["b","c"],"gold":1})", "x.jsonl:3");
  EXPECT_EQ(d.gold, 1);
  ASSERT_EQ(d.requests.size(), 2u);
  EXPECT_EQ(d.requests[1].continuation, " c");
  const auto b = prunekit::parse_task_line("boolq", R"({"passage":"p","question":"q","label":true})", "b:1");
  EXPECT_EQ(b.gold, 1);
  EXPECT_EQ(b.requests[0].context, "p\nQuestion: q?\nAnswer:");
  expect_refused([] { prunekit::parse_task_line("x", "{", "x.jsonl:3"); }, "x.jsonl:3: not valid JSON");
  expect_refused([] { prunekit::parse_task_line("x", "[1]", "x.jsonl:3"); }, "x.jsonl:3: not a JSON object");
  expect_refused([] { prunekit::parse_task_line("x", R"({"context":"a","choices":["b"],"gold":1})", "x:1"); },
                 "gold index 1 outside the 1 choices");
  expect_refused([] { prunekit::parse_task_line("x", R"({"context":"a","choices":["b"],"gold":-1})", "x:1"); },
                 "gold index -1 outside");
  // Regression: a gold below INT32_MIN was narrowed to an int: -4294967296 passed as choice 0.
  expect_refused([] { prunekit::parse_task_line("x", R"({"context":"a","choices":["b"],"gold":-4294967296})", "x:1"); },
                 "x:1: field \"gold\" is -4294967296, too small for a choice index");
  expect_refused([] { prunekit::parse_task_line("x", R"({"context":"a","choices":["b"],"gold":4294967296})", "x:1"); },
                 "too large for a choice index");
}

// tokenizer.model through the dlopen()ed libsentencepiece: with RTLD_DEEPBIND in the normal build,
// without it under ASan (which refuses DEEPBIND; src/data/tokenizer.cpp), so the sanitizer build
// runs this path too.
TEST(Parse, SentencepieceTokenizerLoads) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  const prunekit::Tokenizer tok(model);
  EXPECT_EQ(tok.kind(), "sentencepiece");
  const std::vector<int> ids = tok.encode("Once upon a time", /*add_bos=*/false);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(tok.decode(ids), "Once upon a time");
}
