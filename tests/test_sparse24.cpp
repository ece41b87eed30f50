// Packed 2:4 format and kernels: round trip, refusal of non-2:4 weights, kernels vs at::matmul on
// every dispatch level this CPU supports, odd shapes, token counts and thread counts.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include <fstream>

#include "fixtures.h"
#include "prunekit/bench.h"
#include "prunekit/checkpoint.h"
#include "prunekit/cpu_kernels.h"
#include "prunekit/eval.h"
#include "prunekit/model.h"
#include "prunekit/sparse24.h"
#include "prunekit/parallel.h"

namespace sp = prunekit::sparse24;

namespace {

std::vector<sp::Isa> supported_levels() {
  std::vector<sp::Isa> out;
  for (sp::Isa isa : {sp::Isa::Scalar, sp::Isa::Avx2, sp::Isa::Avx512})
    if (sp::isa_supported(isa)) out.push_back(isa);
  return out;
}

// Restores the intra-op thread count on scope exit.
struct ThreadGuard {
  int saved = at::get_num_threads();
  ~ThreadGuard() { at::set_num_threads(saved); }
};

// A random weight pruned to 2:4, with some groups holding fewer than 2 nonzeros.
at::Tensor random_24(int64_t rows, int64_t cols, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor w = sp::prune_magnitude(at::randn({rows, cols}));
  // Zero a few extra entries (groups with 1 or 0 nonzeros must pack too).
  at::Tensor drop = at::rand({rows, cols}).lt(0.1);
  return w.masked_fill(drop, 0.0);
}

// Checks |y - ref| <= rel * (|x| @ |W|^T) + abs elementwise (ref in fp32 from the bf16 weight).
void expect_close(const at::Tensor& y, const at::Tensor& x, const at::Tensor& w_bf16_as_f32,
                  double rel, const std::string& what) {
  at::Tensor ref = at::matmul(x.to(at::kDouble), w_bf16_as_f32.to(at::kDouble).t());
  at::Tensor scale = at::matmul(x.abs().to(at::kDouble), w_bf16_as_f32.abs().to(at::kDouble).t());
  ASSERT_EQ(y.sizes(), ref.sizes()) << what;
  at::Tensor err = (y.to(at::kDouble) - ref).abs();
  at::Tensor bound = scale * rel + 1e-6;
  at::Tensor bad = err.gt(bound);
  if (bad.any().item<bool>()) {
    auto idx = bad.reshape({-1}).nonzero()[0][0].item<int64_t>();
    ADD_FAILURE() << what << ": first mismatch at flat index " << idx << ": got "
                  << y.reshape({-1})[idx].item<float>() << ", expected "
                  << ref.reshape({-1})[idx].item<double>() << " (bound "
                  << bound.reshape({-1})[idx].item<double>() << ")";
  }
}

}  // namespace

TEST(Sparse24, IsaNamesAndDetection) {
  EXPECT_TRUE(sp::isa_supported(sp::Isa::Scalar));
  EXPECT_EQ(sp::parse_isa("avx512"), sp::Isa::Avx512);
  EXPECT_EQ(sp::parse_isa("avx2"), sp::Isa::Avx2);
  EXPECT_EQ(sp::parse_isa("scalar"), sp::Isa::Scalar);
  EXPECT_STREQ(sp::isa_name(sp::best_isa()), sp::isa_name(sp::resolve_isa(sp::best_isa())));
  EXPECT_THROW(sp::parse_isa("sse9"), std::invalid_argument);
  EXPECT_TRUE(sp::isa_supported(sp::best_isa()));
  if (!sp::isa_supported(sp::Isa::Avx512))
    EXPECT_THROW(sp::resolve_isa(sp::Isa::Avx512), std::invalid_argument);
  std::printf("[ info ] sparse24 best ISA on this CPU: %s\n", sp::isa_name(sp::best_isa()));
}

