// Model forward, perplexity and generation against the fixtures' recorded values.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "fixtures.h"
#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/config.h"
#include "prunekit/corpus.h"
#include "prunekit/eval.h"
#include "prunekit/model.h"
#include "prunekit/sparse24.h"
#include "prunekit/tokenizer.h"

using nlohmann::json;
using prunekit::InputError;
using prunekit::LlamaConfig;

TEST(Config, ParsesDefaultsAndFields) {
  LlamaConfig c = LlamaConfig::from_json_text(
      R"({"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":172,
          "num_hidden_layers":5,"num_attention_heads":8,"vocab_size":512,"rms_norm_eps":1e-5})",
      "config.json");
  EXPECT_EQ(c.num_key_value_heads, 8);  // defaults to heads
  EXPECT_EQ(c.head_dim, 8);             // hidden / heads
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_EQ(c.rope_scaling.type, "none");
  LlamaConfig l3 = LlamaConfig::from_json_text(
      R"({"architectures":["LlamaForCausalLM"],"hidden_size":4096,"intermediate_size":14336,
          "num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":8,"vocab_size":128256,
          "rope_theta":500000.0,"rope_scaling":{"factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,
          "original_max_position_embeddings":8192,"rope_type":"llama3"}})",
      "config.json");
  EXPECT_EQ(l3.rope_scaling.type, "llama3");
  EXPECT_DOUBLE_EQ(l3.rope_scaling.factor, 8.0);
  EXPECT_EQ(l3.num_key_value_heads, 8);
}

TEST(Config, RejectsBadInput) {
  struct Case {
    const char* text;
    const char* needle;
  } cases[] = {
      {"not json", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"architectures":["GPT2LMHeadModel"]})", "unsupported architecture"},
      {R"({"architectures":["LlamaForCausalLM"],"hidden_size":64})", "intermediate_size"},
      {R"({"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":1,
           "num_hidden_layers":1,"num_attention_heads":8,"num_key_value_heads":3,"vocab_size":5})",
       "multiple"},
  };
  for (const Case& c : cases) {
    try {
      LlamaConfig::from_json_text(c.text, "x/config.json");
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("x/config.json"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << e.what();
    }
  }
  LlamaConfig m = LlamaConfig::from_json_text(
      R"({"architectures":["MistralForCausalLM"],"hidden_size":64,"intermediate_size":172,
          "num_hidden_layers":1,"num_attention_heads":8,"vocab_size":512,"sliding_window":256,
          "max_position_embeddings":4096})",
      "config.json");
  EXPECT_THROW(m.check_seqlen(512, "--seqlen"), InputError);
  EXPECT_NO_THROW(m.check_seqlen(256, "--seqlen"));
}

TEST(Model, FirstPromptLogitsMatchGolden) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  json g = json::parse(prunekit::read_file(dir + "/golden.json"));
  const json& f = g["first_prompt_logits"];
  std::vector<int64_t> ids = f["input_ids"].get<std::vector<int64_t>>();
  prunekit::Checkpoint ck(dir);
  prunekit::LlamaModel model(ck, at::kFloat);
  at::Tensor logits = model.forward(at::tensor(ids, at::kLong).view({1, -1}))[0];
  const json& ref = f["logits"];
  ASSERT_EQ(ref.size(), ids.size());
  double max_diff = 0;
  for (size_t t = 0; t < ref.size(); ++t) {
    std::vector<float> row = ref[t].get<std::vector<float>>();
    at::Tensor r = at::tensor(row);
    max_diff = std::max(max_diff, (logits[t] - r).abs().max().item<double>());
  }
  EXPECT_LT(max_diff, 1e-3);
}

// Every greedy_ids list of golden.json reproduced exactly (llama2.c run.c reference).
static void check_golden_generation(const std::string& dir) {
  json g = json::parse(prunekit::read_file(dir + "/golden.json"));
  prunekit::Checkpoint ck(dir);
  prunekit::Tokenizer tok(dir);
  prunekit::LlamaModel model(ck, at::kFloat);
  for (const json& e : g["generate"]) {
    std::vector<int> prompt = tok.encode(e["prompt"].get<std::string>(), true);
    EXPECT_EQ(prompt, e["prompt_ids_with_bos"].get<std::vector<int>>());
    bool stopped = false;
    std::vector<int> ids = prunekit::greedy_generate(model, prompt, 0, &stopped);
    EXPECT_EQ(ids, e["greedy_ids"].get<std::vector<int>>()) << e["prompt"];
    EXPECT_EQ(stopped, e["stopped_on_bos"].get<bool>()) << e["prompt"];
  }
}

TEST(Model, GreedyGenerationMatchesGoldenStories) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  check_golden_generation(dir);
}

TEST(Model, GreedyGenerationMatchesGoldenAidreams) {
  PRUNEKIT_FIXTURE(dir, "models/aidreams260K");
  check_golden_generation(dir);
}

