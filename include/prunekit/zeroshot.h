// Multiple-choice evaluation with lm-evaluation-harness (v0.4.x) semantics, as written down in
// tests/fixtures/data/zeroshot/README.md and docs/CONVENTIONS.md section 10: one log-likelihood
// request (context, " " + choice) per choice, joint-then-split tokenisation with BOS on the
// context, left truncation to max_length + 1 tokens then the last dropped, acc / acc_norm (by
// code points) per document; optional few-shot contexts drawn as lm-eval's sampler draws them;
// results and per-sample logs in lm-eval's JSON shapes.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace prunekit {

class LlamaModel;
class Tokenizer;

// One log-likelihood request: lm-eval's (context, continuation) pair.
struct McRequest {
  std::string context;
  std::string continuation;  // target delimiter included, e.g. " yes"
};

// One document: a request per choice, the strings acc_norm divides by, the gold index.
struct McDoc {
  std::vector<McRequest> requests;
  std::vector<std::string> choices;  // doc_to_choice(doc): len() of these is acc_norm's divisor
  int gold = 0;
  nlohmann::ordered_json record;  // the task file's record (lm-eval's "doc"; few-shot compares by it)
};

// What lm-eval's task YAML says about a task: its config in results files, which metrics it
// reports, its few-shot split rule. Tasks that are not built in get the generic entry
// ({"context","choices","gold"}, acc and acc_norm, no version).
struct TaskInfo {
  std::string name;
  bool builtin = false;
  bool reports_acc_norm = true;       // lm-eval lists acc_norm in the task's metric_list
  nlohmann::json version;             // metadata.version (null for generic tasks)
  nlohmann::json dataset_path, dataset_name, training_split, validation_split, test_split;
  nlohmann::json doc_to_text, doc_to_target, doc_to_choice;
  std::string eval_split;             // the split lm-eval scores (what <name>.jsonl holds)
};
TaskInfo task_info(const std::string& name);

// The task files: "<data_dir>/<name>.jsonl".
// $PRUNEKIT_SHARED/data/zeroshot when that is set, else ../shared/data/zeroshot, else the copy in
// this repository's tests/fixtures/data/zeroshot.
std::string default_zeroshot_data_dir();
// Path of a task's file; InputError naming it when missing.
std::string resolve_task_file(const std::string& name, const std::string& data_dir);
// True for the names with their own lm-eval construction (boolq, rte, hellaswag, arc_easy,
// arc_challenge, piqa, openbookqa, winogrande); others are generic {"context","choices","gold"}.
bool is_builtin_task(const std::string& name);
// Parse the first `limit` (0: all) records of a task file into documents. InputError names
// "<path>:<line>" for bad JSON, missing fields or a gold index out of range.
std::vector<McDoc> load_task(const std::string& name, const std::string& path, int64_t limit = 0);
// One non-blank line of a task file: its document (what load_task does per line). InputError
// "<where>: <what>" for bad JSON, missing fields or a gold index out of range.
McDoc parse_task_line(const std::string& name, const std::string& line, const std::string& where);
// The few-shot pool of a task: "<data_dir>/<name>.train.jsonl" (lm-eval samples few-shot
// examples from the training split) when that file exists, else the task file itself.
std::string resolve_fewshot_file(const std::string& name, const std::string& data_dir);
// Prefix every document's contexts with `k` solved examples drawn from `pool` as lm-eval's
// ContextSampler does: one random.Random(seed) for the task, per document (in order)
// random.sample(pool, k + extra), the document itself removed, the first k kept, each example
// "context + continuation of its gold choice" followed by "\n\n". `extra` is 1 when the pool is
// the evaluated file (`same_split`) or lm-eval's rule fewshot_split == test_split holds (the task
// has no test split), else 0. InputError when the pool is too small.
void add_fewshot_contexts(std::vector<McDoc>& docs, const std::vector<McDoc>& pool, int64_t k, uint64_t seed,
                          bool same_split, const TaskInfo& info);
// HellaSwag's preprocess(): strip, " [title]" -> ". ", drop "[...]" tags, "  " -> " ".
std::string hellaswag_clean(const std::string& text);
// Number of Unicode code points of a UTF-8 string (Python len()).
int64_t utf8_length(const std::string& s);

// Scores of one document's requests.
struct DocScores {
  std::vector<double> loglik;          // summed log-probabilities of the continuation tokens
  std::vector<bool> is_greedy;         // every continuation token is the argmax (lm-eval's is_greedy)
  std::vector<int64_t> n_cont_tokens;  // continuation tokens per request
  int64_t truncated = 0;               // requests whose context was cut on the left
  int64_t clipped = 0;                 // requests whose continuation alone exceeds the window
};

