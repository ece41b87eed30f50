// Reconstruction solvers (ADMM over sparse supports, conjugate gradient on a fixed support) on
// small random least-squares problems against a dense solve, and the ALPS Pruner on them.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <map>
#include <tuple>

#include "fixtures.h"
#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/corpus.h"
#include "prunekit/eval.h"
#include "prunekit/prune.h"
#include "prunekit/reconstruct.h"
#include "prunekit/safetensors.h"
#include "prunekit/tokenizer.h"

using nlohmann::json;

namespace {

// Calibration inputs with correlated channels and uneven scales, as Linear inputs are.
at::Tensor correlated_inputs(int64_t tokens, int64_t cols, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor mix = at::randn({cols, cols}, at::kDouble) * 0.4 + at::eye(cols, at::kDouble);
  at::Tensor scales = at::exp(at::randn({cols}, at::kDouble));
  return (at::randn({tokens, cols}, at::kDouble).mm(mix) * scales).to(at::kFloat);
}

at::Tensor gram_of(const at::Tensor& x) { return x.t().mm(x); }

// The exact optimum on a fixed support, in float64: for each row, (Hd)_SS w_S = (Hd w)_S with
// Hd = H + λI (λ = percdamp * mean diag, the same damped objective as the solvers).
at::Tensor dense_solve_on_support(const at::Tensor& w, const at::Tensor& h, const at::Tensor& keep, double percdamp) {
  at::Tensor hd = h.to(at::kDouble).clone();
  hd.diagonal().add_(percdamp * hd.diagonal().mean().item<double>());
  at::Tensor wd = w.to(at::kDouble);
  at::Tensor out = at::zeros_like(wd);
  for (int64_t r = 0; r < w.size(0); ++r) {
    at::Tensor idx = keep[r].nonzero().flatten();
    if (idx.numel() == 0) continue;
    at::Tensor hss = hd.index_select(0, idx).index_select(1, idx);
    at::Tensor rhs = hd.mv(wd[r]).index_select(0, idx);
    out[r].index_put_({idx}, at::linalg_solve(hss, rhs));
  }
  return out;
}

// tr((W - Ŵ)(H + λI)(W - Ŵ)ᵀ) in float64.
double damped_objective(const at::Tensor& w, const at::Tensor& what, const at::Tensor& h, double percdamp) {
  at::Tensor hd = h.to(at::kDouble).clone();
  hd.diagonal().add_(percdamp * hd.diagonal().mean().item<double>());
  at::Tensor d = w.to(at::kDouble) - what.to(at::kDouble);
  return (d.mm(hd) * d).sum().item<double>();
}

}  // namespace

TEST(Reconstruct, ConjugateGradientReachesTheDenseSolveOnAFixedSupport) {
  at::Tensor x = correlated_inputs(400, 24, 1);
  at::Tensor h = gram_of(x);
  at::Tensor w = at::randn({6, 24});
  at::Tensor keep = at::rand({6, 24}) > 0.5;
  keep[3].fill_(false);  // a row with nothing kept stays 0
  prunekit::ScaledProblem p = prunekit::make_scaled_problem(w, h, 0.01);
  prunekit::CgReport rep;
  at::Tensor b = prunekit::conjugate_gradient_on_support(p, keep, p.to_scaled(w * keep), 200, 1e-10, &rep);
  at::Tensor got = p.to_weight(b);
  EXPECT_TRUE(rep.finite);
  EXPECT_LE(rep.residual, 1e-6);
  EXPECT_GT(rep.iterations, 1);
  EXPECT_EQ((got.masked_select(keep.logical_not()) != 0).sum().item<int64_t>(), 0) << "left the support";
  at::Tensor want = dense_solve_on_support(w, h, keep, 0.01);
  const double f_got = damped_objective(w, got, h, 0.01), f_want = damped_objective(w, want, h, 0.01);
  EXPECT_NEAR(f_got, f_want, 1e-4 * f_want);
  EXPECT_LT((got.to(at::kDouble) - want).abs().max().item<double>(), 1e-3 * want.abs().max().item<double>());
  // The objective in scaled coordinates is the same quantity, relative to the dense one.
  EXPECT_NEAR(p.relative_objective(b), f_got / damped_objective(w, at::zeros_like(w), h, 0.01), 1e-5);
}

