// Pruning against the upstream oracle on stories260K: masks bit for bit, statistics, sparsity,
// N:M compliance, perplexity of the pruned checkpoints, and bad-input handling of `prune`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

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

// Test names and ctest listings show the run name, not the struct's bytes.
void PrintTo(const OracleRun& run, std::ostream* os) { *os << run.name; }

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
  auto ours = prunekit::load_safetensors(out + "/prunekit/masks.safetensors");
  auto ref = prunekit::load_safetensors(oracle + "/masks.safetensors");
  ASSERT_EQ(ours.size(), ref.size());
  int64_t differing = 0, total = 0;
  for (const auto& [name, m] : ref) {
    ASSERT_TRUE(ours.count(name)) << name;
    ASSERT_EQ(ours[name].sizes(), m.sizes()) << name;
    differing += (ours[name] != m).sum().item<int64_t>();
    total += m.numel();
  }
  json report = json::parse(prunekit::read_file(out + "/prunekit/prune_report.json"));
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
    auto s_ours = prunekit::load_safetensors(out + "/prunekit/stats.safetensors");
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

// ---------------------------------------------------------------------------------------------
// Selector unit tests: the conventions of CONVENTIONS.md sections 2 and 3 on hand-made scores.

TEST(MaskSelector, PerMatrixPrunesTiesAndOneExtra) {
  // 10 scores, s = 0.5: threshold = sorted[5] = 5; "<=" prunes 0..5 (6 weights), as upstream.
  at::Tensor score = at::arange(10, at::kFloat).view({2, 5});
  prunekit::SparsitySpec spec;
  spec.sparsity = 0.5;
  spec.group = prunekit::Group::PerMatrix;
  EXPECT_EQ(prunekit::select_prune_mask(score, spec).sum().item<int64_t>(), 6);
  spec.sparsity = 0.0;
  EXPECT_EQ(prunekit::select_prune_mask(score, spec).sum().item<int64_t>(), 0);
}

TEST(MaskSelector, PerRowFloorsInDoubleAndBreaksTiesByLowerIndex) {
  // int(172 * 0.35) = 60 per row; equal scores: the lower column indices go first (stable sort).
  at::Tensor score = at::ones({3, 172});
  prunekit::SparsitySpec spec;
  spec.sparsity = 0.35;
  spec.group = prunekit::Group::PerRow;
  at::Tensor m = prunekit::select_prune_mask(score, spec);
  EXPECT_EQ(m.sum(1).eq(60).all().item<bool>(), true);
  EXPECT_TRUE(m.narrow(1, 0, 60).all().item<bool>());
  EXPECT_FALSE(m.narrow(1, 60, 112).any().item<bool>());
  spec.sparsity = 0.7;  // int(64 * 0.7) = 44
  EXPECT_EQ(prunekit::select_prune_mask(at::rand({2, 64}), spec).sum(1)[0].item<int64_t>(), 44);
}

TEST(MaskSelector, NMGroupsAlongInputsWithShortLastGroup) {
  // 4:8 on 172 inputs: 21 full groups lose 4 each, the last group of 4 is pruned entirely -> 88.
  prunekit::SparsitySpec spec;
  spec.n = 4;
  spec.m = 8;
  at::Tensor m = prunekit::select_prune_mask(at::rand({5, 172}), spec);
  EXPECT_TRUE(m.sum(1).eq(88).all().item<bool>());
  EXPECT_TRUE(m.narrow(1, 168, 4).all().item<bool>());
  EXPECT_TRUE(m.narrow(1, 0, 168).view({5, 21, 8}).sum(-1).eq(4).all().item<bool>());
  // 2:4 picks the 2 smallest of each group.
  at::Tensor s = at::tensor({4.f, 1.f, 3.f, 2.f, 0.f, 9.f, 8.f, 7.f}).view({1, 8});
  spec.n = 2;
  spec.m = 4;
  at::Tensor expect = at::tensor({0, 1, 0, 1, 1, 0, 0, 1}).to(at::kBool).view({1, 8});
  EXPECT_TRUE(prunekit::select_prune_mask(s, spec).equal(expect));
}

TEST(Owl, LayerSparsitiesAndUniformFallback) {
  bool uniform = true;
  // D = (1, 3): r = (0, 0.16); mean 0.08; density = r - 0.08 + 0.5 -> sparsity 0.58, 0.42.
  auto s = prunekit::owl_layer_sparsities({1.0, 3.0}, 0.5, 0.08, &uniform);
  EXPECT_FALSE(uniform);
  EXPECT_NEAR(s[0], 0.58, 1e-12);
  EXPECT_NEAR(s[1], 0.42, 1e-12);
  s = prunekit::owl_layer_sparsities({2.0, 2.0, 2.0}, 0.7, 0.08, &uniform);
  EXPECT_TRUE(uniform);
  EXPECT_DOUBLE_EQ(s[1], 0.7);
}

// ---------------------------------------------------------------------------------------------
// The `prune` and `inspect` executables end to end.

namespace {
std::string file_bytes(const std::string& p) { return prunekit::read_file(p); }
}  // namespace

