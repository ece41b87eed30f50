// The layer-streamed prune: calibration windows -> for each decoder layer: dense forward with
// statistics capture, prune its Linears, pruned forward for the next layer's inputs, write the
// layer. Peak memory: one layer + calibration activations (+ Hessians for SparseGPT).
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
#include "prunekit/safetensors.h"
#include "prunekit/sampler.h"
#include "prunekit/tokenizer.h"

namespace prunekit {

using nlohmann::json;

void validate_prune_options(const PruneOptions& opt) {
  make_pruner(opt.method, opt.params);  // unknown method -> InputError
  if (opt.out_dir.empty()) throw InputError("--out: required");
  if (opt.spec.is_nm()) {
    if (opt.spec.n < 1 || opt.spec.n >= opt.spec.m)
      throw InputError("--pattern: N:M needs 1 <= N < M (got " + std::to_string(opt.spec.n) + ":" +
                       std::to_string(opt.spec.m) + ")");
    if (opt.owl.enabled)
      throw InputError("--owl: cannot be combined with --pattern N:M (N:M fixes every layer at N/M; "
                       "upstream silently ignores the OWL ratios)");
  } else if (!(opt.spec.sparsity >= 0.0 && opt.spec.sparsity < 1.0)) {
    throw InputError("--sparsity: must be in [0, 1) (got " + std::to_string(opt.spec.sparsity) + ")");
  }
  if (opt.params.ria_lsa && !opt.params.ria_reallocation)
    throw InputError("--ria-lsa: refines the channel reallocation; give --ria-reallocation too");
  if (opt.nsamples < 1) throw InputError("--nsamples: must be >= 1");
  if (opt.seqlen < 0) throw InputError("--seqlen: must be > 1");
  if (opt.batch < 1) throw InputError("--batch: must be >= 1");
  if (!std::isfinite(opt.params.ria_a)) throw InputError("--ria-a: must be a finite number");
  if (!(opt.params.alps_rho0 > 0) || !std::isfinite(opt.params.alps_rho0))
    throw InputError("--alps-rho0: must be a positive number");
  if (opt.params.alps_iters < 1) throw InputError("--alps-iters: must be >= 1");
  if (opt.params.alps_pcg_iters < 0) throw InputError("--alps-pcg-iters: must be >= 0");
  if (opt.owl.enabled && (opt.owl.lambda < 0 || opt.owl.m <= 0))
    throw InputError("--owl-lambda/--owl-m: must be >= 0 / > 0");
}

namespace {

// Statistics of the four distinct Linear inputs of a layer (q/k/v share one, gate/up another).
struct LayerCapture {
  std::array<ActivationStats, kNumLinears> stats;
  bool norms = false, gram = false;
  std::array<bool, kNumLinears> want{};
  CaptureFn fn() {
    return [this](int id, const at::Tensor& x) {
      if (id == kK || id == kV || id == kUp || !want[id]) return;  // same input as kQ / kGate
      for (int64_t b = 0; b < x.size(0); ++b) {  // one sample at a time: upstream's recurrence
        if (norms) stats[id].add_column_norms(x[b]);
        if (gram) stats[id].add_gram(x[b]);
      }
    };
  }
  void share_inputs() {
    stats[kK] = stats[kV] = stats[kQ];
    stats[kUp] = stats[kGate];
  }
};

// Matmul FLOPs of one decoder-layer forward over `tokens` tokens in sequences of `seqlen`
// (Linears + causal attention's two products counted in full), for FLOP-bound ratios.
double layer_forward_flops(const LlamaConfig& c, int64_t tokens, int64_t seqlen) {
  const double h = c.hidden_size, kv = double(c.num_key_value_heads * c.head_dim), q = double(c.num_attention_heads * c.head_dim);
  const double linear_params = h * q * 2 + h * kv * 2 + 3 * h * c.intermediate_size;
  return 2.0 * tokens * linear_params + 4.0 * tokens * seqlen * q;
}

int64_t g_layer_forwards = 0;  // layer forwards over the whole calibration set, for the report

at::Tensor forward_all(const LlamaConfig& cfg, const LayerWeights& w, at::Tensor& hidden, const Rope& rope,
                       int64_t batch, const CaptureFn* capture, bool update) {
  ++g_layer_forwards;
  for (int64_t b0 = 0; b0 < hidden.size(0); b0 += batch) {
    const int64_t nb = std::min(batch, hidden.size(0) - b0);
    at::Tensor slice = hidden.narrow(0, b0, nb);
    ForwardOptions fo;
    fo.capture = capture;
    at::Tensor out = layer_forward(cfg, w, slice, rope, fo);
    if (update) slice.copy_(out);
  }
  return hidden;
}

LayerWeights compute_copy(const LayerWeights& master, at::ScalarType dtype) {
  if (dtype == at::kFloat) return master;
  LayerWeights c = master;
  c.input_norm = master.input_norm.to(dtype);
  c.post_norm = master.post_norm.to(dtype);
  for (int i = 0; i < kNumLinears; ++i) {
    c.weight[i] = master.weight[i].to(dtype);
    if (master.bias[i].defined()) c.bias[i] = master.bias[i].to(dtype);
  }
  return c;
}

// Outlier ratio of a layer: percent of its Wanda scores above M x their mean (OWL).
double outlier_ratio(const LayerWeights& w, const LayerCapture& cap, double M) {
  std::vector<at::Tensor> scores;
  for (int i = 0; i < kNumLinears; ++i)
    scores.push_back((w.weight[i].abs() * at::sqrt(cap.stats[i].scaler_row.reshape({1, -1}))).flatten());
  at::Tensor all = at::cat(scores);
  at::Tensor mean = all.mean();
  const int64_t count = (all > mean * M).sum().item<int64_t>();
  return double(count) / double(all.numel()) * 100.0;
}

}  // namespace

json prune_checkpoint(const PruneOptions& opt) {
  validate_prune_options(opt);
  g_layer_forwards = 0;
  Stopwatch total_clock;
  json phases = json::object();
  auto phase_add = [&](const char* name, double s) {
    phases[name] = phases.value(name, 0.0) + s;
  };

  Checkpoint ck(opt.model_dir);
  ck.require_llama_tensors();
  const LlamaConfig& cfg = ck.config();
  const int L = static_cast<int>(cfg.num_hidden_layers);
  std::unique_ptr<Pruner> pruner = make_pruner(opt.method, opt.params);
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
  cfg.check_seqlen(seqlen, "--seqlen");

  const StatsKind kind = pruner->needs();
  const bool needs_data = kind != StatsKind::None || opt.owl.enabled;
  int last_selected = -1;
  for (int l = 0; l < L; ++l)
    for (int i = 0; i < kNumLinears; ++i)
      if (sel.selected(l, i)) last_selected = l;

  // Calibration windows (upstream's C4 sampler).
  CalibSet calib;
  json calib_report = nullptr;
  if (needs_data) {
    Stopwatch c;
    if (opt.calib_path.empty())
      throw InputError("--calib: method " + opt.method + " needs calibration text (C4-format JSON lines or plain text)");
    Tokenizer tok(opt.model_dir);
    const std::vector<std::string> docs = read_documents(opt.calib_path, doc_mode_from_name(opt.calib_docs));
    calib = sample_windows(docs, [&](const std::string& d) { return tok.encode(d, true); }, opt.nsamples,
                           seqlen, static_cast<uint64_t>(opt.seed));
    json windows = json::array();
    for (const CalibWindow& w : calib.windows) windows.push_back({{"doc", w.doc}, {"start", w.start}});
    calib_report = {{"corpus", opt.calib_path}, {"documents", docs.size()}, {"nsamples", opt.nsamples},
                    {"seqlen", seqlen}, {"seed", opt.seed}, {"windows", windows},
                    {"rejected_docs", calib.rejected_docs}};
    phase_add("calibration_sampling", c.seconds());
  }

  debug_pause("calibration");

  const at::ScalarType dtype = opt.dtype;
  Rope rope(cfg, seqlen);
  at::Tensor hidden;
  // Only the embedding rows of the calibration tokens are needed (no lm_head): gather them from
  // the mapping and drop its pages again.
  auto embed_windows = [&]() {
    at::Tensor hidden = at::embedding(ck.view("model.embed_tokens.weight"), calib.input_ids).to(dtype);
    ck.release("model.embed_tokens.weight");
    return hidden;
  };

  // OWL first pass: dense, layer-streamed, outlier ratios from Wanda scores (as upstream, for
  // every method).
  std::vector<double> layer_sparsity(L, spec.sparsity);
  json owl_report = nullptr;
  if (opt.owl.enabled) {
    Stopwatch c;
    hidden = embed_windows();
    std::vector<double> ratios;
    ProgressBar bar("owl pass", L, opt.quiet);
    for (int l = 0; l < L; ++l) {
      LayerWeights master = load_layer(ck, l, at::kFloat);
      LayerCapture cap;
      cap.norms = true;
      cap.want.fill(true);
      CaptureFn fn = cap.fn();
      forward_all(cfg, compute_copy(master, dtype), hidden, rope, opt.batch, &fn, /*update=*/true);
      cap.share_inputs();
      ratios.push_back(outlier_ratio(master, cap, opt.owl.m));
      release_layer(ck, l);
      bar.update(l + 1);
    }
    bar.finish();
    bool uniform = false;
    layer_sparsity = owl_layer_sparsities(ratios, spec.sparsity, opt.owl.lambda, &uniform);
    std::vector<double> applied = layer_sparsity;
    // Upstream OWL-Wanda / OWL-SparseGPT replace a non-positive layer sparsity by 0.01;
    // OWL-magnitude applies it unclamped.
    if (opt.method != "magnitude")
      for (double& s : applied)
        if (s <= 0) s = 0.01;
    std::vector<double> density;
    for (double s : layer_sparsity) density.push_back(1.0 - s);
    owl_report = {{"m", opt.owl.m}, {"lambda", opt.owl.lambda}, {"outlier_ratio_percent", ratios},
                  {"layer_density", density}, {"layer_sparsity", applied}, {"uniform_fallback", uniform},
                  {"note", "outlier ratios from Wanda scores |W|*sqrt(scaler_row), as upstream, for every method"}};
    layer_sparsity = applied;
    phase_add("owl_outlier_pass", c.seconds());
  }

  if (kind != StatsKind::None && last_selected >= 0) hidden = embed_windows();

  std::set<std::string> written;
  auto write = [&](const std::string& name, const at::Tensor& t) {
    Stopwatch c;
    writer.add(name, t);
    written.insert(name);
    phase_add("write", c.seconds());
  };

  json modules = json::object();
  json layers = json::array();
  std::map<std::string, at::Tensor> masks;
  std::map<std::string, at::Tensor> stats_out;
  int64_t total_pruned = 0, total_numel = 0, sel_pruned = 0, sel_numel = 0;
  bool warned_partial = false;
  ProgressBar bar("prune", L, opt.quiet);
  for (int l = 0; l < L; ++l) {
    LayerWeights master = load_layer(ck, l, at::kFloat);
    bool layer_selected = false;
    for (int i = 0; i < kNumLinears; ++i) layer_selected |= sel.selected(l, i);

    LayerCapture cap;
    const bool propagate = kind != StatsKind::None && l < last_selected;
    if (layer_selected && kind != StatsKind::None) {
      Stopwatch c;
      cap.norms = kind == StatsKind::ColumnNorms;
      cap.gram = kind == StatsKind::Gram;
      for (int i = 0; i < kNumLinears; ++i) {
        const int src = (i == kK || i == kV) ? kQ : (i == kUp ? kGate : i);
        if (sel.selected(l, i)) cap.want[src] = true;
      }
      CaptureFn fn = cap.fn();
      forward_all(cfg, compute_copy(master, dtype), hidden, rope, opt.batch, &fn, /*update=*/false);
      cap.share_inputs();
      phase_add("forward_dense_capture", c.seconds());
    }

    int64_t layer_pruned = 0, layer_numel = 0;
    Stopwatch pc;
    SparsitySpec layer_spec = spec;
    layer_spec.sparsity = layer_sparsity[l];
    for (int i = 0; i < kNumLinears; ++i) {
      const std::string name = linear_prefix(l, i) + ".weight";
      at::Tensor& w = master.weight[i];
      at::Tensor keep;
      json extra = json::object();
      if (sel.selected(l, i)) {
        LinearSite site{l, i, name, w, cap.stats[i]};
        PruneOutcome outcome = pruner->prune(site, layer_spec);
        keep = outcome.keep_mask;
        extra = outcome.extra;
        if (opt.save_masks) masks[name] = keep;
        if (cap.stats[i].scaler_row.defined()) {
          const std::string mod = linear_prefix(l, i);
          stats_out[mod + ".scaler_row"] = cap.stats[i].scaler_row;
          stats_out[mod + ".nsamples"] = at::full({1}, cap.stats[i].nsamples, at::kLong);
        }
      } else {
        keep = at::ones(w.sizes(), at::kByte);
      }
      const int64_t numel = w.numel();
      const int64_t pruned = numel - keep.sum().item<int64_t>();
      layer_pruned += pruned;
      layer_numel += numel;
      json m = {{"shape", {w.size(0), w.size(1)}}, {"selected", sel.selected(l, i)}, {"pruned", pruned},
                {"sparsity", double(pruned) / double(numel)}, {"zeros", (w == 0).sum().item<int64_t>()}};
      if (sel.selected(l, i)) {
        sel_pruned += pruned;
        sel_numel += numel;
        if (spec.is_nm()) {
          const bool divides = w.size(1) % spec.m == 0;
          m["nm_compliance"] = nm_compliance(keep, spec.n, spec.m);
          m["nm_deployable"] = divides && m["nm_compliance"].get<double>() == 1.0;
          if (!divides && !warned_partial && !opt.quiet) {
            std::fprintf(stderr,
                         "warning: %s has %lld inputs, not a multiple of %d: its short last group is pruned "
                         "like upstream (N smallest, all of it when <= N); such modules are not N:M-deployable\n",
                         linear_short_name(i), (long long)w.size(1), spec.m);
            warned_partial = true;
          }
        }
        for (auto it = extra.begin(); it != extra.end(); ++it) m[it.key()] = it.value();
      }
      modules[name] = m;
    }
    total_pruned += layer_pruned;
    total_numel += layer_numel;
    json lr = {{"layer", l}, {"pruned", layer_pruned}, {"numel", layer_numel},
               {"sparsity", double(layer_pruned) / double(layer_numel)}};
    if (opt.owl.enabled) {
      lr["owl_outlier_ratio_percent"] = owl_report["outlier_ratio_percent"][l];
      lr["owl_allocated_sparsity"] = layer_sparsity[l];
    }
    layers.push_back(lr);
    phase_add("score_select", pc.seconds());

    if (propagate) {
      // Layer l+1 is calibrated on the outputs of the already-pruned layer l, as upstream.
      Stopwatch c;
      forward_all(cfg, compute_copy(master, dtype), hidden, rope, opt.batch, nullptr, /*update=*/true);
      phase_add("forward_pruned", c.seconds());
    }
    for (int i = 0; i < kNumLinears; ++i) write(linear_prefix(l, i) + ".weight", master.weight[i]);
    master = LayerWeights{};
    release_layer(ck, l);
    bar.update(l + 1);
    if (l == L / 2) debug_pause("layers");
  }
  bar.finish();
  hidden = at::Tensor();

  // Everything else (embeddings, norms, lm_head, biases) is copied unchanged from the mapping.
  for (const std::string& name : ck.names())
    if (!written.count(name)) {
      write(name, ck.view(name));
      ck.release(name);
    }
  debug_pause("writing");
  const SideFiles side_files = writer.copy_side_files(opt.model_dir);
  // Masks and statistics under prunekit/, never as root-level *.safetensors that loaders globbing
  // for weights would read.
  if (opt.save_masks) save_safetensors(writer.temp_path("prunekit/masks.safetensors"), masks,
                                       {{"format", "pt"}, {"mask_convention", "1 = kept, 0 = pruned"},
                                        {"prunekit_method", opt.method}});
  if (opt.save_masks && !stats_out.empty())
    save_safetensors(writer.temp_path("prunekit/stats.safetensors"), stats_out);
  Stopwatch hash_clock;
  const std::vector<FileDigest> digests = input_digests(ck);
  phase_add("hash_inputs", hash_clock.seconds());

  json report = {
      {"prunekit_version", PRUNEKIT_VERSION},
      {"args", opt.args},
      {"model", opt.model_dir},
      {"method", opt.method},
      {"sparsity", spec.is_nm() ? double(spec.n) / spec.m : spec.sparsity},
      {"pattern", spec.is_nm() ? std::to_string(spec.n) + ":" + std::to_string(spec.m) : "unstructured"},
      {"group", spec.is_nm() ? "n:m" : group_name(spec.group)},
      {"dtype", dtype == at::kFloat ? "float32" : "bfloat16"},
      {"modules_selected", opt.modules_arg},
      {"layers_selected", opt.layers_arg.empty() ? "all" : opt.layers_arg},
      {"total_sparsity", double(total_pruned) / double(total_numel)},
      {"selected_sparsity", sel_numel ? double(sel_pruned) / double(sel_numel) : 0.0},
      {"prunable_weights", total_numel},
      {"pruned_weights", total_pruned},
      {"layers", layers},
      {"modules", modules},
      {"calibration", calib_report},
      {"owl", owl_report},
  };
  if (opt.method == "ria") report["ria_a"] = opt.params.ria_a;
  phase_add("total", total_clock.seconds());
  report["time_s"] = phases;
  if (needs_data) {
    const double per_forward = layer_forward_flops(cfg, calib.input_ids.numel(), seqlen);
    report["forward_gflop"] = per_forward * double(g_layer_forwards) / 1e9;
    report["layer_forwards"] = g_layer_forwards;
  }
  report["peak_rss_mb"] = peak_rss_mb();
  report["input_files"] = to_json(digests);
  report["side_files"] = to_json(side_files);
  writer.write_text(kReportFile, report.dump(2) + "\n");  // also the marker of a prunekit output
  writer.finish();
  debug_pause("committed");
  return report;
}

}  // namespace prunekit