static double ppl_of(const std::string& model_dir, const std::string& data, at::ScalarType dtype) {
  prunekit::Checkpoint ck(model_dir);
  prunekit::Tokenizer tok(model_dir);
  std::vector<int> ids = tok.encode(prunekit::read_eval_text(data), true);
  prunekit::PerplexityOptions opt;
  opt.seqlen = 512;
  opt.batch = 16;
  opt.dtype = dtype;
  opt.quiet = true;
  return prunekit::evaluate_perplexity(ck, ids, opt).ppl;
}

TEST(Perplexity, Stories260KWikitext2AndTinyStories) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(wiki, "data/wikitext2-test.txt");
  PRUNEKIT_FIXTURE(ts, "data/tinystories-valid.txt");
  EXPECT_NEAR(ppl_of(model, wiki, at::kFloat), 122.37, 122.37 * 5e-4);
  EXPECT_NEAR(ppl_of(model, ts, at::kFloat), 5.0683, 5.0683 * 5e-4);
}

TEST(Perplexity, ShardedCheckpointGivesTheSameValues) {
  PRUNEKIT_FIXTURE(model, "models/stories260K-sharded");
  PRUNEKIT_FIXTURE(ts, "data/tinystories-valid.txt");
  EXPECT_NEAR(ppl_of(model, ts, at::kFloat), 5.0683, 5.0683 * 5e-4);
}

TEST(Perplexity, Bfloat16WithinOnePercent) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(ts, "data/tinystories-valid.txt");
  EXPECT_NEAR(ppl_of(model, ts, at::kBFloat16), 5.0683, 5.0683 * 1e-2);
}

TEST(EvalPplCli, BadInputIsOneLineExit2) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(ts, "data/tinystories-valid.txt");
  const std::string dir = prunekit_test::temp_dir("badppl");
  { std::ofstream(dir + "/empty.txt"); }
  { std::ofstream(dir + "/short.txt") << "Once upon a time there was a cat.\n"; }
  struct Case {
    std::string args, needle;
  } cases[] = {
      {"--model " + dir + "/nope --dataset " + ts, "nope"},
      {"--model " + model + " --dataset " + dir + "/missing.txt", "missing.txt"},
      {"--model " + model + " --dataset " + dir + "/empty.txt", "empty.txt"},
      {"--model " + model + " --dataset " + dir + "/short.txt", "shorter than one window"},
      {"--model " + model + " --dataset " + ts + " --seqlen 1", "--seqlen"},
      {"--model " + model + " --dataset " + ts + " --seqlen 4096", "--seqlen"},
      {"--model " + model + " --dataset " + ts + " --dtype float8", "--dtype"},
      {"--model " + model + " --dataset " + ts + " --max-windows 1 --json /nonexistent-dir/x.json", "--json"},
      {"--model " + model, "--dataset"},
  };
  for (const Case& c : cases) {
    auto r = prunekit_test::run_cmd(prunekit_test::bin("eval-ppl") + " --quiet " + c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.needle), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
}

// The fused fp32 attention kernel against LibTorch's eager ops: head dims of small and real
// models, grouped-query heads, a cached prefix (Tk > T), single-token decode, a non-contiguous
// q as layer_forward hands it, and every ISA level this CPU has.
TEST(Attention, FusedKernelMatchesEagerOps) {
  struct Case {
    int64_t nh, kvh, T, Tk, D;
  } cases[] = {{8, 4, 37, 37, 8}, {8, 8, 64, 64, 64}, {4, 2, 5, 50, 128},
               {32, 4, 1, 300, 64}, {6, 3, 17, 17, 7}, {2, 1, 1, 1, 16}};
  const char* saved = std::getenv("PRUNEKIT_ISA");
  const std::string saved_isa = saved ? saved : "";
  for (const char* isa : {"scalar", "avx2", "avx512"}) {
    if (!prunekit::sparse24::isa_supported(prunekit::sparse24::parse_isa(isa))) continue;
    ::setenv("PRUNEKIT_ISA", isa, 1);
    for (const Case& c : cases) {
      at::manual_seed(c.D * 131 + c.T);
      // q as layer_forward makes it: [T, nh, D] viewed as [nh, T, D] (not contiguous).
      at::Tensor q = at::randn({c.T, c.nh, c.D}).transpose(0, 1) * 2.0;
      at::Tensor k = at::randn({c.Tk, c.kvh, c.D}).transpose(0, 1) * 2.0;
      at::Tensor v = at::randn({c.kvh, c.Tk, c.D});
      const at::Tensor eager = prunekit::causal_attention(q, k, v, prunekit::AttentionImpl::Eager);
      const at::Tensor fused = prunekit::causal_attention(q, k, v, prunekit::AttentionImpl::Fused);
      ASSERT_EQ(eager.sizes(), fused.sizes());
      EXPECT_LT((eager - fused).abs().max().item<float>(), 2e-5)
          << isa << " nh " << c.nh << " kvh " << c.kvh << " T " << c.T << " Tk " << c.Tk << " D " << c.D;
    }
  }
  if (saved)
    ::setenv("PRUNEKIT_ISA", saved_isa.c_str(), 1);
  else
    ::unsetenv("PRUNEKIT_ISA");
}
