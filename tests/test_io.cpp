// Checkpoint I/O: safetensors parsing and validation, Checkpoint, CheckpointWriter, make-synthetic.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fixtures.h"
#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/safetensors.h"

namespace fs = std::filesystem;
using nlohmann::json;
using prunekit::Checkpoint;
using prunekit::CheckpointWriter;
using prunekit::DType;
using prunekit::InputError;
using prunekit::SafetensorsFile;
using prunekit_test::temp_dir;

namespace {

using prunekit_test::expect_input_error;
using prunekit_test::slurp;
using prunekit_test::spit;

// A raw safetensors file: 8-byte little-endian length, header text, `data_bytes` zero bytes.
std::string raw_safetensors(const std::string& header, size_t data_bytes, int64_t claimed_len = -1) {
  uint64_t n = claimed_len >= 0 ? static_cast<uint64_t>(claimed_len) : header.size();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

// Bitwise equality (NaN-safe, dtype-exact).
bool same_bits(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  at::Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.numel() * ca.element_size()) == 0;
}

// Write `ck` (converted to `dtype`) to `out` with the given sharding; returns nothing, throws on error.
void write_converted(const Checkpoint& ck, const std::string& out, DType dtype, uint64_t max_shard_bytes) {
  std::vector<prunekit::WritePlanEntry> plan = prunekit::plan_like(ck);
  for (auto& e : plan) e.dtype = dtype;
  CheckpointWriter w(out, plan, max_shard_bytes);
  // Add in reverse order: the writer must not depend on plan order.
  for (auto it = plan.rbegin(); it != plan.rend(); ++it) w.add(it->name, ck.view(it->name));
  w.copy_side_files(ck.dir());
  w.finish();
}

void copy_dir(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from)) {
    fs::copy_file(entry.path(), fs::path(to) / entry.path().filename());
    fs::permissions(fs::path(to) / entry.path().filename(), fs::perms::owner_write, fs::perm_options::add);
  }
}

}  // namespace

// ---- reading ----

TEST(Io, ParsesStories260K) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  Checkpoint ck(dir);
  EXPECT_FALSE(ck.sharded());
  const auto& c = ck.config();
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.num_hidden_layers, 5);
  ASSERT_EQ(ck.names().size(), 48u);
  EXPECT_NO_THROW(ck.require_llama_tensors());

  const int64_t h = c.hidden_size, kv = c.num_key_value_heads * c.head_dim, q = c.num_attention_heads * c.head_dim;
  auto shape = [&](const std::string& n) { return ck.info(n).shape; };
  using S = std::vector<int64_t>;
  EXPECT_EQ(shape("model.embed_tokens.weight"), (S{c.vocab_size, h}));
  EXPECT_EQ(shape("lm_head.weight"), (S{c.vocab_size, h}));
  EXPECT_EQ(shape("model.norm.weight"), (S{h}));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    EXPECT_EQ(shape(p + "input_layernorm.weight"), (S{h}));
    EXPECT_EQ(shape(p + "post_attention_layernorm.weight"), (S{h}));
    EXPECT_EQ(shape(p + "self_attn.q_proj.weight"), (S{q, h}));
    EXPECT_EQ(shape(p + "self_attn.k_proj.weight"), (S{kv, h}));
    EXPECT_EQ(shape(p + "self_attn.v_proj.weight"), (S{kv, h}));
    EXPECT_EQ(shape(p + "self_attn.o_proj.weight"), (S{h, q}));
    EXPECT_EQ(shape(p + "mlp.gate_proj.weight"), (S{c.intermediate_size, h}));
    EXPECT_EQ(shape(p + "mlp.up_proj.weight"), (S{c.intermediate_size, h}));
    EXPECT_EQ(shape(p + "mlp.down_proj.weight"), (S{h, c.intermediate_size}));
  }
  uint64_t total = 0;
  for (const std::string& n : ck.names()) {
    EXPECT_EQ(ck.info(n).dtype, DType::F32) << n;
    EXPECT_EQ(ck.shard_of(n), "model.safetensors");
    at::Tensor v = ck.view(n), l = ck.load(n, at::kFloat);
    EXPECT_TRUE(same_bits(v, l)) << n;
    EXPECT_NE(v.data_ptr(), l.data_ptr()) << "load() must return an owned copy";
    total += ck.info(n).nbytes();
  }
  EXPECT_EQ(total, 260032u * 4 + 512u * 64 * 4);  // parameters + the stored lm_head copy
  // Conversion on load.
  EXPECT_EQ(ck.load("model.norm.weight", at::kBFloat16).scalar_type(), at::kBFloat16);
}