TEST(PruneCli, BadInputIsOneLineExit2AndWritesNothing) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string dir = prunekit_test::temp_dir("badprune");
  { std::ofstream(dir + "/empty.jsonl"); }
  { std::ofstream(dir + "/short.txt") << "too short\n"; }
  ::mkdir((dir + "/full").c_str(), 0755);
  { std::ofstream(dir + "/full/keep.txt") << "x"; }
  struct Case {
    std::string args, needle;
  } cases[] = {
      {"--method lottery --sparsity 0.5", "--method"},
      {"--method wanda --sparsity 1.0", "--sparsity"},
      {"--method wanda --sparsity -0.1", "--sparsity"},
      {"--method wanda --pattern 4:4", "--pattern"},
      {"--method wanda --pattern 0:4", "--pattern"},
      {"--method wanda --pattern 2-4", "--pattern"},
      {"--method wanda --sparsity 0.5 --nsamples 0", "--nsamples"},
      {"--method wanda --sparsity 0.5 --calib " + dir + "/empty.jsonl", "empty.jsonl"},
      {"--method wanda --sparsity 0.5 --calib " + dir + "/short.txt --seqlen 64", "longer than seqlen"},
      {"--method wanda --sparsity 0.5 --calib " + dir + "/missing.jsonl", "missing.jsonl"},
      {"--method wanda --pattern 2:4 --owl", "--owl"},
      {"--method wanda --sparsity 0.5 --modules qkv", "--modules"},
      {"--method wanda --sparsity 0.5 --layers 9", "--layers"},
      {"--method wanda --sparsity 0.5 --seqlen 4096", "--seqlen"},
  };
  for (const Case& c : cases) {
    const std::string out = dir + "/out";
    std::string args = c.args;
    if (args.find("--calib") == std::string::npos) args += " --calib " + calib;
    auto r = run_cmd(bin("prune") + " --model " + model + " " + args + " --quiet --out " + out);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.needle), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_FALSE(prunekit_test::path_exists(out)) << c.args;
  }
  // An existing non-empty --out is refused unless --overwrite, and left as it was.
  auto r = run_cmd(bin("prune") + " --model " + model + " --method magnitude --sparsity 0.5 --quiet --out " + dir + "/full");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--overwrite"), std::string::npos) << r.output;
  EXPECT_TRUE(prunekit_test::path_exists(dir + "/full/keep.txt"));
  // No temporary directory is left behind by the refused runs.
  auto ls = run_cmd("ls -A " + dir);
  EXPECT_EQ(ls.output.find(".tmp"), std::string::npos) << ls.output;
  // --out equal to --model is refused: the input is never modified.
  r = run_cmd(bin("prune") + " --model " + model + " --method magnitude --sparsity 0.5 --quiet --overwrite --out " + model);
  EXPECT_EQ(r.code, 2) << r.output;
}