TEST(Sparse24, RowSplitReallyUsesSeveralThreads) {
  ThreadGuard guard;
  at::set_num_threads(1);
  EXPECT_EQ(sp::parallel_threads_used(64), 1);
  at::set_num_threads(2);
  EXPECT_EQ(sp::parallel_threads_used(64), 2);
  EXPECT_EQ(sp::parallel_threads_used(1), 1);
}

// The kernels' pool: every index exactly once, region after region (decode runs thousands of short
// regions back to back), with workers spinning, sleeping ($PRUNEKIT_SPIN_US is read once: both are
// reached by pausing between regions) and a nested call running inline.
TEST(Sparse24, PoolRunsEveryChunkOnceAcrossManyRegions) {
  ThreadGuard guard;
  at::set_num_threads(2);
  std::vector<std::atomic<int>> hits(1000);
  for (int region = 0; region < 300; ++region) {
    const int64_t n = 1 + (region * 37) % 1000;
    prunekit::ops::parallel_for(n, 1 + region % 7, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
      if (region % 50 == 0) prunekit::ops::parallel_for(4, 1, [](int64_t, int64_t) {});  // nested: inline
    });
    if (region % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // workers go to sleep
    for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(hits[i].exchange(0), i < n ? 1 : 0) << "region " << region << ", index " << i;
  }
  EXPECT_NE(prunekit::ops::wait_policy().find("sleep"), std::string::npos);
}

TEST(Sparse24, PackUnpackRoundTrip) {
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{
           {7, 64}, {33, 172}, {5, 36}, {16, 4}, {3, 128}, {64, 320}}) {
    at::Tensor w = random_24(rows, cols, 1000 + rows * 7 + cols);
    ASSERT_TRUE(sp::is_24_sparse(w));
    sp::Packed24 p = sp::pack(w);
    EXPECT_EQ(p.rows, rows);
    EXPECT_EQ(p.cols, cols);
    EXPECT_EQ(p.cols_padded % 128, 0);
    EXPECT_EQ(p.rows_padded % 4, 0);
    at::Tensor back = sp::unpack(p);
    at::Tensor expect = w.to(at::kBFloat16).to(at::kFloat);
    EXPECT_TRUE(at::equal(back, expect)) << rows << "x" << cols;
    // Exactly the same zero pattern (no value moved to a padding position).
    EXPECT_TRUE(at::equal(back.ne(0), w.ne(0))) << rows << "x" << cols;
  }
  // Packing an already bf16-representable weight in other dtypes gives the same bytes.
  at::Tensor w = random_24(9, 72, 7).to(at::kBFloat16).to(at::kFloat);
  sp::Packed24 a = sp::pack(w), b = sp::pack(w.to(at::kBFloat16)), c = sp::pack(w.to(at::kDouble));
  EXPECT_TRUE(at::equal(a.data, b.data));
  EXPECT_TRUE(at::equal(a.data, c.data));
  EXPECT_TRUE(at::equal(sp::unpack(a), w));
}

TEST(Sparse24, PackedSizeIsAbout56PercentOfDenseBf16) {
  at::Tensor w = random_24(256, 4096, 3);
  sp::Packed24 p = sp::pack(w);
  const double dense = 256.0 * 4096 * 2;
  EXPECT_NEAR(p.nbytes() / dense, 0.5625, 1e-9);
  sp::DenseBf16 d = sp::pack_dense(w);
  EXPECT_EQ(d.nbytes(), static_cast<int64_t>(dense));
}