TEST(Io, SafetensorsFileViewAndRelease) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  SafetensorsFile f(dir + "/model.safetensors");
  EXPECT_EQ(f.metadata().at("format"), "pt");
  ASSERT_EQ(f.tensors().size(), 48u);
  for (size_t i = 1; i < f.tensors().size(); ++i) EXPECT_EQ(f.tensors()[i].begin, f.tensors()[i - 1].end);
  const std::string big = "model.embed_tokens.weight";
  at::Tensor v = f.view(big);
  at::Tensor copy = v.clone();
  f.release(big);  // pages drop, then fault back in from the file
  EXPECT_TRUE(same_bits(v, copy));
  EXPECT_FALSE(f.has("nope"));
  expect_input_error([&] { f.info("nope"); }, {"model.safetensors", "nope"});
}

TEST(Io, ShardedFixtureMatchesSingleFile) {
  PRUNEKIT_FIXTURE(single_dir, "models/stories260K");
  PRUNEKIT_FIXTURE(sharded_dir, "models/stories260K-sharded");
  Checkpoint single(single_dir), sharded(sharded_dir);
  EXPECT_TRUE(sharded.sharded());
  ASSERT_EQ(sharded.names().size(), 47u);  // lm_head left out (tied)
  EXPECT_EQ(sharded.names().front(), "model.embed_tokens.weight");
  EXPECT_EQ(sharded.names().back(), "model.norm.weight");
  EXPECT_NO_THROW(sharded.require_llama_tensors());
  EXPECT_EQ(sharded.shard_of("model.layers.0.mlp.up_proj.weight"), "model-00001-of-00002.safetensors");
  EXPECT_EQ(sharded.shard_of("model.layers.4.mlp.up_proj.weight"), "model-00002-of-00002.safetensors");

  // The tied lm_head resolves to the embedding everywhere.
  ASSERT_TRUE(sharded.has("lm_head.weight"));
  EXPECT_EQ(sharded.info("lm_head.weight").name, "model.embed_tokens.weight");
  EXPECT_EQ(sharded.shard_of("lm_head.weight"), sharded.shard_of("model.embed_tokens.weight"));
  EXPECT_EQ(sharded.view("lm_head.weight").data_ptr(), sharded.view("model.embed_tokens.weight").data_ptr());
  EXPECT_TRUE(same_bits(sharded.load("lm_head.weight", at::kFloat), single.view("lm_head.weight")));

  for (const std::string& n : sharded.names()) EXPECT_TRUE(same_bits(sharded.view(n), single.view(n))) << n;
  EXPECT_FALSE(sharded.has("model.layers.5.mlp.up_proj.weight"));
}

// ---- writing ----

// stories260K converted to `dtype`, written (one file or several shards) and read back.
static void check_round_trip(const std::string& dir, DType dtype, bool shard) {
  // Small shards (about a quarter of the model each) force several files.
  const uint64_t max_shard = shard ? 75000 * prunekit::dtype_size(dtype) : 5000000000ULL;
  Checkpoint src(dir);
  const std::string tmp = temp_dir("io-roundtrip"), out = tmp + "/out";
  write_converted(src, out, dtype, max_shard);

  // Only the output directory remains: the temporary one was renamed.
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp), fs::directory_iterator()), 1);
  EXPECT_TRUE(prunekit_test::path_exists(out + "/tokenizer.model"));
  EXPECT_EQ(slurp(out + "/config.json"), slurp(dir + "/config.json"));

  Checkpoint back(out);
  ASSERT_EQ(back.names(), src.names());
  EXPECT_EQ(back.sharded(), shard);
  for (const std::string& n : src.names()) {
    EXPECT_EQ(back.info(n).dtype, dtype) << n;
    EXPECT_TRUE(same_bits(back.view(n), src.load(n, prunekit::to_scalar_type(dtype)))) << n;
  }
  // A second conversion of the written file is the identity.
  const std::string again = tmp + "/again";
  write_converted(back, again, dtype, max_shard);
  Checkpoint back2(again);
  for (const std::string& n : src.names()) EXPECT_TRUE(same_bits(back2.view(n), back.view(n))) << n;

  if (!shard) {
    EXPECT_FALSE(prunekit_test::path_exists(out + "/model.safetensors.index.json"));
    // F32 in the same order with the same header style: the file itself is reproduced byte for byte.
    if (dtype == DType::F32) EXPECT_EQ(slurp(out + "/model.safetensors"), slurp(dir + "/model.safetensors"));
  } else {
    json index = json::parse(slurp(out + "/model.safetensors.index.json"));
    ASSERT_TRUE(index["weight_map"].is_object());
    EXPECT_EQ(index["weight_map"].size(), 48u);
    uint64_t total = 0;
    std::map<std::string, uint64_t> shard_bytes;
    for (const std::string& n : src.names()) {
      EXPECT_EQ(index["weight_map"][n], back.shard_of(n)) << n;
      total += back.info(n).nbytes();
      shard_bytes[back.shard_of(n)] += back.info(n).nbytes();
    }
    EXPECT_EQ(index["metadata"]["total_size"].get<uint64_t>(), total);
    ASSERT_GE(shard_bytes.size(), 3u);
    const size_t n = shard_bytes.size();
    size_t k = 1;
    for (const auto& [file, bytes] : shard_bytes) {
      char expect[64];
      std::snprintf(expect, sizeof expect, "model-%05zu-of-%05zu.safetensors", k++, n);
      EXPECT_EQ(file, expect);
      EXPECT_LE(bytes, max_shard) << file;
    }
  }
  fs::remove_all(tmp);
}