TEST(PruneCli, ShardedInputKeepsLayoutAndInspectReportsCompliance) {
  PRUNEKIT_FIXTURE(model, "models/stories260K-sharded");
  const std::string before = file_bytes(model + "/model-00001-of-00002.safetensors");
  const std::string out = prunekit_test::temp_dir("sharded") + "/out";
  auto r = run_cmd(bin("prune") + " --model " + model + " --method magnitude --pattern 2:4 --quiet --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(before, file_bytes(model + "/model-00001-of-00002.safetensors"));  // input untouched
  EXPECT_TRUE(prunekit_test::path_exists(out + "/model.safetensors.index.json"));
  EXPECT_TRUE(prunekit_test::path_exists(out + "/model-00002-of-00002.safetensors"));
  EXPECT_TRUE(prunekit_test::path_exists(out + "/tokenizer.model"));
  prunekit::Checkpoint in(model), pruned(out);
  EXPECT_EQ(in.names(), pruned.names());  // same names and order; the tied lm_head stays absent
  for (const auto& n : in.names()) EXPECT_EQ(in.shard_of(n), pruned.shard_of(n)) << n;

  r = run_cmd(bin("inspect") + " --model " + out + " --json " + out + "/inspect.json");
  ASSERT_EQ(r.code, 0) << r.output;
  json j = json::parse(prunekit::read_file(out + "/inspect.json"));
  EXPECT_NEAR(j["total_sparsity"].get<double>(), 0.5, 1e-12);
  for (const auto& [name, m] : j["modules"].items()) {
    EXPECT_EQ(m["nm_2_4_compliance"].get<double>(), 1.0) << name;
    EXPECT_EQ(m["sparsity"].get<double>(), 0.5) << name;
  }
  // The dense model is not 2:4.
  r = run_cmd(bin("inspect") + " --model " + model + " --json " + out + "/dense.json");
  json d = json::parse(prunekit::read_file(out + "/dense.json"));
  EXPECT_EQ(d["total_sparsity"].get<double>(), 0.0);
  EXPECT_LT(d["modules"]["model.layers.0.mlp.up_proj.weight"]["nm_2_4_compliance"].get<double>(), 0.01);
}

// Progress in a log (stderr not a terminal: one timestamped line per decoder layer), the phase
// timings of --log-level debug, --quiet, and --print-config.
TEST(PruneCli, ProgressLinesInALogPhaseTimingsAndPrintConfig) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const int layers = json::parse(prunekit::read_file(model + "/config.json"))["num_hidden_layers"].get<int>();
  const std::string dir = prunekit_test::temp_dir("progress");
  const std::string prune = bin("prune") + " --model " + model + " --method wanda --sparsity 0.5 --nsamples 2 --seqlen 64 " +
                            "--calib " + calib + " --threads 1";
  // The tool's stderr (only) goes to `log`; its stdout to the captured output.
  auto run_logged = [&](const std::string& args, const std::string& log) {
    return run_cmd("(" + prune + " " + args + " 2>" + log + ")");
  };
  auto lines_of = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  const std::regex stamp_layer(R"(^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] prune: layer (\d+)/(\d+) done, elapsed )"
                               R"(\d+\.\d s, ETA \d+\.\d s$)");

  auto r = run_logged("--out " + dir + "/plain", dir + "/plain.log");
  ASSERT_EQ(r.code, 0) << r.output << prunekit::read_file(dir + "/plain.log");
  std::vector<int> done;
  for (const std::string& line : lines_of(prunekit::read_file(dir + "/plain.log"))) {
    std::smatch m;
    if (std::regex_match(line, m, stamp_layer)) {
      EXPECT_EQ(std::stoi(m[2]), layers) << line;
      done.push_back(std::stoi(m[1]));
    }
    EXPECT_EQ(line.find("phase "), std::string::npos) << "debug line at the default level: " << line;
  }
  std::vector<int> want(layers);
  for (int l = 0; l < layers; ++l) want[l] = l + 1;
  EXPECT_EQ(done, want) << prunekit::read_file(dir + "/plain.log");

  // --log-level debug: the report's phase timings, one line each, beside the progress.
  r = run_logged("--log-level debug --out " + dir + "/debug", dir + "/debug.log");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string debug = prunekit::read_file(dir + "/debug.log");
  for (const char* phase : {"calibration_sampling", "load", "forward_dense_capture", "score_select", "forward_pruned",
                            "write", "hash_inputs", "total"})
    EXPECT_NE(debug.find(std::string("] prune: debug: phase ") + phase + ": "), std::string::npos) << phase << "\n" << debug;
  // ... and the phase in which the peak RSS was reached, which is also in the report.
  EXPECT_NE(debug.find("] prune: debug: peak RSS "), std::string::npos) << debug;
  const json dbg = json::parse(prunekit::read_file(dir + "/debug/prunekit/prune_report.json"));
  ASSERT_TRUE(dbg["peak_rss_phase"].is_string());
  ASSERT_TRUE(dbg["peak_rss_mb_by_phase"].contains(dbg["peak_rss_phase"].get<std::string>()));
  EXPECT_LE(dbg["peak_rss_mb_by_phase"][dbg["peak_rss_phase"].get<std::string>()].get<double>(), dbg["peak_rss_mb"].get<double>() + 1.0);
  EXPECT_NE(debug.find("prune: layer " + std::to_string(layers) + "/"), std::string::npos) << debug;

  // --quiet: nothing at all on stderr (the result line is on stdout).
  r = run_logged("--quiet --out " + dir + "/quiet", dir + "/quiet.log");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(prunekit::read_file(dir + "/quiet.log"), "");
  EXPECT_NE(r.output.find("pruned "), std::string::npos) << r.output;
  // --log-level off silences the progress too; a bad level is a one-line usage error.
  r = run_logged("--log-level off --out " + dir + "/off", dir + "/off.log");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(prunekit::read_file(dir + "/off.log"), "");
  r = run_cmd(prune + " --log-level loud --out " + dir + "/loud");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("prune: error: --log-level", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;

  // --print-config: valid JSON on stdout with the defaults (Wanda), no --model/--out needed,
  // nothing run or written.
  r = run_cmd("(" + bin("prune") + " --print-config 2>" + dir + "/config.log)");
  ASSERT_EQ(r.code, 0) << r.output;
  const json c = json::parse(r.output);  // throws (fails the test) unless the whole stdout is JSON
  EXPECT_EQ(c["method"], "wanda");
  EXPECT_EQ(c["method_params"], json::object());
  EXPECT_EQ(c["sparsity"].get<double>(), 0.5);
  EXPECT_EQ(c["pattern"], "unstructured");
  EXPECT_EQ(c["group"], "per-row");
  EXPECT_EQ(c["needs_calibration"], true);
  EXPECT_EQ(c["calibration"]["nsamples"], 128);
  EXPECT_EQ(c["calibration"]["seed"], 0);
  EXPECT_EQ(c["calibration"]["seqlen"], "max_position_embeddings");
  EXPECT_TRUE(c["calibration"]["corpus"].is_string());  // the default corpus, found
  EXPECT_EQ(c["owl"]["enabled"], false);
  EXPECT_EQ(c["owl"]["m"].get<double>(), 5.0);
  EXPECT_EQ(c["owl"]["lambda"].get<double>(), 0.08);
  EXPECT_EQ(c["owl"]["needs_calibration"], true);
  for (const std::string& m : prunekit::pruner_names()) EXPECT_TRUE(c["methods"].contains(m)) << m;
  EXPECT_EQ(c["methods"]["wanda"]["needs_calibration"], true);
  EXPECT_EQ(c["methods"]["wanda"]["stats"], "column_norms");
  EXPECT_EQ(c["methods"]["magnitude"]["needs_calibration"], false);
  EXPECT_EQ(c["methods"]["random"]["needs_calibration"], false);
  EXPECT_EQ(c["methods"]["ria"]["params"]["a"]["default"].get<double>(), 0.5);
  EXPECT_EQ(c["methods"]["ria"]["default_group"], "per-matrix");
  EXPECT_EQ(prunekit::read_file(dir + "/config.log"), "");
  // The given flags are applied: the effective settings of that run.
  r = run_cmd("(" + bin("prune") + " --print-config --method ria --ria-a 1 --pattern 2:4 --nsamples 16 2>/dev/null)");
  ASSERT_EQ(r.code, 0) << r.output;
  const json ria = json::parse(r.output);
  EXPECT_EQ(ria["method"], "ria");
  EXPECT_EQ(ria["method_params"]["a"].get<double>(), 1.0);
  EXPECT_EQ(ria["pattern"], "2:4");
  EXPECT_EQ(ria["calibration"]["nsamples"], 16);
  r = run_cmd("(" + bin("prune") + " --print-config --method magnitude 2>/dev/null)");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(json::parse(r.output)["needs_calibration"], false);
  EXPECT_EQ(json::parse(r.output)["group"], "per-matrix");
}

TEST(PruneCli, ModulesAndLayersSelectWhatIsPruned) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string out = prunekit_test::temp_dir("select") + "/out";
  auto r = run_cmd(bin("prune") + " --model " + model + " --method wanda --sparsity 0.5 --modules attn --layers 1,3 " +
                   "--nsamples 4 --calib " + calib + " --quiet --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  prunekit::Checkpoint ck(out);
  for (int l = 0; l < 5; ++l)
    for (int i = 0; i < prunekit::kNumLinears; ++i) {
      at::Tensor w = ck.load(prunekit::linear_prefix(l, i) + ".weight", at::kFloat);
      const double s = (w == 0).to(at::kDouble).mean().item<double>();
      const bool selected = (l == 1 || l == 3) && i <= prunekit::kO;
      EXPECT_EQ(s, selected ? 0.5 : 0.0) << prunekit::linear_prefix(l, i);
    }
  json rep = json::parse(prunekit::read_file(out + "/prunekit/prune_report.json"));
  EXPECT_EQ(rep["calibration"]["windows"].size(), 4u);
  // 2 layers x (q 64x64 + k 32x64 + v 32x64 + o 64x64) x 0.5 of the 226,560 prunable weights.
  EXPECT_NEAR(rep["total_sparsity"].get<double>(), 12288.0 / 226560.0, 1e-12);
}

TEST(SparseGpt, FailingCholeskyIsRetriedThenFallsBackWithoutNaN) {
  // A Hessian that is not positive definite (and not "dead": its diagonal is nonzero) makes every
  // Cholesky fail; the pruner must record the retries and still produce a finite, pruned weight.
  at::Tensor w = at::randn({8, 16});
  prunekit::ActivationStats stats;
  stats.hessian = -at::eye(16);
  prunekit::LinearSite site{0, prunekit::kQ, "w", w, stats};
  prunekit::SparsitySpec spec;
  spec.n = 2;
  spec.m = 4;
  auto pruner = prunekit::make_pruner("sparsegpt");
  prunekit::PruneOutcome out = pruner->prune(site, spec);
  EXPECT_EQ(out.extra["cholesky_retries"].get<int>(), 3);
  EXPECT_TRUE(out.extra.contains("fallback"));
  EXPECT_TRUE(at::isfinite(w).all().item<bool>());
  EXPECT_EQ(prunekit::nm_compliance(w != 0, 2, 4), 1.0);

  // A well-conditioned Hessian needs no retry, and 2:4 holds in every group.
  at::Tensor x = at::randn({64, 16});
  prunekit::ActivationStats good;
  good.add_gram(x);
  at::Tensor w2 = at::randn({8, 16});
  prunekit::LinearSite site2{0, prunekit::kQ, "w2", w2, good};
  out = pruner->prune(site2, spec);
  EXPECT_EQ(out.extra["cholesky_retries"].get<int>(), 0);
  EXPECT_EQ(prunekit::nm_compliance(w2 != 0, 2, 4), 1.0);
}

TEST(RiaReallocation, LsaRefinementNeverKeepsLessScoreThanTheHeuristic) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string dir = prunekit_test::temp_dir("lsa");
  const std::string common = bin("prune") + " --model " + model + " --method ria --pattern 2:4 --ria-reallocation " +
                             "--nsamples 8 --calib " + calib + " --quiet --out ";
  ASSERT_EQ(run_cmd(common + dir + "/heuristic").code, 0);
  auto r = run_cmd(common + dir + "/lsa --ria-lsa");
  ASSERT_EQ(r.code, 0) << r.output;
  json h = json::parse(prunekit::read_file(dir + "/heuristic/prunekit/prune_report.json"));
  json l = json::parse(prunekit::read_file(dir + "/lsa/prunekit/prune_report.json"));
  int improved = 0;
  for (const auto& [name, m] : h["modules"].items()) {
    const double kh = m["reallocation_kept_score_fraction"].get<double>();
    const double kl = l["modules"][name]["reallocation_kept_score_fraction"].get<double>();
    EXPECT_GE(kl, kh - 1e-9) << name;
    improved += kl > kh + 1e-9;
    EXPECT_NEAR(l["modules"][name]["sparsity"].get<double>(), 0.5, 1e-12) << name;
  }
  EXPECT_GT(improved, 0);
  EXPECT_EQ(run_cmd(bin("prune") + " --model " + model + " --method ria --pattern 2:4 --ria-lsa --quiet --out " +
                    dir + "/bad").code, 2);
}