TEST(Sparse24, PackRefusesNonCompliantWeight) {
  at::Tensor w = random_24(6, 40, 11);
  // Row 4, group 3 (columns 12..15): make 3 nonzeros.
  w.index_put_({4, 12}, 1.0);
  w.index_put_({4, 13}, 2.0);
  w.index_put_({4, 14}, 3.0);
  w.index_put_({4, 15}, 0.0);
  // A later violation must not be the one reported.
  w.index_put_({5, 0}, 1.0);
  w.index_put_({5, 1}, 1.0);
  w.index_put_({5, 2}, 1.0);
  EXPECT_FALSE(sp::is_24_sparse(w));
  try {
    sp::pack(w);
    FAIL() << "pack accepted a non-2:4 weight";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("row 4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("group 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("3 nonzeros"), std::string::npos) << msg;
  }
  // Fully dense weight: first group of row 0.
  try {
    sp::pack(at::ones({2, 8}));
    FAIL() << "pack accepted a dense weight";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("row 0, group 0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(sp::pack(at::zeros({4, 10})), std::invalid_argument);  // cols % 4 != 0
  EXPECT_THROW(sp::pack(at::zeros({4})), std::invalid_argument);      // not 2-D
  EXPECT_THROW(sp::pack(at::zeros({4, 8}, at::kInt)), std::invalid_argument);
}

TEST(Sparse24, PruneMagnitudeKeepsTwoLargestPerGroup) {
  at::Tensor w = at::tensor({1.0f, -5.0f, 3.0f, 0.5f, 0.f, 0.f, 0.f, 2.0f}).reshape({1, 8});
  at::Tensor p = sp::prune_magnitude(w);
  EXPECT_FLOAT_EQ(p[0][1].item<float>(), -5.0f);
  EXPECT_FLOAT_EQ(p[0][2].item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(p[0][0].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(p[0][3].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(p[0][7].item<float>(), 2.0f);
  EXPECT_TRUE(sp::is_24_sparse(p));
}

// Kernel output vs the fp32 (here: fp64) product of the bf16-rounded weight, for every level.
TEST(Sparse24, KernelsMatchMatmulAllLevels) {
  ThreadGuard guard;
  const std::vector<std::pair<int64_t, int64_t>> shapes = {
      {7, 64}, {33, 172}, {5, 36}, {1, 4}, {64, 128}, {130, 256}, {9, 100}};
  const std::vector<int64_t> token_counts = {1, 2, 3, 8, 17};
  for (sp::Isa isa : supported_levels()) {
    for (int threads : {1, 2}) {
      at::set_num_threads(threads);
      for (auto [rows, cols] : shapes) {
        at::Tensor w = random_24(rows, cols, 17 * rows + cols);
        sp::Packed24 p = sp::pack(w);
        sp::DenseBf16 d = sp::pack_dense(w);
        at::Tensor wq = w.to(at::kBFloat16).to(at::kFloat);
        for (int64_t T : token_counts) {
          at::manual_seed(T * 31 + rows);
          at::Tensor x = at::randn({T, cols});
          const std::string tag = std::string(sp::isa_name(isa)) + " threads=" +
                                  std::to_string(threads) + " " + std::to_string(rows) + "x" +
                                  std::to_string(cols) + " T=" + std::to_string(T);
          expect_close(sp::linear(x, p, isa), x, wq, 1e-5, "sparse " + tag);
          expect_close(sp::linear_dense(x, d, isa), x, wq, 1e-5, "dense " + tag);
        }
      }
    }
  }
}

// Larger shapes that split across threads and use the multi-chunk token path (T > 16).
TEST(Sparse24, KernelsMatchMatmulLargerShapes) {
  ThreadGuard guard;
  at::set_num_threads(2);
  for (sp::Isa isa : supported_levels()) {
    for (auto [rows, cols, T] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
             {257, 2048, 1}, {256, 4096, 5}, {96, 11008, 9}, {67, 4160, 70}}) {
      at::Tensor w = random_24(rows, cols, rows + cols + T);
      sp::Packed24 p = sp::pack(w);
      sp::DenseBf16 d = sp::pack_dense(w);
      at::Tensor wq = w.to(at::kBFloat16).to(at::kFloat);
      at::manual_seed(T);
      at::Tensor x = at::randn({T, cols});
      const std::string tag = std::string(sp::isa_name(isa)) + " " + std::to_string(rows) + "x" +
                              std::to_string(cols) + " T=" + std::to_string(T);
      expect_close(sp::linear(x, p, isa), x, wq, 1e-5, "sparse " + tag);
      expect_close(sp::linear_dense(x, d, isa), x, wq, 1e-5, "dense " + tag);
    }
  }
}

TEST(Sparse24, LinearHandlesBatchDimsStridesAndDtypes) {
  at::Tensor w = random_24(40, 96, 5);
  sp::Packed24 p = sp::pack(w);
  at::Tensor wq = w.to(at::kBFloat16).to(at::kFloat);
  at::manual_seed(2);
  at::Tensor x = at::randn({2, 3, 96});
  at::Tensor y = prunekit::linear_24(x, p);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 3, 40}));
  EXPECT_EQ(y.scalar_type(), at::kFloat);
  expect_close(y.reshape({6, 40}), x.reshape({6, 96}), wq, 1e-5, "batched");
  // A non-contiguous input (a slice of a wider tensor) and a bf16 input.
  at::Tensor wide = at::randn({4, 200});
  at::Tensor xs = wide.narrow(1, 50, 96);
  expect_close(sp::linear(xs, p), xs.contiguous(), wq, 1e-5, "strided");
  at::Tensor xb = at::randn({3, 96}).to(at::kBFloat16);
  expect_close(sp::linear(xb, p), xb.to(at::kFloat), wq, 1e-5, "bf16 input");
  // Raw entry point with strided x / y rows.
  at::Tensor xbuf = at::randn({5, 128});
  at::Tensor ybuf = at::zeros({5, 64});
  sp::gemm(p, xbuf.data_ptr<float>(), 5, 128, ybuf.data_ptr<float>(), 64);
  expect_close(ybuf.narrow(1, 0, 40), xbuf.narrow(1, 0, 96), wq, 1e-5, "raw strided");
  EXPECT_TRUE(at::equal(ybuf.narrow(1, 40, 24), at::zeros({5, 24})));  // nothing written past rows
  EXPECT_THROW(sp::linear(at::randn({2, 95}), p), std::invalid_argument);
}

TEST(Sparse24, DenseOursRoundTripAndAllZeroRows) {
  at::manual_seed(9);
  at::Tensor w = at::randn({13, 72});
  sp::DenseBf16 d = sp::pack_dense(w);
  EXPECT_TRUE(at::equal(sp::unpack_dense(d), w.to(at::kBFloat16).to(at::kFloat)));
  // All-zero weight (every group padded) -> zero output at every level.
  sp::Packed24 z = sp::pack(at::zeros({3, 20}));
  for (sp::Isa isa : supported_levels()) {
    at::Tensor y = sp::linear(at::randn({2, 20}), z, isa);
    EXPECT_TRUE(at::equal(y, at::zeros({2, 3}))) << sp::isa_name(isa);
  }
}

TEST(Sparse24, EnvironmentForcesLevel) {
  const char* old = std::getenv("PRUNEKIT_ISA");
  const std::string saved = old ? old : "";
  ::setenv("PRUNEKIT_ISA", "scalar", 1);
  EXPECT_EQ(sp::resolve_isa(sp::Isa::Auto), sp::Isa::Scalar);
  ::setenv("PRUNEKIT_ISA", "bogus", 1);
  EXPECT_THROW(sp::resolve_isa(sp::Isa::Auto), std::invalid_argument);
  if (old)
    ::setenv("PRUNEKIT_ISA", saved.c_str(), 1);
  else
    ::unsetenv("PRUNEKIT_ISA");
  EXPECT_EQ(sp::resolve_isa(sp::Isa::Auto), old ? sp::resolve_isa(sp::parse_isa(saved)) : sp::best_isa());
}

// ---- Whole models on our kernels (generate --sparse-kernels, bench-sparse model) ----

namespace {

// Rounds every decoder Linear weight to bf16 (kept as fp32): the values our kernels hold.
void round_linears_to_bf16(prunekit::LlamaModel& model) {
  for (prunekit::LayerWeights& w : model.layers())
    for (at::Tensor& t : w.weight) t = t.to(at::kBFloat16).to(at::kFloat);
}

}  // namespace

TEST(SparseKernels, GreedyTextIdenticalToDenseOnTheSame24Weights) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  prunekit::Checkpoint ck(dir);
  prunekit::LlamaModel dense(ck, at::kFloat), packed(ck, at::kFloat);
  prunekit::prune_24_by_magnitude(dense);
  prunekit::prune_24_by_magnitude(packed);
  round_linears_to_bf16(dense);  // the reference: LibTorch on exactly the weights we pack
  const prunekit::KernelSwap swap =
      prunekit::use_cpu_kernels(packed, prunekit::KernelMode::Sparse24, /*include_lm_head=*/false);
  EXPECT_EQ(swap.linears, 5 * 7);
  EXPECT_EQ(swap.swapped, 5 * 7);
  EXPECT_TRUE(swap.dense_fallback.empty());
  EXPECT_FALSE(swap.lm_head);
  // fp32 weights held before; the packed copies are ~56 % of bf16, i.e. ~28 % of fp32 (padding of
  // the 64-wide rows to 128 columns makes it larger on this tiny model).
  EXPECT_LT(swap.bytes_after, swap.bytes_before * 6 / 10);
  for (const prunekit::LayerWeights& w : packed.layers())
    for (const at::Tensor& t : w.weight) EXPECT_FALSE(t.defined()) << "dense copy not released";

  // Prefill logits agree to fp32 summation order; greedy text is identical.
  const at::Tensor ids = at::tensor(std::vector<int64_t>{1, 403, 407, 261, 378, 266, 293, 260}, at::kLong).view({1, -1});
  const at::Tensor a = dense.forward(ids), b = packed.forward(ids);
  EXPECT_LT((a - b).abs().max().item<float>(), 1e-3);
  const std::vector<int> prompt = {1, 403, 407, 261, 378};
  const std::vector<int> ga = prunekit::greedy_generate(dense, prompt, 120);
  const std::vector<int> gb = prunekit::greedy_generate(packed, prompt, 120);
  EXPECT_GT(ga.size(), prompt.size() + 20);
  EXPECT_EQ(ga, gb);
}

