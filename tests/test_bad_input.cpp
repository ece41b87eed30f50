// Bad input, every kind the reliability probe of issue 12 tried (docs/BAD-INPUT.md): strict flag
// parsing in the shared tools layer, config.json ranges, tensors checked against the config,
// safetensors messages that say what is wrong, non-finite runs failing with the layer, and the
// tools' one-line exit-2 answers. Each table row is a regression test of one probe finding.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/cli.h"
#include "fixtures.h"
#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/config.h"
#include "prunekit/model.h"
#include "prunekit/prune.h"
#include "prunekit/safetensors.h"

namespace fs = std::filesystem;
using nlohmann::json;
using prunekit::InputError;
using prunekit_test::bin;
using prunekit_test::run_cmd;
namespace cli = prunekit::cli;

namespace {

using prunekit_test::expect_input_error;
using prunekit_test::slurp;
using prunekit_test::spit;
int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// A copy of a single-file model with its tensors and config edited: the way every bad checkpoint
// of these tests is made.
std::string edited_model(const std::string& src, const std::string& dst,
                         const std::function<void(std::map<std::string, at::Tensor>&)>& edit_tensors,
                         const std::function<void(json&)>& edit_config = nullptr) {
  fs::create_directories(dst);
  for (const auto& e : fs::directory_iterator(src))
    if (e.path().filename() != "model.safetensors") {
      fs::copy_file(e.path(), fs::path(dst) / e.path().filename(), fs::copy_options::overwrite_existing);
      fs::permissions(fs::path(dst) / e.path().filename(), fs::perms::owner_write, fs::perm_options::add);
    }
  auto tensors = prunekit::load_safetensors(src + "/model.safetensors");
  if (edit_tensors) edit_tensors(tensors);
  prunekit::save_safetensors(dst + "/model.safetensors", tensors);
  if (edit_config) {
    json c = json::parse(slurp(dst + "/config.json"));
    edit_config(c);
    spit(dst + "/config.json", c.dump(2));
  }
  return dst;
}

struct ToolCase {
  std::string args, needle;
};
// Each case: exit 2, one line, naming the needle.
void expect_exit2(const std::string& tool_and_fixed_args, const std::vector<ToolCase>& cases) {
  for (const ToolCase& c : cases) {
    auto r = run_cmd(tool_and_fixed_args + " " + c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.needle), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(lines(r.output), 1) << c.args << "\n" << r.output;
  }
}

const char* kStories = "models/stories260K";

}  // namespace

// ---- defect 12: the shared parsers take the whole token, in range, or refuse ---------------

TEST(CliParse, StrictNumbers) {
  EXPECT_EQ(cli::parse_int("--seqlen", "128", 2, INT32_MAX), 128);
  EXPECT_EQ(cli::parse_int("--n", "-3", -5, 5), -3);
  for (const char* bad : {"", "4x", " 5", "5 ", "0x10", "1e3", "99999999999999999999", "-", "+"})
    expect_input_error([&] { cli::parse_int("--seqlen", bad, 2, INT32_MAX); }, {"--seqlen", "integer"});
  for (const char* bad : {"-5", "1", "4294967296"})
    expect_input_error([&] { cli::parse_int("--seqlen", bad, 2, INT32_MAX); }, {"--seqlen", "out of range"});
  EXPECT_DOUBLE_EQ(cli::parse_real("--sparsity", "0.5", 0, 1, true), 0.5);
  EXPECT_DOUBLE_EQ(cli::parse_real("--sparsity", "0", 0, 1, true), 0.0);
  for (const char* bad : {"", "0.5x", "nan", "inf", "1e999", " 0.5"})
    expect_input_error([&] { cli::parse_real("--sparsity", bad, 0, 1, true); }, {"--sparsity", "expected a number"});
  for (const char* bad : {"1", "1.5", "-0.1"})
    expect_input_error([&] { cli::parse_real("--sparsity", bad, 0, 1, true); }, {"--sparsity", "[0, 1)"});
}