TEST(Reconstruct, RefitKeepsTheMaskAndNeverIncreasesTheError) {
  at::Tensor x = correlated_inputs(300, 32, 2);
  at::Tensor h = gram_of(x);
  at::Tensor w = at::randn({8, 32});
  prunekit::SparsitySpec spec;
  spec.n = 2;
  spec.m = 4;
  at::Tensor pruned_mask = prunekit::select_prune_mask(w.abs(), spec);
  at::Tensor pruned = w.masked_fill(pruned_mask, 0.0);
  at::Tensor keep = pruned_mask.logical_not();
  prunekit::RefitOptions opt;
  nlohmann::json extra;
  at::Tensor refit = prunekit::refit_kept_weights(w, pruned, keep, h, opt, &extra);
  EXPECT_EQ(extra["iterations"].get<int>(), 10);
  EXPECT_TRUE(at::equal(refit == 0, pruned_mask)) << "mask changed";
  const double before = prunekit::reconstruction_error(w, pruned, h);
  const double after = prunekit::reconstruction_error(w, refit, h);
  EXPECT_LT(after, 0.8 * before) << before << " -> " << after;
  // Enough iterations reach the damped optimum on the support.
  opt.max_iters = 300;
  opt.rtol = 1e-10;
  at::Tensor best = prunekit::refit_kept_weights(w, pruned, keep, h, opt, &extra);
  const double f_best = damped_objective(w, best, h, 0.01);
  const double f_want = damped_objective(w, dense_solve_on_support(w, h, keep, 0.01), h, 0.01);
  EXPECT_NEAR(f_best, f_want, 1e-4 * f_want);
}

TEST(Reconstruct, ErrorIsRelativeOutputEnergy) {
  at::Tensor x = correlated_inputs(100, 16, 3);
  at::Tensor w = at::randn({4, 16});
  at::Tensor h = gram_of(x);
  EXPECT_DOUBLE_EQ(prunekit::reconstruction_error(w, w, h), 0.0);
  EXPECT_NEAR(prunekit::reconstruction_error(w, at::zeros_like(w), h), 1.0, 1e-12);
  at::Tensor half = w * 0.5;
  EXPECT_NEAR(prunekit::reconstruction_error(w, half, h), 0.25, 1e-6);
  // Against the definition on the inputs themselves.
  at::Tensor what = w.masked_fill(at::rand({4, 16}) > 0.5, 0.0);
  const double direct = (x.mm((w - what).t()).pow(2).sum(at::kDouble) / x.mm(w.t()).pow(2).sum(at::kDouble)).item<double>();
  EXPECT_NEAR(prunekit::reconstruction_error(w, what, h), direct, 1e-5 * direct);
  EXPECT_TRUE(std::isnan(prunekit::reconstruction_error(w, what, at::zeros({16, 16}))));
}

// A weight that already has the target pattern is its own optimum (zero error): ADMM must find
// exactly its support, and the conjugate gradient its values.
TEST(Reconstruct, AdmmRecoversAPlantedSparseSupportExactly) {
  at::Tensor x = correlated_inputs(500, 32, 4);
  at::Tensor h = gram_of(x);
  struct Case {
    const char* name;
    prunekit::SparsitySpec spec;
    at::Tensor plant;  // prune mask planted in W
  };
  at::manual_seed(5);
  at::Tensor w = at::randn({6, 32});
  w = w.sign() * (w.abs() + 0.5);  // no near-zero kept weight
  std::vector<Case> cases;
  {
    prunekit::SparsitySpec nm;
    nm.n = 2;
    nm.m = 4;
    cases.push_back({"2:4", nm, prunekit::select_prune_mask(at::rand({6, 32}), nm)});
    prunekit::SparsitySpec row;
    row.sparsity = 0.75;
    row.group = prunekit::Group::PerRow;
    cases.push_back({"per-row 75%", row, prunekit::select_prune_mask(at::rand({6, 32}), row)});
    prunekit::SparsitySpec mat;
    // The per-matrix rule prunes int(numel * s) + 1 weights: 96 of 192 at s = 95.5 / 192.
    mat.sparsity = 95.5 / 192.0;
    mat.group = prunekit::Group::PerMatrix;
    cases.push_back({"per-matrix 50%", mat, prunekit::select_prune_mask(at::rand({6, 32}), mat)});
  }
  for (const Case& c : cases) {
    at::Tensor planted = w.masked_fill(c.plant, 0.0);
    prunekit::ScaledProblem p = prunekit::make_scaled_problem(planted, h, 0.01);
    prunekit::AdmmOptions opt;
    prunekit::AdmmReport rep;
    at::Tensor pruned;
    at::Tensor b = prunekit::admm_sparse(p, c.spec, opt, &pruned, &rep);
    EXPECT_TRUE(at::equal(pruned, c.plant)) << c.name << ": support differs in "
                                            << (pruned != c.plant).sum().item<int64_t>() << " places";
    prunekit::CgReport cg;
    b = prunekit::conjugate_gradient_on_support(p, pruned.logical_not(), b, 100, 1e-10, &cg);
    at::Tensor got = p.to_weight(b);
    EXPECT_LT((got - planted).abs().max().item<double>(), 1e-4 * planted.abs().max().item<double>()) << c.name;
    EXPECT_TRUE(rep.finite) << c.name;
    EXPECT_GE(rep.iterations, 3) << c.name;
  }
}