TEST(SparseKernels, DenseBf16ModeAndLmHeadMatchLibTorch) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  prunekit::Checkpoint ck(dir);
  prunekit::LlamaModel ref(ck, at::kFloat), ours(ck, at::kFloat);
  round_linears_to_bf16(ref);
  ref.head().lm_head = ref.head().lm_head.to(at::kBFloat16).to(at::kFloat);  // untie: embed stays fp32
  const prunekit::KernelSwap swap = prunekit::use_cpu_kernels(ours, prunekit::KernelMode::DenseBf16);
  EXPECT_EQ(swap.swapped, 35);
  EXPECT_TRUE(swap.lm_head);
  EXPECT_GT(swap.lm_head_bytes, 0);
  const at::Tensor ids = at::tensor(std::vector<int64_t>{1, 403, 407, 261, 378, 266}, at::kLong).view({2, 3});
  const at::Tensor a = ref.forward(ids), b = ours.forward(ids);
  EXPECT_LT((a - b).abs().max().item<float>(), 1e-3);
  // last_only gives the last position's row of the full forward.
  const at::Tensor last = ours.forward(ids, nullptr, /*last_only=*/true);
  ASSERT_EQ(last.sizes(), (std::vector<int64_t>{2, 1, a.size(2)}));
  EXPECT_TRUE(at::allclose(last[0][0], b[0][2], 1e-5, 1e-5));
}

