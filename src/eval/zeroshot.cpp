// Multiple choice with lm-evaluation-harness v0.4.x semantics (tests/fixtures/data/zeroshot/README.md,
// docs/CONVENTIONS.md section 10): task construction, few-shot contexts, request tokenisation,
// truncation, shared-context scoring with a KV cache, acc / acc_norm / acc_bytes, and lm-eval's
// results and sample-log JSON shapes.
#include "prunekit/zeroshot.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>

#include "prunekit/common.h"
#include "prunekit/model.h"
#include "prunekit/progress.h"
#include "prunekit/sampler.h"
#include "prunekit/tokenizer.h"

namespace prunekit {

using nlohmann::json;

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
}  // namespace

// The task files are parsed in src/eval/zeroshot_tasks.cpp (no LibTorch: fuzzed, sanitizer-tested).

std::string default_zeroshot_data_dir() {
  const std::string shared = shared_dir_from_env();
  if (!shared.empty()) return shared + "/data/zeroshot";
  if (dir_exists("../shared/data/zeroshot")) return "../shared/data/zeroshot";
  return PRUNEKIT_EXAMPLES_DIR "/../tests/fixtures/data/zeroshot";  // this checkout's copy
}

std::string resolve_task_file(const std::string& name, const std::string& data_dir) {
  if (name.empty()) throw InvalidSetting("tasks", "", "empty task name");
  const std::string path = (data_dir.empty() ? default_zeroshot_data_dir() : data_dir) + "/" + name + ".jsonl";
  if (!file_exists(path)) throw InputError(path + ": task file not found (task \"" + name + "\")");
  return path;
}

bool is_builtin_task(const std::string& name) { return task_info(name).builtin; }

TaskInfo task_info(const std::string& name) {
  // From lm-eval's task YAMLs (lm_eval/tasks/<task>/*.yaml, v0.4.x). `eval_split` is the split the
  // harness scores: the test split where the task has one, else validation.
  struct Row {
    const char *name, *path, *config, *test, *eval, *text, *target;
    json choice;
    bool acc_norm;
    double version;
  };
  const json null;
  static const std::vector<Row> rows = {
      {"boolq", "super_glue", "boolq", nullptr, "validation", "{{passage}}\nQuestion: {{question}}?\nAnswer:", "label",
       json{"no", "yes"}, false, 2.0},
      {"rte", "glue", "rte", nullptr, "validation", "{{sentence1}}\nQuestion: {{sentence2}} True or False?\nAnswer:",
       "label", json{"True", "False"}, false, 1.0},
      {"hellaswag", "hellaswag", nullptr, nullptr, "validation", "{{query}}", "{{label}}", "choices", true, 1.0},
      {"arc_easy", "ai2_arc", "ARC-Easy", "test", "test", "Question: {{question}}\nAnswer:",
       "{{choices.label.index(answerKey)}}", "{{choices.text}}", true, 1.0},
      {"arc_challenge", "ai2_arc", "ARC-Challenge", "test", "test", "Question: {{question}}\nAnswer:",
       "{{choices.label.index(answerKey)}}", "{{choices.text}}", true, 1.0},
      {"piqa", "piqa", nullptr, nullptr, "validation", "Question: {{goal}}\nAnswer:", "label", "{{[sol1, sol2]}}", true,
       1.0},
      {"openbookqa", "openbookqa", "main", "test", "test", "question_stem",
       "{{choices.label.index(answerKey.lstrip())}}", "{{choices.text}}", true, 1.0},
      {"winogrande", "winogrande", "winogrande_xl", nullptr, "validation", "!function preprocess_winogrande.doc_to_text",
       "!function preprocess_winogrande.doc_to_target", "!function preprocess_winogrande.doc_to_choice", false, 1.0},
  };
  auto opt = [&](const char* s) { return s ? json(s) : null; };
  TaskInfo t;
  t.name = name;
  for (const Row& r : rows) {
    if (name != r.name) continue;
    t.builtin = true;
    t.reports_acc_norm = r.acc_norm;
    t.version = r.version;
    t.dataset_path = r.path;
    t.dataset_name = opt(r.config);
    t.training_split = "train";
    t.validation_split = "validation";
    t.test_split = opt(r.test);
    t.doc_to_text = r.text;
    t.doc_to_target = r.target;
    t.doc_to_choice = r.choice;
    t.eval_split = r.eval;
    return t;
  }
  // Generic: the file is the split scored; acc and acc_norm.
  t.dataset_path = name + ".jsonl";
  t.dataset_name = t.training_split = t.validation_split = t.version = null;
  t.test_split = "test";
  t.doc_to_text = "{{context}}";
  t.doc_to_target = "{{gold}}";
  t.doc_to_choice = "{{choices}}";
  t.eval_split = "test";
  return t;
}