// On random problems ALPS must find a better layer than SparseGPT and than magnitude with the
// optimal refit on its mask, and its final weights must be the optimum of its own support.
TEST(Reconstruct, AlpsBeatsSparseGptAndIsOptimalOnItsSupport) {
  for (int trial = 0; trial < 3; ++trial) {
    at::Tensor x = correlated_inputs(256, 48, 10 + trial);
    prunekit::ActivationStats stats;
    for (int64_t s = 0; s < 4; ++s) stats.add_gram(x.narrow(0, s * 64, 64));
    at::Tensor w = at::randn({16, 48});
    for (const char* pattern : {"2:4", "70%"}) {
      prunekit::SparsitySpec spec;
      if (std::string(pattern) == "2:4") {
        spec.n = 2;
        spec.m = 4;
      } else {
        spec.sparsity = 0.7;
      }
      spec.group = prunekit::Group::PerMatrix;
      at::Tensor w_alps = w.clone(), w_sgpt = w.clone();
      prunekit::LinearSite a{0, prunekit::kQ, "a", w_alps, stats}, s{0, prunekit::kQ, "s", w_sgpt, stats};
      const nlohmann::json params = {{"pcg_iters", 200}};
      prunekit::PruneOutcome out = prunekit::make_pruner("alps", params)->prune(a, spec);
      prunekit::make_pruner("sparsegpt")->prune(s, spec);
      const double e_alps = prunekit::reconstruction_error(w, w_alps, stats.hessian);
      const double e_sgpt = prunekit::reconstruction_error(w, w_sgpt, stats.hessian);
      EXPECT_LT(e_alps, e_sgpt) << "trial " << trial << " " << pattern;
      // Pruned exactly where the mask says, and N:M holds.
      at::Tensor keep = out.keep_mask.to(at::kBool);
      EXPECT_EQ((w_alps.masked_select(keep.logical_not()) != 0).sum().item<int64_t>(), 0);
      if (spec.is_nm()) EXPECT_EQ(prunekit::nm_compliance(out.keep_mask, 2, 4), 1.0);
      else EXPECT_EQ(keep.logical_not().sum().item<int64_t>(), int64_t(16 * 48 * 0.7) + 1);
      // Optimal on its support (the damped objective ALPS solves).
      at::Tensor opt = dense_solve_on_support(w, stats.hessian, keep, 0.01);
      const double f = damped_objective(w, w_alps, stats.hessian, 0.01), f_opt = damped_objective(w, opt, stats.hessian, 0.01);
      EXPECT_NEAR(f, f_opt, 1e-4 * f_opt) << "trial " << trial << " " << pattern;
      EXPECT_GT(out.extra["alps_iterations"].get<int>(), 3);
      EXPECT_EQ(out.extra["damp_retries"].get<int>(), 0);
    }
  }
}