TEST(CliParse, PatternsListsRangesDtypesSizes) {
  EXPECT_EQ(cli::parse_nm("--pattern", "2:4"), std::make_pair(2, 4));
  EXPECT_EQ(cli::parse_nm("--pattern", "4:8"), std::make_pair(4, 8));
  // 2:99999999999 used to wrap to 2:1215752191; 2:4x and 2-4 were half-read.
  for (const char* bad : {"2:99999999999", "2:4x", "2-4", ":4", "2:", "x:4", "2:4:8", " 2:4", "", "-2:4"})
    expect_input_error([&] { cli::parse_nm("--pattern", bad); }, {"--pattern"});
  for (const char* bad : {"4:4", "0:4", "5:4", "1:1"})
    expect_input_error([&] { cli::parse_nm("--pattern", bad); }, {"--pattern", "1 <= N < M"});
  EXPECT_EQ(cli::parse_list("--tasks", "a,b"), (std::vector<std::string>{"a", "b"}));
  for (const char* bad : {"", "a,", ",a", "a,,b"})
    expect_input_error([&] { cli::parse_list("--tasks", bad); }, {"--tasks", "empty item"});
  EXPECT_EQ(cli::parse_index_ranges("--layers", "0-2,7"), (std::vector<int>{0, 1, 2, 7}));
  for (const char* bad : {"0-4x", "x", "1-", "-1", "3-1", "0-2,", "99999999999", "1 "})
    expect_input_error([&] { cli::parse_index_ranges("--layers", bad); }, {"--layers"});
  EXPECT_EQ(cli::parse_compute_dtype("--dtype", "bf16"), at::kBFloat16);
  expect_input_error([&] { cli::parse_compute_dtype("--dtype", "float8"); }, {"--dtype", "float8"});
  EXPECT_EQ(cli::parse_size("--max-shard-size", "5GB"), 5000000000ULL);
  EXPECT_EQ(cli::parse_size("--max-shard-size", "500MB"), 500000000ULL);
  EXPECT_EQ(cli::parse_size("--max-shard-size", "2GiB"), 2147483648ULL);
  EXPECT_EQ(cli::parse_size("--max-shard-size", "10KB"), 10000ULL);
  EXPECT_EQ(cli::parse_size("--max-shard-size", "1000"), 1000ULL);
  EXPECT_EQ(cli::parse_size("--max-shard-size", "1.5gb"), 1500000000ULL);
  for (const char* s : {"", "abc", "5XB", "-1", "0", "0.1B", "GB", "1.5", "1e9", "99999999999TB"})
    expect_input_error([&] { cli::parse_size("--max-shard-size", s); }, {"--max-shard-size"});
}

TEST(CliParse, SettingsMapToFlags) {
  EXPECT_EQ(cli::flag_for_setting("owl_lambda"), "--owl-lambda");
  EXPECT_EQ(cli::flag_for_setting("out_dir"), "--out");
  EXPECT_EQ(cli::flag_for_setting("seqlen"), "--seqlen");
  // The library reports in its own terms: the setting and the value, no flag.
  try {
    prunekit::group_from_name("per-col");
    ADD_FAILURE();
  } catch (const prunekit::InvalidSetting& e) {
    EXPECT_EQ(e.setting(), "group");
    EXPECT_EQ(e.value(), "per-col");
    EXPECT_EQ(std::string(e.what()).find("--"), std::string::npos) << e.what();
  }
}

// ---- defects 3, 9, 10: config.json ranges, before anything is sized from it ----------------