TEST(Io, RoundTripF32Single) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  check_round_trip(dir, DType::F32, false);
}
TEST(Io, RoundTripF32Sharded) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  check_round_trip(dir, DType::F32, true);
}
TEST(Io, RoundTripF16Single) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  check_round_trip(dir, DType::F16, false);
}
TEST(Io, RoundTripF16Sharded) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  check_round_trip(dir, DType::F16, true);
}
TEST(Io, RoundTripBF16Single) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  check_round_trip(dir, DType::BF16, false);
}
TEST(Io, RoundTripBF16Sharded) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  check_round_trip(dir, DType::BF16, true);
}

TEST(Io, WriterPreservesShardedLayout) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K-sharded");
  Checkpoint src(dir);
  const std::string tmp = temp_dir("io-layout"), out = tmp + "/out";
  {
    CheckpointWriter w(out, prunekit::plan_like(src), 1000 /* ignored: layout given */,
                       prunekit::shard_layout_like(src));
    for (const std::string& n : src.names()) w.add(n, src.view(n));
    w.copy_side_files(dir);
    w.finish();
  }
  Checkpoint back(out);
  EXPECT_TRUE(back.sharded());
  EXPECT_EQ(back.names(), src.names());
  for (const std::string& n : src.names()) {
    EXPECT_EQ(back.shard_of(n), src.shard_of(n)) << n;
    EXPECT_TRUE(same_bits(back.view(n), src.view(n))) << n;
  }
  json a = json::parse(slurp(dir + "/model.safetensors.index.json"));
  json b = json::parse(slurp(out + "/model.safetensors.index.json"));
  EXPECT_EQ(a["weight_map"], b["weight_map"]);
  EXPECT_EQ(b["metadata"]["total_size"].get<uint64_t>(), 1040128u);
  // Same header style as the Python library: the shards are reproduced byte for byte.
  for (const char* shard : {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"})
    EXPECT_EQ(slurp(out + "/" + shard), slurp(dir + "/" + shard)) << shard;
  EXPECT_FALSE(b["weight_map"].contains("lm_head.weight"));
  fs::remove_all(tmp);
}

TEST(Io, WriterErrorsAndCleanup) {
  const std::string tmp = temp_dir("io-writer");
  std::vector<prunekit::WritePlanEntry> plan = {{"a", DType::F32, {2, 3}}, {"b", DType::BF16, {4}},
                                                {"empty", DType::F32, {0, 5}}};
  {
    // Unfinished writer: its temporary directory disappears, out_dir never appears.
    CheckpointWriter w(tmp + "/out", plan);
    EXPECT_TRUE(prunekit_test::path_exists(w.tmp_dir()));
    EXPECT_EQ(fs::path(w.tmp_dir()).parent_path(), fs::path(tmp));
    EXPECT_EQ(w.temp_path("report.json"), w.tmp_dir() + "/report.json");
    w.add("a", at::ones({2, 3}));
    EXPECT_THROW(w.add("a", at::ones({2, 3})), std::exception);      // twice
    EXPECT_THROW(w.add("b", at::ones({5})), std::exception);         // wrong shape
    EXPECT_THROW(w.add("zzz", at::ones({1})), std::exception);       // not planned
    EXPECT_THROW(w.finish(), std::exception);                        // "b" missing
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp), fs::directory_iterator()), 0);

  // Replace a previous prunekit output (its marker) with overwrite; zero-size tensors are fine.
  // (A directory that is not a prunekit output is never replaced: tests/test_output_safety.cpp.)
  fs::create_directories(tmp + "/out/prunekit");
  spit(tmp + "/out/stale.txt", "old");
  spit(tmp + "/out/prunekit/prune_report.json", "{\"prunekit_version\": \"old\"}");
  {
    CheckpointWriter w(tmp + "/out/", plan, 5000000000ULL, {}, prunekit::OutputPolicy{"", /*overwrite=*/true});
    w.add("empty", at::zeros({0, 5}));
    w.add("b", at::arange(4, at::kInt));  // converted to BF16
    w.add("a", at::arange(6, at::kDouble).reshape({2, 3}));
    spit(w.temp_path("extra.txt"), "x");
    w.finish();
  }
  EXPECT_FALSE(prunekit_test::path_exists(tmp + "/out/stale.txt"));
  EXPECT_TRUE(prunekit_test::path_exists(tmp + "/out/extra.txt"));
  auto loaded = prunekit::load_safetensors(tmp + "/out/model.safetensors");
  EXPECT_TRUE(loaded["a"].equal(at::arange(6, at::kFloat).reshape({2, 3})));
  EXPECT_TRUE(loaded["b"].equal(at::arange(4, at::kFloat).to(at::kBFloat16)));
  EXPECT_EQ(loaded["empty"].sizes(), (std::vector<int64_t>{0, 5}));

  // Unwritable location: InputError naming the path.
  expect_input_error([&] { CheckpointWriter w("/proc/prunekit-no-such/out", plan); },
                     {"/proc/prunekit-no-such/out"});
  fs::remove_all(tmp);
}