TEST(Reconstruct, AlpsNeverReturnsNaNOnABrokenHessian) {
  // Not positive (semi)definite: every factorisation or iterate degrades; ALPS must retry with more
  // dampening, report it, and still return a finite, N:M-compliant weight.
  at::Tensor w = at::randn({8, 16});
  prunekit::ActivationStats stats;
  stats.hessian = at::full({16, 16}, std::nan(""));
  prunekit::LinearSite site{0, prunekit::kQ, "w", w, stats};
  prunekit::SparsitySpec spec;
  spec.n = 2;
  spec.m = 4;
  prunekit::PruneOutcome out = prunekit::make_pruner("alps")->prune(site, spec);
  EXPECT_TRUE(out.extra.contains("fallback"));
  EXPECT_TRUE(at::isfinite(w).all().item<bool>());
  EXPECT_EQ(prunekit::nm_compliance(out.keep_mask, 2, 4), 1.0);
  EXPECT_EQ(prunekit::nm_compliance(w != 0, 2, 4), 1.0);
}

TEST(AlpsPrune, NMMasksComplyOnStories260K) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string dir = prunekit_test::temp_dir("alps-nm");
  for (const auto& [pattern, n, m] : {std::tuple<const char*, int, int>{"2:4", 2, 4}, {"4:8", 4, 8}}) {
    const std::string out = dir + "/" + std::to_string(m);
    auto r = prunekit_test::run_cmd(prunekit_test::bin("prune") + " --model " + model + " --method alps --pattern " +
                                    pattern + " --calib " + calib + " --nsamples 8 --save-masks --quiet --out " + out);
    ASSERT_EQ(r.code, 0) << r.output;
    auto masks = prunekit::load_safetensors(out + "/prunekit/masks.safetensors");
    ASSERT_EQ(masks.size(), 35u);
    prunekit::Checkpoint ck(out);
    for (const auto& [name, keep] : masks) {
      at::Tensor w = ck.load(name, at::kFloat);
      // Every full group of M inputs keeps at most M - N; the weights are zero exactly where the
      // mask says (a short last group, down_proj's 172 = 21 x 8 + 4 at 4:8, is pruned entirely).
      EXPECT_EQ(prunekit::nm_compliance(keep, n, m), 1.0) << pattern << " " << name;
      EXPECT_TRUE(at::equal(w != 0, keep.to(at::kBool))) << pattern << " " << name;
      const int64_t cols = keep.size(1), full = cols / m * m;
      EXPECT_EQ(keep.narrow(1, 0, full).sum().item<int64_t>(), keep.size(0) * full / m * (m - n)) << name;
      if (full < cols) EXPECT_EQ(keep.narrow(1, full, cols - full).sum().item<int64_t>(), 0) << name;
    }
    json report = json::parse(prunekit::read_file(out + "/prunekit/prune_report.json"));
    for (const auto& [name, mod] : report["modules"].items()) {
      EXPECT_GE(mod["alps_iterations"].get<int>(), 3) << name;
      EXPECT_EQ(mod["damp_retries"].get<int>(), 0) << name;
      EXPECT_FALSE(mod.contains("fallback")) << name;
    }
  }
  EXPECT_EQ(prunekit_test::run_cmd(prunekit_test::bin("prune") + " --model " + model + " --method alps --pattern 2:4 --alps-iters 0 --quiet --out " + dir + "/bad").code, 2);
}

// The reconstruction error is measured on --reconstruction-error (any method) and under
// --reconstruct, and measuring it changes nothing else (same bytes, same mask).
TEST(ReconstructionError, MeasuredWhenAskedAndChangesNothingElse) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string dir = prunekit_test::temp_dir("recon-error");
  std::map<std::string, json> report;
  const std::map<std::string, std::string> runs = {{"plain", "--method wanda"},
                                                    {"measured", "--method wanda --reconstruction-error"},
                                                    {"sparsegpt", "--method sparsegpt"},
                                                    {"sparsegpt_measured", "--method sparsegpt --reconstruction-error"}};
  for (const auto& [tag, args] : runs) {
    auto r = prunekit_test::run_cmd(prunekit_test::bin("prune") + " --model " + model + " " + args + " --sparsity 0.5 --calib " +
                                    calib + " --nsamples 8 --seqlen 256 --save-masks --quiet --out " + dir + "/" + tag);
    ASSERT_EQ(r.code, 0) << r.output;
    report[tag] = json::parse(prunekit::read_file(dir + "/" + tag + "/prunekit/prune_report.json"));
  }
  for (const char* tag : {"plain", "sparsegpt"}) {
    EXPECT_FALSE(report[tag]["reconstruction_error_measured"].get<bool>()) << tag;
    EXPECT_TRUE(report[tag]["reconstruction_error"].is_null()) << tag;
    EXPECT_FALSE(report[tag]["modules"]["model.layers.0.self_attn.q_proj"].contains("reconstruction_error")) << tag;
  }
  for (const char* tag : {"measured", "sparsegpt_measured"}) {
    EXPECT_TRUE(report[tag]["reconstruction_error_measured"].get<bool>()) << tag;
    EXPECT_EQ(report[tag]["reconstruction_error"]["modules"].get<int>(), 35) << tag;
    for (const auto& [name, m] : report[tag]["modules"].items()) {
      const double e = m["reconstruction_error"].get<double>();
      EXPECT_GT(e, 0.0) << tag << " " << name;
      EXPECT_LT(e, 1.0) << tag << " " << name;
    }
  }
  for (const std::string m : {"plain", "sparsegpt"}) {
    const std::string with = m == "plain" ? "measured" : "sparsegpt_measured";
    EXPECT_EQ(prunekit::read_file(dir + "/" + m + "/model.safetensors"), prunekit::read_file(dir + "/" + with + "/model.safetensors")) << m;
    auto a = prunekit::load_safetensors(dir + "/" + m + "/prunekit/masks.safetensors");
    auto b = prunekit::load_safetensors(dir + "/" + with + "/prunekit/masks.safetensors");
    ASSERT_EQ(a.size(), 35u);
    for (const auto& [name, keep] : a) EXPECT_TRUE(at::equal(keep, b.at(name))) << m << " " << name;
  }
}