TEST(BadInput, ConfigFieldsRangeChecked) {
  const json base = json::parse(R"({"architectures":["LlamaForCausalLM"],"hidden_size":64,
      "intermediate_size":172,"num_hidden_layers":5,"num_attention_heads":8,"num_key_value_heads":4,
      "vocab_size":512,"max_position_embeddings":512,"rms_norm_eps":1e-5,"rope_theta":10000.0})");
  EXPECT_NO_THROW(prunekit::LlamaConfig::from_json_text(base.dump(), "c.json"));
  struct Case {
    std::function<void(json&)> edit;
    std::string needle;
  } cases[] = {
      {[](json& c) { c["hidden_size"] = int64_t(1) << 62; }, "hidden_size"},  // was SIGFPE in eval-ppl
      {[](json& c) { c["max_position_embeddings"] = -5; }, "max_position_embeddings"},
      {[](json& c) { c["max_position_embeddings"] = int64_t(1) << 40; }, "max_position_embeddings"},  // was bad_alloc
      {[](json& c) { c["num_hidden_layers"] = int64_t(1) << 40; }, "num_hidden_layers"},
      {[](json& c) { c["vocab_size"] = int64_t(1) << 40; }, "vocab_size"},
      {[](json& c) { c["intermediate_size"] = 0; }, "intermediate_size"},
      {[](json& c) { c["rms_norm_eps"] = -1; }, "rms_norm_eps"},  // was "ppl -nan", exit 0
      {[](json& c) { c["rms_norm_eps"] = 0; }, "rms_norm_eps"},
      {[](json& c) { c["rope_theta"] = 0; }, "rope_theta"},
      {[](json& c) { c["rope_theta"] = -10000.0; }, "rope_theta"},
      {[](json& c) { c["rope_scaling"] = {{"rope_type", "linear"}, {"factor", 0}}; }, "rope_scaling.factor"},
      {[](json& c) {
         c["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8}, {"low_freq_factor", 4}, {"high_freq_factor", 4}};
       },
       "high_freq_factor"},
      {[](json& c) { c["num_attention_heads"] = 7; c["num_key_value_heads"] = 7; }, "not divisible"},
      {[](json& c) { c["num_key_value_heads"] = 3; }, "multiple"},
      {[](json& c) { c["num_key_value_heads"] = 16; }, "num_key_value_heads"},
      {[](json& c) { c["head_dim"] = 7; }, "even"},
      {[](json& c) { c["head_dim"] = 1 << 20; }, "head_dim"},
      {[](json& c) { c["hidden_size"] = 1 << 24; c["vocab_size"] = 1 << 24; c["head_dim"] = 8; }, "vocab_size x hidden_size"},
      {[](json& c) { c["architectures"] = {"MistralForCausalLM"}; c["sliding_window"] = 0; }, "sliding_window"},
  };
  for (const Case& c : cases) {
    json j = base;
    c.edit(j);
    expect_input_error([&] { prunekit::LlamaConfig::from_json_text(j.dump(), "x/config.json"); },
                       {"x/config.json", c.needle});
  }
}

TEST(BadInput, BadConfigIsExit2InEveryTool) {
  PRUNEKIT_FIXTURE(model, kStories);
  PRUNEKIT_FIXTURE(ts, "data/tinystories-valid.txt");
  const std::string tmp = prunekit_test::temp_dir("badcfg");
  const std::string huge = edited_model(model, tmp + "/huge", nullptr, [](json& c) { c["hidden_size"] = int64_t(1) << 62; });
  const std::string eps = edited_model(model, tmp + "/eps", nullptr, [](json& c) { c["rms_norm_eps"] = -1; });
  const std::string pos = edited_model(model, tmp + "/pos", nullptr, [](json& c) { c["max_position_embeddings"] = int64_t(1) << 40; });
  for (const std::string& m : {huge, eps, pos}) {
    expect_exit2(bin("eval-ppl") + " --quiet --dataset " + ts + " --max-windows 1", {{"--model " + m, m + "/config.json"}});
    expect_exit2(bin("generate") + " --prompt Once --max-new-tokens 2", {{"--model " + m, m + "/config.json"}});
    expect_exit2(bin("prune") + " --quiet --method magnitude --sparsity 0.5 --out " + tmp + "/out",
                 {{"--model " + m, m + "/config.json"}});
    EXPECT_FALSE(fs::exists(tmp + "/out"));
  }
  fs::remove_all(tmp);
}

// ---- defect 7: every tensor checked against the config at load ------------------------------