TEST(Io, SaveLoadSafetensors) {
  const std::string tmp = temp_dir("io-save");
  std::map<std::string, at::Tensor> t = {
      {"z_f32", at::randn({3, 4})},
      {"a_i64", at::arange(5, at::kLong)},
      {"m_bool", at::rand({7}) > 0.5},
      {"u8", at::arange(9, at::kByte)},
      {"i32", at::arange(3, at::kInt)},
      {"bf16", at::randn({2, 2}).to(at::kBFloat16)},
      {"f16", at::randn({3}).to(at::kHalf).t()},
      {"empty", at::zeros({0})},
      {"scalar", at::scalar_tensor(2.5, at::kFloat)},
      {"noncontig", at::randn({4, 3}).t()}};
  const std::string path = tmp + "/x.safetensors";
  prunekit::save_safetensors(path, t, {{"format", "pt"}, {"note", "hi"}});
  SafetensorsFile f(path);
  EXPECT_EQ(f.metadata().at("note"), "hi");
  const std::string bytes = slurp(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes.substr(8, 16), R"({"__metadata__":)");
  auto back = prunekit::load_safetensors(path);
  ASSERT_EQ(back.size(), t.size());
  for (const auto& [name, v] : t) EXPECT_TRUE(same_bits(back[name], v)) << name;
  fs::remove_all(tmp);
}

// ---- validation: each bad input is crafted at test time ----

