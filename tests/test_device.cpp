// --device: the device-generic path (what a GPU runs: LibTorch ops only, eager attention, sort-based
// selection) forced on the CPU with --device cpu-generic, against the normal CPU path; --device
// cpu against no flag; the refusals of a bad or unavailable device.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cmath>
#include <limits>

#include "fixtures.h"
#include "prunekit/device.h"
#include "prunekit/prune.h"
#include "prunekit/safetensors.h"

using prunekit_test::bin;
using prunekit_test::run_cmd;

namespace {

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n + (!s.empty() && s.back() != '\n');
}

// Prune stories260K with `args` into dir/tag and return its masks.
std::map<std::string, at::Tensor> prune_masks(const std::string& model, const std::string& calib, const std::string& dir,
                                              const std::string& tag, const std::string& args) {
  const std::string out = dir + "/" + tag;
  auto r = run_cmd(bin("prune") + " --model " + model + " --calib " + calib + " " + args +
                   " --nsamples 16 --seqlen 256 --seed 0 --save-masks --quiet --out " + out);
  EXPECT_EQ(r.code, 0) << args << "\n" << r.output;
  if (r.code != 0) return {};
  return prunekit::load_safetensors(out + "/prunekit/masks.safetensors");
}

}  // namespace

TEST(Device, ParsesAndNamesDevices) {
  prunekit::ComputeDevice cpu;
  EXPECT_EQ(cpu.name(), "cpu");
  EXPECT_TRUE(cpu.cpu_kernels());
  prunekit::ComputeDevice generic;
  generic.generic_ops = true;
  EXPECT_EQ(generic.name(), "cpu-generic");
  EXPECT_FALSE(generic.cpu_kernels());
  EXPECT_NO_THROW(prunekit::check_device_available(generic));
  EXPECT_FALSE(prunekit::generic_ops_forced());
  {
    const prunekit::DevicePolicy outer(generic);
    EXPECT_TRUE(prunekit::generic_ops_forced());
    {
      const prunekit::DevicePolicy inner(cpu);  // a CPU scope inside does not lift it
      EXPECT_TRUE(prunekit::generic_ops_forced());
    }
    EXPECT_TRUE(prunekit::generic_ops_forced());
  }
  EXPECT_FALSE(prunekit::generic_ops_forced());
  prunekit::ComputeDevice cuda;
  cuda.device = at::Device(at::kCUDA, 0);
  EXPECT_EQ(cuda.name(), "cuda:0");
  if (!torch::cuda::is_available())
    prunekit_test::expect_input_error([&] { prunekit::check_device_available(cuda); }, {"device cuda:0", "CUDA"});
}

// The per-row selector's partial selection (CPU kernel) and the stable sort of the generic path
// choose the same set, ties, signed zeros and NaN included.
TEST(Device, GenericPerRowSelectionIsTheCpuSelection) {
  at::manual_seed(7);
  at::Tensor score = at::randint(0, 6, {64, 96}, at::kFloat);  // many ties
  score.index_put_({0, 3}, -0.0f);
  score.index_put_({0, 4}, 0.0f);
  score.index_put_({1, 5}, std::numeric_limits<float>::quiet_NaN());
  score.index_put_({2, 6}, std::numeric_limits<float>::infinity());
  prunekit::ComputeDevice generic;
  generic.generic_ops = true;
  for (double s : {0.0, 0.1, 0.5, 0.73, 0.99}) {
    prunekit::SparsitySpec spec;
    spec.sparsity = s;
    spec.group = prunekit::Group::PerRow;
    const at::Tensor cpu = prunekit::select_prune_mask(score, spec);
    at::Tensor gen;
    {
      const prunekit::DevicePolicy policy(generic);
      gen = prunekit::select_prune_mask(score, spec);
    }
    EXPECT_TRUE(cpu.equal(gen)) << "sparsity " << s << ": " << (cpu != gen).sum().item<int64_t>() << " differ";
  }
}

// Wanda 50 % and SparseGPT 2:4 through the device-generic path give the CPU path's masks, bit for
// bit, on all 35 Linears of stories260K.
TEST(Device, GenericPathMasksAreTheCpuPathMasks) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string dir = prunekit_test::temp_dir("device-masks");
  struct Case {
    std::string tag, args;
  } cases[] = {{"wanda", "--method wanda --sparsity 0.5"}, {"sparsegpt24", "--method sparsegpt --pattern 2:4"}};
  for (const Case& c : cases) {
    const auto cpu = prune_masks(model, calib, dir, c.tag + "-cpu", c.args);
    const auto gen = prune_masks(model, calib, dir, c.tag + "-generic", c.args + " --device cpu-generic");
    ASSERT_EQ(cpu.size(), 35u) << c.tag;
    ASSERT_EQ(gen.size(), cpu.size()) << c.tag;
    for (const auto& [name, m] : cpu) {
      ASSERT_TRUE(gen.count(name)) << c.tag << " " << name;
      const at::Tensor& g = gen.at(name);
      ASSERT_EQ(g.sizes(), m.sizes()) << c.tag << " " << name;
      EXPECT_TRUE(m.equal(g)) << c.tag << " " << name << ": " << (m != g).sum().item<int64_t>() << " of "
                              << m.numel() << " mask entries differ";
    }
  }
}

