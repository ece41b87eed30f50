// prune: prune a Hugging Face LLaMA checkpoint layer by layer and write a pruned HF checkpoint.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>
#include <fstream>
#include <list>

#include "prunekit/checkpoint.h"
#include "prunekit/log.h"
#include "common/cli.h"
#include "prunekit/prune.h"

namespace {

// Every parameter a method declares is a flag --<method>-<name> (--ria-a, --sparsegpt-percdamp,
// --random-seed, ...): a new method's parameters reach the command line with no edit here.
struct MethodParamFlag {
  std::string method;
  prunekit::MethodParam param;
  std::string value;
  bool set = false;
  CLI::Option* option = nullptr;
  std::string flag() const {  // --alps-pcg-iters for parameter pcg_iters
    std::string name = param.name;
    std::replace(name.begin(), name.end(), '_', '-');
    return "--" + method + "-" + name;
  }
};

void add_method_param_flags(CLI::App& app, std::list<MethodParamFlag>& flags) {
  for (const prunekit::MethodInfo& m : prunekit::registered_methods())
    for (const prunekit::MethodParam& p : m.params) {
      MethodParamFlag& f = flags.emplace_back(MethodParamFlag{m.name, p});
      const std::string help = "--method " + m.name + ": " + p.help;
      f.option = p.default_value.is_boolean()
                     ? app.add_flag(f.flag(), f.set, help)
                     : app.add_option(f.flag(), f.value, help + " (default: " + p.default_value.dump() + ")");
    }
}

// The given flags of `method` as its parameters (name -> value); flags of other methods are
// ignored with a warning.
nlohmann::json method_params_from_flags(const std::list<MethodParamFlag>& flags, const std::string& method, bool quiet) {
  nlohmann::json params = nlohmann::json::object();
  for (const MethodParamFlag& f : flags) {
    if (f.option->count() == 0) continue;
    if (f.method != method) {
      if (!quiet) prunekit::log::warn("{} ignored (a parameter of --method {})", f.flag(), f.method);
      continue;
    }
    if (f.param.default_value.is_boolean()) {
      params[f.param.name] = f.set;
    } else if (f.param.default_value.is_string()) {
      params[f.param.name] = f.value;
    } else {
      nlohmann::json v = nlohmann::json::parse(f.value, nullptr, /*allow_exceptions=*/false);
      if (!v.is_number())
        throw prunekit::InputError(f.flag() + ": expected a number (got \"" + f.value + "\")");
      params[f.param.name] = v;
    }
  }
  return params;
}

}  // namespace

namespace cli = prunekit::cli;