// ---------------------------------------------------------------------------------------------
// The registry: a method with one parameter is one file (src/prune/random.cpp) + one registry
// line; its parameter reaches the command line as --random-seed with no other edit.

TEST(MethodRegistry, ParametersAreResolvedTypedAndNamedInErrors) {
  const prunekit::MethodInfo& ria = prunekit::method_info("ria");
  json p = prunekit::resolve_method_params(ria, json::object());
  EXPECT_EQ(p, json({{"a", 0.5}, {"reallocation", false}, {"lsa", false}}));
  p = prunekit::resolve_method_params(ria, {{"a", 1}});  // an integer for a number stays a number
  EXPECT_TRUE(p["a"].is_number_float());
  EXPECT_EQ(p["a"].get<double>(), 1.0);
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const prunekit::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { prunekit::make_pruner("ria", {{"alpha", 1.0}}); }).find("\"alpha\""), std::string::npos);
  EXPECT_NE(message([&] { prunekit::make_pruner("ria", {{"a", "high"}}); }).find("parameter a"), std::string::npos);
  EXPECT_NE(message([&] { prunekit::make_pruner("ria", {{"lsa", true}}); }).find("reallocation"), std::string::npos);
  EXPECT_NE(message([&] { prunekit::make_pruner("wanda", {{"seed", 1}}); }).find("has none"), std::string::npos);
  EXPECT_NE(message([&] { prunekit::make_pruner("sparsegpt", {{"blocksize", 0}}); }).find("blocksize"), std::string::npos);
  EXPECT_EQ(prunekit::make_pruner("random", {{"seed", 7}})->params()["seed"].get<int64_t>(), 7);
}