// --device cpu is the default: the same bytes as no flag (weights, masks, statistics).
TEST(Device, ExplicitCpuIsByteIdenticalToNoFlag) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string dir = prunekit_test::temp_dir("device-cpu");
  prune_masks(model, calib, dir, "none", "--method wanda --sparsity 0.5");
  prune_masks(model, calib, dir, "cpu", "--method wanda --sparsity 0.5 --device cpu");
  for (const char* file : {"model.safetensors", "prunekit/masks.safetensors", "prunekit/stats.safetensors"}) {
    const std::string a = prunekit_test::slurp(dir + "/none/" + file), b = prunekit_test::slurp(dir + "/cpu/" + file);
    ASSERT_FALSE(a.empty()) << file;
    EXPECT_TRUE(a == b) << file << " differs";
  }
  const std::string report = prunekit_test::slurp(dir + "/cpu/prunekit/prune_report.json");
  EXPECT_NE(report.find("\"device\": \"cpu\""), std::string::npos);
}

TEST(Device, BadOrUnavailableDeviceIsOneLineExit2) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(ts, "data/tinystories-valid.txt");
  const std::string dir = prunekit_test::temp_dir("device-bad");
  const std::string tools[] = {
      bin("prune") + " --model " + model + " --method magnitude --sparsity 0.5 --out " + dir + "/o",
      bin("eval-ppl") + " --model " + model + " --dataset " + ts + " --max-windows 1",
      bin("generate") + " --model " + model + " --prompt Once --max-new-tokens 2",
      bin("eval-zeroshot") + " --model " + model + " --tasks boolq --limit 1"};
  for (const std::string& cmd : tools) {
    for (const char* bad : {"bogus", "cuda:x", "CPU"}) {
      auto r = run_cmd(cmd + " --device " + bad);
      EXPECT_EQ(r.code, 2) << cmd << " --device " << bad << "\n" << r.output;
      EXPECT_EQ(count_lines(r.output), 1) << r.output;
      EXPECT_NE(r.output.find("--device"), std::string::npos) << r.output;
    }
    if (!torch::cuda::is_available()) {
      for (const char* dev : {"cuda", "cuda:1"}) {
        auto r = run_cmd(cmd + " --device " + dev);
        EXPECT_EQ(r.code, 2) << cmd << " --device " << dev << "\n" << r.output;
        EXPECT_EQ(count_lines(r.output), 1) << r.output;
        EXPECT_NE(r.output.find(std::string("--device ") + dev + ": "), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("CUDA"), std::string::npos) << r.output;
      }
    }
  }
}

// The other three tools run the generic path too and agree with the CPU path (perplexity to
// rounding: eager and fused attention differ in the last bits; greedy text exactly here).
TEST(Device, EvalToolsRunTheGenericPath) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(ts, "data/tinystories-valid.txt");
  const std::string dir = prunekit_test::temp_dir("device-eval");
  double ppl[2] = {0, 0};
  int k = 0;
  for (const char* dev : {"cpu", "cpu-generic"}) {
    auto r = run_cmd(bin("eval-ppl") + " --quiet --model " + model + " --dataset " + ts +
                     " --max-windows 4 --seqlen 256 --device " + dev);
    ASSERT_EQ(r.code, 0) << r.output;
    ASSERT_EQ(std::sscanf(r.output.c_str(), "ppl %lf", &ppl[k++]), 1) << r.output;
  }
  EXPECT_NEAR(ppl[0], ppl[1], 1e-4 * ppl[0]);
  auto a = run_cmd(bin("generate") + " --model " + model + " --prompt Once --max-new-tokens 16 --device cpu");
  auto b = run_cmd(bin("generate") + " --model " + model + " --prompt Once --max-new-tokens 16 --device cpu-generic");
  ASSERT_EQ(a.code, 0) << a.output;
  ASSERT_EQ(b.code, 0) << b.output;
  EXPECT_EQ(a.output, b.output);
  auto sk = run_cmd(bin("generate") + " --model " + model + " --prompt Once --sparse-kernels --device cpu-generic");
  EXPECT_EQ(sk.code, 2) << sk.output;
  EXPECT_NE(sk.output.find("--sparse-kernels"), std::string::npos) << sk.output;
}