// ---------------------------------------------------------------------------------------------
// The methods' purpose on stories260K: ALPS below SparseGPT, and Wanda + --reconstruct below plain
// Wanda with the same mask, on both evaluation texts. Kept fast: 32 calibration windows and the
// first 48 evaluation windows of each text (the full oracle protocol's figures are in
// results/REPORT.md).

namespace {

struct OrderingCase {
  const char* name;
  const char* better;  // prune arguments expected to give the lower perplexities
  const char* worse;
  bool same_mask;  // --reconstruct: the mask must be Wanda's own (of this spec)
  double sparsity = 0;
  int n = 0, m = 0;
};

const OrderingCase kOrdering[] = {
    {"alps_2of4", "--method alps --pattern 2:4 --reconstruction-error", "--method sparsegpt --pattern 2:4 --reconstruction-error", false},
    {"alps_4of8", "--method alps --pattern 4:8 --reconstruction-error", "--method sparsegpt --pattern 4:8 --reconstruction-error", false},
    {"alps_u70", "--method alps --sparsity 0.7 --reconstruction-error", "--method sparsegpt --sparsity 0.7 --reconstruction-error", false},
    {"wanda_reconstruct_2of4", "--method wanda --pattern 2:4 --reconstruct", "--method wanda --pattern 2:4 --reconstruction-error", true, 0.5, 2, 4},
    {"wanda_reconstruct_u70", "--method wanda --sparsity 0.7 --reconstruct", "--method wanda --sparsity 0.7 --reconstruction-error", true, 0.7},
};

void PrintTo(const OrderingCase& c, std::ostream* os) { *os << c.name; }

class PerplexityOrdering : public ::testing::TestWithParam<OrderingCase> {};

const std::vector<int>& eval_tokens(const std::string& model, const std::string& text) {
  static std::map<std::string, std::vector<int>> cache;
  auto it = cache.find(text);
  if (it == cache.end())
    it = cache.emplace(text, prunekit::Tokenizer(model).encode(prunekit::read_eval_text(text), true)).first;
  return it->second;
}

}  // namespace