TEST(Io, CorruptSafetensorsRejected) {
  struct Case {
    const char* what;
    std::string bytes;
    const char* keyword;
  };
  const std::string f32x2 = R"({"dtype":"F32","shape":[2],"data_offsets":)";
  const std::vector<Case> cases = {
      {"truncated file", std::string("\x05\0\0", 3), "truncated"},
      {"header length past EOF", raw_safetensors("{}", 0, 1000), "past the end"},
      {"header not JSON", raw_safetensors("{not json", 0), "not valid JSON"},
      {"header a JSON array", raw_safetensors("[1, 2]", 0), "not a JSON object"},
      {"metadata not strings", raw_safetensors(R"({"__metadata__":{"a":1}})", 0), "__metadata__"},
      {"unknown dtype", raw_safetensors(R"({"w":{"dtype":"F8X","shape":[2],"data_offsets":[0,2]}})", 2), "F8X"},
      {"offsets not two ints", raw_safetensors(R"({"w":)" + f32x2 + "[0]}}", 8), "data_offsets"},
      {"offsets negative", raw_safetensors(R"({"w":)" + f32x2 + "[-8,0]}}", 8), "data_offsets"},
      {"offsets not ordered", raw_safetensors(R"({"w":)" + f32x2 + "[8,0]}}", 8), "not ordered"},
      {"offsets out of bounds", raw_safetensors(R"({"w":)" + f32x2 + "[0,8]}}", 4), "out of bounds"},
      {"overlapping offsets",
       raw_safetensors(R"({"a":)" + f32x2 + R"([0,8]},"b":)" + f32x2 + "[4,12]}}", 12), "overlapping"},
      {"gap in offsets", raw_safetensors(R"({"a":)" + f32x2 + R"([0,8]},"b":)" + f32x2 + "[12,20]}}", 20),
       "gap"},
      {"trailing bytes", raw_safetensors(R"({"a":)" + f32x2 + "[0,8]}}", 12), "gap"},
      {"shape x dtype != bytes", raw_safetensors(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
       "needs 12 bytes"},
  };
  const std::string tmp = temp_dir("io-corrupt");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string path = tmp + "/bad.safetensors";
    spit(path, c.bytes);
    expect_input_error([&] { SafetensorsFile f(path); }, {path + ": ", c.keyword});
  }
  // The same rejection surfaces through Checkpoint, and a valid odd file still opens.
  spit(tmp + "/ok.safetensors", raw_safetensors(R"({"e":{"dtype":"BOOL","shape":[0],"data_offsets":[0,0]}})", 0));
  SafetensorsFile ok(tmp + "/ok.safetensors");
  EXPECT_EQ(ok.view("e").numel(), 0);
  fs::remove_all(tmp);
}

TEST(Io, CorruptCheckpointRejected) {
  PRUNEKIT_FIXTURE(single, "models/stories260K");
  PRUNEKIT_FIXTURE(sharded, "models/stories260K-sharded");
  const std::string tmp = temp_dir("io-corrupt-ck");
  struct Case {
    const char* what;
    std::function<std::string(const std::string& d)> make;  // builds the model dir, returns the file to name
    const char* keyword;
    bool check_tensors = false;  // failure comes from require_llama_tensors()
  };
  auto edit_config = [](const std::string& d, const std::function<void(json&)>& fn) {
    json c = json::parse(slurp(d + "/config.json"));
    fn(c);
    spit(d + "/config.json", c.dump(2));
  };
  auto edit_index = [](const std::string& d, const std::function<void(json&)>& fn) {
    json c = json::parse(slurp(d + "/model.safetensors.index.json"));
    fn(c);
    spit(d + "/model.safetensors.index.json", c.dump(2));
  };
  const std::vector<Case> cases = {
      {"missing dir", [&](const std::string& d) { return d; }, "model directory not found"},
      {"missing config.json",
       [&](const std::string& d) {
         copy_dir(single, d);
         fs::remove(d + "/config.json");
         return d + "/config.json";
       },
       "missing config.json"},
      {"invalid config.json",
       [&](const std::string& d) {
         copy_dir(single, d);
         spit(d + "/config.json", "{\"hidden_size\": 64,");
         return d + "/config.json";
       },
       "not valid JSON"},
      {"unsupported architecture",
       [&](const std::string& d) {
         copy_dir(single, d);
         edit_config(d, [](json& c) { c["architectures"] = {"GPT2LMHeadModel"}; });
         return d + "/config.json";
       },
       "GPT2LMHeadModel"},
      {"no weights",
       [&](const std::string& d) {
         copy_dir(single, d);
         fs::remove(d + "/model.safetensors");
         return d;
       },
       "no model.safetensors"},
      {"index not JSON",
       [&](const std::string& d) {
         copy_dir(sharded, d);
         spit(d + "/model.safetensors.index.json", "weight_map");
         return d + "/model.safetensors.index.json";
       },
       "not valid JSON"},
      {"index without weight_map",
       [&](const std::string& d) {
         copy_dir(sharded, d);
         edit_index(d, [](json& j) { j.erase("weight_map"); });
         return d + "/model.safetensors.index.json";
       },
       "weight_map"},
      {"index names a missing shard",
       [&](const std::string& d) {
         copy_dir(sharded, d);
         fs::remove(d + "/model-00002-of-00002.safetensors");
         return d + "/model-00002-of-00002.safetensors";
       },
       "not found"},
      {"index names a tensor the shard lacks",
       [&](const std::string& d) {
         copy_dir(sharded, d);
         edit_index(d, [](json& j) { j["weight_map"]["model.extra.weight"] = "model-00001-of-00002.safetensors"; });
         return d + "/model-00001-of-00002.safetensors";
       },
       "missing tensor model.extra.weight"},
      {"corrupt shard",
       [&](const std::string& d) {
         copy_dir(sharded, d);
         const std::string shard = d + "/model-00002-of-00002.safetensors";
         std::string bytes = slurp(shard);
         spit(shard, bytes.substr(0, bytes.size() - 4));  // the data section loses 4 bytes
         return shard;
       },
       "out of bounds"},
      {"missing layer tensor",
       [&](const std::string& d) {
         fs::create_directories(d);
         fs::copy_file(single + "/config.json", d + "/config.json");
         auto tensors = prunekit::load_safetensors(single + "/model.safetensors");
         tensors.erase("model.layers.3.mlp.up_proj.weight");
         prunekit::save_safetensors(d + "/model.safetensors", tensors);
         return d;
       },
       "missing tensor model.layers.3.mlp.up_proj.weight", true},
      {"untied model without lm_head",
       [&](const std::string& d) {
         copy_dir(sharded, d);
         edit_config(d, [](json& c) { c["tie_word_embeddings"] = false; });
         return d;
       },
       "missing tensor lm_head.weight", true},
  };
  int k = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string d = tmp + "/m" + std::to_string(k++);
    const std::string named = c.make(d);
    if (c.check_tensors) {
      Checkpoint ck(d);
      expect_input_error([&] { ck.require_llama_tensors(); }, {named + ": ", c.keyword});
    } else {
      expect_input_error([&] { Checkpoint ck(d); }, {named + ": ", c.keyword});
    }
  }
  fs::remove_all(tmp);
}