std::string resolve_fewshot_file(const std::string& name, const std::string& data_dir) {
  const std::string train = (data_dir.empty() ? default_zeroshot_data_dir() : data_dir) + "/" + name + ".train.jsonl";
  return file_exists(train) ? train : resolve_task_file(name, data_dir);
}

void add_fewshot_contexts(std::vector<McDoc>& docs, const std::vector<McDoc>& pool, int64_t k, uint64_t seed,
                          bool same_split, const TaskInfo& info) {
  if (k <= 0) return;
  // lm-eval ContextSampler.get_context: one extra draw "if using the same split as evaluating on",
  // tested as fewshot_split == test_split (so also for every task without a test split).
  const int64_t draws = k + ((same_split || info.test_split.is_null()) ? 1 : 0);
  if (draws > static_cast<int64_t>(pool.size()))
    throw InputError("--num-fewshot: " + std::to_string(k) + " examples need " + std::to_string(draws) +
                     " documents in the few-shot pool of \"" + info.name + "\", it has " +
                     std::to_string(pool.size()));
  PyRandom rnd(seed);  // the task's random.Random(fewshot_seed), advanced document after document
  for (McDoc& doc : docs) {
    std::string examples;
    int64_t used = 0;
    for (int64_t j : rnd.sample(static_cast<int64_t>(pool.size()), draws)) {
      const McDoc& ex = pool[j];
      if (ex.record == doc.record) continue;  // [x for x in fewshotex if x != doc][:num_fewshot]
      if (used++ == k) break;
      // doc_to_text(ex) + target_delimiter + its gold choice (WinoGrande: the gold option's partial
      // sentence + " " + the shared continuation), then fewshot_delimiter.
      const McRequest& gold = ex.requests[ex.gold];
      examples += gold.context + gold.continuation + "\n\n";
    }
    for (McRequest& r : doc.requests) r.context = examples + r.context;
  }
}

// ---------------------------------------------------------------------------------------------
// Scoring.