TEST(RandomMethod, SeededPerRowFloor) {
  auto mask_of = [](int64_t seed, int layer) {
    at::Tensor w = at::randn({6, 40});
    prunekit::ActivationStats none;
    prunekit::LinearSite site{layer, prunekit::kQ, "w", w, none};
    prunekit::SparsitySpec spec;
    spec.sparsity = 0.3;
    spec.group = prunekit::make_pruner("random")->default_group();
    auto pruner = prunekit::make_pruner("random", {{"seed", seed}});
    at::Tensor keep = pruner->prune(site, spec).keep_mask;
    EXPECT_TRUE((w == 0).equal(keep == 0));  // pruned weights are zeroed, kept ones are not
    return keep;
  };
  const at::Tensor a = mask_of(1, 0);
  EXPECT_TRUE((a == 0).sum(1).eq(12).all().item<bool>());  // int(40 * 0.3) per row
  EXPECT_TRUE(a.equal(mask_of(1, 0)));                      // same seed, same site: same mask
  EXPECT_FALSE(a.equal(mask_of(2, 0)));                     // another seed
  EXPECT_FALSE(a.equal(mask_of(1, 1)));                     // another layer draws its own stream

  // End to end: no calibration data needed, the seed flag exists and lands in the report.
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  const std::string dir = prunekit_test::temp_dir("random");
  const std::string cmd = bin("prune") + " --model " + model + " --method random --sparsity 0.5 --quiet --out ";
  ASSERT_EQ(run_cmd(cmd + dir + "/s3 --random-seed 3").code, 0);
  ASSERT_EQ(run_cmd(cmd + dir + "/s3b --random-seed 3").code, 0);
  ASSERT_EQ(run_cmd(cmd + dir + "/s4 --random-seed 4").code, 0);
  json rep = json::parse(prunekit::read_file(dir + "/s3/prunekit/prune_report.json"));
  EXPECT_EQ(rep["method_params"]["seed"].get<int64_t>(), 3);
  EXPECT_NEAR(rep["total_sparsity"].get<double>(), 0.5, 1e-12);  // every row of every matrix: 0.5
  EXPECT_TRUE(rep["calibration"].is_null());
  const std::string w = "/model.safetensors";
  EXPECT_EQ(file_bytes(dir + "/s3" + w), file_bytes(dir + "/s3b" + w));
  EXPECT_NE(file_bytes(dir + "/s3" + w), file_bytes(dir + "/s4" + w));
  EXPECT_EQ(run_cmd(cmd + dir + "/bad --random-seed x").code, 2);
}

// ---------------------------------------------------------------------------------------------
// Recipes (prune --recipe, --print-recipe; prunekit/recipe.h)