// ---- make-synthetic ----

TEST(Io, MakeSynthetic) {
  const std::string tool = prunekit_test::bin("make-synthetic");
  if (!prunekit_test::path_exists(tool)) GTEST_SKIP() << tool << " not built";
  const std::string tmp = temp_dir("io-synth");
  auto run = [&](const std::string& args) { return prunekit_test::run_cmd(tool + " " + args); };

  auto r = run("--shape stories260K --dtype bf16 --seed 7 --out " + tmp + "/a");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(run("--shape stories260K --dtype bf16 --seed 7 --out " + tmp + "/b").code, 0);
  EXPECT_EQ(slurp(tmp + "/a/model.safetensors"), slurp(tmp + "/b/model.safetensors")) << "seeded output differs";
  Checkpoint ck(tmp + "/a");
  EXPECT_NO_THROW(ck.require_llama_tensors());
  EXPECT_EQ(ck.config().hidden_size, 64);
  EXPECT_EQ(ck.config().num_key_value_heads, 4);
  EXPECT_EQ(ck.config().torch_dtype, "bfloat16");
  for (const std::string& n : ck.names()) {
    EXPECT_EQ(ck.info(n).dtype, DType::BF16) << n;
    at::Tensor w = ck.load(n, at::kFloat);
    EXPECT_TRUE(w.isfinite().all().item<bool>()) << n;
    if (n.find("norm") != std::string::npos) EXPECT_TRUE(w.eq(1).all().item<bool>()) << n;
  }
  const double std_q = ck.load("model.layers.0.self_attn.q_proj.weight", at::kFloat).std().item<double>();
  EXPECT_NEAR(std_q, 1.0 / std::sqrt(64.0), 0.02);

  // A sharded f32 model of a bigger shape.
  r = run("--shape llama-90m --dtype f32 --max-shard-size 100MB --out " + tmp + "/c");
  ASSERT_EQ(r.code, 0) << r.output;
  Checkpoint big(tmp + "/c");
  EXPECT_TRUE(big.sharded());
  EXPECT_EQ(big.config().hidden_size, 1024);
  EXPECT_EQ(big.config().num_hidden_layers, 8);
  EXPECT_NO_THROW(big.require_llama_tensors());
  uint64_t params = 0;
  for (const std::string& n : big.names()) params += big.info(n).numel();
  EXPECT_GT(params, 85000000u);
  EXPECT_LT(params, 95000000u);

  // Bad usage: exit code 2 and one line naming the flag.
  r = run("--shape gpt-5 --out " + tmp + "/d");
  EXPECT_EQ(r.code, 2) << r.output;
  r = run("--shape stories260K --max-shard-size lots --out " + tmp + "/d");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--max-shard-size"), std::string::npos) << r.output;
  EXPECT_FALSE(prunekit_test::path_exists(tmp + "/d"));
  fs::remove_all(tmp);
}