namespace {

// One tokenised request: lm-eval's (context_enc, continuation_enc) and its window start.
struct Tokenised {
  std::string context;  // after moving trailing whitespace to the continuation
  std::vector<int> ctx, cont;
  int64_t start = 0;  // first kept token of ctx + cont (left truncation)
};

// HFLM._encode_pair with BOS on the context (README "Tokenisation of a request").
Tokenised encode_request(const Tokenizer& tok, const McRequest& r, int64_t max_length,
                         std::map<std::string, std::vector<int>>& ctx_cache) {
  Tokenised t;
  t.context = r.context;
  std::string cont = r.continuation;
  if (t.context.empty()) {  // lm-eval: context_enc = [prefix_token_id]
    t.ctx = {tok.bos_id()};
    t.cont = tok.encode(cont, /*add_bos=*/false);
  } else {
    // Trailing whitespace of the context moves to the front of the continuation.
    size_t keep = t.context.size();
    while (keep > 0 && is_space(t.context[keep - 1])) --keep;
    cont = t.context.substr(keep) + cont;
    t.context.resize(keep);
    auto it = ctx_cache.find(t.context);
    if (it == ctx_cache.end()) it = ctx_cache.emplace(t.context, tok.encode(t.context, true)).first;
    t.ctx = it->second;
    // Jointly encoded, then split at len(context_enc).
    const std::vector<int> whole = tok.encode(t.context + cont, true);
    t.cont.assign(whole.begin() + std::min(whole.size(), t.ctx.size()), whole.end());
  }
  // Input = (ctx + cont)[-(max_length + 1):][:-1].
  const int64_t n = static_cast<int64_t>(t.ctx.size() + t.cont.size());
  t.start = std::max<int64_t>(0, n - (max_length + 1));
  return t;
}

at::Tensor ids_tensor(const std::vector<int64_t>& ids, int64_t rows, int64_t cols) {
  return at::tensor(ids, at::kLong).view({rows, cols});
}

// A row of a batched forward: its input ids and the targets scored at its positions
// offset, offset + 1, ... (position p predicts ids[p + 1]).
struct Row {
  std::vector<int64_t> ids;
  std::vector<int> targets;
  int64_t offset = 0;
};

// Per row: the sum of log-softmax at its targets (fp32 log-softmax as lm-eval, summed in double)
// and whether every target is the argmax of its logits (lm-eval's is_greedy).
struct RowScores {
  std::vector<double> sums;
  std::vector<bool> greedy;
};

// Runs rows (right-padded with token 0, which sits after every scored position of a causal
// model) after the cached `prefix` (nullptr: none).
RowScores score_rows(LlamaModel& model, const std::vector<Row>& rows, const std::vector<KVCache>* prefix) {
  const int64_t n = static_cast<int64_t>(rows.size());
  size_t width = 0;
  for (const Row& r : rows) width = std::max(width, r.ids.size());
  std::vector<int64_t> ids(n * width, 0), targets(n * width, 0);
  for (int64_t r = 0; r < n; ++r) {
    std::copy(rows[r].ids.begin(), rows[r].ids.end(), ids.begin() + r * width);
    std::copy(rows[r].targets.begin(), rows[r].targets.end(), targets.begin() + r * width + rows[r].offset);
  }
  std::vector<KVCache> caches;
  if (prefix && (*prefix)[0].len > 0) {
    // Each row attends over a broadcast view of the prefix cache; the layer's cat() copies it.
    caches = model.new_caches();
    for (size_t l = 0; l < caches.size(); ++l) {
      caches[l].k = (*prefix)[l].k.expand({n, -1, -1, -1});
      caches[l].v = (*prefix)[l].v.expand({n, -1, -1, -1});
      caches[l].len = (*prefix)[l].len;
    }
  }
  at::Tensor logits = model.forward(ids_tensor(ids, n, int64_t(width)), caches.empty() ? nullptr : &caches);
  at::Tensor index = ids_tensor(targets, n, int64_t(width)).unsqueeze(-1);
  at::Tensor lp = at::log_softmax(logits, -1).gather(2, index).squeeze(-1);
  at::Tensor best = logits.argmax(-1);
  auto a = lp.accessor<float, 2>();
  auto b = best.accessor<int64_t, 2>();
  RowScores out{std::vector<double>(n, 0.0), std::vector<bool>(n, true)};
  for (int64_t r = 0; r < n; ++r)
    for (size_t t = 0; t < rows[r].targets.size(); ++t) {
      const int64_t pos = rows[r].offset + int64_t(t);
      out.sums[r] += a[r][pos];
      if (b[r][pos] != rows[r].targets[t]) out.greedy[r] = false;
    }
  return out;
}

}  // namespace