namespace {

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST(PruneRecipe, ParsedRecipePrintsAsYamlThatParsesBackTheSame) {
  const prunekit::Recipe r = prunekit::parse_recipe(
      "ignore: [\"re:model\\\\.layers\\\\.0\\\\..*\"]\n"
      "stages:\n"
      "  - method: ria\n"
      "    pattern: \"2:4\"\n"
      "    params: {a: 0.3, reallocation: true}\n"
      "    targets: [\"re:.*self_attn\\\\..*\", model.layers.1.mlp.up_proj.weight]\n"
      "  - method: wanda\n"
      "    sparsity: 0.6\n"
      "    group: per-matrix\n"
      "    allocator: {name: owl, m: 7, lambda: 0.05}\n"
      "    layer_sparsity: {1: 0.3, 3-4: 0.7}\n"
      "    ignore: model.layers.2.mlp.down_proj.weight\n",
      "r.yaml");
  ASSERT_EQ(r.stages.size(), 2u);
  EXPECT_EQ(r.stages[0].n, 2);
  EXPECT_EQ(r.stages[0].m, 4);
  EXPECT_EQ(r.stages[0].params["a"].get<double>(), 0.3);
  EXPECT_EQ(r.stages[0].params["reallocation"].get<bool>(), true);
  EXPECT_EQ(r.stages[1].sparsity, 0.6);
  EXPECT_EQ(r.stages[1].allocator, "owl");
  EXPECT_EQ(r.stages[1].owl_m, 7.0);
  EXPECT_EQ(r.stages[1].layer_sparsity, (std::map<int, double>{{1, 0.3}, {3, 0.7}, {4, 0.7}}));
  EXPECT_EQ(r.stages[0].lines.at("targets[1]"), 6);  // 1-based lines of every key
  const std::string yaml = prunekit::recipe_to_yaml(r);
  const prunekit::Recipe back = prunekit::parse_recipe(yaml, "printed");
  EXPECT_EQ(prunekit::recipe_to_json(back)["stages"], prunekit::recipe_to_json(r)["stages"]) << yaml;
  EXPECT_EQ(back.ignore, r.ignore);

  // The target rule: stage 0 claims attention and layer 1's up_proj (layer 0 ignored everywhere);
  // stage 1 (no targets: every weight) gets the rest of the MLP but its own ignore.
  std::vector<std::string> names;
  for (int l = 0; l < 5; ++l)
    for (int i = 0; i < prunekit::kNumLinears; ++i) names.push_back(prunekit::linear_prefix(l, i) + ".weight");
  const auto sets = prunekit::assign_recipe_targets(r, names, 5);
  EXPECT_EQ(sets[0].size(), 4u * 4 + 1);
  EXPECT_EQ(sets[1].size(), 4u * 3 - 1 - 1);
  for (const auto& n : sets[1]) EXPECT_EQ(n.find("self_attn"), std::string::npos) << n;
}

TEST(PruneRecipe, TwoStageExampleGivesEachModuleItsPattern) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string recipe = std::string(PRUNEKIT_SOURCE_DIR) + "/configs/recipes/two-stage.yaml";
  const std::string dir = prunekit_test::temp_dir("recipe2");
  auto r = run_cmd(bin("prune") + " --model " + model + " --recipe " + recipe + " --calib " + calib +
                   " --nsamples 16 --seqlen 128 --quiet --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run_cmd(bin("inspect") + " --model " + dir + "/out --json " + dir + "/inspect.json");
  ASSERT_EQ(r.code, 0) << r.output;
  const json j = json::parse(prunekit::read_file(dir + "/inspect.json"));
  prunekit::Checkpoint ck(dir + "/out");
  for (int l = 0; l < 5; ++l)
    for (int i = 0; i < prunekit::kNumLinears; ++i) {
      const std::string name = prunekit::linear_prefix(l, i) + ".weight";
      const json& m = j["modules"][name];
      if (l == 0) {
        EXPECT_EQ(m["sparsity"].get<double>(), 0.0) << name;  // ignored: untouched
      } else if (i <= prunekit::kO) {
        EXPECT_EQ(m["nm_2_4_compliance"].get<double>(), 1.0) << name;  // RIA 2:4
        EXPECT_EQ(m["sparsity"].get<double>(), 0.5) << name;
      } else {
        // Wanda 60 % per output row: int(cols * 0.6) pruned in every row.
        at::Tensor w = ck.load(name, at::kFloat);
        const int64_t per_row = static_cast<int64_t>(double(w.size(1)) * 0.6);
        EXPECT_TRUE((w == 0).sum(1).eq(per_row).all().item<bool>()) << name;
        EXPECT_DOUBLE_EQ(m["sparsity"].get<double>(), double(per_row) / double(w.size(1))) << name;
        EXPECT_LT(m["nm_2_4_compliance"].get<double>(), 1.0) << name;
      }
    }
  // The report embeds the recipe and says what each stage pruned.
  const json rep = json::parse(prunekit::read_file(dir + "/out/prunekit/prune_report.json"));
  EXPECT_EQ(rep["method"], "ria+wanda");
  EXPECT_EQ(rep["recipe"]["source"], recipe);
  ASSERT_EQ(rep["recipe"]["stages"].size(), 2u);
  EXPECT_EQ(rep["recipe"]["stages"][0]["pattern"], "2:4");
  EXPECT_EQ(rep["recipe"]["stages"][0]["params"]["a"].get<double>(), 0.5);
  EXPECT_EQ(rep["recipe"]["stages"][0]["weights_pruned"].get<int>(), 4 * 4);
  EXPECT_EQ(rep["recipe"]["stages"][1]["weights_pruned"].get<int>(), 4 * 3);
  EXPECT_EQ(rep["recipe"]["stages"][1]["group"], "per-row");
  EXPECT_TRUE(rep["modules"]["model.layers.1.self_attn.q_proj.weight"]["nm_deployable"].get<bool>());
}

TEST(PruneRecipe, PrintedRecipeOfAFlagRunReproducesItsMasks) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string dir = prunekit_test::temp_dir("recipe1");
  const std::string common = " --calib " + calib + " --nsamples 8 --seqlen 128 --save-masks --quiet";
  const char* runs[] = {"--method wanda --sparsity 0.5", "--pattern 2:4 --method ria",
                        "--method ria --sparsity 0.4 --ria-a 0.3 --group per-row --modules mlp,o_proj --layers 1-3",
                        "--method magnitude --sparsity 0.7 --owl --owl-lambda 0.05"};
  int k = 0;
  for (const char* args : runs) {
    const std::string base = dir + "/" + std::to_string(k++);
    auto flags = run_cmd(bin("prune") + " --model " + model + " " + args + common + " --out " + base + "-flags");
    ASSERT_EQ(flags.code, 0) << args << "\n" << flags.output;
    auto printed = run_cmd(bin("prune") + " --model " + model + " " + args + " --print-recipe 2>/dev/null > " + base +
                           ".yaml");
    ASSERT_EQ(printed.code, 0) << args << "\n" << printed.output;
    const std::string yaml = prunekit::read_file(base + ".yaml");
    EXPECT_NE(yaml.find("stages:"), std::string::npos) << yaml;
    auto rec = run_cmd(bin("prune") + " --model " + model + " --recipe " + base + ".yaml" + common + " --out " + base +
                       "-recipe");
    ASSERT_EQ(rec.code, 0) << args << "\n" << yaml << "\n" << rec.output;
    auto a = prunekit::load_safetensors(base + "-flags/prunekit/masks.safetensors");
    auto b = prunekit::load_safetensors(base + "-recipe/prunekit/masks.safetensors");
    ASSERT_EQ(a.size(), b.size()) << args;
    ASSERT_GT(a.size(), 0u);
    for (const auto& [name, m] : a) {
      ASSERT_TRUE(b.count(name)) << args << " " << name;
      EXPECT_TRUE(m.equal(b[name])) << args << " " << name;
    }
    EXPECT_EQ(file_bytes(base + "-flags/model.safetensors"), file_bytes(base + "-recipe/model.safetensors")) << args;
  }
}

