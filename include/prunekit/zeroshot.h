// Zero-shot multiple-choice evaluation with lm-evaluation-harness (v0.4.x) semantics, as written
// down in shared/data/zeroshot/README.md: one log-likelihood request (context, " " + choice) per
// choice, joint-then-split tokenisation with BOS on the context, left truncation to
// max_length + 1 tokens then the last dropped, acc / acc_norm (by code points) per document.
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
};

// The task files: "<data_dir>/<name>.jsonl".
// $PRUNEKIT_SHARED/data/zeroshot when that is set, else ../shared/data/zeroshot.
std::string default_zeroshot_data_dir();
// Path of a task's file; InputError naming it when missing.
std::string resolve_task_file(const std::string& name, const std::string& data_dir);
// True for the names with their own lm-eval construction (boolq, rte, hellaswag, arc_easy,
// arc_challenge, piqa, openbookqa, winogrande); others are generic {"context","choices","gold"}.
bool is_builtin_task(const std::string& name);
// Parse the first `limit` (0: all) records of a task file into documents. InputError names
// "<path>:<line>" for bad JSON, missing fields or a gold index out of range.
std::vector<McDoc> load_task(const std::string& name, const std::string& path, int64_t limit = 0);
// HellaSwag's preprocess(): strip, " [title]" -> ". ", drop "[...]" tags, "  " -> " ".
std::string hellaswag_clean(const std::string& text);
// Number of Unicode code points of a UTF-8 string (Python len()).
int64_t utf8_length(const std::string& s);

// Scores of one document's requests.
struct DocScores {
  std::vector<double> loglik;          // summed log-probabilities of the continuation tokens
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
  // Documents scored concurrently (0: auto, all threads for models with hidden_size < 1024 and
  // no Linear overrides, else 1 with intra-op threading).
  int64_t doc_workers = 0;
  bool quiet = false;
};

// Per-document details, as reference-stories260K.json's "first_items".
struct ItemLog {
  int64_t index = 0;
  int gold = 0;
  std::vector<double> loglik;
  std::vector<int64_t> n_cont_tokens;
  std::vector<double> choice_chars;
  int pred = 0, pred_norm = 0;
};

struct TaskResult {
  std::string name, file;
  int64_t n = 0;
  int64_t correct = 0, correct_norm = 0, correct_bytes = 0;  // documents right per metric
  double acc = 0, acc_stderr = 0, acc_norm = 0, acc_norm_stderr = 0, acc_bytes = 0,
         acc_bytes_stderr = 0;
  int64_t requests_truncated = 0, requests_continuation_clipped = 0;
  std::vector<ItemLog> first_items;
  double seconds = 0;
};

struct ZeroShotResult {
  std::vector<TaskResult> tasks;
  double mean_acc = 0, mean_acc_norm = 0;
  int64_t max_length = 0, limit = 0, items = 0;
  double seconds = 0;
};

// Evaluate a task's documents (already loaded).
TaskResult evaluate_task(LlamaModel& model, const Tokenizer& tok, const std::string& name,
                         const std::vector<McDoc>& docs, const ZeroShotOptions& opt);
// Resolve, load and evaluate each task; the files are all checked before any scoring starts.
ZeroShotResult evaluate_zeroshot(LlamaModel& model, const Tokenizer& tok,
                                 const std::vector<std::string>& tasks, const ZeroShotOptions& opt);

// Sample standard error of a mean of 0/1 scores, as lm-eval: sqrt(p (1 - p) / (n - 1)).
double binomial_stderr(double p, int64_t n);
// The result in reference-stories260K.json's layout: {"model", "settings", "tasks", "mean_acc", ...}.
nlohmann::ordered_json zeroshot_json(const ZeroShotResult& r, const std::string& model_name,
                                     const std::string& dtype);
// A plain-text table: task, n, acc ± stderr, acc_norm ± stderr, and the mean.
std::string zeroshot_table(const ZeroShotResult& r);

}  // namespace prunekit
