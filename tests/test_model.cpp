// Model forward, perplexity and generation against the fixtures' recorded values.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
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
  // Mistral's sliding window is implemented (attention mask), so a longer sequence is fine;
  // only max_position_embeddings bounds it.
  LlamaConfig m = LlamaConfig::from_json_text(
      R"({"architectures":["MistralForCausalLM"],"hidden_size":64,"intermediate_size":172,
          "num_hidden_layers":1,"num_attention_heads":8,"vocab_size":512,"sliding_window":256,
          "max_position_embeddings":4096})",
      "config.json");
  EXPECT_EQ(m.attention_window(), 256);
  EXPECT_NO_THROW(m.check_seqlen(512, "--seqlen"));
  EXPECT_THROW(m.check_seqlen(4097, "--seqlen"), InputError);
}

static LlamaConfig config_of(const std::string& arch, const std::string& extra) {
  return LlamaConfig::from_json_text(R"({"architectures":[")" + arch +
                                         R"("],"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,
          "num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100)" +
                                         extra + "}",
                                     "config.json");
}

// Each family's config as its transformers modeling code reads it.
TEST(Config, FamiliesBiasesNormsHeadDimWindow) {
  LlamaConfig q2 = config_of("Qwen2ForCausalLM", "");
  EXPECT_TRUE(q2.has_bias(0) && q2.has_bias(1) && q2.has_bias(2));  // q/k/v bias=True
  EXPECT_FALSE(q2.has_bias(3) || q2.has_bias(4) || q2.has_bias(6));  // o_proj, MLP: none
  EXPECT_FALSE(q2.qk_norm);
  EXPECT_EQ(q2.head_dim, 16);
  EXPECT_EQ(q2.attention_window(), -1);
  LlamaConfig q3 = config_of("Qwen3ForCausalLM", "");
  EXPECT_TRUE(q3.qk_norm);
  EXPECT_EQ(q3.head_dim, 128);  // Qwen3Config's default, not hidden / heads
  EXPECT_FALSE(q3.has_bias(0) || q3.has_bias(3));
  LlamaConfig q3b = config_of("Qwen3ForCausalLM", R"(,"attention_bias":true,"head_dim":32)");
  EXPECT_TRUE(q3b.has_bias(0) && q3b.has_bias(3));
  EXPECT_FALSE(q3b.has_bias(4));
  EXPECT_EQ(q3b.head_dim, 32);
  LlamaConfig l = config_of("LlamaForCausalLM", R"(,"attention_bias":true,"mlp_bias":true,"head_dim":24)");
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(l.has_bias(i)) << i;
  EXPECT_EQ(l.head_dim, 24);
  EXPECT_FALSE(l.qk_norm);
  LlamaConfig m = config_of("MistralForCausalLM", R"(,"attention_bias":true)");
  EXPECT_EQ(m.attention_window(), 4096);  // MistralConfig's default when the key is absent
  EXPECT_FALSE(m.has_bias(0));           // MistralAttention has no biases
  EXPECT_EQ(config_of("MistralForCausalLM", R"(,"sliding_window":null)").attention_window(), -1);
  LlamaConfig by_type = LlamaConfig::from_json_text(
      R"({"model_type":"qwen3","hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,
          "num_attention_heads":4,"vocab_size":100,"head_dim":16})",
      "config.json");
  EXPECT_EQ(by_type.architecture, "Qwen3ForCausalLM");
  // Linear rope scaling, and transformers 5's rope_parameters (rope_theta inside).
  EXPECT_EQ(config_of("Qwen2ForCausalLM", R"(,"rope_scaling":{"type":"linear","factor":2.0})").rope_scaling.type,
            "linear");
  LlamaConfig v5 = config_of("LlamaForCausalLM", R"(,"rope_parameters":{"rope_type":"default","rope_theta":500000.0})");
  EXPECT_DOUBLE_EQ(v5.rope_theta, 500000.0);
  EXPECT_EQ(v5.rope_scaling.type, "none");
  // expected_tensors follows the config: Qwen3 norms, Qwen2 biases, o_proj [hidden, heads*head_dim].
  auto shape_of = [](const LlamaConfig& c, const std::string& name) {
    for (const prunekit::ExpectedTensor& e : c.expected_tensors())
      if (e.name == name) return e.shape;
    return std::vector<int64_t>{};
  };
  EXPECT_EQ(shape_of(q3b, "model.layers.1.self_attn.q_norm.weight"), std::vector<int64_t>({32}));
  EXPECT_EQ(shape_of(q3b, "model.layers.0.self_attn.o_proj.weight"), std::vector<int64_t>({64, 128}));
  EXPECT_EQ(shape_of(q3b, "model.layers.0.self_attn.k_proj.bias"), std::vector<int64_t>({64}));
  EXPECT_EQ(shape_of(q2, "model.layers.0.self_attn.v_proj.bias"), std::vector<int64_t>({32}));
  EXPECT_TRUE(shape_of(q2, "model.layers.0.self_attn.o_proj.bias").empty());
  EXPECT_TRUE(shape_of(q2, "model.layers.0.self_attn.q_norm.weight").empty());
}