TEST(PruneRecipe, InvalidRecipeIsOneLineExit2NamingFileKeyAndLine) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string dir = prunekit_test::temp_dir("badrecipe");
  struct Case {
    std::string yaml, needle;
  } cases[] = {
      {"stages:\n  - method: wanda\n    sparsty: 0.5\n", "r.yaml:3: stages[0].sparsty: unknown key"},
      {"stagse:\n  - method: wanda\n", "r.yaml:1: stagse: unknown key"},
      {"stages:\n  - method: lottery\n    sparsity: 0.5\n", "r.yaml:2: stages[0].method: unknown method \"lottery\""},
      {"stages:\n  - method: wanda\n    sparsity: 1.5\n", "r.yaml:3: stages[0].sparsity: 1.5 is out of range"},
      {"stages:\n  - method: wanda\n    sparsity: half\n", "r.yaml:3: stages[0].sparsity: expected a number"},
      {"stages:\n  - method: wanda\n    pattern: 4:4\n", "r.yaml:3: stages[0].pattern"},
      {"stages:\n  - method: wanda\n", "r.yaml:2: stages[0].sparsity: missing"},
      {"stages:\n  - method: ria\n    sparsity: 0.5\n    params: {b: 1}\n", "r.yaml:4: stages[0].params.b"},
      {"stages:\n  - method: ria\n    sparsity: 0.5\n    params: {a: yes}\n", "r.yaml:4: stages[0].params.a"},
      {"stages:\n  - method: wanda\n    sparsity: 0.5\n    targets: [\"re:(unclosed\"]\n",
       "r.yaml:4: stages[0].targets[0]: regex \"(unclosed\" does not compile"},
      {"stages:\n  - method: wanda\n    sparsity: 0.5\n    targets:\n      - re:.*q_proj.*\n      - model.layers.9.mlp.up_proj.weight\n",
       "r.yaml:6: stages[0].targets[1]: \"model.layers.9.mlp.up_proj.weight\" matches no prunable weight"},
      {"stages:\n  - method: wanda\n    sparsity: 0.5\n    targets: [model.layers.1.mlp.up_proj.weight]\n"
       "  - method: magnitude\n    sparsity: 0.5\n    targets: [model.layers.2.mlp.up_proj.weight, model.layers.1.mlp.up_proj.weight]\n",
       "r.yaml:7: stages[1].targets[1]: \"model.layers.1.mlp.up_proj.weight\" is already targeted by name in stages[0]"},
      {"stages:\n  - method: wanda\n    sparsity: 0.5\n    layer_sparsity: {2-9: 0.4}\n",
       "r.yaml:4: stages[0].layer_sparsity.5: layer 5 is outside 0-4"},
      {"stages:\n  - method: wanda\n    pattern: \"2:4\"\n    allocator: owl\n", "r.yaml:4: stages[0].allocator: owl cannot"},
      {"stages:\n  - method: wanda\n    sparsity: 0.5\n    allocator: {name: owl, lambda: 2}\n",
       "r.yaml:4: stages[0].allocator.lambda: must be in [0, 1)"},
      {"stages:\n  - method: wanda\n    sparsity: 0.5\n    method: ria\n", "r.yaml:4: stages[0].method: given twice"},
      {"stages:\n  - method: wanda\n   sparsity: [0.5\n", "r.yaml:"},
  };
  for (const Case& c : cases) {
    write_text(dir + "/r.yaml", c.yaml);
    auto r = run_cmd("cd " + dir + " && " + bin("prune") + " --model " + model + " --recipe r.yaml --calib " + calib +
                     " --quiet --out " + dir + "/out");
    EXPECT_EQ(r.code, 2) << c.yaml << "\n" << r.output;
    EXPECT_NE(r.output.find(c.needle), std::string::npos) << c.yaml << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_FALSE(prunekit_test::path_exists(dir + "/out")) << c.yaml;
  }
  // --recipe beside a one-stage flag is refused, naming both.
  write_text(dir + "/ok.yaml", "stages:\n  - method: magnitude\n    sparsity: 0.5\n");
  for (const char* flag : {"--method wanda", "--sparsity 0.5", "--pattern 2:4", "--owl", "--modules attn", "--ria-a 0.3"}) {
    auto r = run_cmd(bin("prune") + " --model " + model + " --recipe " + dir + "/ok.yaml " + flag + " --quiet --out " +
                     dir + "/out");
    EXPECT_EQ(r.code, 2) << flag << "\n" << r.output;
    EXPECT_NE(r.output.find("--recipe: cannot be combined with " + std::string(flag).substr(0, std::string(flag).find(' '))),
              std::string::npos)
        << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  // Neither --method nor --recipe.
  auto r = run_cmd(bin("prune") + " --model " + model + " --sparsity 0.5 --quiet --out " + dir + "/out");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--method is required"), std::string::npos) << r.output;
  // --print-recipe of a recipe file: the effective recipe (parameters resolved, group filled).
  r = run_cmd(bin("prune") + " --recipe " + dir + "/ok.yaml --print-recipe");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("group: per-matrix"), std::string::npos) << r.output;
}