// Score a document: each distinct (context, window start) is run once through the model into a
// KV cache, then the continuations are run from copies of that cache, `batch` rows at a time.
// max_length <= 0: the model's max_position_embeddings.
DocScores score_document(LlamaModel& model, const Tokenizer& tok, const McDoc& doc,
                         int64_t max_length = 0, int64_t batch = 16);

struct ZeroShotOptions {
  std::string data_dir;    // empty: default_zeroshot_data_dir()
  int64_t limit = 0;       // first N documents per task (0: all)
  int64_t batch = 16;      // continuation rows per forward
  int64_t max_length = 0;  // 0: max_position_embeddings
  int64_t log_items = 5;   // per-choice details kept for the first N documents
  bool keep_samples = false;  // keep every document's details (TaskResult::samples)
  int64_t num_fewshot = 0;    // solved examples before each document (lm-eval's num_fewshot)
  uint64_t fewshot_seed = 1234;  // lm-eval's default fewshot_random_seed
  // Documents scored concurrently (0: auto, all threads for models with hidden_size < 1024 and
  // no Linear overrides, else 1 with intra-op threading).
  int64_t doc_workers = 0;
  bool quiet = false;
};

// Per-document details, as reference-stories260K.json's "first_items" (+ what a sample log needs).
struct ItemLog {
  int64_t index = 0;
  int gold = 0;
  std::vector<double> loglik;
  std::vector<int64_t> n_cont_tokens;
  std::vector<double> choice_chars;
  int pred = 0, pred_norm = 0;
  std::vector<bool> is_greedy;
};

struct TaskResult {
  std::string name, file;
  TaskInfo info;
  int64_t n = 0;
  int64_t n_original = 0;       // records in the task file (n is fewer under --limit)
  int64_t num_fewshot = 0;
  std::string fewshot_file;     // the pool the examples came from (empty: zero-shot)
  int64_t correct = 0, correct_norm = 0, correct_bytes = 0;  // documents right per metric
  double acc = 0, acc_stderr = 0, acc_norm = 0, acc_norm_stderr = 0, acc_bytes = 0,
         acc_bytes_stderr = 0;
  int64_t requests_truncated = 0, requests_continuation_clipped = 0;
  std::vector<ItemLog> first_items;
  std::vector<McDoc> docs;       // with keep_samples: the scored documents (contexts with examples)
  std::vector<ItemLog> samples;  // with keep_samples: every document, samples[i] scores docs[i]
  double seconds = 0;
};

struct ZeroShotResult {
  std::vector<TaskResult> tasks;
  double mean_acc = 0, mean_acc_norm = 0;
  int64_t max_length = 0, limit = 0, items = 0;
  int64_t num_fewshot = 0;
  uint64_t fewshot_seed = 1234;
  double seconds = 0;
};

// Evaluate a task's documents (already loaded).
TaskResult evaluate_task(LlamaModel& model, const Tokenizer& tok, const std::string& name,
                         const std::vector<McDoc>& docs, const ZeroShotOptions& opt);
// Resolve, load and evaluate each task; the files are all checked before any scoring starts.
ZeroShotResult evaluate_zeroshot(LlamaModel& model, const Tokenizer& tok,
                                 const std::vector<std::string>& tasks, const ZeroShotOptions& opt);

// Standard error of the mean of per-item scores as lm-eval computes it (mean_stderr:
// sample_stddev / sqrt(n), Python's left-to-right sums); 0 for fewer than 2 items.
double mean_stderr(const std::vector<double>& scores);
// The result in reference-stories260K.json's layout: {"model", "settings", "tasks", "mean_acc", ...}.
nlohmann::ordered_json zeroshot_json(const ZeroShotResult& r, const std::string& model_name,
                                     const std::string& dtype);
// How the model was run, for the "config" block of lm-eval's results file.
struct LmEvalRunInfo {
  std::string model_dir, dtype = "float32", device = "cpu";
  int64_t batch = 16, num_parameters = 0;
  double date = 0;  // Unix time the run started
};
// The result in lm-eval-harness's results-file shape: "results" ({task: {"alias", "acc,none",
// "acc_stderr,none", and "acc_norm,none"/"acc_norm_stderr,none" where lm-eval reports them}),
// "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config", ...
nlohmann::ordered_json lm_eval_results_json(const ZeroShotResult& r, const LmEvalRunInfo& run);
// Per-sample log lines (JSONL) in lm-eval's --log_samples shape (doc_id, doc, target, arguments,
// resps, filtered_resps, filter, metrics, acc[, acc_norm]) plus task_name, choices, loglikelihood,
// is_greedy, pred, gold. Needs keep_samples.
std::string lm_eval_samples_jsonl(const ZeroShotResult& r);
// A plain-text table: task, n, acc ± stderr, acc_norm ± stderr, and the mean.
std::string zeroshot_table(const ZeroShotResult& r);

}  // namespace prunekit
