// prune: prune a Hugging Face LLaMA checkpoint layer by layer and write a pruned HF checkpoint.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

#include "prunekit/checkpoint.h"
#include "prunekit/cli.h"
#include "prunekit/prune.h"

int main(int argc, char** argv) {
  prunekit::init_process(argc, argv);
  CLI::App app{"prune: magnitude, Wanda, RIA, SparseGPT (+ OWL layerwise sparsity), unstructured or N:M,\n"
               "streamed one decoder layer at a time; writes an HF checkpoint (the input directory with the weights\n"
               "replaced) + prunekit/prune_report.json",
               "prune"};
  prunekit::PruneOptions opt;
  std::string pattern, group, dtype = "float32", max_shard;
  double sparsity = -1;
  int threads = 0;
  std::string methods;
  for (const auto& m : prunekit::pruner_names()) methods += (methods.empty() ? "" : "|") + m;
  app.add_option("--model", opt.model_dir, "input HF checkpoint directory (never modified)")->required();
  app.add_option("--method", opt.method, methods)->required();
  app.add_option("--sparsity", sparsity, "fraction of weights to prune, in [0, 1) (ignored with --pattern)");
  app.add_option("--pattern", pattern, "N:M semi-structured: N of every M consecutive input weights pruned (2:4, 4:8)");
  app.add_option("--out", opt.out_dir, "output directory (written atomically)")->required();
  app.add_option("--calib", opt.calib_path,
                 "calibration text: C4-format JSON lines (\"text\"; .gz ok) or plain text "
                 "(default: $PRUNEKIT_SHARED/data/c4-sample.jsonl, else the repo's examples/ sample)");
  app.add_option("--calib-docs", opt.calib_docs, "plain text cut into documents: file|paragraphs|lines")
      ->capture_default_str();
  app.add_option("--nsamples", opt.nsamples, "calibration windows")->capture_default_str();
  app.add_option("--seqlen", opt.seqlen, "calibration window length (default: max_position_embeddings)");
  app.add_option("--seed", opt.seed, "sampler seed (Python random.seed)")->capture_default_str();
  app.add_option("--batch", opt.batch, "calibration windows per forward batch")->capture_default_str();
  app.add_option("--modules", opt.modules_arg,
                 "which Linears: all|attn|mlp|comma list of q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
      ->capture_default_str();
  app.add_option("--layers", opt.layers_arg, "decoder layers to prune, e.g. 0-3,7 (default: all)");
  app.add_option("--ria-a", opt.params.ria_a, "RIA activation exponent a (score x sqrt(s)^a)")->capture_default_str();
  app.add_flag("--ria-reallocation", opt.params.ria_reallocation, "RIA channel reallocation before N:M selection");
  app.add_flag("--ria-lsa", opt.params.ria_lsa,
               "with --ria-reallocation: refine the channel permutation by linear sum assignment per group position");
  app.add_option("--alps-rho0", opt.params.alps_rho0, "ALPS initial ADMM penalty rho")->capture_default_str();
  app.add_option("--alps-iters", opt.params.alps_iters, "ALPS ADMM iteration cap")->capture_default_str();
  app.add_option("--alps-pcg-iters", opt.params.alps_pcg_iters,
                 "ALPS conjugate-gradient iterations on the final support")->capture_default_str();
  app.add_option("--group", group, "comparison group per-row|per-matrix (default: the method's upstream group: "
                                   "per-row for wanda, per-matrix for magnitude and ria)");
  app.add_flag("--owl", opt.owl.enabled,
               "OWL layerwise sparsity over the method: a dense first pass computes each layer's outlier ratio "
               "from Wanda scores (as upstream, whatever the method) and allocates sparsity within +/- lambda");
  app.add_option("--owl-m", opt.owl.m, "OWL outlier threshold M (score > M x mean)")->capture_default_str();
  app.add_option("--owl-lambda", opt.owl.lambda, "OWL sparsity range lambda")->capture_default_str();
  app.add_option("--dtype", dtype, "compute dtype of the forward: float32|bfloat16")->capture_default_str();
  app.add_option("--max-shard-size", max_shard, "re-shard the output (e.g. 5GB; default: the input's layout)");
  app.add_flag("--save-masks", opt.save_masks, "also write prunekit/masks.safetensors (uint8, 1 = kept) and prunekit/stats.safetensors");
  app.add_flag("--overwrite", opt.overwrite, "replace a previous prunekit output at --out (recognised by its prunekit/prune_report.json; "
               "any other non-empty directory is never replaced)");
  app.add_option("--json", opt.json_path, "also write prune_report.json here");
  app.add_flag("--quiet", opt.quiet, "no progress bar or warnings");
  prunekit::add_threads_flag(app, &threads);
  int code = 0;
  if (!prunekit::parse_cli(app, argc, argv, &code)) return code;

  return prunekit::guarded_main("prune", [&] {
    prunekit::set_threads(threads);
    if (!pattern.empty()) {
      int n = 0, m = 0;
      char colon = 0;
      if (std::sscanf(pattern.c_str(), "%d%c%d", &n, &colon, &m) != 3 || colon != ':')
        throw prunekit::InputError("--pattern: expected N:M, e.g. 2:4 (got \"" + pattern + "\")");
      opt.spec.n = n;
      opt.spec.m = m;
      if (m < 1) throw prunekit::InputError("--pattern: M must be >= 1");
    } else if (sparsity < 0 && sparsity != -1) {
      throw prunekit::InputError("--sparsity: must be in [0, 1)");
    } else if (sparsity == -1) {
      throw prunekit::InputError("--sparsity or --pattern: one is required");
    }
    opt.spec.sparsity = opt.spec.m > 0 ? double(opt.spec.n) / opt.spec.m : sparsity;
    if (!group.empty()) {
      opt.spec.group = prunekit::group_from_name(group);
      opt.group_given = true;
    }
    opt.dtype = prunekit::parse_compute_dtype(dtype);
    if (!max_shard.empty()) opt.max_shard_bytes = prunekit::parse_size(max_shard);
    if (opt.calib_path.empty()) {
      const std::string shared = prunekit::shared_dir_from_env();
      const std::string candidates[] = {shared.empty() ? "" : shared + "/data/c4-sample.jsonl",
                                        "../shared/data/c4-sample.jsonl", PRUNEKIT_EXAMPLES_DIR "/c4-sample.jsonl"};
      for (const auto& c : candidates)
        if (!c.empty() && prunekit::file_exists(c)) {
          opt.calib_path = c;
          break;
        }
    }
    nlohmann::json args = nlohmann::json::array();
    for (int i = 0; i < argc; ++i) args.push_back(argv[i]);
    opt.args = {{"argv", args}, {"calib", opt.calib_path}, {"nsamples", opt.nsamples}, {"seed", opt.seed}};
    // Refused up front, before any work: a --json that could not be written at the end.
    if (!opt.json_path.empty()) {
      prunekit::check_writable(opt.json_path, "--json");
      prunekit::check_outside_input(opt.json_path, opt.model_dir, "--json");
    }
    nlohmann::json report = prunekit::prune_checkpoint(opt);
    if (!opt.json_path.empty()) prunekit::write_file_atomic(opt.json_path, report.dump(2) + "\n");
    std::printf("pruned %s -> %s: method %s, %s, total sparsity %.6f, %.1f s, peak RSS %.0f MiB\n",
                opt.model_dir.c_str(), opt.out_dir.c_str(), opt.method.c_str(), report["pattern"].get<std::string>().c_str(),
                report["total_sparsity"].get<double>(), report["time_s"]["total"].get<double>(),
                report["peak_rss_mb"].get<double>());
    return 0;
  });
}