TEST(SparseKernels, LinearsThatAreNot24StayDense) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  prunekit::Checkpoint ck(dir);
  prunekit::LlamaModel ref(ck, at::kFloat), mixed(ck, at::kFloat);
  prunekit::prune_24_by_magnitude(ref);
  prunekit::prune_24_by_magnitude(mixed);
  round_linears_to_bf16(ref);
  // One Linear dense (not 2:4): it must stay on LibTorch, in fp32, unchanged.
  at::manual_seed(3);
  const at::Tensor dense_up = at::randn_like(ref.layers()[2].weight[prunekit::kUp]) * 0.05;
  ref.layers()[2].weight[prunekit::kUp] = dense_up;
  mixed.layers()[2].weight[prunekit::kUp] = dense_up.clone();
  const prunekit::KernelSwap swap = prunekit::use_cpu_kernels(mixed, prunekit::KernelMode::Sparse24, false);
  EXPECT_EQ(swap.swapped, 34);
  ASSERT_EQ(swap.dense_fallback.size(), 1u);
  EXPECT_EQ(swap.dense_fallback[0], "model.layers.2.mlp.up_proj");
  EXPECT_TRUE(mixed.layers()[2].weight[prunekit::kUp].defined());
  const at::Tensor ids = at::tensor(std::vector<int64_t>{1, 403, 407, 261}, at::kLong).view({1, -1});
  EXPECT_LT((ref.forward(ids) - mixed.forward(ids)).abs().max().item<float>(), 1e-3);
}