DocScores score_document(LlamaModel& model, const Tokenizer& tok, const McDoc& doc, int64_t max_length,
                         int64_t batch) {
  const int64_t max_pos = model.config().max_position_embeddings;
  const int64_t L = max_length > 0 ? std::min(max_length, max_pos) : max_pos;
  batch = std::max<int64_t>(1, batch);
  const size_t n = doc.requests.size();
  DocScores s;
  s.loglik.assign(n, 0.0);
  s.is_greedy.assign(n, true);  // an empty continuation is trivially greedy
  s.n_cont_tokens.assign(n, 0);

  // Requests with the same context and the same window start share one cached prefix.
  std::map<std::string, std::vector<int>> ctx_cache;
  std::vector<Tokenised> req;
  std::map<std::pair<std::string, int64_t>, std::vector<size_t>> groups;
  std::vector<std::pair<std::string, int64_t>> group_order;
  std::vector<size_t> windows;  // requests scored from their own full window, no sharing
  for (size_t i = 0; i < n; ++i) {
    req.push_back(encode_request(tok, doc.requests[i], L, ctx_cache));
    const Tokenised& t = req.back();
    s.n_cont_tokens[i] = static_cast<int64_t>(t.cont.size());
    if (t.start > 0) ++s.truncated;
    if (t.cont.empty()) continue;  // nothing to score: ll = 0
    if (t.start >= static_cast<int64_t>(t.ctx.size())) {
      // The continuation alone overflows the window (lm-eval leaves this undefined): score the
      // continuation tokens whose predecessor is inside the window, as the reference scorer.
      ++s.clipped;
      windows.push_back(i);
      continue;
    }
    auto key = std::make_pair(t.context, t.start);
    auto& members = groups[key];
    if (members.empty()) group_order.push_back(key);
    members.push_back(i);
  }

  for (const auto& key : group_order) {
    const std::vector<size_t>& members = groups[key];
    const Tokenised& first = req[members.front()];
    if (first.start > 0 && members.size() == 1) {
      // A truncated window that no other request shares (its continuation length sets its
      // start): it is a row of exactly L tokens, batched with the doc's other such rows.
      windows.push_back(members.front());
      continue;
    }
    // The prefix ctx[start:-1] runs once into the cache; each continuation row then feeds the
    // last context token + cont[:-1], whose logits predict cont.
    std::vector<KVCache> prefix = model.new_caches();
    const int64_t prefix_len = static_cast<int64_t>(first.ctx.size()) - first.start - 1;
    if (prefix_len > 0) {
      std::vector<int64_t> ids(first.ctx.begin() + first.start, first.ctx.end() - 1);
      model.forward(ids_tensor(ids, 1, prefix_len), &prefix, /*last_only=*/true);  // only the cache is needed
    }
    for (size_t b0 = 0; b0 < members.size(); b0 += batch) {
      std::vector<Row> rows;
      for (size_t m = b0; m < std::min(members.size(), b0 + batch); ++m) {
        const Tokenised& t = req[members[m]];
        Row r;
        r.ids.push_back(t.ctx.back());
        r.ids.insert(r.ids.end(), t.cont.begin(), t.cont.end() - 1);
        r.targets = t.cont;
        rows.push_back(std::move(r));
      }
      const RowScores sc = score_rows(model, rows, &prefix);
      for (size_t r = 0; r < rows.size(); ++r) {
        s.loglik[members[b0 + r]] = sc.sums[r];
        s.is_greedy[members[b0 + r]] = sc.greedy[r];
      }
    }
  }

  // Full windows: input (ctx + cont)[start:-1] (L tokens), targets the continuation tokens that
  // have a predecessor inside it, at the last positions.
  for (size_t b0 = 0; b0 < windows.size(); b0 += batch) {
    std::vector<Row> rows;
    for (size_t w = b0; w < std::min(windows.size(), b0 + batch); ++w) {
      const Tokenised& t = req[windows[w]];
      std::vector<int> seq = t.ctx;
      seq.insert(seq.end(), t.cont.begin(), t.cont.end());
      const int64_t first_target = std::max<int64_t>(static_cast<int64_t>(t.ctx.size()), t.start + 1);
      Row r;
      r.ids.assign(seq.begin() + t.start, seq.end() - 1);
      r.targets.assign(seq.begin() + first_target, seq.end());
      r.offset = first_target - 1 - t.start;
      rows.push_back(std::move(r));
    }
    const RowScores sc = score_rows(model, rows, nullptr);
    for (size_t r = 0; r < rows.size(); ++r) {
      s.loglik[windows[b0 + r]] = sc.sums[r];
      s.is_greedy[windows[b0 + r]] = sc.greedy[r];
    }
  }
  return s;
}

double mean_stderr(const std::vector<double>& x) {
  // lm_eval.api.metrics: mean = sum(arr) / len(arr); sample_stddev = sqrt(sum((x - mu) ** 2) / (n - 1));
  // mean_stderr = sample_stddev / sqrt(n).
  const size_t n = x.size();
  if (n < 2) return 0.0;
  double sum = 0;
  for (double v : x) sum += v;
  const double mu = sum / double(n);
  double ss = 0;
  for (double v : x) ss += (v - mu) * (v - mu);
  return std::sqrt(ss / double(n - 1)) / std::sqrt(double(n));
}

