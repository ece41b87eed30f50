// The layer-streamed prune: calibration windows -> allocate layer sparsities -> for each decoder
// layer: dense forward with statistics capture, prune its Linears, pruned forward for the next
// layer's inputs, write the layer. Peak memory: one layer + calibration activations (+ Hessians
// for SparseGPT).
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
}

namespace {

// Calibration windows (upstream's C4 sampler), described in the report.
CalibSet sample_calibration(const PruneOptions& opt, int64_t seqlen, PruneReport& report) {
  if (opt.calib_path.empty())
    throw InvalidSetting("calib_path", "", "method " + opt.method +
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

// What was asked for, at the top of the report.
void describe_run(const PruneOptions& opt, const SparsitySpec& spec, const Pruner& pruner, PruneReport& report) {
  report.set("prunekit_version", PRUNEKIT_VERSION);
  report.set("args", opt.args);
  report.set("model", opt.model_dir);
  report.set("method", opt.method);
  report.set("method_params", pruner.params());
  report.set("sparsity", spec.is_nm() ? double(spec.n) / spec.m : spec.sparsity);
  report.set("pattern", spec.is_nm() ? std::to_string(spec.n) + ":" + std::to_string(spec.m) : "unstructured");
  report.set("group", spec.is_nm() ? "n:m" : group_name(spec.group));
  report.set("dtype", opt.dtype == at::kFloat ? "float32" : "bfloat16");
  report.set("modules_selected", opt.modules_arg);
  report.set("reconstruct", opt.reconstruct ? json{{"max_iters", opt.refit.max_iters}, {"rtol", opt.refit.rtol},
                                                    {"percdamp", opt.refit.percdamp}}
                                             : json(nullptr));
  report.set("layers_selected", opt.layers_arg.empty() ? "all" : opt.layers_arg);
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
    masks[module + ".weight"] = keep;
    if (!s.scaler_row.defined()) return;
    stats[module + ".scaler_row"] = s.scaler_row;
    stats[module + ".nsamples"] = at::full({1}, s.nsamples, at::kLong);
  }
  void write(const CheckpointWriter& writer, const std::string& method) const {
    save_safetensors(writer.temp_path("prunekit/masks.safetensors"), masks,
                     {{"format", "pt"}, {"mask_convention", "1 = kept, 0 = pruned"}, {"prunekit_method", method}});
    if (!stats.empty()) save_safetensors(writer.temp_path("prunekit/stats.safetensors"), stats);
  }
};

}  // namespace

json prune_checkpoint(const PruneOptions& opt) {
  validate_prune_options(opt);
  Stopwatch total_clock;
  const std::unique_ptr<Pruner> pruner = make_pruner(opt.method, opt.method_params);
  const std::unique_ptr<Allocator> allocator = make_allocator(opt.owl);
  Checkpoint ck(opt.model_dir);
  LayerStream stream(ck, opt.dtype, opt.batch);  // checks the LLaMA tensors are all there
  const LlamaConfig& cfg = ck.config();
  const int L = static_cast<int>(cfg.num_hidden_layers);
  SparsitySpec spec = opt.spec;
  if (!opt.group_given) spec.group = pruner->default_group();
  const ModuleSelection sel = ModuleSelection::parse(opt.modules_arg, opt.layers_arg, L);
  // Output checked (never at or around the input; only a previous prunekit output is replaced),
  // locked and prepared before any work: same names, dtypes and shard layout as the input.
  const std::map<std::string, std::string> layout =
      opt.max_shard_bytes == 0 ? shard_layout_like(ck) : std::map<std::string, std::string>{};
  CheckpointWriter writer(opt.out_dir, plan_like(ck), opt.max_shard_bytes ? opt.max_shard_bytes : UINT64_MAX, layout,
                          OutputPolicy{opt.model_dir, opt.overwrite});
  const int64_t seqlen = opt.seqlen > 0 ? opt.seqlen : cfg.max_position_embeddings;
  cfg.check_seqlen(seqlen, "seqlen");

  PruneReport report(spec, opt.quiet);
  describe_run(opt, spec, *pruner, report);

  const StatsKind kind = pruner->needs();
  // Every method that streams calibration data (and any under --reconstruct) also accumulates each
  // Linear's Gram matrix: the report's reconstruction error and the refit need it.
  const bool streams = kind != StatsKind::None || opt.reconstruct;
  const bool needs_data = streams || !allocator->calibration_pass().empty();
  const int last_selected = sel.last_layer(L);
  CalibSet calib;
  report.set("calibration", nullptr);
  if (needs_data) {
    auto t = report.time("calibration_sampling");
    calib = sample_calibration(opt, seqlen, report);
  }

  debug_pause("calibration");

  std::vector<double> layer_sparsity;
  {
    auto t = report.time(allocator->calibration_pass().empty() ? "allocate" : allocator->calibration_pass());
    layer_sparsity = allocator->allocate({stream, calib.input_ids, spec, *pruner, opt.quiet});
  }
  report.set("owl", allocator->report());

  // Only the embedding rows of the calibration tokens are needed (no lm_head).
  at::Tensor hidden;
  if (streams && last_selected >= 0) hidden = stream.embed(calib.input_ids);
  std::set<std::string> written;
  SavedSelections saved;
  ProgressBar bar("", L, opt.quiet, "layer");
  for (int l = 0; l < L; ++l) {
    LayerWeights master = stream.load(l, at::kFloat);
    const std::array<bool, kNumLinears> want = sel.linears_of(l);
    LayerCapture cap(kind, want, /*also_gram=*/streams);
    if (streams && std::count(want.begin(), want.end(), true) > 0) {
      auto t = report.time("forward_dense_capture");
      stream.forward(master, hidden, &cap.hook(), /*update=*/false);
      cap.finish();
    }
    {
      auto t = report.time("score_select");
      SparsitySpec layer_spec = spec;
      layer_spec.sparsity = layer_sparsity[l];
      for (int i = 0; i < kNumLinears; ++i) {
        PruneOutcome outcome;
        if (want[i]) {
          LinearSite site{l, i, linear_prefix(l, i) + ".weight", master.weight[i], cap.stats(i)};
          const at::Tensor dense = streams ? master.weight[i].clone() : at::Tensor();
          outcome = pruner->prune(site, layer_spec);
          if (streams) {
            const double err = reconstruct_and_measure(dense, master.weight[i], outcome.keep_mask,
                                                       cap.stats(i).hessian, opt.reconstruct ? &opt.refit : nullptr,
                                                       outcome.extra);
            report.add_reconstruction_error(err);
            if (opt.save_masks)
              saved.stats[linear_prefix(l, i) + ".reconstruction_error"] = at::full({1}, err, at::kFloat);
          }
          if (opt.save_masks) saved.add(linear_prefix(l, i), outcome.keep_mask, cap.stats(i));
        }
        report.add_module(l, i, master.weight[i], outcome.keep_mask, outcome.extra);
      }
      report.end_layer(l, *allocator);
    }
    if (streams && l < last_selected) {
      // Layer l+1 is calibrated on the outputs of the already-pruned layer l, as upstream.
      auto t = report.time("forward_pruned");
      stream.forward(master, hidden, nullptr, /*update=*/true);
    }
    {
      auto t = report.time("write");
      for (int i = 0; i < kNumLinears; ++i) {
        writer.add(linear_prefix(l, i) + ".weight", master.weight[i]);
        written.insert(linear_prefix(l, i) + ".weight");
      }
    }
    master = LayerWeights{};
    stream.release(l);
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
  if (opt.save_masks) saved.write(writer, opt.method);
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