TEST_P(PerplexityOrdering, BeatsTheBaselineOnStories260K) {
  const OrderingCase& c = GetParam();
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  PRUNEKIT_FIXTURE(wiki, "data/wikitext2-test.txt");
  PRUNEKIT_FIXTURE(tiny, "data/tinystories-valid.txt");
  const std::string dir = prunekit_test::temp_dir("ordering");
  std::map<std::string, json> report;
  std::map<std::string, std::map<std::string, double>> ppl;
  for (const auto& [tag, args] : {std::pair<std::string, std::string>{"better", c.better}, {"worse", c.worse}}) {
    const std::string out = dir + "/" + tag;
    auto r = prunekit_test::run_cmd(prunekit_test::bin("prune") + " --model " + model + " " + args + " --calib " + calib +
                                    " --nsamples 32 --seqlen 512 --seed 0 --save-masks --quiet --out " + out);
    ASSERT_EQ(r.code, 0) << r.output;
    report[tag] = json::parse(prunekit::read_file(out + "/prunekit/prune_report.json"));
    prunekit::Checkpoint ck(out);
    prunekit::PerplexityOptions opt;
    opt.seqlen = 512;
    opt.batch = 16;
    opt.max_windows = 48;
    opt.quiet = true;
    for (const auto& [name, text] : {std::pair<std::string, std::string>{"wikitext2", wiki}, {"tinystories", tiny}})
      ppl[tag][name] = prunekit::evaluate_perplexity(ck, eval_tokens(model, text), opt).ppl;
  }
  for (const char* name : {"wikitext2", "tinystories"})
    EXPECT_LT(ppl["better"][name], ppl["worse"][name]) << c.name << " " << name;

  // Reconstruction error per Linear, from the reports.
  const json& better = report["better"]["modules"];
  const json& worse = report["worse"]["modules"];
  int at_or_below = 0, total = 0;
  for (const auto& [name, m] : better.items()) {
    const double eb = m["reconstruction_error"].get<double>(), ew = worse[name]["reconstruction_error"].get<double>();
    at_or_below += eb <= ew;
    ++total;
  }
  ASSERT_EQ(total, 35);
  EXPECT_GE(at_or_below, 34) << "of 35 Linears at or below the baseline's error (95 %: 34)";
  EXPECT_LT(report["better"]["reconstruction_error"]["mean"].get<double>(),
            report["worse"]["reconstruction_error"]["mean"].get<double>());

  if (c.same_mask) {
    // The mask is Wanda's own: recomputed here from the input's dense weights and the scaler_row this
    // run captured (its layers >= 1 see the refit layers' outputs, so their inputs, and with them
    // Wanda's choice, differ from a plain Wanda run's), it is bit-identical to the saved mask. Layer
    // 0 sees the same calibration inputs in both runs: there the mask equals plain Wanda's.
    auto a = prunekit::load_safetensors(dir + "/better/prunekit/masks.safetensors");
    auto b = prunekit::load_safetensors(dir + "/worse/prunekit/masks.safetensors");
    auto stats = prunekit::load_safetensors(dir + "/better/prunekit/stats.safetensors");
    ASSERT_EQ(a.size(), 35u);
    prunekit::Checkpoint dense(model), refit(dir + "/better");
    auto wanda = prunekit::make_pruner("wanda");
    prunekit::SparsitySpec spec;
    spec.sparsity = c.sparsity;
    spec.n = c.n;
    spec.m = c.m;
    spec.group = wanda->default_group();
    int layer0 = 0;
    for (const auto& [name, keep] : a) {
      const std::string module = name.substr(0, name.size() - std::string(".weight").size());
      ASSERT_TRUE(stats.count(module + ".scaler_row")) << module;
      at::Tensor w = dense.load(name, at::kFloat);
      prunekit::ActivationStats st;
      st.scaler_row = stats.at(module + ".scaler_row");
      prunekit::LinearSite site{0, 0, name, w, st};
      at::Tensor wanda_keep = wanda->select(wanda->score(site), spec).logical_not().to(keep.scalar_type());
      EXPECT_TRUE(at::equal(wanda_keep, keep)) << "not Wanda's mask on this run's inputs: " << name;
      if (name.rfind("model.layers.0.", 0) == 0) {
        EXPECT_TRUE(at::equal(keep, b.at(name))) << "layer 0 mask differs from plain Wanda's: " << name;
        ++layer0;
      }
      // Only kept weights moved: the refit weight is zero exactly where the mask prunes, and kept ones changed.
      at::Tensor wr = refit.load(name, at::kFloat);
      EXPECT_EQ((wr.masked_select(keep == 0) != 0).sum().item<int64_t>(), 0) << name;
      EXPECT_GT((wr.masked_select(keep != 0) != w.masked_select(keep != 0)).sum().item<int64_t>(), 0) << name;
      EXPECT_GT(better[name]["reconstruct"]["iterations"].get<int>(), 0) << name;
    }
    EXPECT_EQ(layer0, 7);
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, PerplexityOrdering, ::testing::ValuesIn(kOrdering),
                         [](const ::testing::TestParamInfo<OrderingCase>& i) { return std::string(i.param.name); });