namespace {

// numpy argmax: the first maximum.
int argmax(const std::vector<double>& v) {
  int best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = static_cast<int>(i);
  return best;
}

// Documents scored concurrently: for small models one thread per document beats intra-op
// threading, whose many tiny ops cost more in synchronisation than they gain (stories260K on
// 2 cores: 2 intra-op threads used 2.3x the CPU time of 1). Large models use intra-op threads,
// and Linear overrides are never called concurrently.
int64_t doc_workers(const LlamaModel& model, const ZeroShotOptions& opt) {
  if (opt.doc_workers > 0) return opt.doc_workers;
  // On another device the documents go one at a time (its ops queue on one stream anyway).
  const bool small = model.config().hidden_size < 1024 && model.overrides.empty() && model.device().is_cpu();
  return small ? num_threads() : 1;
}

// OpenBLAS single-threaded while documents run in parallel: its own pthread pool, woken from
// each worker, otherwise spins (sched_yield) against them. Looked up at run time as in
// set_threads(): the BLAS behind LibTorch may not be OpenBLAS.
class BlasSingleThread {
 public:
  BlasSingleThread() {
    set_ = reinterpret_cast<void (*)(int)>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    auto get = reinterpret_cast<int (*)()>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    if (set_ && get) {
      saved_ = get();
      set_(1);
    }
  }
  ~BlasSingleThread() {
    if (set_ && saved_ > 0) set_(saved_);
  }

 private:
  void (*set_)(int) = nullptr;
  int saved_ = 0;
};

TaskResult run_task(LlamaModel& model, const Tokenizer& tok, const std::string& name,
                    const std::vector<McDoc>& docs, const ZeroShotOptions& opt,
                    const std::function<void()>& on_doc) {
  Stopwatch clock;
  TaskResult res;
  res.name = name;
  res.info = task_info(name);
  res.n = res.n_original = static_cast<int64_t>(docs.size());
  std::vector<DocScores> scores(docs.size());
  const int64_t workers = std::min<int64_t>(doc_workers(model, opt), res.n);
  if (workers <= 1) {
    for (size_t d = 0; d < docs.size(); ++d) {
      scores[d] = score_document(model, tok, docs[d], opt.max_length, opt.batch);
      if (on_doc) on_doc();
    }
  } else {
    // Documents in parallel, each single-threaded (ATen runs nested parallel_for inline);
    // workers pull the next document from a shared counter.
    std::atomic<int64_t> next{0};
    std::mutex progress;
    BlasSingleThread blas;
    at::parallel_for(0, workers, 1, [&](int64_t, int64_t) {
      for (int64_t d; (d = next++) < res.n;) {
        scores[d] = score_document(model, tok, docs[d], opt.max_length, opt.batch);
        std::lock_guard<std::mutex> lock(progress);
        if (on_doc) on_doc();
      }
    });
  }
  std::vector<double> acc_items, norm_items, bytes_items;  // per-document 0/1 scores
  for (size_t d = 0; d < docs.size(); ++d) {
    const McDoc& doc = docs[d];
    const DocScores& sc = scores[d];
    // acc_norm divides by len(choice) in code points, acc_bytes by its UTF-8 bytes.
    std::vector<double> chars, by_chars, by_bytes;
    for (size_t i = 0; i < doc.choices.size(); ++i) {
      chars.push_back(double(utf8_length(doc.choices[i])));
      by_chars.push_back(sc.loglik[i] / chars.back());
      by_bytes.push_back(sc.loglik[i] / double(doc.choices[i].size()));
    }
    const int pred = argmax(sc.loglik), pred_norm = argmax(by_chars);
    acc_items.push_back(pred == doc.gold ? 1.0 : 0.0);
    norm_items.push_back(pred_norm == doc.gold ? 1.0 : 0.0);
    bytes_items.push_back(argmax(by_bytes) == doc.gold ? 1.0 : 0.0);
    res.correct += pred == doc.gold;
    res.correct_norm += pred_norm == doc.gold;
    res.correct_bytes += argmax(by_bytes) == doc.gold;
    res.requests_truncated += sc.truncated;
    res.requests_continuation_clipped += sc.clipped;
    const ItemLog item{int64_t(d), doc.gold, sc.loglik, sc.n_cont_tokens, chars, pred, pred_norm, sc.is_greedy};
    if (int64_t(d) < opt.log_items) res.first_items.push_back(item);
    if (opt.keep_samples) res.samples.push_back(item);
  }
  if (opt.keep_samples) res.docs = docs;
  const double n = double(std::max<int64_t>(1, res.n));
  res.acc = res.correct / n;
  res.acc_norm = res.correct_norm / n;
  res.acc_bytes = res.correct_bytes / n;
  res.acc_stderr = mean_stderr(acc_items);
  res.acc_norm_stderr = mean_stderr(norm_items);
  res.acc_bytes_stderr = mean_stderr(bytes_items);
  res.seconds = clock.seconds();
  return res;
}

}  // namespace