TEST(SparseKernels, GenerateAndBenchSparseModelTools) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  using prunekit_test::bin;
  using prunekit_test::run_cmd;
  const std::string tmp = prunekit_test::temp_dir("sparse-tools");
  // A dense checkpoint has no 2:4 Linear: refused with one line and exit 2.
  auto r = run_cmd(bin("generate") + " --model " + dir + " --prompt 'Once upon' --max-new-tokens 5 --sparse-kernels");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--sparse-kernels: no Linear"), std::string::npos) << r.output;
  // bench-sparse model with the on-the-fly 2:4 twin: every path, prefill and decode rows, JSON.
  r = run_cmd(bin("bench-sparse") + " model --model " + dir +
              " --prefill 16 --decode 4 --context 8 --batch 1,2 --repeats 1 --threads 1 --json " + tmp + "/m.json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("2:4 speed-up vs fastest dense"), std::string::npos) << r.output;
  std::ifstream f(tmp + "/m.json");
  const nlohmann::json j = nlohmann::json::parse(f);
  ASSERT_EQ(j["paths"].size(), 4u);
  EXPECT_EQ(j["results"].size(), 4u * 2 * 2);  // 4 paths x 2 batches x (prefill + decode)
  for (const auto& row : j["results"]) {
    EXPECT_GT(row["tokens_per_s"].get<double>(), 0) << row.dump();
    if (row["path"] == "sparse24_ours") EXPECT_GT(row["speedup"].get<double>(), 0) << row.dump();
  }
  EXPECT_NE(j["paths"][3]["kernels"].get<std::string>().find("35 of 35"), std::string::npos);
  // Bad input: one line, exit 2.
  r = run_cmd(bin("bench-sparse") + " model --model " + tmp + "/nope --prefill 16");
  EXPECT_EQ(r.code, 2) << r.output;
  r = run_cmd(bin("bench-sparse") + " model --model " + dir + " --paths torch_f32,bogus");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--paths: unknown path 'bogus'"), std::string::npos) << r.output;
  std::system(("rm -rf " + tmp).c_str());
}

// ---- bench-sparse gemm ----