TEST(BadInput, TensorsCheckedAgainstConfig) {
  PRUNEKIT_FIXTURE(model, kStories);
  const std::string tmp = prunekit_test::temp_dir("badtensors");
  struct Case {
    const char* what;
    std::function<void(std::map<std::string, at::Tensor>&)> edit;
    std::vector<std::string> needles;
  } cases[] = {
      {"transposed down_proj",
       [](auto& t) { t["model.layers.2.mlp.down_proj.weight"] = t["model.layers.2.mlp.down_proj.weight"].t().contiguous(); },
       {"model.layers.2.mlp.down_proj.weight", "has shape [172, 64]", "config.json implies [64, 172]"}},
      {"integer weight",
       [](auto& t) { t["model.layers.0.self_attn.q_proj.weight"] = t["model.layers.0.self_attn.q_proj.weight"].to(at::kInt); },
       {"model.layers.0.self_attn.q_proj.weight", "I32", "float dtype"}},
      {"bool weight",
       [](auto& t) { t["model.layers.1.mlp.up_proj.weight"] = t["model.layers.1.mlp.up_proj.weight"] != 0; },
       {"model.layers.1.mlp.up_proj.weight", "BOOL"}},
      {"embedding with fewer rows than vocab_size",
       [](auto& t) { t["model.embed_tokens.weight"] = t["model.embed_tokens.weight"].narrow(0, 0, 300).contiguous(); },
       {"model.embed_tokens.weight", "has shape [300, 64]", "config.json implies [512, 64]"}},
      {"1-D norm as 2-D",
       [](auto& t) { t["model.norm.weight"] = t["model.norm.weight"].reshape({8, 8}).contiguous(); },
       {"model.norm.weight", "has shape [8, 8]", "config.json implies [64]"}},
      {"k_proj with the q heads",
       [](auto& t) { t["model.layers.4.self_attn.k_proj.weight"] = t["model.layers.4.self_attn.q_proj.weight"]; },
       {"model.layers.4.self_attn.k_proj.weight", "has shape [64, 64]", "config.json implies [32, 64]"}},
  };
  int k = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string d = edited_model(model, tmp + "/m" + std::to_string(k++), c.edit);
    prunekit::Checkpoint ck(d);
    std::vector<std::string> needles = c.needles;
    needles.insert(needles.begin(), d + ": ");
    expect_input_error([&] { ck.require_llama_tensors(); }, needles);
    // Every tool that reads weights answers with that one line and exit 2 (magnitude pruning
    // and inspect used to exit 0 or print a LibTorch stack trace).
    expect_exit2(bin("prune") + " --quiet --method magnitude --sparsity 0.5 --out " + tmp + "/out",
                 {{"--model " + d, c.needles[0]}});
    expect_exit2(bin("inspect"), {{"--model " + d, c.needles[0]}});
    expect_exit2(bin("generate") + " --prompt Once --max-new-tokens 2", {{"--model " + d, c.needles[0]}});
  }
  EXPECT_FALSE(fs::exists(tmp + "/out"));
  fs::remove_all(tmp);
}

// ---- defect 13: messages that say what is actually wrong ------------------------------------

TEST(BadInput, WeightFileThatIsNotAFile) {
  PRUNEKIT_FIXTURE(model, kStories);
  const std::string tmp = prunekit_test::temp_dir("badfile");
  struct Case {
    const char* what;
    std::function<void(const std::string& weights)> make;
    std::string needle;
  } cases[] = {
      {"directory", [](const std::string& w) { fs::create_directory(w); }, "is a directory"},
      {"FIFO", [](const std::string& w) { ASSERT_EQ(::mkfifo(w.c_str(), 0644), 0); }, "is a FIFO"},
      {"symlink loop", [](const std::string& w) { fs::create_symlink(w, w); }, "symbolic link loop"},
      {"dangling symlink", [](const std::string& w) { fs::create_symlink("nowhere.safetensors", w); },
       "dangling symbolic link (to nowhere.safetensors)"},
  };
  int k = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string d = edited_model(model, tmp + "/m" + std::to_string(k++), nullptr);
    const std::string w = d + "/model.safetensors";
    fs::remove(w);
    c.make(w);
    expect_input_error([&] { prunekit::Checkpoint ck(d); }, {w + ": ", c.needle});
    expect_exit2(bin("inspect"), {{"--model " + d, c.needle}});
  }
  // config.json that is a directory is not "missing".
  const std::string d = edited_model(model, tmp + "/cfgdir", nullptr);
  fs::remove(d + "/config.json");
  fs::create_directory(d + "/config.json");
  expect_input_error([&] { prunekit::Checkpoint ck(d); }, {d + "/config.json: ", "is a directory"});
  fs::remove_all(tmp);
}