TaskResult evaluate_task(LlamaModel& model, const Tokenizer& tok, const std::string& name,
                         const std::vector<McDoc>& docs, const ZeroShotOptions& opt) {
  ProgressBar bar(name, static_cast<int64_t>(docs.size()), opt.quiet, "item");
  int64_t done = 0;
  TaskResult r = run_task(model, tok, name, docs, opt, [&] { bar.update(++done); });
  bar.finish();
  return r;
}

ZeroShotResult evaluate_zeroshot(LlamaModel& model, const Tokenizer& tok, const std::vector<std::string>& tasks,
                                 const ZeroShotOptions& opt) {
  if (tasks.empty()) throw InvalidSetting("tasks", "", "no task given");
  // Every file is found and parsed, and every few-shot context drawn, before the first forward.
  std::vector<std::string> files, fewshot_files;
  std::vector<std::vector<McDoc>> docs;
  std::vector<int64_t> n_original;
  int64_t total = 0;
  for (const std::string& t : tasks) files.push_back(resolve_task_file(t, opt.data_dir));
  for (size_t i = 0; i < tasks.size(); ++i) {
    std::vector<McDoc> all = load_task(tasks[i], files[i]);
    n_original.push_back(static_cast<int64_t>(all.size()));
    std::vector<McDoc> scored(all.begin(), opt.limit > 0 && opt.limit < n_original.back() ? all.begin() + opt.limit
                                                                                          : all.end());
    fewshot_files.emplace_back();
    if (opt.num_fewshot > 0) {
      fewshot_files.back() = resolve_fewshot_file(tasks[i], opt.data_dir);
      const bool same = fewshot_files.back() == files[i];
      const std::vector<McDoc> pool = same ? all : load_task(tasks[i], fewshot_files.back());
      add_fewshot_contexts(scored, pool, opt.num_fewshot, opt.fewshot_seed, same, task_info(tasks[i]));
    }
    docs.push_back(std::move(scored));
    total += static_cast<int64_t>(docs.back().size());
  }

  Stopwatch clock;
  ZeroShotResult res;
  const int64_t max_pos = model.config().max_position_embeddings;
  res.max_length = opt.max_length > 0 ? std::min(opt.max_length, max_pos) : max_pos;
  res.limit = opt.limit;
  res.num_fewshot = opt.num_fewshot;
  res.fewshot_seed = opt.fewshot_seed;
  ProgressBar bar("", total, opt.quiet, "item");
  int64_t done = 0;
  for (size_t i = 0; i < tasks.size(); ++i) {
    TaskResult r = run_task(model, tok, tasks[i], docs[i], opt, [&] { bar.update(++done, tasks[i]); });
    auto base = [](const std::string& f) {
      const size_t slash = f.find_last_of('/');
      return slash == std::string::npos ? f : f.substr(slash + 1);
    };
    r.file = base(files[i]);
    r.n_original = n_original[i];
    r.num_fewshot = opt.num_fewshot;
    if (!fewshot_files[i].empty()) r.fewshot_file = base(fewshot_files[i]);
    res.mean_acc += r.acc / double(tasks.size());
    res.mean_acc_norm += r.acc_norm / double(tasks.size());
    res.items += r.n;
    res.tasks.push_back(std::move(r));
  }
  bar.finish();
  res.seconds = clock.seconds();
  return res;
}

nlohmann::ordered_json zeroshot_json(const ZeroShotResult& r, const std::string& model_name,
                                     const std::string& dtype) {
  using ojson = nlohmann::ordered_json;  // keeps reference-stories260K.json's key order
  ojson tasks = ojson::object();
  for (const TaskResult& t : r.tasks) {
    ojson items = ojson::array();
    for (const ItemLog& it : t.first_items)
      items.push_back({{"index", it.index},
                       {"gold", it.gold},
                       {"loglik", it.loglik},
                       {"n_cont_tokens", it.n_cont_tokens},
                       {"choice_chars", it.choice_chars},
                       {"pred", it.pred},
                       {"pred_norm", it.pred_norm}});
    tasks[t.name] = {{"n", t.n},
                     {"acc", t.acc},
                     {"acc_stderr", t.acc_stderr},
                     {"acc_norm", t.acc_norm},
                     {"acc_norm_stderr", t.acc_norm_stderr},
                     {"acc_bytes", t.acc_bytes},
                     {"acc_bytes_stderr", t.acc_bytes_stderr},
                     {"first_items", items},
                     {"requests_truncated", t.requests_truncated},
                     {"requests_continuation_clipped", t.requests_continuation_clipped},
                     {"file", t.file}};
  }
  ojson out = {
      {"model", model_name},
      {"settings",
       {{"bos_on_context", true},
        {"max_length", r.max_length},
        {"limit", r.limit > 0 ? ojson(r.limit) : ojson(nullptr)},
        {"dtype", dtype},
        {"num_fewshot", r.num_fewshot},
        {"fewshot_seed", r.fewshot_seed},
        {"target_delimiter", " "},
        {"truncation", "keep the last max_length+1 tokens of context+continuation, drop the final token"}}},
      {"tasks", tasks},
      {"mean_acc", r.mean_acc},
      {"mean_acc_norm", r.mean_acc_norm},
      {"items", r.items},
      {"seconds", r.seconds},
  };
  return out;
}