int main(int argc, char** argv) {
  prunekit::init_process(argc, argv);
  CLI::App app{"prune: magnitude, Wanda, RIA, SparseGPT (+ OWL layerwise sparsity), unstructured or N:M,\n"
               "streamed one decoder layer at a time; writes an HF checkpoint (the input directory with the weights\n"
               "replaced) + prunekit/prune_report.json.\n"
               "Recipes: --recipe FILE.yaml prunes in stages, each with its own method, sparsity or pattern, params,\n"
               "targets/ignore (exact HF weight names or re:REGEX) and allocator (e.g. RIA 2:4 on attention + Wanda 60 %\n"
               "on the MLP: configs/recipes/two-stage.yaml in the repository; README \"Recipes\"). A weight goes to\n"
               "the first stage that targets it; naming one weight exactly in two stages is an error. The flags\n"
               "--method/--sparsity/--pattern/--group/--owl*/--modules/--layers/--<method>-<param> are a one-stage\n"
               "recipe and cannot be combined with --recipe; --print-recipe shows the effective recipe and exits.",
               "prune"};
  prunekit::PruneOptions opt;
  std::string pattern, group, dtype = "float32", max_shard, sparsity_text, device = "cpu";
  int threads = 0;
  std::string methods, recipe_path;
  bool print_recipe = false;
  for (const auto& m : prunekit::pruner_names()) methods += (methods.empty() ? "" : "|") + m;
  // --print-config needs none of the otherwise required flags.
  bool print_config = false;
  app.add_flag("--print-config", print_config,
               "print the effective settings (method and its parameters with defaults, sparsity, pattern, calibration, "
               "OWL, which methods need calibration) as JSON and exit without running");
  app.add_option("--model", opt.model_dir, "input HF checkpoint directory (never modified; required unless --print-recipe or --print-config)");
  CLI::Option* method_opt = app.add_option("--method", opt.method, methods + " (required unless --recipe or --print-config; default there: " + opt.method + ")");
  app.add_option("--recipe", recipe_path,
                 "YAML recipe: stages of method + sparsity|pattern + params + targets/ignore + allocator "
                 "(+ layer_sparsity overrides); replaces --method/--sparsity/--pattern/--group/--owl*/--modules/--layers");
  app.add_flag("--print-recipe", print_recipe,
               "print the effective recipe (of --recipe, or of the flags as one stage; parameters resolved) as YAML "
               "and exit 0");
  app.add_option("--sparsity", sparsity_text, "fraction of weights to prune, in [0, 1) (with --pattern N:M: only N/M)")
      ->check(cli::Real(0, 1, /*hi_open=*/true));
  app.add_option("--pattern", pattern, "N:M semi-structured: N of every M consecutive input weights pruned (2:4, 4:8)")
      ->check(cli::Pattern());
  app.add_option("--out", opt.out_dir, "output directory (written atomically; required unless --print-recipe or --print-config)");
  app.add_option("--calib", opt.calib_path,
                 "calibration text: C4-format JSON lines (\"text\"; .gz ok) or plain text "
                 "(default: $PRUNEKIT_SHARED/data/c4-sample.jsonl, else ../shared/data/c4-sample.jsonl, else "
                 "the repository's sample " PRUNEKIT_EXAMPLES_DIR "/data/c4-sample.jsonl)");
  app.add_option("--calib-docs", opt.calib_docs, "plain text cut into documents: file|paragraphs|lines")
      ->capture_default_str();
  app.add_option("--nsamples", opt.nsamples, "calibration windows")->capture_default_str()
      ->check(cli::Integer(1, INT32_MAX));
  app.add_option("--seqlen", opt.seqlen, "calibration window length (default: max_position_embeddings)")
      ->check(cli::Integer(2, INT32_MAX));
  app.add_option("--seed", opt.seed, "sampler seed (Python random.seed)")->capture_default_str()
      ->check(cli::Integer(0, INT64_MAX));
  app.add_option("--batch", opt.batch, "calibration windows per forward batch")->capture_default_str()
      ->check(cli::Integer(1, INT32_MAX));
  app.add_option("--modules", opt.modules_arg,
                 "which Linears: all|attn|mlp|comma list of q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
      ->capture_default_str()->check(cli::List());
  app.add_option("--layers", opt.layers_arg, "decoder layers to prune, e.g. 0-3,7 (default: all)")
      ->check(cli::IndexRanges());
  std::list<MethodParamFlag> param_flags;
  add_method_param_flags(app, param_flags);
  app.add_flag("--reconstruct", opt.reconstruct,
               "after any method's mask, re-fit the kept weights to the dense layer's outputs (conjugate gradient "
               "on the fixed mask against the Linear's calibration X^T X); the mask does not change");
  app.add_flag("--reconstruction-error", opt.measure_error,
               "report each Linear's reconstruction error ||X(W-W')^T||^2/||XW^T||^2 (any method; always with "
               "--reconstruct). Costs a Gram matrix per Linear input where the method has none (~1.4x wanda's time) "
               "and one [out,in]x[in,in] product per Linear (~1.15x sparsegpt's)");
  app.add_flag("--activations-on-disk", opt.activations_on_disk,
               "keep the calibration activations (nsamples x seqlen x hidden, e.g. 8.6 GB fp32 at 70B) in a "
               "memory-mapped file instead of RAM; results are bit-identical, the peak drops to one layer + one batch");
  app.add_option("--activations-dir", opt.activations_dir,
                 "--activations-on-disk: directory for the (unlinked) spill file (default: the directory holding --out)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--reconstruct-iters", opt.refit.max_iters, "--reconstruct: conjugate-gradient iterations")
      ->capture_default_str()->check(cli::Integer(0, 100000));
  app.add_option("--group", group, "comparison group per-row|per-matrix (default: the method's upstream group: "
                                   "per-row for wanda, per-matrix for magnitude and ria)");
  app.add_flag("--owl", opt.owl.enabled,
               "OWL layerwise sparsity over the method: a dense first pass computes each layer's outlier ratio "
               "from Wanda scores (as upstream, whatever the method) and allocates sparsity within +/- lambda");
  app.add_option("--owl-m", opt.owl.m, "OWL outlier threshold M (score > M x mean), > 0")->capture_default_str()
      ->check(cli::Real(0, 1e6));
  app.add_option("--owl-lambda", opt.owl.lambda, "OWL sparsity range lambda (every layer's sparsity must stay below 1)")
      ->capture_default_str()->check(cli::Real(0, 1, /*hi_open=*/true));
  app.add_option("--dtype", dtype, "compute dtype of the forward: float32|bfloat16")->capture_default_str()
      ->check(cli::ComputeDtype());
  cli::add_device_flag(app, &device);
  app.add_option("--max-shard-size", max_shard, "re-shard the output (e.g. 5GB; default: the input's layout)")
      ->check(cli::Size());
  app.add_flag("--save-masks", opt.save_masks, "also write prunekit/masks.safetensors (uint8, 1 = kept) and prunekit/stats.safetensors");
  app.add_flag("--overwrite", opt.overwrite, "replace a previous prunekit output at --out (recognised by its prunekit/prune_report.json; "
               "any other non-empty directory is never replaced)");
  app.add_option("--json", opt.json_path, "also write prune_report.json here");
  app.add_flag("--quiet", opt.quiet, "no progress, notes or advisory warnings (--log-level warn, and the warnings of this run's settings off)");
  prunekit::add_threads_flag(app, &threads);
  int code = 0;
  if (!prunekit::parse_cli(app, argc, argv, &code)) return code;

  return prunekit::guarded_main("prune", [&] {
    prunekit::set_threads(threads);
    opt.device = cli::device_from_flag(device);
    if (!recipe_path.empty()) {
      // The recipe sets what the one-stage flags would; both at once has no clear meaning.
      std::vector<std::string> stage_flags = {"--method", "--sparsity", "--pattern", "--group", "--owl",
                                              "--owl-m", "--owl-lambda", "--modules", "--layers"};
      for (const MethodParamFlag& f : param_flags) stage_flags.push_back(f.flag());
      for (const std::string& f : stage_flags)
        if (app.get_option(f)->count() > 0)
          throw cli::UsageError("--recipe: cannot be combined with " + f +
                                " (the recipe's stages set it; put it in the recipe, or drop --recipe)");
      opt.recipe = prunekit::load_recipe(recipe_path);
    } else if (method_opt->count() == 0 && !print_config) {
      throw cli::UsageError("--method is required (or --recipe)");
    }
    if (!print_recipe && !print_config) {
      if (opt.model_dir.empty()) throw cli::UsageError("--model is required");
      if (opt.out_dir.empty()) throw cli::UsageError("--out is required");
    }
    const double sparsity = sparsity_text.empty() ? -1 : cli::parse_real("--sparsity", sparsity_text, 0, 1, true);
    if (!recipe_path.empty()) {
      // no one-stage flags (refused above)
    } else if (!pattern.empty()) {
      std::tie(opt.spec.n, opt.spec.m) = cli::parse_nm("--pattern", pattern);
      // N:M prunes exactly N/M; a different --sparsity beside it would be silently ignored.
      if (sparsity >= 0 && std::fabs(sparsity - double(opt.spec.n) / opt.spec.m) > 1e-9)
        throw cli::UsageError("--sparsity " + sparsity_text + " conflicts with --pattern " + pattern +
                              " (which prunes exactly " + std::to_string(opt.spec.n) + "/" +
                              std::to_string(opt.spec.m) + "); give only one of them");
    } else if (sparsity < 0 && !print_config) {
      throw cli::UsageError("--sparsity or --pattern: one is required");
    }
    if (recipe_path.empty() && (opt.spec.m > 0 || sparsity >= 0))
      opt.spec.sparsity = opt.spec.m > 0 ? double(opt.spec.n) / opt.spec.m : sparsity;
    if (!group.empty()) {
      opt.spec.group = prunekit::group_from_name(group);
      opt.group_given = true;
    }
    if (recipe_path.empty()) opt.method_params = method_params_from_flags(param_flags, opt.method, opt.quiet);
    if (print_recipe) {
      // The effective recipe: the file's, or the flags' one stage, with every parameter resolved.
      prunekit::Recipe recipe = opt.recipe;
      if (recipe_path.empty()) {
        prunekit::PruneOptions check = opt;
        check.out_dir = check.out_dir.empty() ? "-" : check.out_dir;
        prunekit::validate_prune_options(check);
        prunekit::make_pruner(opt.method, opt.method_params);
        const int layers = opt.model_dir.empty()
                               ? (1 << 20)
                               : int(prunekit::Checkpoint(opt.model_dir).config().num_hidden_layers);
        recipe = prunekit::recipe_from_options(opt, layers);
      }
      std::fputs(prunekit::recipe_to_yaml(prunekit::effective_recipe(recipe)).c_str(), stdout);
      return 0;
    }
    opt.dtype = cli::parse_compute_dtype("--dtype", dtype);
    if (!max_shard.empty()) opt.max_shard_bytes = cli::parse_size("--max-shard-size", max_shard);
    if (opt.calib_path.empty()) {
      const std::string shared = prunekit::shared_dir_from_env();
      const std::string candidates[] = {shared.empty() ? "" : shared + "/data/c4-sample.jsonl",
                                        "../shared/data/c4-sample.jsonl", PRUNEKIT_EXAMPLES_DIR "/data/c4-sample.jsonl"};
      for (const auto& c : candidates)
        if (!c.empty() && prunekit::file_exists(c)) {
          opt.calib_path = c;
          break;
        }
    }
    if (print_config) {
      std::printf("%s\n", prunekit::describe_prune_settings(opt).dump(2).c_str());
      return 0;
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
                opt.model_dir.c_str(), opt.out_dir.c_str(), report["method"].get<std::string>().c_str(),
                report["pattern"].get<std::string>().c_str(),
                report["total_sparsity"].get<double>(), report["time_s"]["total"].get<double>(),
                report["peak_rss_mb"].get<double>());
    return 0;
  });
}
