// The layer-streamed prune: calibration windows -> allocate layer sparsities -> for each decoder
// layer: dense forward with statistics capture, prune its Linears, pruned forward for the next
// layer's inputs, write the layer. Peak memory: one layer + calibration activations (+ Hessians
// for SparseGPT).
#include <filesystem>
#include <limits.h>
#include <stdlib.h>
#include <dirent.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/corpus.h"
#include "prunekit/progress.h"
#include "prunekit/prune.h"
#include "prunekit/reconstruct.h"
#include "prunekit/safetensors.h"
#include "prune/report.h"
#include "prunekit/sampler.h"
#include "prunekit/tokenizer.h"

namespace prunekit {

using nlohmann::json;

void validate_prune_options(const PruneOptions& opt) {
  // In the library's terms (the PruneOptions field and its value); the tools name the flag.
  auto num = [](double v) { return std::to_string(v); };
  if (opt.out_dir.empty()) throw InvalidSetting("out_dir", "", "required");
  if (opt.spec.is_nm()) {
    const std::string nm = std::to_string(opt.spec.n) + ":" + std::to_string(opt.spec.m);
    if (opt.spec.n < 1 || opt.spec.n >= opt.spec.m) throw InvalidSetting("pattern", nm, "N:M needs 1 <= N < M");
    if (opt.owl.enabled)
      throw InvalidSetting("owl", "", "cannot be combined with an N:M pattern (N:M fixes every layer at N/M; "
                                      "upstream silently ignores the OWL ratios)");
  } else if (!(opt.spec.sparsity >= 0.0 && opt.spec.sparsity < 1.0)) {
    throw InvalidSetting("sparsity", num(opt.spec.sparsity), "must be in [0, 1)");
  }
  if (opt.nsamples < 1) throw InvalidSetting("nsamples", std::to_string(opt.nsamples), "must be >= 1");
  if (opt.seqlen < 0) throw InvalidSetting("seqlen", std::to_string(opt.seqlen), "must be > 1");
  if (opt.batch < 1) throw InvalidSetting("batch", std::to_string(opt.batch), "must be >= 1");
  if (opt.owl.enabled && !(opt.owl.lambda >= 0 && opt.owl.lambda < 1))
    throw InvalidSetting("owl_lambda", num(opt.owl.lambda), "must be in [0, 1)");
  if (opt.owl.enabled && !(opt.owl.m > 0 && std::isfinite(opt.owl.m)))
    throw InvalidSetting("owl_m", num(opt.owl.m), "must be a finite number > 0");
  if (opt.refit.max_iters < 0)
    throw InvalidSetting("reconstruct_iters", std::to_string(opt.refit.max_iters), "must be >= 0");
  check_device_available(opt.device);
}

namespace {

// Calibration windows (upstream's C4 sampler), described in the report.
CalibSet sample_calibration(const PruneOptions& opt, const std::string& method, int64_t seqlen, PruneReport& report) {
  if (opt.calib_path.empty())
    throw InvalidSetting("calib_path", "", "method " + method +
                                              " needs calibration text (C4-format JSON lines or plain text)");
  Tokenizer tok(opt.model_dir);
  const std::vector<std::string> docs = read_documents(opt.calib_path, doc_mode_from_name(opt.calib_docs));
  CalibSet calib = sample_windows(docs, [&](const std::string& d) { return tok.encode(d, true); }, opt.nsamples,
                                  seqlen, static_cast<uint64_t>(opt.seed));
  json windows = json::array();
  for (const CalibWindow& w : calib.windows) windows.push_back({{"doc", w.doc}, {"start", w.start}});
  report.set("calibration", {{"corpus", opt.calib_path}, {"documents", docs.size()}, {"nsamples", opt.nsamples},
                             {"seqlen", seqlen}, {"seed", opt.seed}, {"windows", windows},
                             {"rejected_docs", calib.rejected_docs}});
  return calib;
}

// What was asked for, at the top of the report. A recipe of several stages joins the stages'
// methods, patterns and groups with "+" (sparsity and method_params: null; details under "recipe").
void describe_run(const PruneOptions& opt, const PrunePlan& plan, PruneReport& report) {
  auto pattern = [](const SparsitySpec& spec) {
    return spec.is_nm() ? std::to_string(spec.n) + ":" + std::to_string(spec.m) : std::string("unstructured");
  };
  std::string methods, patterns, groups;
  for (const PlanStage& st : plan.stages) {
    const bool first = methods.empty();
    methods += (first ? "" : "+") + st.recipe.method;
    patterns += (first ? "" : "+") + pattern(st.spec);
    groups += (first ? "" : "+") + (st.spec.is_nm() ? std::string("n:m") : group_name(st.spec.group));
  }
  const bool one = plan.stages.size() == 1;
  const SparsitySpec& spec = plan.stages.at(0).spec;
  report.set("prunekit_version", PRUNEKIT_VERSION);
  report.set("args", opt.args);
  report.set("model", opt.model_dir);
  report.set("method", methods);
  report.set("method_params", one ? plan.stages[0].pruner->params() : json(nullptr));
  report.set("sparsity", one ? json(spec.sparsity) : json(nullptr));
  report.set("pattern", patterns);
  report.set("group", groups);
  report.set("dtype", opt.dtype == at::kFloat ? "float32" : "bfloat16");
  report.set("device", opt.device.name());
  report.set("modules_selected", opt.recipe.stages.empty() ? json(opt.modules_arg) : json("recipe"));
  report.set("reconstruct", opt.reconstruct ? json{{"max_iters", opt.refit.max_iters}, {"rtol", opt.refit.rtol},
                                                    {"percdamp", opt.refit.percdamp}}
                                             : json(nullptr));
  report.set("activations_on_disk", opt.activations_on_disk);
  report.set("reconstruction_error_measured", opt.reconstruct || opt.measure_error);
  report.set("layers_selected", !opt.recipe.stages.empty() ? "recipe" : opt.layers_arg.empty() ? "all" : opt.layers_arg);
}

// Matmul FLOPs of one decoder-layer forward over `tokens` tokens in sequences of `seqlen`
// (Linears + causal attention's two products counted in full), for FLOP-bound ratios.
double layer_forward_flops(const LlamaConfig& c, int64_t tokens, int64_t seqlen) {
  const double h = c.hidden_size, kv = double(c.num_key_value_heads * c.head_dim), q = double(c.num_attention_heads * c.head_dim);
  const double linear_params = h * q * 2 + h * kv * 2 + 3 * h * c.intermediate_size;
  return 2.0 * tokens * linear_params + 4.0 * tokens * seqlen * q;
}

// --save-masks: the keep masks and the statistics they were chosen with.
struct SavedSelections {
  std::map<std::string, at::Tensor> masks, stats;
  void add(const std::string& module, const at::Tensor& keep, const ActivationStats& s) {
    masks[module + ".weight"] = keep.to(at::kCPU);  // the writer reads host memory
    if (!s.scaler_row.defined()) return;
    stats[module + ".scaler_row"] = s.scaler_row.to(at::kCPU);
    stats[module + ".nsamples"] = at::full({1}, s.nsamples, at::kLong);
  }
  void write(const CheckpointWriter& writer, const std::string& method) const {
    save_safetensors(writer.temp_path("prunekit/masks.safetensors"), masks,
                     {{"format", "pt"}, {"mask_convention", "1 = kept, 0 = pruned"}, {"prunekit_method", method}});
    if (!stats.empty()) save_safetensors(writer.temp_path("prunekit/stats.safetensors"), stats);
  }
};

// The effective recipe for the report, with what each stage pruned: how many weights, and each
// layer's sparsity after the allocator and the overrides (null for N:M).
json recipe_report(const PrunePlan& plan) {
  json recipe = recipe_to_json(plan.recipe);
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    const PlanStage& st = plan.stages[i];
    recipe["stages"][i]["weights_pruned"] = st.weights.size();
    recipe["stages"][i]["layer_sparsity_applied"] = st.spec.is_nm() ? json(nullptr) : json(st.layer_sparsity);
  }
  return recipe;
}

std::string report_method(const PrunePlan& plan) {
  std::string methods;
  for (const PlanStage& st : plan.stages) methods += (methods.empty() ? "" : "+") + st.recipe.method;
  return methods;
}

}  // namespace