std::string zeroshot_table(const ZeroShotResult& r) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-20s %6s  %-16s  %-16s\n", "task", "n", "acc", "acc_norm");
  out += line;
  for (const TaskResult& t : r.tasks) {
    if (t.info.reports_acc_norm)
      std::snprintf(line, sizeof line, "%-20s %6lld  %.4f ± %.4f   %.4f ± %.4f\n", t.name.c_str(),
                    static_cast<long long>(t.n), t.acc, t.acc_stderr, t.acc_norm, t.acc_norm_stderr);
    else  // as lm-eval: BoolQ, RTE and WinoGrande report acc only
      std::snprintf(line, sizeof line, "%-20s %6lld  %.4f ± %.4f   -\n", t.name.c_str(),
                    static_cast<long long>(t.n), t.acc, t.acc_stderr);
    out += line;
  }
  std::snprintf(line, sizeof line, "%-20s %6lld  %.4f            %.4f\n", "mean", static_cast<long long>(r.items),
                r.mean_acc, r.mean_acc_norm);
  return out + line;
}

// ---------------------------------------------------------------------------------------------
// lm-evaluation-harness output shapes (lm_eval/evaluator.py, lm_eval/loggers/evaluation_tracker.py).

nlohmann::ordered_json lm_eval_results_json(const ZeroShotResult& r, const LmEvalRunInfo& run) {
  using ojson = nlohmann::ordered_json;
  // lm-eval writes "N/A" where a stderr cannot be computed (one item).
  auto stderr_value = [](double se, int64_t n) { return n > 1 ? ojson(se) : ojson("N/A"); };
  auto metric = [](const char* name) {
    return ojson{{"metric", name}, {"aggregation", "mean"}, {"higher_is_better", true}};
  };
  ojson results = ojson::object(), group_subtasks = ojson::object(), configs = ojson::object(),
        versions = ojson::object(), n_shot = ojson::object(), higher = ojson::object(),
        n_samples = ojson::object();
  for (const TaskResult& t : r.tasks) {
    const TaskInfo& info = t.info;
    ojson res = {{"alias", t.name}, {"acc,none", t.acc}, {"acc_stderr,none", stderr_value(t.acc_stderr, t.n)}};
    ojson metric_list = ojson::array({metric("acc")}), hib = {{"acc", true}};
    if (info.reports_acc_norm) {
      res["acc_norm,none"] = t.acc_norm;
      res["acc_norm_stderr,none"] = stderr_value(t.acc_norm_stderr, t.n);
      metric_list.push_back(metric("acc_norm"));
      hib["acc_norm"] = true;
    }
    results[t.name] = res;
    group_subtasks[t.name] = ojson::array();
    configs[t.name] = {{"task", t.name},
                       {"dataset_path", info.dataset_path},
                       {"dataset_name", info.dataset_name},
                       {"training_split", info.training_split},
                       {"validation_split", info.validation_split},
                       {"test_split", info.test_split},
                       {"doc_to_text", info.doc_to_text},
                       {"doc_to_target", info.doc_to_target},
                       {"doc_to_choice", info.doc_to_choice},
                       {"description", ""},
                       {"target_delimiter", " "},
                       {"fewshot_delimiter", "\n\n"},
                       {"num_fewshot", t.num_fewshot},
                       {"metric_list", metric_list},
                       {"output_type", "multiple_choice"},
                       {"repeats", 1},
                       {"should_decontaminate", false},
                       {"metadata", {{"version", info.version}}},
                       // Where prunekit read the documents (not an lm-eval key).
                       {"prunekit_data", {{"file", t.file},
                                          {"split", info.eval_split},
                                          {"fewshot_file", t.fewshot_file.empty() ? ojson(nullptr) : ojson(t.fewshot_file)}}}};
    versions[t.name] = info.version;
    n_shot[t.name] = t.num_fewshot;
    higher[t.name] = hib;
    n_samples[t.name] = {{"original", t.n_original}, {"effective", t.n}};
  }
  std::string model_args = "pretrained=" + run.model_dir + ",dtype=" + run.dtype + ",max_length=" +
                           std::to_string(r.max_length) + ",add_bos_token=True";
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.4f", r.seconds);
  return ojson{
      {"results", results},
      {"group_subtasks", group_subtasks},
      {"configs", configs},
      {"versions", versions},
      {"n-shot", n_shot},
      {"higher_is_better", higher},
      {"n-samples", n_samples},
      {"config",
       {{"model", "prunekit"},
        {"model_args", model_args},
        {"model_num_parameters", run.num_parameters},
        {"model_dtype", run.dtype},
        {"batch_size", run.batch},
        {"batch_sizes", ojson::array()},
        {"device", run.device},
        {"use_cache", nullptr},
        {"limit", r.limit > 0 ? ojson(r.limit) : ojson(nullptr)},
        {"bootstrap_iters", 0},
        {"gen_kwargs", nullptr},
        {"random_seed", 0},
        {"numpy_seed", 1234},
        {"torch_seed", 1234},
        {"fewshot_seed", r.fewshot_seed}}},
      {"git_hash", nullptr},
      {"date", run.date},
      {"max_length", r.max_length},
      {"model_source", "prunekit"},
      {"model_name", run.model_dir},
      {"task_hashes", ojson::object()},
      {"total_evaluation_time_seconds", seconds},
      {"prunekit_version", PRUNEKIT_VERSION},
  };
}