TEST(BenchSparse, GemmToolTablesJsonAndErrors) {
  using prunekit_test::bin;
  using prunekit_test::run_cmd;
  const std::string tmp = prunekit_test::temp_dir("bench-gemm");
  auto r = run_cmd(bin("bench-sparse") + " gemm --shape '0,256,64;2,128,96' --tokens 1,3 --iters 3 --warmup 1" +
                   " --max-seconds 0.2 --hot --threads 1 --json " + tmp + "/g.json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("| 2:4 weight GB/s | 2:4 speedup vs best dense |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| 256->64 (256->64) | 3 |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| 128->96 (128->96) | 2 |"), std::string::npos) << r.output;
  std::ifstream f(tmp + "/g.json");
  const nlohmann::json j = nlohmann::json::parse(f);
  // 4 paths x (2 token counts of the first shape + the second shape's pinned 2 tokens).
  ASSERT_EQ(j["results"].size(), 4u * 3);
  std::map<std::string, int64_t> bytes;
  for (const auto& row : j["results"]) {
    EXPECT_GE(row["runs"].get<int>(), 1) << row.dump();
    EXPECT_GT(row["median_ms"].get<double>(), 0) << row.dump();
    EXPECT_GT(row["speedup"].get<double>(), 0) << row.dump();
    EXPECT_LE(row["min_ms"].get<double>(), row["median_ms"].get<double>()) << row.dump();
    if (row["shape"] == "256->64") bytes[row["path"]] = row["weight_bytes"].get<int64_t>();
  }
  EXPECT_EQ(bytes["torch_f32"], 256 * 64 * 4);
  EXPECT_EQ(bytes["torch_bf16"], 256 * 64 * 2);
  EXPECT_NEAR(static_cast<double>(bytes["sparse24_ours"]) / bytes["torch_bf16"], 0.5625, 0.01);
  // Bad input: one line, exit 2. The CUDA paths need a LibTorch >= 2.1 with CUDA and a device.
  r = run_cmd(bin("bench-sparse") + " gemm --shape 0,250,64 --tokens 1");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("multiple of 4"), std::string::npos) << r.output;
  r = run_cmd(bin("bench-sparse") + " gemm --device tpu");
  EXPECT_EQ(r.code, 2) << r.output;
  std::string why;
  if (!prunekit::bench::cuda_paths_available(&why)) {
    r = run_cmd(bin("bench-sparse") + " gemm --device cuda --shape 0,256,64 --tokens 1");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("--device cuda: " + why), std::string::npos) << r.output;
  }
  std::system(("rm -rf " + tmp).c_str());
}

// One weight-GB/s and speed-up column pair per 2:4 path (CUDA runs have an fp16 and a bf16 one),
// speed-ups against the fastest dense path of the same cell.
TEST(BenchSparse, SummaryHasAColumnPairPerSparsePath) {
  namespace b = prunekit::bench;
  auto cell = [](const std::string& path, double ms) {
    b::GemmResult r;
    r.shape = "q_proj";
    r.in = 64;
    r.out = 64;
    r.tokens = 1;
    r.path = path;
    r.median_ms = ms;
    r.weight_bytes = 2000000;
    r.weight_gbps = 2e6 / (ms * 1e-3) / 1e9;
    return r;
  };
  EXPECT_TRUE(b::is_dense_path(b::kPathCudaBf16));
  EXPECT_FALSE(b::is_dense_path(b::kPathCudaSparseF16));
  EXPECT_FALSE(b::is_dense_path(b::kPathSparseOurs));
  std::vector<b::GemmResult> rs = {cell(b::kPathCudaF16, 2.0), cell(b::kPathCudaBf16, 4.0),
                                   cell(b::kPathCudaSparseF16, 1.0), cell(b::kPathCudaSparseBf16, 0.5)};
  rs[2].speedup = 2.0;
  rs[3].speedup = 4.0;
  const std::string md = b::gemm_summary_markdown(rs);
  EXPECT_NE(md.find("cuSPARSELt 2:4 fp16 speedup vs best dense"), std::string::npos) << md;
  EXPECT_NE(md.find("cuSPARSELt 2:4 bf16 weight GB/s"), std::string::npos) << md;
  EXPECT_NE(md.find("| 2.0 | **2.00x** | 4.0 | **4.00x** |"), std::string::npos) << md;
  // Every line of the table has the same number of cells.
  std::istringstream lines(md);
  std::string line;
  int cells = -1;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const int n = static_cast<int>(std::count(line.begin(), line.end(), '|'));
    if (cells < 0) cells = n;
    EXPECT_EQ(n, cells) << line;
  }
  EXPECT_EQ(cells, 2 + 4 + 2 * 2 + 1);
}