json prune_checkpoint(const PruneOptions& opt) {
  validate_prune_options(opt);
  Stopwatch total_clock;
  if (opt.recipe.stages.empty()) make_pruner(opt.method, opt.method_params);  // flag errors before any file
  Checkpoint ck(opt.model_dir);
  // The layers, statistics, scores and masks live on opt.device; the selector and attention take
  // the device-generic path there (and on the CPU under generic_ops: prunekit/device.h).
  const DevicePolicy policy(opt.device);
  LayerStream stream(ck, opt.dtype, opt.batch, opt.device);  // checks the LLaMA tensors are all there
  const LlamaConfig& cfg = ck.config();
  const int L = static_cast<int>(cfg.num_hidden_layers);
  // One code path: the flags are a one-stage recipe. The plan says which Pruner and spec prune
  // each Linear (or none).
  PrunePlan plan = make_prune_plan(opt.recipe.stages.empty() ? recipe_from_options(opt, L) : opt.recipe, L);
  // Output checked (never at or around the input; only a previous prunekit output is replaced),
  // locked and prepared before any work: same names, dtypes and shard layout as the input.
  const std::map<std::string, std::string> layout =
      opt.max_shard_bytes == 0 ? shard_layout_like(ck) : std::map<std::string, std::string>{};
  CheckpointWriter writer(opt.out_dir, plan_like(ck), opt.max_shard_bytes ? opt.max_shard_bytes : UINT64_MAX, layout,
                          OutputPolicy{opt.model_dir, opt.overwrite});
  if (opt.activations_on_disk)
    stream.spill_activations_to(!opt.activations_dir.empty() ? opt.activations_dir
                                : std::filesystem::absolute(opt.out_dir).lexically_normal().parent_path().string());
  const int64_t seqlen = opt.seqlen > 0 ? opt.seqlen : cfg.max_position_embeddings;
  cfg.check_seqlen(seqlen, "seqlen");

  PruneReport report(opt.quiet);
  describe_run(opt, plan, report);

  const StatsKind kind = plan.stats_kind();
  // The reconstruction error and the refit need each Linear's Gram matrix. The error is measured
  // when asked for (or under --reconstruct, whose refit dwarfs it): it costs a Gram matrix per Linear
  // input where the method has none (Wanda's capture 1.7x) and an [out,in]x[in,in] product per
  // Linear for every method (SparseGPT 1.15x), bench/RESULTS.md.
  const bool measures_error = opt.reconstruct || opt.measure_error;
  const bool streams = kind != StatsKind::None || measures_error;
  bool needs_data = streams;
  for (const PlanStage& st : plan.stages) needs_data = needs_data || !st.allocator->calibration_pass().empty();
  const int last_selected = plan.last_layer();
  CalibSet calib;
  report.set("calibration", nullptr);
  if (needs_data) {
    auto t = report.time("calibration_sampling");
    std::string needing = plan.stages.at(0).recipe.method;  // for the message when --calib is missing
    for (auto it = plan.stages.rbegin(); it != plan.stages.rend(); ++it)
      if (it->pruner->needs() != StatsKind::None || !it->allocator->calibration_pass().empty()) needing = it->recipe.method;
    calib = sample_calibration(opt, needing, seqlen, report);
  }

  debug_pause("calibration");

  json owl_reports = json::array();
  for (PlanStage& st : plan.stages) {
    auto t = report.time(st.allocator->calibration_pass().empty() ? "allocate" : st.allocator->calibration_pass());
    st.layer_sparsity = st.allocator->allocate({stream, calib.input_ids, st.spec, *st.pruner, opt.quiet});
    for (const auto& [layer, s] : st.recipe.layer_sparsity) st.layer_sparsity.at(layer) = s;  // the recipe's overrides
    owl_reports.push_back(st.allocator->report());
  }
  report.set("owl", plan.stages.size() == 1 ? owl_reports[0] : owl_reports);
  report.set("recipe", recipe_report(plan));

  // Only the embedding rows of the calibration tokens are needed (no lm_head).
  at::Tensor hidden;
  if (streams && last_selected >= 0) hidden = stream.embed(calib.input_ids);
  std::set<std::string> written;
  SavedSelections saved;
  ProgressBar bar("", L, opt.quiet, "layer");
  for (int l = 0; l < L; ++l) {
    LayerWeights master;
    {
      auto t = report.time("load");
      master = stream.load(l, at::kFloat);
      stream.release(l);  // load() copied: the mapped pages (2 bytes/param in bf16) leave the peak now
    }
    const std::array<bool, kNumLinears> want = plan.linears_of(l);
    LayerCapture cap(kind, want, /*also_gram=*/measures_error);
    if (streams && std::count(want.begin(), want.end(), true) > 0) {
      auto t = report.time("forward_dense_capture");
      stream.forward(master, hidden, &cap.hook(), /*update=*/false);
      cap.finish();
    }
    {
      auto t = report.time("score_select");
      for (int i = 0; i < kNumLinears; ++i) {
        PruneOutcome outcome;
        SparsitySpec layer_spec;
        if (want[i]) {
          layer_spec = plan.spec_at(l, i);
          const Pruner* pruner = plan.stage_at(l, i)->pruner.get();
          LinearSite site{l, i, linear_prefix(l, i) + ".weight", master.weight[i], cap.stats(i)};
          const at::Tensor dense = measures_error ? master.weight[i].clone() : at::Tensor();
          outcome = pruner->prune(site, layer_spec);
          if (measures_error) {
            const double err = reconstruct_and_measure(dense, master.weight[i], outcome.keep_mask,
                                                       cap.stats(i).hessian, opt.reconstruct ? &opt.refit : nullptr,
                                                       outcome.extra);
            report.add_reconstruction_error(err);
            if (opt.save_masks)
              saved.stats[linear_prefix(l, i) + ".reconstruction_error"] = at::full({1}, err, at::kFloat);
          }
          if (opt.save_masks) saved.add(linear_prefix(l, i), outcome.keep_mask, cap.stats(i));
        }
        report.add_module(l, i, master.weight[i], outcome.keep_mask, layer_spec, outcome.extra);
      }
      report.end_layer(l, plan.report_allocator());
    }
    if (streams && l < last_selected) {
      // Layer l+1 is calibrated on the outputs of the already-pruned layer l, as upstream.
      auto t = report.time("forward_pruned");
      stream.forward(master, hidden, nullptr, /*update=*/true);
    }
    {
      auto t = report.time("write");
      for (int i = 0; i < kNumLinears; ++i) {
        writer.add(linear_prefix(l, i) + ".weight", master.weight[i].to(at::kCPU));  // back to the host
        written.insert(linear_prefix(l, i) + ".weight");
      }
    }
    master = LayerWeights{};
    bar.update(l + 1);
    if (l == L / 2) debug_pause("layers");
  }
  bar.finish();
  hidden = at::Tensor();

  {
    // Everything else (embeddings, norms, lm_head, biases) is copied unchanged from the mapping.
    auto t = report.time("write");
    for (const std::string& name : ck.names())
      if (!written.count(name)) {
        writer.add(name, ck.view(name));
        ck.release(name);
      }
  }
  debug_pause("writing");
  const SideFiles side_files = writer.copy_side_files(opt.model_dir);
  if (opt.save_masks) saved.write(writer, report_method(plan));
  std::vector<FileDigest> digests;
  {
    auto t = report.time("hash_inputs");
    digests = input_digests(ck);
  }
  if (needs_data) {
    const double per_forward = layer_forward_flops(cfg, calib.input_ids.numel(), seqlen);
    report.set("forward_gflop", per_forward * double(stream.layer_forwards()) / 1e9);
    report.set("layer_forwards", stream.layer_forwards());
  }
  report.set("input_files", to_json(digests));
  report.set("side_files", to_json(side_files));
  json result = report.finish(total_clock.seconds());
  writer.write_text(kReportFile, result.dump(2) + "\n");  // also the marker of a prunekit output
  writer.finish();
  debug_pause("committed");
  return result;
}

}  // namespace prunekit