// What the forward does not implement is refused, naming the field and its value.
TEST(Config, RefusesWhatTheForwardDoesNotImplement) {
  struct Case {
    std::string arch, extra;
    std::vector<std::string> needles;
  } cases[] = {
      {"LlamaForCausalLM", R"(,"hidden_act":"gelu")", {"hidden_act", "gelu"}},
      {"Qwen2ForCausalLM", R"(,"hidden_act":"gelu_pytorch_tanh")", {"hidden_act", "gelu_pytorch_tanh"}},
      {"LlamaForCausalLM", R"(,"rope_scaling":{"rope_type":"yarn","factor":4.0})", {"rope_scaling.rope_type", "yarn"}},
      {"Qwen2ForCausalLM", R"(,"rope_scaling":{"type":"dynamic","factor":2.0})", {"rope_scaling.type", "dynamic"}},
      {"LlamaForCausalLM", R"(,"rope_scaling":{"rope_type":"longrope"})", {"rope_scaling.rope_type", "longrope"}},
      {"LlamaForCausalLM", R"(,"rope_parameters":{"rope_type":"yarn","rope_theta":1e6})", {"rope_parameters", "yarn"}},
      {"MixtralForCausalLM", "", {"architecture", "MixtralForCausalLM"}},
      {"Qwen3MoeForCausalLM", "", {"architecture", "Qwen3MoeForCausalLM"}},
      {"LlamaForCausalLM", R"(,"num_local_experts":8)", {"num_local_experts", "8"}},
      {"Qwen2ForCausalLM", R"(,"use_sliding_window":true)", {"use_sliding_window"}},
      {"Qwen3ForCausalLM", R"(,"layer_types":["full_attention","sliding_attention"])", {"layer_types", "sliding_attention"}},
      {"LlamaForCausalLM", R"(,"quantization_config":{"quant_method":"gptq"})", {"quantization_config"}},
      {"LlamaForCausalLM", R"(,"head_dim":7)", {"head_dim", "7"}},
  };
  for (const Case& c : cases) {
    try {
      config_of(c.arch, c.extra);
      ADD_FAILURE() << "accepted: " << c.arch << c.extra;
    } catch (const InputError& e) {
      for (const std::string& n : c.needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(config_of("LlamaForCausalLM", R"(,"hidden_act":"silu","layer_types":["full_attention"])"));
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

// The fused kernel with Mistral's sliding window against the eager ops with the same window,
// across the eager path's row blocks, with a cached prefix and in single-token decode.
TEST(Attention, SlidingWindowFusedMatchesEager) {
  struct Case {
    int64_t nh, kvh, T, Tk, D, window;
  } cases[] = {{4, 2, 300, 300, 16, 50}, {8, 4, 1, 300, 64, 37}, {4, 2, 5, 50, 32, 7},
               {4, 4, 40, 40, 8, 1},     {2, 1, 33, 33, 16, 40}, {4, 2, 20, 20, 16, 20}};
  for (const Case& c : cases) {
    at::manual_seed(c.T * 7 + c.window);
    at::Tensor q = at::randn({c.T, c.nh, c.D}).transpose(0, 1) * 2.0;
    at::Tensor k = at::randn({c.Tk, c.kvh, c.D}).transpose(0, 1) * 2.0;
    at::Tensor v = at::randn({c.kvh, c.Tk, c.D});
    const at::Tensor eager = prunekit::causal_attention(q, k, v, prunekit::AttentionImpl::Eager, c.window);
    const at::Tensor fused = prunekit::causal_attention(q, k, v, prunekit::AttentionImpl::Fused, c.window);
    EXPECT_LT((eager - fused).abs().max().item<float>(), 2e-5) << "T " << c.T << " window " << c.window;
    // The last query row attends to exactly the last `window` keys: a direct computation.
    const int64_t first = std::max<int64_t>(0, c.Tk - c.window), n_rep = c.nh / c.kvh;
    at::Tensor qh = q.select(0, 0).select(0, c.T - 1);                      // head 0, last row
    at::Tensor kh = k.select(0, 0).narrow(0, first, c.Tk - first);         // kv head 0
    at::Tensor p = at::softmax(at::matmul(kh, qh) / std::sqrt(double(c.D)), 0);
    at::Tensor expect = at::matmul(p, v.select(0, 0).narrow(0, first, c.Tk - first));
    EXPECT_LT((fused[c.T - 1].narrow(0, 0, c.D) - expect).abs().max().item<float>(), 2e-5) << n_rep;
    if (c.window < c.Tk) {  // and it differs from full causal attention
      const at::Tensor full = prunekit::causal_attention(q, k, v, prunekit::AttentionImpl::Fused);
      EXPECT_GT((full - fused).abs().max().item<float>(), 1e-3);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Families (Qwen2, Qwen3, Llama with biases / explicit head_dim / llama3 rope, Mistral window)
// against tools/reference/hf_families.py: a float64 forward of the transformers definitions, run
// on the committed random checkpoints under tests/fixtures/families/ (random norms and biases).

static std::string family_dir(const std::string& name) {
  return std::string(PRUNEKIT_SOURCE_DIR) + "/tests/fixtures/families/" + name;
}

static std::vector<int> flat_ids(const json& ref) {
  std::vector<int> ids;
  for (const json& seq : ref["input_ids"])
    for (const json& t : seq) ids.push_back(t.get<int>());
  return ids;
}

static double family_ppl(const std::string& dir, const json& ref, at::ScalarType dtype = at::kFloat) {
  prunekit::Checkpoint ck(dir);
  prunekit::PerplexityOptions opt;
  opt.seqlen = ref["seqlen"].get<int64_t>();
  opt.batch = 2;
  opt.dtype = dtype;
  opt.quiet = true;
  return prunekit::evaluate_perplexity(ck, flat_ids(ref), opt).ppl;
}

class FamilyForward : public ::testing::TestWithParam<const char*> {};

TEST_P(FamilyForward, MatchesHfReference) {
  const std::string dir = family_dir(GetParam());
  const json ref = json::parse(prunekit::read_file(dir + "/reference.json"));
  const double want = ref["ppl"].get<double>();

  // Layer-streamed evaluation (eval-ppl, prune's forward): perplexity to 1e-4 relative.
  EXPECT_NEAR(family_ppl(dir, ref), want, want * 1e-5) << GetParam();

  // Whole-model forward (generate, eval-zeroshot): every logit of the first sequence.
  prunekit::Checkpoint ck(dir);
  prunekit::LlamaModel model(ck, at::kFloat);
  const std::vector<int64_t> seq = ref["input_ids"][0].get<std::vector<int64_t>>();
  const int64_t T = static_cast<int64_t>(seq.size());
  at::Tensor ids = at::tensor(seq, at::kLong).view({1, -1});
  at::Tensor logits = model.forward(ids)[0];
  std::vector<float> flat;
  for (const json& row : ref["logits_seq0"])
    for (const json& x : row) flat.push_back(x.get<float>());
  at::Tensor want_logits = at::tensor(flat).view({T, -1});
  ASSERT_EQ(logits.sizes(), want_logits.sizes());
  EXPECT_LT((logits - want_logits).abs().max().item<double>(), 2e-5) << GetParam();

  // Incremental decoding with the KV cache (generate): a 5-token prefill, then one token at a
  // time; every position's logits as the reference's.
  std::vector<prunekit::KVCache> caches = model.new_caches();
  at::Tensor pre = model.forward(ids.narrow(1, 0, 5), &caches);
  double max_diff = (pre[0] - want_logits.narrow(0, 0, 5)).abs().max().item<double>();
  for (int64_t t = 5; t < T; ++t) {
    at::Tensor step = model.forward(ids.narrow(1, t, 1), &caches, /*last_only=*/true);
    max_diff = std::max(max_diff, (step[0][0] - want_logits[t]).abs().max().item<double>());
  }
  EXPECT_LT(max_diff, 2e-5) << GetParam();

  // bfloat16 compute stays close (every cast on the way, q_norm/k_norm included).
  EXPECT_NEAR(family_ppl(dir, ref, at::kBFloat16), want, want * 0.05) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyForward,
                         ::testing::Values("qwen2", "qwen3", "llama-bias", "mistral-window"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// Negative control for the window: the same Mistral checkpoint with sliding_window null gives
// the reference's full-causal perplexity, clearly different from the windowed one.
TEST(FamilyForward, MistralWithoutWindowIsFullCausal) {
  const std::string src = family_dir("mistral-window");
  const json ref = json::parse(prunekit::read_file(src + "/reference.json"));
  const std::string dir = prunekit_test::temp_dir("mistral-nowindow");
  std::filesystem::copy_file(src + "/model.safetensors", dir + "/model.safetensors");
  json cfg = json::parse(prunekit::read_file(src + "/config.json"));
  cfg["sliding_window"] = nullptr;
  std::ofstream(dir + "/config.json") << cfg.dump();
  const double full = ref["ppl_without_window"].get<double>();
  EXPECT_NEAR(family_ppl(dir, ref), full, full * 1e-5);
  EXPECT_GT(std::abs(full - ref["ppl"].get<double>()), 1e-2 * full);
}

// tinystories-656k: a real trained LLaMA whose tied embedding is stored only as lm_head.weight.
// Greedy ids of golden.json from its recorded prompt ids (the tokenizer is tested elsewhere). The
// golden decoding runs through EOS for max_new_tokens; greedy_generate stops there (as generate
// does), so it must give golden's prefix up to that EOS, and a plain argmax loop over the cached
// forward the whole list.
TEST(Model, TinyStories656kGreedyIdsMatchGolden) {
  PRUNEKIT_FIXTURE(dir, "models/tinystories-656k");
  json g = json::parse(prunekit::read_file(dir + "/golden.json"));
  prunekit::Checkpoint ck(dir);
  ASSERT_FALSE(ck.names().empty());
  EXPECT_EQ(ck.info("model.embed_tokens.weight").name, "lm_head.weight");
  prunekit::LlamaModel model(ck, at::kFloat);
  // One matrix, not two copies.
  EXPECT_EQ(model.head().embed.data_ptr(), model.head().lm_head.data_ptr());
  for (const json& e : g["generate"]) {
    const std::vector<int> prompt = e["prompt_ids"].get<std::vector<int>>();
    const int64_t max_new = e["max_new_tokens"].get<int64_t>();
    const std::vector<int> golden = e["ids"].get<std::vector<int>>();
    std::vector<int> ids = prunekit::greedy_generate(model, prompt, max_new);
    const auto eos = std::find(golden.begin() + prompt.size(), golden.end(), int(ck.config().eos_token_id));
    EXPECT_EQ(ids, std::vector<int>(golden.begin(), eos)) << e["prompt"];

    std::vector<prunekit::KVCache> caches = model.new_caches();
    std::vector<int64_t> all(prompt.begin(), prompt.end());
    at::Tensor logits = model.forward(at::tensor(all, at::kLong).view({1, -1}), &caches, /*last_only=*/true);
    for (int64_t n = 0; n < max_new; ++n) {
      all.push_back(logits[0][0].argmax().item<int64_t>());
      if (n + 1 < max_new)
        logits = model.forward(at::tensor(std::vector<int64_t>{all.back()}, at::kLong).view({1, 1}), &caches, true);
    }
    EXPECT_EQ(std::vector<int>(all.begin(), all.end()), golden) << e["prompt"];
  }
}