TEST(BadInput, SafetensorsHeaderMessages) {
  const std::string tmp = prunekit_test::temp_dir("badheader");
  auto raw = [](const std::string& header, size_t data_bytes) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((uint64_t(header.size()) >> (8 * i)) & 0xff);
    return out + header + std::string(data_bytes, '\0');
  };
  struct Case {
    std::string header;
    size_t data;
    std::string needle;
  } cases[] = {
      {R"({"w":{"dtype":5,"shape":[2],"data_offsets":[0,8]}})", 8, "\"dtype\" is not a string (got 5)"},
      {R"({"w":{"shape":[2],"data_offsets":[0,8]}})", 8, "missing \"dtype\""},
      {R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8, "\"shape\" is not an array"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":{"a":0}}})", 8, "\"data_offsets\" is not an array"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
       16, "names tensor \"w\" twice"},
  };
  for (const Case& c : cases) {
    const std::string path = tmp + "/x.safetensors";
    spit(path, raw(c.header, c.data));
    expect_input_error([&] { prunekit::SafetensorsFile f(path); }, {path + ": ", c.needle});
  }
  fs::remove_all(tmp);
}

// ---- defects 9: a non-finite activation is a failed run naming the layer (exit 1) ------------

TEST(BadInput, NonFiniteActivationsFailWithTheLayer) {
  PRUNEKIT_FIXTURE(model, kStories);
  PRUNEKIT_FIXTURE(ts, "data/tinystories-valid.txt");
  const std::string tmp = prunekit_test::temp_dir("nan");
  const std::string d = edited_model(model, tmp + "/nan", [](auto& t) {
    t["model.layers.3.mlp.up_proj.weight"][5][7] = std::nan("");
  });
  auto r = run_cmd(bin("eval-ppl") + " --quiet --model " + d + " --dataset " + ts + " --max-windows 2 --seqlen 128");
  EXPECT_EQ(r.code, 1) << r.output;  // was "ppl -nan", exit 0
  EXPECT_NE(r.output.find("decoder layer 3"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.rfind("eval-ppl: failed: ", 0), 0u) << r.output;  // no "ppl nan" result line
  EXPECT_EQ(lines(r.output), 1) << r.output;
  // prune's layer passes go through the same check, and nothing is written.
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  r = run_cmd(bin("prune") + " --quiet --model " + d + " --method wanda --sparsity 0.5 --nsamples 2 --seqlen 64 --calib " +
              calib + " --out " + tmp + "/out");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("decoder layer 3"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp + "/out"));
  fs::remove_all(tmp);
}

TEST(BadInput, AttentionKernelPropagatesNaN) {
  // A NaN score went through an int conversion (undefined); it must come out as NaN where
  // LibTorch's eager attention has NaN, and every other row must still match.
  at::manual_seed(3);
  at::Tensor q = at::randn({4, 9, 8}), k = at::randn({2, 9, 8}), v = at::randn({2, 9, 8});
  q[1][4][2] = std::nan("");
  const at::Tensor eager = prunekit::causal_attention(q, k, v, prunekit::AttentionImpl::Eager);
  const at::Tensor fused = prunekit::causal_attention(q, k, v, prunekit::AttentionImpl::Fused);
  EXPECT_TRUE(at::equal(at::isnan(eager), at::isnan(fused)));
  EXPECT_GT(at::isnan(fused).sum().item<int64_t>(), 0);
  const at::Tensor ok = at::logical_not(at::isnan(eager));
  EXPECT_TRUE(at::allclose(eager.masked_select(ok), fused.masked_select(ok), 1e-5, 1e-6));
}

// ---- defect 12 and issue 15: the tools' flags, strictly --------------------------------------