TEST(PruneRecipe, LayerSparsityOverridesTheAllocator) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  const std::string dir = prunekit_test::temp_dir("recipeover");
  write_text(dir + "/r.yaml",
             "stages:\n  - method: magnitude\n    sparsity: 0.5\n    group: per-row\n"
             "    layer_sparsity: {1: 0.3, 2-3: 0.7}\n");
  auto r = run_cmd(bin("prune") + " --model " + model + " --recipe " + dir + "/r.yaml --quiet --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.output;
  const json rep = json::parse(prunekit::read_file(dir + "/out/prunekit/prune_report.json"));
  const std::vector<double> want = {0.5, 0.3, 0.7, 0.7, 0.5};
  EXPECT_EQ(rep["recipe"]["stages"][0]["layer_sparsity_applied"].get<std::vector<double>>(), want);
  for (int l = 0; l < 5; ++l) {
    const json& m = rep["modules"][prunekit::linear_prefix(l, prunekit::kQ) + ".weight"];
    EXPECT_EQ(m["sparsity"].get<double>(), double(static_cast<int64_t>(64 * want[l])) / 64.0) << l;
  }
}

// --activations-on-disk: the calibration activations live in an unlinked memory-mapped file, only
// the batch in use resident. The same numbers: byte-identical checkpoints and masks for Wanda
// (under OWL: its own pass spills too) and SparseGPT at 2:4, with batches that do not divide the
// windows; nothing is left in the spill directory.
TEST(ActivationsOnDisk, BitIdenticalToInMemory) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string dir = prunekit_test::temp_dir("spill");
  const std::string spill = dir + "/spill";
  ::mkdir(spill.c_str(), 0755);
  for (const std::string method : {"--method wanda --sparsity 0.5 --owl", "--method sparsegpt --pattern 2:4"}) {
    std::map<std::string, std::string> out;
    for (const std::string where : {"memory", "disk"}) {
      out[where] = dir + "/" + where + "-" + method.substr(9, 5);
      const std::string extra = where == "disk" ? " --activations-on-disk --activations-dir " + spill : "";
      auto r = run_cmd(bin("prune") + " --model " + model + " " + method + " --calib " + calib +
                       " --nsamples 10 --seqlen 256 --batch 3 --save-masks --quiet --out " + out[where] + extra);
      ASSERT_EQ(r.code, 0) << r.output;
    }
    EXPECT_EQ(prunekit::read_file(out["memory"] + "/model.safetensors"), prunekit::read_file(out["disk"] + "/model.safetensors")) << method;
    auto a = prunekit::load_safetensors(out["memory"] + "/prunekit/masks.safetensors");
    auto b = prunekit::load_safetensors(out["disk"] + "/prunekit/masks.safetensors");
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [name, t] : a) EXPECT_TRUE(at::equal(t, b.at(name))) << method << " " << name;
    json rep = json::parse(prunekit::read_file(out["disk"] + "/prunekit/prune_report.json"));
    EXPECT_TRUE(rep["activations_on_disk"].get<bool>());
  }
  EXPECT_EQ(run_cmd("ls -A " + spill).output, "");
  // A spill directory that does not exist is bad input.
  EXPECT_EQ(run_cmd(bin("prune") + " --model " + model + " --method wanda --sparsity 0.5 --calib " + calib +
                    " --nsamples 2 --seqlen 64 --quiet --activations-on-disk --activations-dir " + dir + "/nope --out " + dir + "/x").code, 2);
}
