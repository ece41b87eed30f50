// Pruning against the upstream oracle on stories260K: masks bit for bit, statistics, sparsity,
// N:M compliance, perplexity of the pruned checkpoints, and bad-input handling of `prune`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/corpus.h"
#include "prunekit/eval.h"
#include "prunekit/prune.h"
#include "prunekit/safetensors.h"
#include "prunekit/tokenizer.h"

using nlohmann::json;
using prunekit_test::bin;
using prunekit_test::run_cmd;

namespace {

struct OracleRun {
  const char* name;
  const char* args;
  bool exact;  // masks bit-identical (SparseGPT: >= 99.9 % agreement)
};

const OracleRun kRuns[] = {
    {"magnitude-u50", "--method magnitude --sparsity 0.5", true},
    {"magnitude-2of4", "--method magnitude --pattern 2:4", true},
    {"wanda-u50", "--method wanda --sparsity 0.5", true},
    {"wanda-2of4", "--method wanda --pattern 2:4", true},
    {"wanda-4of8", "--method wanda --pattern 4:8", true},
    {"wanda-u70", "--method wanda --sparsity 0.7", true},
    {"ria-u50", "--method ria --sparsity 0.5", true},
    {"ria-2of4", "--method ria --pattern 2:4", true},
    {"ria-u50-perrow", "--method ria --sparsity 0.5 --group per-row", true},
    {"ria-u50-a0.3", "--method ria --sparsity 0.5 --ria-a 0.3", true},
    {"ria-2of4-realloc", "--method ria --pattern 2:4 --ria-reallocation", true},
    {"owl_wanda-u50", "--method wanda --sparsity 0.5 --owl --owl-m 5 --owl-lambda 0.08", true},
    {"owl_wanda-u70", "--method wanda --sparsity 0.7 --owl --owl-m 5 --owl-lambda 0.08", true},
    {"owl_magnitude-u70", "--method magnitude --sparsity 0.7 --owl --owl-m 5 --owl-lambda 0.08", true},
    {"sparsegpt-u50", "--method sparsegpt --sparsity 0.5", false},
    {"sparsegpt-2of4", "--method sparsegpt --pattern 2:4", false},
    {"sparsegpt-u70", "--method sparsegpt --sparsity 0.7", false},
};

class OracleTest : public ::testing::TestWithParam<OracleRun> {};

std::string run_name(const ::testing::TestParamInfo<OracleRun>& info) {
  std::string n = info.param.name;
  for (char& c : n)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

}  // namespace

TEST_P(OracleTest, MasksStatsSparsityAndPerplexityMatchUpstream) {
  const OracleRun& run = GetParam();
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  PRUNEKIT_FIXTURE(oracle, std::string("reference/oracle/") + run.name);
  PRUNEKIT_FIXTURE(tinystories, "data/tinystories-valid.txt");
  const std::string out = prunekit_test::temp_dir("oracle") + "/out";
  auto r = run_cmd(bin("prune") + " --model " + model + " " + run.args + " --calib " + calib +
                   " --nsamples 128 --seqlen 512 --seed 0 --save-masks --quiet --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;

  // Masks, element by element.
  auto ours = prunekit::load_safetensors(out + "/masks.safetensors");
  auto ref = prunekit::load_safetensors(oracle + "/masks.safetensors");
  ASSERT_EQ(ours.size(), ref.size());
  int64_t differing = 0, total = 0;
  for (const auto& [name, m] : ref) {
    ASSERT_TRUE(ours.count(name)) << name;
    ASSERT_EQ(ours[name].sizes(), m.sizes()) << name;
    differing += (ours[name] != m).sum().item<int64_t>();
    total += m.numel();
  }
  json report = json::parse(prunekit::read_file(out + "/prune_report.json"));
  json oracle_report = json::parse(prunekit::read_file(oracle + "/report.json"));
  if (run.exact) {
    EXPECT_EQ(differing, 0) << "of " << total << " mask bits";
    EXPECT_NEAR(report["total_sparsity"].get<double>(), oracle_report["total_sparsity"].get<double>(), 1e-9);
  } else {
    EXPECT_LE(double(differing) / double(total), 1e-3) << differing << " of " << total << " differ";
    EXPECT_NEAR(report["total_sparsity"].get<double>(), oracle_report["total_sparsity"].get<double>(), 1e-3);
  }

  // N:M: every group of the pruned weights complies (RIA reallocation is N:M only in its
  // permuted order, as upstream).
  if (std::string(run.args).find("--pattern") != std::string::npos &&
      std::string(run.args).find("realloc") == std::string::npos) {
    const int n = std::string(run.args).find("4:8") != std::string::npos ? 4 : 2;
    const int m = 2 * n;
    prunekit::Checkpoint ck(out);
    for (const auto& [name, mask] : ref) {
      at::Tensor w = ck.load(name, at::kFloat);
      EXPECT_EQ(prunekit::nm_compliance(w != 0, n, m), 1.0) << name;
    }
  }

  // Activation statistics of the pruning pass.
  if (prunekit_test::path_exists(oracle + "/stats.safetensors") && run.exact &&
      std::string(run.args).find("magnitude") == std::string::npos) {
    auto s_ours = prunekit::load_safetensors(out + "/stats.safetensors");
    auto s_ref = prunekit::load_safetensors(oracle + "/stats.safetensors");
    for (const auto& [name, t] : s_ref) {
      if (name.find(".scaler_row") == std::string::npos || name.find("pass1") != std::string::npos) continue;
      ASSERT_TRUE(s_ours.count(name)) << name;
      const double rel = ((s_ours[name] - t).abs() / t.abs().clamp_min(1e-30)).max().item<double>();
      EXPECT_LT(rel, 1e-5) << name;
    }
  }

  // OWL: per-layer outlier ratios and sparsities as upstream.
  if (oracle_report.contains("owl")) {
    const json& o = oracle_report["owl"];
    const json& ours_owl = report["owl"];
    for (size_t i = 0; i < o["layer_sparsity"].size(); ++i) {
      EXPECT_NEAR(ours_owl["outlier_ratio_percent"][i].get<double>(), o["outlier_ratio_percent"][i].get<double>(), 1e-9);
      EXPECT_NEAR(ours_owl["layer_sparsity"][i].get<double>(), o["layer_sparsity"][i].get<double>(), 1e-6);
    }
  }

  // Perplexity of the pruned checkpoint (TinyStories; wikitext2 in the Wikitext test below).
  json ppl = json::parse(prunekit::read_file(oracle + "/ppl.json"));
  prunekit::Checkpoint ck(out);
  prunekit::Tokenizer tok(out);
  prunekit::PerplexityOptions opt;
  opt.seqlen = 512;
  opt.batch = 32;
  opt.quiet = true;
  const double p = prunekit::evaluate_perplexity(ck, tok.encode(prunekit::read_eval_text(tinystories), true), opt).ppl;
  const double want = ppl["tinystories"]["ppl"].get<double>();
  EXPECT_NEAR(p, want, want * (run.exact ? 1e-3 : 1e-2)) << "tinystories ppl";
}

INSTANTIATE_TEST_SUITE_P(Oracle, OracleTest, ::testing::ValuesIn(kRuns), run_name);