TEST(BadInput, PruneFlagsStrict) {
  PRUNEKIT_FIXTURE(model, kStories);
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string tmp = prunekit_test::temp_dir("badprune-flags");
  const std::string out = tmp + "/out";
  expect_exit2(bin("prune") + " --quiet --model " + model + " --calib " + calib + " --out " + out,
               {
                   {"--method wanda --pattern 2:99999999999", "--pattern"},
                   {"--method wanda --pattern 2:4x", "--pattern"},
                   {"--method wanda --sparsity 0.5 --layers 0-4x", "--layers"},
                   {"--method wanda --sparsity ''", "--sparsity"},
                   {"--method wanda --sparsity nan", "--sparsity"},
                   {"--method wanda --sparsity 0.7 --pattern 2:4", "conflicts with --pattern 2:4"},
                   {"--method wanda --sparsity 0.5 --owl --owl-lambda 5", "--owl-lambda"},  // was a LibTorch slice error
                   {"--method wanda --sparsity 0.5 --owl --owl-m -1", "--owl-m"},
                   {"--method wanda --sparsity 0.5 --nsamples -1", "--nsamples"},
                   {"--method wanda --sparsity 0.5 --seqlen -5", "--seqlen"},
                   {"--method wanda --sparsity 0.5 --batch 0", "--batch"},
                   {"--method wanda --sparsity 0.5 --threads -1", "--threads"},
                   {"--method wanda --sparsity 0.5 --max-shard-size 5XB", "--max-shard-size"},
                   {"--method wanda --sparsity 0.5 --modules q_proj,", "--modules"},
                   {"--method wanda --sparsity 0.5 --modules qkv", "--modules qkv"},
                   {"--method wanda --sparsity 0.5 --layers 9", "--layers 9"},
                   {"--method wanda --sparsity 0.5 --group per-col", "--group per-col"},
                   {"--method lottery --sparsity 0.5", "--method lottery"},
                   {"--method wanda --sparsity 0.5 --dtype float8", "--dtype"},
               });
  EXPECT_FALSE(fs::exists(out));
  // --sparsity equal to N/M is consistent, so accepted.
  auto r = run_cmd(bin("prune") + " --quiet --model " + model + " --method magnitude --sparsity 0.5 --pattern 2:4 --out " + out);
  EXPECT_EQ(r.code, 0) << r.output;
  fs::remove_all(tmp);
}

TEST(BadInput, RiaReallocationNeedsWidthsDivisibleByM) {
  // stories260K's down_proj is 172 wide: 4:8 and 3:7 do not divide it (was exit 1,
  // vector::_M_range_check); upstream's index[k::M] = chunk assignment fails the same way.
  PRUNEKIT_FIXTURE(model, kStories);
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string tmp = prunekit_test::temp_dir("ria-realloc");
  expect_exit2(bin("prune") + " --quiet --model " + model + " --calib " + calib +
                   " --nsamples 2 --seqlen 64 --method ria --ria-reallocation --out " + tmp + "/out",
               {{"--pattern 4:8", "--ria-reallocation: "}, {"--pattern 3:7", "not a multiple of 7"}});
  EXPECT_FALSE(fs::exists(tmp + "/out"));
  fs::remove_all(tmp);
}

TEST(BadInput, OwlLambdaKeepsEveryLayerBelowOne) {
  bool uniform = false;
  EXPECT_NO_THROW(prunekit::owl_layer_sparsities({1.0, 2.0, 3.0}, 0.7, 0.08, &uniform));
  try {
    prunekit::owl_layer_sparsities({1.0, 2.0, 9.0}, 0.7, 0.4, &uniform);
    ADD_FAILURE() << "accepted";
  } catch (const prunekit::InvalidSetting& e) {
    EXPECT_EQ(e.setting(), "owl_lambda");
    EXPECT_NE(std::string(e.what()).find("decoder layer 0"), std::string::npos) << e.what();
  }
}


TEST(BadInput, EvalAndOtherToolFlagsStrict) {
  PRUNEKIT_FIXTURE(model, kStories);
  PRUNEKIT_FIXTURE(ts, "data/tinystories-valid.txt");
  expect_exit2(bin("eval-ppl") + " --quiet --model " + model + " --dataset " + ts,
               {
                   {"--seqlen -5", "--seqlen"},  // used to mean "default" (512)
                   {"--seqlen 64x", "--seqlen"},
                   {"--max-windows -1", "--max-windows"},  // used to mean "unlimited"
                   {"--batch ''", "--batch"},
                   {"--threads 1x", "--threads"},
               });
  expect_exit2(bin("generate") + " --model " + model + " --prompt Once",
               {{"--max-new-tokens -1", "--max-new-tokens"}, {"--dtype fp8", "--dtype"}});
  expect_exit2(bin("inspect") + " --model " + model, {{"--pattern 2:4x", "--pattern"}, {"--pattern 4:2", "--pattern"}});
  expect_exit2(bin("eval-zeroshot") + " --model " + model + " --tasks x",
               {{"--limit -1", "--limit"}, {"--doc-workers 1.5", "--doc-workers"}});
  expect_exit2(bin("make-synthetic") + " --shape tinyllama-1.1b --out /tmp/prunekit-never-written",
               {{"--layers -1", "--layers"}, {"--seed x", "--seed"}, {"--max-shard-size 0", "--max-shard-size"}});
  EXPECT_FALSE(fs::exists("/tmp/prunekit-never-written"));
}