std::string lm_eval_samples_jsonl(const ZeroShotResult& r) {
  using ojson = nlohmann::ordered_json;
  auto py_float = [](double v) { return ojson(v).dump(); };  // shortest round-trip, as Python's str(float)
  std::string out;
  for (const TaskResult& t : r.tasks) {
    if (t.samples.size() != t.docs.size())
      throw std::logic_error("lm_eval_samples_jsonl: the result was computed without keep_samples");
    for (const ItemLog& it : t.samples) {
      const McDoc& doc = t.docs[it.index];
      ojson arguments = ojson::object(), resps = ojson::array(), filtered = ojson::array();
      for (size_t i = 0; i < doc.requests.size(); ++i) {
        arguments["gen_args_" + std::to_string(i)] = {{"arg_0", doc.requests[i].context},
                                                      {"arg_1", doc.requests[i].continuation}};
        // lm-eval logs each response as strings: [str(loglikelihood), str(is_greedy)].
        const ojson resp = ojson::array({py_float(it.loglik[i]), it.is_greedy[i] ? "True" : "False"});
        resps.push_back(ojson::array({resp}));
        filtered.push_back(resp);
      }
      ojson metrics = ojson::array({"acc"});
      if (t.info.reports_acc_norm) metrics.push_back("acc_norm");
      ojson line = {{"doc_id", it.index},
                    {"doc", doc.record},
                    {"target", std::to_string(it.gold)},
                    {"arguments", arguments},
                    {"resps", resps},
                    {"filtered_resps", filtered},
                    {"filter", "none"},
                    {"metrics", metrics},
                    {"acc", it.pred == it.gold ? 1.0 : 0.0}};
      if (t.info.reports_acc_norm) line["acc_norm"] = it.pred_norm == it.gold ? 1.0 : 0.0;
      // prunekit's additions: the numbers unstringified.
      line["task_name"] = t.name;
      line["choices"] = doc.choices;
      line["loglikelihood"] = it.loglik;
      line["is_greedy"] = it.is_greedy;
      line["n_cont_tokens"] = it.n_cont_tokens;
      line["pred"] = it.pred;
      line["pred_norm"] = it.pred_norm;
      line["gold"] = it.gold;
      out += line.dump(-1, ' ', false, ojson::error_handler_t::replace) + "\n";
    }
  }
  return out;
}

}  // namespace prunekit