TEST(BadInput, ZeroShotGoldOutOfRange) {
  PRUNEKIT_FIXTURE(model, kStories);
  const std::string dir = prunekit_test::temp_dir("zs-gold");
  spit(dir + "/big.jsonl", "{\"context\":\"a\",\"choices\":[\"b\",\"c\"],\"gold\":4294967296}\n");
  spit(dir + "/huge.jsonl", "{\"context\":\"a\",\"choices\":[\"b\",\"c\"],\"gold\":18446744073709551615}\n");
  expect_exit2(bin("eval-zeroshot") + " --quiet --model " + model + " --data-dir " + dir,
               {{"--tasks big", "big.jsonl:1"}, {"--tasks huge", "huge.jsonl:1"}});
  fs::remove_all(dir);
}

// ---- defect 8: --threads capped with a message ------------------------------------------------

TEST(BadInput, ThreadsCappedAtAMultipleOfTheCores) {
  PRUNEKIT_FIXTURE(model, kStories);
  auto r = run_cmd(bin("inspect") + " --model " + model + " --threads 100000");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("--threads 100000 capped at"), std::string::npos) << r.output;
}

// ---- issue 15: --version everywhere, eval-ppl's token counts, the --calib default ----------------

TEST(BadInput, EveryToolHasVersion) {
  for (const char* tool : {"prune", "eval-ppl", "eval-zeroshot", "generate", "inspect", "make-synthetic",
                           "bench-sparse", "matmul-rate"}) {
    auto r = run_cmd(bin(tool) + " --version");
    EXPECT_EQ(r.code, 0) << tool << "\n" << r.output;
    EXPECT_NE(r.output.find(std::string(tool) + " (prunekit " PRUNEKIT_VERSION ")"), std::string::npos) << r.output;
  }
}

TEST(BadInput, EvalPplReportsEvaluatedAndCorpusTokens) {
  PRUNEKIT_FIXTURE(model, kStories);
  PRUNEKIT_FIXTURE(ts, "data/tinystories-valid.txt");
  const std::string tmp = prunekit_test::temp_dir("ppl-tokens");
  auto r = run_cmd(bin("eval-ppl") + " --quiet --model " + model + " --dataset " + ts +
                   " --seqlen 128 --max-windows 3 --json " + tmp + "/r.json");
  ASSERT_EQ(r.code, 0) << r.output;
  const json j = json::parse(slurp(tmp + "/r.json"));
  EXPECT_EQ(j["tokens_evaluated"].get<int64_t>(), 3 * 128);
  EXPECT_GT(j["corpus_tokens"].get<int64_t>(), 100 * 128);
  EXPECT_FALSE(j.contains("tokens"));
  fs::remove_all(tmp);
}

TEST(BadInput, CalibDefaultWorksFromAnyDirectory) {
  PRUNEKIT_FIXTURE(model, kStories);
  const std::string tmp = prunekit_test::temp_dir("calib-default");
  // No $PRUNEKIT_SHARED and a working directory with nothing beside it: the repository's sample.
  auto r = run_cmd("cd " + tmp + " && env -u PRUNEKIT_SHARED " + bin("prune") + " --quiet --model " + model +
                   " --method wanda --sparsity 0.5 --nsamples 2 --seqlen 64 --out " + tmp + "/out --json " + tmp +
                   "/r.json");
  ASSERT_EQ(r.code, 0) << r.output;
  const json j = json::parse(slurp(tmp + "/r.json"));
  EXPECT_EQ(j["calibration"]["corpus"].get<std::string>(), std::string(PRUNEKIT_SOURCE_DIR) + "/examples/data/c4-sample.jsonl");
  auto help = run_cmd(bin("prune") + " --help");
  EXPECT_NE(help.output.find("examples/data/c4-sample.jsonl"), std::string::npos);
  fs::remove_all(tmp);
}
