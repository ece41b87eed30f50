// Zero-shot multiple choice against tests/fixtures/data/zeroshot/reference-stories260K.json (an
// independent Python scorer): per-choice log-likelihoods of its test vector, and the per-task
// counts of correct answers on ALL its items (500 per task, RTE 277), exactly. Plus the
// shared-prefix scorer against one plain full forward per request (with truncation and clipped
// continuations forced by a small max_length), the task constructions, and the CLI.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "fixtures.h"
#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/model.h"
#include "prunekit/sampler.h"
#include "prunekit/tokenizer.h"
#include "prunekit/zeroshot.h"

using nlohmann::json;
using prunekit::McDoc;
using prunekit_test::bin;
using prunekit_test::run_cmd;

namespace {

const char* kModel = "models/stories260K";
const char* kData = "data/zeroshot";
const char* kReference = "data/zeroshot/reference-stories260K.json";

// The model and tokenizer, loaded once for the whole suite.
struct Stories {
  prunekit::Checkpoint ck;
  prunekit::Tokenizer tok;
  prunekit::LlamaModel model;
  explicit Stories(const std::string& dir) : ck(dir), tok(dir), model(ck, at::kFloat) {}
};
Stories& stories(const std::string& dir) {
  static Stories s(dir);
  return s;
}

json read_json(const std::string& path) { return json::parse(prunekit::read_file(path)); }

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Every document of one task vs the reference: counts of correct answers exactly.
void expect_reference_task(const std::string& task) {
  const json ref = read_json(prunekit_test::fixture_path(kReference))["tasks"][task];
  Stories& s = stories(prunekit_test::fixture_path(kModel));
  const int64_t n = ref["n"].get<int64_t>();
  const std::vector<McDoc> docs =
      prunekit::load_task(task, prunekit::resolve_task_file(task, prunekit_test::fixture_path(kData)), n);
  ASSERT_EQ(int64_t(docs.size()), n);
  prunekit::ZeroShotOptions opt;
  opt.quiet = true;
  opt.keep_samples = true;
  prunekit::Stopwatch clock;
  const prunekit::TaskResult r = prunekit::evaluate_task(s.model, s.tok, task, docs, opt);
  std::printf("[ zeroshot ] %s: %lld items in %.1fs (%.1f items/s)\n", task.c_str(), (long long)n,
              clock.seconds(), double(n) / clock.seconds());
  ASSERT_EQ(int64_t(r.samples.size()), n);
  // The reference and we agree on each log-likelihood to ~1e-4 (float32, other summation orders on
  // other CPUs: README of the fixture). An item whose two best choices are closer than that can
  // fall either way; every other item must be scored as the reference scored it. `near_ties[k]`
  // counts such items for acc (k = 0), acc_norm (per character) and acc_bytes (per byte).
  const double kTie = 2e-4;
  int64_t near_ties[3] = {0, 0, 0};
  for (const prunekit::ItemLog& it : r.samples) {
    const McDoc& doc = docs.at(size_t(it.index));
    for (int k = 0; k < 3; ++k) {
      // acc_norm divides each choice's log-likelihood by its characters, acc_bytes by its UTF-8 bytes.
      std::vector<std::pair<double, double>> v;  // (score, its length)
      for (size_t c = 0; c < it.loglik.size(); ++c) {
        const double len = k == 0 ? 1.0 : k == 1 ? it.choice_chars[c] : double(doc.choices[c].size());
        v.push_back({it.loglik[c] / std::max(1.0, len), std::max(1.0, len)});
      }
      std::sort(v.rbegin(), v.rend());
      if (v.size() > 1 && v[0].first - v[1].first < kTie / std::min(v[0].second, v[1].second)) {
        ++near_ties[k];
        std::printf("[ zeroshot ] %s item %lld: near-tie for metric %d (margin %.2e)\n", task.c_str(),
                    (long long)it.index, k, v[0].first - v[1].first);
      }
    }
  }
  auto count = [&](const char* key) { return std::llround(ref[key].get<double>() * double(n)); };
  EXPECT_EQ(r.n, n);
  EXPECT_LE(std::llabs(r.correct - count("acc")), near_ties[0]) << task;
  EXPECT_LE(std::llabs(r.correct_norm - count("acc_norm")), near_ties[1]) << task;
  EXPECT_LE(std::llabs(r.correct_bytes - count("acc_bytes")), near_ties[2]) << task;
  EXPECT_LE(near_ties[0], 2) << task << ": more near-ties than a 500-item float32 comparison should see";
  // lm-eval's standard error of the mean for the accuracy we measured: the reference's exactly when the counts agree.
  auto stderr_of = [&](int64_t correct) {
    const double p = double(correct) / double(n);
    return std::sqrt(p * (1 - p) / double(n - 1));
  };
  EXPECT_NEAR(r.acc_stderr, stderr_of(r.correct), 1e-12);
  EXPECT_NEAR(r.acc_norm_stderr, stderr_of(r.correct_norm), 1e-12);
  if (r.correct == count("acc")) EXPECT_NEAR(r.acc_stderr, ref["acc_stderr"].get<double>(), 1e-12);
  if (r.correct_norm == count("acc_norm")) EXPECT_NEAR(r.acc_norm_stderr, ref["acc_norm_stderr"].get<double>(), 1e-12);
  EXPECT_EQ(r.requests_truncated, ref["requests_truncated"].get<int64_t>()) << task;
  EXPECT_EQ(r.requests_continuation_clipped, ref["requests_continuation_clipped"].get<int64_t>()) << task;
}

// lm-eval's request, scored the plain way: one full forward of the truncated input.
// `greedy` (optional): whether every scored continuation token is the argmax of its logits.
double full_forward_loglik(prunekit::LlamaModel& model, const prunekit::Tokenizer& tok,
                           std::string ctx, std::string cont, int64_t max_length, bool* greedy = nullptr) {
  while (!ctx.empty() && std::isspace(static_cast<unsigned char>(ctx.back()))) {
    cont.insert(cont.begin(), ctx.back());
    ctx.pop_back();
  }
  const std::vector<int> ctx_ids = tok.encode(ctx, true), whole = tok.encode(ctx + cont, true);
  std::vector<int> seq = ctx_ids;
  seq.insert(seq.end(), whole.begin() + ctx_ids.size(), whole.end());
  const int64_t n_cont = int64_t(whole.size() - ctx_ids.size());
  const int64_t keep = std::min<int64_t>(int64_t(seq.size()), max_length + 1);
  std::vector<int64_t> inp(seq.end() - keep, seq.end() - 1);  // [-(max_length+1):][:-1]
  at::Tensor logp = at::log_softmax(model.forward(at::tensor(inp, at::kLong).view({1, -1}))[0], -1);
  const int64_t T = int64_t(inp.size()), scored = std::min(n_cont, T);
  double ll = 0;
  if (greedy) *greedy = true;
  for (int64_t k = 0; k < scored; ++k) {
    const int target = seq[seq.size() - scored + k];
    ll += logp[T - scored + k][target].item<float>();
    if (greedy && logp[T - scored + k].argmax().item<int64_t>() != target) *greedy = false;
  }
  return ll;
}

McDoc make_doc(const std::string& ctx, const std::vector<std::string>& choices) {
  McDoc d;
  for (const auto& c : choices) d.requests.push_back({ctx, " " + c});
  d.choices = choices;
  return d;
}

}  // namespace

TEST(ZeroShot, ReferenceLogLikelihoods) {
  PRUNEKIT_FIXTURE(model_dir, kModel);
  PRUNEKIT_FIXTURE(ref_path, kReference);
  PRUNEKIT_FIXTURE(data_dir, kData);
  Stories& s = stories(model_dir);
  const json ref = read_json(ref_path);
  EXPECT_EQ(ref["settings"]["max_length"].get<int64_t>(), s.model.config().max_position_embeddings);
  int checked = 0;
  for (const auto& [task, tr] : ref["tasks"].items()) {
    const json& items = tr["first_items"];
    const std::vector<McDoc> docs =
        prunekit::load_task(task, prunekit::resolve_task_file(task, data_dir), int64_t(items.size()));
    for (const json& it : items) {
      const McDoc& doc = docs.at(it["index"].get<size_t>());
      SCOPED_TRACE(task + " item " + it["index"].dump());
      EXPECT_EQ(doc.gold, it["gold"].get<int>());
      const prunekit::DocScores sc = prunekit::score_document(s.model, s.tok, doc);
      const auto want = it["loglik"].get<std::vector<double>>();
      ASSERT_EQ(sc.loglik.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_NEAR(sc.loglik[i], want[i], 1e-4) << "choice " << i;
        EXPECT_EQ(sc.n_cont_tokens[i], it["n_cont_tokens"][i].get<int64_t>()) << "choice " << i;
        EXPECT_EQ(double(prunekit::utf8_length(doc.choices[i])), it["choice_chars"][i].get<double>());
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 7 * 5 * 2);
}

// The full reference item sets, one test per task (all 3,277 items: about a minute on 2 cores).
#define PRUNEKIT_REFERENCE_TASK(TEST_NAME, TASK)             \
  TEST(ZeroShot, TEST_NAME) {                                \
    PRUNEKIT_FIXTURE(model_dir, kModel);                     \
    PRUNEKIT_FIXTURE(ref_path, kReference);                  \
    PRUNEKIT_FIXTURE(data_dir, kData);                       \
    expect_reference_task(TASK);                             \
  }
PRUNEKIT_REFERENCE_TASK(ReferenceBoolq, "boolq")
PRUNEKIT_REFERENCE_TASK(ReferenceRte, "rte")
PRUNEKIT_REFERENCE_TASK(ReferenceHellaswag, "hellaswag")
PRUNEKIT_REFERENCE_TASK(ReferenceArcEasy, "arc_easy")
PRUNEKIT_REFERENCE_TASK(ReferenceArcChallenge, "arc_challenge")
PRUNEKIT_REFERENCE_TASK(ReferencePiqa, "piqa")
PRUNEKIT_REFERENCE_TASK(ReferenceTinyStoriesCloze, "tinystories-cloze")

// The shared-prefix scorer (cached prefix groups, truncated windows, clipped continuations,
// batching) equals one full forward per request.
TEST(ZeroShot, SharedPrefixEqualsFullForward) {
  PRUNEKIT_FIXTURE(model_dir, kModel);
  Stories& s = stories(model_dir);
  const std::string ctx = "Once upon a time, there was a little girl named Lily. She liked to play";
  const std::vector<std::string> choices = {
      "outside.", "with her red ball in the park.", "ball", "with her friends and her dog Max every day.",
      "with toys. One day she found a big box full of shiny blocks and she was very happy about it."};
  McDoc doc = make_doc(ctx + " ", choices);  // trailing space moves to the continuation
  McDoc wino;  // WinoGrande style: the choice is in the context, one shared continuation
  for (const char* who : {"Lily", "the dog"}) wino.requests.push_back({std::string("Then ") + who, " was happy."});
  wino.choices = {"Then Lily", "Then the dog"};
  struct Case {
    int64_t max_length, batch;
  } cases[] = {{512, 16}, {512, 1}, {24, 16}, {24, 2}, {12, 3}};
  for (const Case& c : cases) {
    SCOPED_TRACE("max_length " + std::to_string(c.max_length) + " batch " + std::to_string(c.batch));
    for (const McDoc* d : {&doc, &wino}) {
      const prunekit::DocScores sc = prunekit::score_document(s.model, s.tok, *d, c.max_length, c.batch);
      for (size_t i = 0; i < d->requests.size(); ++i) {
        bool greedy = false;
        const double want = full_forward_loglik(s.model, s.tok, d->requests[i].context,
                                                d->requests[i].continuation, c.max_length, &greedy);
        EXPECT_NEAR(sc.loglik[i], want, 1e-4) << "request " << i;
        EXPECT_EQ(sc.is_greedy[i], greedy) << "request " << i;
      }
    }
  }
  // The cases above do exercise truncation and clipping.
  EXPECT_EQ(prunekit::score_document(s.model, s.tok, doc, 512).truncated, 0);
  const prunekit::DocScores small = prunekit::score_document(s.model, s.tok, doc, 12);
  EXPECT_EQ(small.truncated, 5);
  EXPECT_GE(small.clipped, 2);
}

// is_greedy on the model's own greedy continuation (true) and on an unlikely one (false).
TEST(ZeroShot, IsGreedy) {
  PRUNEKIT_FIXTURE(model_dir, kModel);
  Stories& s = stories(model_dir);
  const std::string ctx = "Once upon a time, there was a little girl named Lily. She liked to";
  std::vector<int> ids = s.tok.encode(ctx, true);
  const size_t n_ctx = ids.size();
  for (int t = 0; t < 3; ++t) {
    std::vector<int64_t> in(ids.begin(), ids.end());
    at::Tensor logits = s.model.forward(at::tensor(in, at::kLong).view({1, -1}))[0][-1];
    ids.push_back(static_cast<int>(logits.argmax().item<int64_t>()));
  }
  const std::string greedy_text = s.tok.decode(std::vector<int>(ids.begin() + n_ctx, ids.end()));
  const McDoc doc = make_doc(ctx, {greedy_text.substr(greedy_text.find_first_not_of(' ')), "banana tax return"});
  const prunekit::DocScores sc = prunekit::score_document(s.model, s.tok, doc);
  EXPECT_TRUE(sc.is_greedy[0]) << "\"" << greedy_text << "\"";
  EXPECT_FALSE(sc.is_greedy[1]);
  EXPECT_EQ(sc.n_cont_tokens[0], 3);
}

TEST(ZeroShot, TaskConstructions) {
  const std::string dir = prunekit_test::temp_dir("zs-tasks");
  auto load = [&](const std::string& task, const std::string& line) {
    write_file(dir + "/" + task + ".jsonl", line + "\n");
    return prunekit::load_task(task, prunekit::resolve_task_file(task, dir)).at(0);
  };
  McDoc b = load("boolq", R"({"question":"is it","passage":"P.","idx":0,"label":1})");
  EXPECT_EQ(b.requests[1].context, "P.\nQuestion: is it?\nAnswer:");
  EXPECT_EQ(b.requests[0].continuation, " no");
  EXPECT_EQ(b.requests[1].continuation, " yes");
  EXPECT_EQ(b.gold, 1);
  for (const char* line :
       {R"({"premise":"A.","hypothesis":"B.","label":1})", R"({"sentence1":"A.","sentence2":"B.","label":1})"}) {
    McDoc r = load("rte", line);
    EXPECT_EQ(r.requests[0].context, "A.\nQuestion: B. True or False?\nAnswer:");
    EXPECT_EQ(r.choices, (std::vector<std::string>{"True", "False"}));
    EXPECT_EQ(r.gold, 1);
  }
  McDoc h = load("hellaswag",
                 R"({"activity_label":"Making tea","ctx_a":"A man [header] boils water.","ctx_b":"THEN he",)"
                 R"("endings":[" pours it [title] Done.  ok ", "[step] waits"],"label":"1"})");
  EXPECT_EQ(h.requests[0].context, "Making tea: A man boils water. Then he");
  EXPECT_EQ(h.choices, (std::vector<std::string>{"pours it. Done. ok", " waits"}));  // as re.sub leaves it
  EXPECT_EQ(h.requests[0].continuation, " pours it. Done. ok");
  EXPECT_EQ(h.gold, 1);
  EXPECT_EQ(prunekit::hellaswag_clean("a [x]  b [title] c\n[y\n] d"), "a  b. c\n[y\n] d");
  McDoc a = load("arc_easy", R"({"id":"x","question":"Why?",)"
                             R"("choices":{"text":["a","b","c"],"label":["1","2","3"]},"answerKey":"3"})");
  EXPECT_EQ(a.requests[2].context, "Question: Why?\nAnswer:");
  EXPECT_EQ(a.requests[2].continuation, " c");
  EXPECT_EQ(a.gold, 2);
  McDoc o = load("openbookqa", R"({"id":"x","question_stem":"Stem",)"
                               R"("choices":{"text":["a","b"],"label":["A","B"]},"answerKey":" B"})");
  EXPECT_EQ(o.requests[0].context, "Stem");
  EXPECT_EQ(o.gold, 1);
  McDoc p = load("piqa", R"({"goal":"G","sol1":"s1","sol2":"s2","label":0})");
  EXPECT_EQ(p.requests[1].context, "Question: G\nAnswer:");
  EXPECT_EQ(p.requests[1].continuation, " s2");
  McDoc w = load("winogrande", R"({"sentence":"Ann gave Bo a gift because _ was kind.",)"
                               R"("option1":"Ann","option2":"Bo","answer":"2"})");
  EXPECT_EQ(w.requests[0].context, "Ann gave Bo a gift because Ann");
  EXPECT_EQ(w.requests[1].context, "Ann gave Bo a gift because Bo");
  EXPECT_EQ(w.requests[1].continuation, " was kind.");
  EXPECT_EQ(w.gold, 1);
  McDoc g = load("my-task", R"({"context":"C","choices":["x","é"],"gold":1})");
  EXPECT_FALSE(prunekit::is_builtin_task("my-task"));
  EXPECT_EQ(g.requests[1].continuation, " é");
  EXPECT_EQ(prunekit::utf8_length(g.choices[1]), 1);
  EXPECT_EQ(g.gold, 1);
}

// A generic task resolved from --data-dir and from $PRUNEKIT_SHARED/data/zeroshot, with the
// JSON in the reference's layout.
TEST(ZeroShot, GenericTaskViaBinary) {
  PRUNEKIT_FIXTURE(model_dir, kModel);
  PRUNEKIT_FIXTURE(ref_path, kReference);
  const std::string root = prunekit_test::temp_dir("zs-generic"), data = root + "/data/zeroshot";
  ASSERT_EQ(std::system(("mkdir -p " + data).c_str()), 0);
  write_file(data + "/mini.jsonl",
             R"({"context":"Once upon a time, there was a little","choices":["girl","table","the"],"gold":0})" "\n"
             R"({"context":"Tom and Sue went to the","choices":["park.","green."],"gold":0})" "\n");
  const std::string out = root + "/out.json";
  auto r = run_cmd(bin("eval-zeroshot") + " --model " + model_dir + " --tasks mini --data-dir " + data +
                   " --json " + out + " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("mini"), std::string::npos) << r.output;
  const json got = read_json(out), ref = read_json(ref_path);
  for (const auto& [key, _] : ref.items()) EXPECT_TRUE(got.contains(key)) << key;
  EXPECT_TRUE(got.contains("mean_acc"));
  EXPECT_EQ(got["model"], "stories260K");
  for (const auto& [key, _] : ref["settings"].items()) EXPECT_TRUE(got["settings"].contains(key)) << key;
  const json& t = got["tasks"]["mini"];
  for (const auto& [key, _] : ref["tasks"]["boolq"].items()) EXPECT_TRUE(t.contains(key)) << key;
  EXPECT_EQ(t["n"], 2);
  EXPECT_DOUBLE_EQ(got["mean_acc"].get<double>(), t["acc"].get<double>());
  EXPECT_EQ(t["first_items"][0]["choice_chars"], json({4.0, 5.0, 3.0}));

  // Default data dir: $PRUNEKIT_SHARED/data/zeroshot.
  auto d = run_cmd("PRUNEKIT_SHARED=" + root + " " + bin("eval-zeroshot") + " --model " + model_dir +
                   " --tasks mini --quiet --threads 1");
  ASSERT_EQ(d.code, 0) << d.output;
  EXPECT_NE(d.output.find("mini"), std::string::npos) << d.output;
}

TEST(ZeroShot, BadInputExitsTwo) {
  PRUNEKIT_FIXTURE(model_dir, kModel);
  const std::string dir = prunekit_test::temp_dir("zs-bad");
  write_file(dir + "/badjson.jsonl", "{\"context\":\"a\",\"choices\":[\"b\"],\"gold\":0}\n{not json\n");
  write_file(dir + "/nofield.jsonl", "{\"context\":\"a\",\"gold\":0}\n");
  write_file(dir + "/badgold.jsonl", "{\"context\":\"a\",\"choices\":[\"b\"],\"gold\":3}\n");
  write_file(dir + "/ok.jsonl", "{\"context\":\"a\",\"choices\":[\"b\"],\"gold\":0}\n");
  const std::string tool = bin("eval-zeroshot") + " --model " + model_dir + " --quiet --data-dir " + dir;
  struct Case {
    std::string args, needle;
  } cases[] = {
      {" --tasks nosuchtask", dir + "/nosuchtask.jsonl"},
      {" --tasks ok,nosuchtask", "nosuchtask.jsonl"},
      {" --tasks badjson", dir + "/badjson.jsonl:2"},
      {" --tasks nofield", "nofield.jsonl:1: missing field \"choices\""},
      {" --tasks badgold", "badgold.jsonl:1"},
      {" --tasks ok,", "--tasks"},
      {" --tasks ok --batch 0", "--batch"},
      {" --tasks ok --dtype float64", "--dtype"},
  };
  for (const Case& c : cases) {
    auto r = run_cmd(tool + c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.needle), std::string::npos) << c.args << "\n" << r.output;
  }
  EXPECT_EQ(run_cmd(bin("eval-zeroshot") + " --tasks ok").code, 2);  // --model missing
  auto bad_model = run_cmd(bin("eval-zeroshot") + " --model " + dir + "/nomodel --tasks ok --data-dir " + dir);
  EXPECT_EQ(bad_model.code, 2) << bad_model.output;
}

// lm-eval draws few-shot examples with random.Random(seed).sample(docs, n): our port against
// CPython 3.11 (both of random.sample's paths: the pool copy for small populations, the set of
// picks for large ones), two consecutive draws each.
TEST(ZeroShot, FewShotSampleMatchesCPython) {
  struct Case {
    uint64_t seed;
    int64_t n, k;
    std::vector<int64_t> first, second;
  } cases[] = {
      {1234, 1000, 6, {989, 796, 451, 119, 7, 92}, {932, 965, 961, 826, 596, 35}},
      {1234, 10, 3, {7, 1, 0}, {1, 0, 9}},
      {1234, 500, 1, {494}, {398}},
      {1234, 20, 6, {14, 3, 0, 2, 1, 10}, {2, 3, 11, 7, 0, 15}},
      {0, 30, 7, {27, 12, 24, 13, 1, 8, 16}, {15, 12, 25, 26, 9, 29, 11}},
      {7, 100000, 3, {42445, 19772, 51750}, {85319, 6328, 9494}},
  };
  for (const Case& c : cases) {
    prunekit::PyRandom rnd(c.seed);
    EXPECT_EQ(rnd.sample(c.n, c.k), c.first) << c.n << " " << c.k;
    EXPECT_EQ(rnd.sample(c.n, c.k), c.second) << c.n << " " << c.k;
  }
}

// Few-shot contexts: which pool documents precede each document (draws from CPython:
// random.Random(1234).sample(range(10), 3) gives [7,1,0], [1,0,9], [1,5,3], [0,9,8]; with 2:
// [7,1], [0,1], [9,0], [1,9]), the evaluated document excluded, examples as
// "context continuation-of-gold\n\n".
TEST(ZeroShot, FewShotContexts) {
  const std::string dir = prunekit_test::temp_dir("zs-fewshot");
  std::string pool_text, eval_text;
  for (int i = 0; i < 10; ++i)
    pool_text += "{\"context\":\"c" + std::to_string(i) + "\",\"choices\":[\"a" + std::to_string(i) + "\",\"b" +
                 std::to_string(i) + "\"],\"gold\":" + std::to_string(i % 2) + "}\n";
  for (int i = 0; i < 4; ++i)
    eval_text += "{\"context\":\"q" + std::to_string(i) + "\",\"choices\":[\"x\",\"y\"],\"gold\":0}\n";
  write_file(dir + "/gen.jsonl", pool_text);
  write_file(dir + "/other.jsonl", eval_text);
  const std::vector<McDoc> pool = prunekit::load_task("gen", dir + "/gen.jsonl");
  auto ex = [](int i) {
    return "c" + std::to_string(i) + " " + (i % 2 ? "b" : "a") + std::to_string(i) + "\n\n";
  };
  auto contexts = [&](std::vector<McDoc> docs, bool same, const std::string& task) {
    prunekit::add_fewshot_contexts(docs, pool, 2, 1234, same, prunekit::task_info(task));
    std::vector<std::string> out;
    for (const McDoc& d : docs) {
      EXPECT_EQ(d.requests[0].context, d.requests[1].context);
      EXPECT_EQ(d.requests[1].continuation, " " + d.choices[1]);  // continuations untouched
      out.push_back(d.requests[0].context);
    }
    return out;
  };
  // The pool is the evaluated file: 3 draws, the document itself dropped.
  std::vector<McDoc> head(pool.begin(), pool.begin() + 4);
  EXPECT_EQ(contexts(head, true, "gen"), (std::vector<std::string>{ex(7) + ex(1) + "c0", ex(0) + ex(9) + "c1",
                                                                    ex(1) + ex(5) + "c2", ex(0) + ex(9) + "c3"}));
  // A separate training pool: ARC has a test split, so lm-eval draws exactly k ...
  const std::vector<McDoc> other = prunekit::load_task("other", dir + "/other.jsonl");
  EXPECT_EQ(contexts(other, false, "arc_easy"), (std::vector<std::string>{ex(7) + ex(1) + "q0", ex(0) + ex(1) + "q1",
                                                                          ex(9) + ex(0) + "q2", ex(1) + ex(9) + "q3"}));
  // ... BoolQ has none, and lm-eval's fewshot_split == test_split (None == None) draws k + 1.
  EXPECT_EQ(contexts(other, false, "boolq"), (std::vector<std::string>{ex(7) + ex(1) + "q0", ex(1) + ex(0) + "q1",
                                                                       ex(1) + ex(5) + "q2", ex(0) + ex(9) + "q3"}));
  // WinoGrande: the gold option's partial sentence + the shared continuation.
  write_file(dir + "/winogrande.jsonl", R"({"sentence":"Ann gave Bo a gift because _ was kind.","option1":"Ann","option2":"Bo","answer":"2"})"
                                        "\n"
                                        R"({"sentence":"Cy met Di so _ smiled.","option1":"Cy","option2":"Di","answer":"1"})"
                                        "\n");
  std::vector<McDoc> wino = prunekit::load_task("winogrande", dir + "/winogrande.jsonl");
  const std::vector<McDoc> wino_pool = wino;
  prunekit::add_fewshot_contexts(wino, wino_pool, 1, 1234, true, prunekit::task_info("winogrande"));
  EXPECT_EQ(wino[0].requests[0].context, "Cy met Di so Cy smiled.\n\nAnn gave Bo a gift because Ann");
  EXPECT_EQ(wino[0].requests[1].context, "Cy met Di so Cy smiled.\n\nAnn gave Bo a gift because Bo");
  EXPECT_EQ(wino[1].requests[0].context, "Ann gave Bo a gift because Bo was kind.\n\nCy met Di so Cy");
  // Too small a pool: k + 1 draws from 10 documents.
  std::vector<McDoc> all = pool;
  EXPECT_THROW(prunekit::add_fewshot_contexts(all, pool, 10, 1234, true, prunekit::task_info("gen")),
               prunekit::InputError);
}

// --output-format lm-eval and --log-samples on the reference tasks: the JSON a script written for
// lm-eval reads (hand-written expected keys and values), numbers equal to the reference scorer's.
TEST(ZeroShot, LmEvalResultsAndSamples) {
  PRUNEKIT_FIXTURE(model_dir, kModel);
  PRUNEKIT_FIXTURE(ref_path, kReference);
  PRUNEKIT_FIXTURE(data_dir, kData);
  const std::string dir = prunekit_test::temp_dir("zs-lmeval");
  const std::string out = dir + "/results.json", samples = dir + "/samples.jsonl";
  auto r = run_cmd(bin("eval-zeroshot") + " --model " + model_dir + " --tasks rte,arc_easy --limit 500 --data-dir " +
                   data_dir + " --output-format lm-eval --json " + out + " --log-samples " + samples +
                   " --batch 8 --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  const json ref = read_json(ref_path)["tasks"], got = read_json(out);
  // "results": exactly lm-eval's keys; acc_norm only where lm-eval reports it (not RTE).
  const json& rte = got["results"]["rte"];
  EXPECT_EQ(rte.size(), 3u) << rte.dump();
  EXPECT_EQ(rte["alias"], "rte");
  EXPECT_DOUBLE_EQ(rte["acc,none"].get<double>(), ref["rte"]["acc"].get<double>());
  EXPECT_NEAR(rte["acc_stderr,none"].get<double>(), ref["rte"]["acc_stderr"].get<double>(), 1e-12);
  const json& arc = got["results"]["arc_easy"];
  EXPECT_EQ(arc.size(), 5u) << arc.dump();
  EXPECT_DOUBLE_EQ(arc["acc,none"].get<double>(), ref["arc_easy"]["acc"].get<double>());
  EXPECT_NEAR(arc["acc_stderr,none"].get<double>(), ref["arc_easy"]["acc_stderr"].get<double>(), 1e-12);
  EXPECT_DOUBLE_EQ(arc["acc_norm,none"].get<double>(), ref["arc_easy"]["acc_norm"].get<double>());
  EXPECT_NEAR(arc["acc_norm_stderr,none"].get<double>(), ref["arc_easy"]["acc_norm_stderr"].get<double>(), 1e-12);
  // The other blocks, as lm-eval writes them.
  EXPECT_EQ(got["versions"], json({{"rte", 1.0}, {"arc_easy", 1.0}}));
  EXPECT_EQ(got["n-shot"], json({{"rte", 0}, {"arc_easy", 0}}));
  EXPECT_EQ(got["n-samples"], json({{"rte", {{"original", 277}, {"effective", 277}}},
                                    {"arc_easy", {{"original", 1000}, {"effective", 500}}}}));
  EXPECT_EQ(got["higher_is_better"], json({{"rte", {{"acc", true}}}, {"arc_easy", {{"acc", true}, {"acc_norm", true}}}}));
  EXPECT_EQ(got["group_subtasks"], json({{"rte", json::array()}, {"arc_easy", json::array()}}));
  const json& cfg = got["configs"]["arc_easy"];
  EXPECT_EQ(cfg["task"], "arc_easy");
  EXPECT_EQ(cfg["output_type"], "multiple_choice");
  EXPECT_EQ(cfg["num_fewshot"], 0);
  EXPECT_EQ(cfg["target_delimiter"], " ");
  EXPECT_EQ(cfg["fewshot_delimiter"], "\n\n");
  EXPECT_EQ(cfg["doc_to_text"], "Question: {{question}}\nAnswer:");
  EXPECT_EQ(cfg["test_split"], "test");
  EXPECT_EQ(cfg["metadata"]["version"], 1.0);
  EXPECT_EQ(cfg["metric_list"], json::parse(R"([{"metric":"acc","aggregation":"mean","higher_is_better":true},
                                               {"metric":"acc_norm","aggregation":"mean","higher_is_better":true}])"));
  EXPECT_EQ(got["configs"]["rte"]["metric_list"].size(), 1u);
  EXPECT_TRUE(got["configs"]["rte"]["test_split"].is_null());
  EXPECT_EQ(got["config"]["limit"], 500);
  EXPECT_EQ(got["config"]["batch_size"], 8);
  EXPECT_EQ(got["config"]["model_num_parameters"], 260032);
  EXPECT_NE(got["config"]["model_args"].get<std::string>().find("pretrained=" + model_dir), std::string::npos);
  EXPECT_EQ(got["config"]["fewshot_seed"], 1234);
  EXPECT_TRUE(got["date"].is_number());
  EXPECT_TRUE(got["total_evaluation_time_seconds"].is_string());

  // --log-samples: one line per document, lm-eval's keys, responses as lm-eval stringifies them.
  std::ifstream in(samples);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 777u);
  const json& s0 = lines[0];  // rte doc 0: label 1 ("False")
  EXPECT_EQ(s0["doc_id"], 0);
  EXPECT_EQ(s0["task_name"], "rte");
  EXPECT_EQ(s0["doc"]["hypothesis"], "Christopher Reeve had an accident.");
  EXPECT_EQ(s0["target"], "1");
  EXPECT_EQ(s0["filter"], "none");
  EXPECT_EQ(s0["metrics"], json({"acc"}));
  EXPECT_FALSE(s0.contains("acc_norm"));
  EXPECT_EQ(s0["arguments"]["gen_args_0"]["arg_0"],
            s0["doc"]["premise"].get<std::string>() + "\nQuestion: Christopher Reeve had an accident. True or False?\nAnswer:");
  EXPECT_EQ(s0["arguments"]["gen_args_0"]["arg_1"], " True");
  EXPECT_EQ(s0["arguments"]["gen_args_1"]["arg_1"], " False");
  int correct = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const json& s = lines[i];
    const std::string task = i < 277 ? "rte" : "arc_easy";
    ASSERT_EQ(s["task_name"], task);
    ASSERT_EQ(s["doc_id"], i < 277 ? i : i - 277);
    const size_t n = s["arguments"].size();
    ASSERT_EQ(s["resps"].size(), n);
    std::vector<double> ll;
    for (size_t c = 0; c < n; ++c) {
      const json& resp = s["filtered_resps"][c];  // [str(loglikelihood), str(is_greedy)]
      ASSERT_EQ(s["resps"][c], json::array({resp}));
      ll.push_back(std::stod(resp[0].get<std::string>()));
      EXPECT_EQ(ll.back(), s["loglikelihood"][c].get<double>());
      EXPECT_EQ(resp[1], s["is_greedy"][c].get<bool>() ? "True" : "False");
    }
    const int pred = int(std::max_element(ll.begin(), ll.end()) - ll.begin());
    EXPECT_EQ(s["pred"], pred);
    EXPECT_EQ(s["acc"].get<double>(), pred == std::stoi(s["target"].get<std::string>()) ? 1.0 : 0.0);
    if (task == "arc_easy") correct += int(s["acc"].get<double>());
    // The reference's logged items: the same log-likelihoods.
    const json& first = ref[task]["first_items"];
    const size_t doc_id = s["doc_id"].get<size_t>();
    if (doc_id < first.size())
      for (size_t c = 0; c < n; ++c) EXPECT_NEAR(ll[c], first[doc_id]["loglik"][c].get<double>(), 1e-4);
  }
  EXPECT_EQ(correct, std::llround(ref["arc_easy"]["acc"].get<double>() * 500));
  // is_greedy is not always true (ZeroShot.IsGreedy and SharedPrefixEqualsFullForward check its value).
  int greedy = 0, choices = 0;
  for (const json& s : lines)
    for (const json& g : s["is_greedy"]) greedy += g.get<bool>(), ++choices;
  EXPECT_LT(greedy, choices);
}

// --num-fewshot through the binary: lm-eval's n-shot and config, contexts with the examples.
TEST(ZeroShot, FewShotViaBinary) {
  PRUNEKIT_FIXTURE(model_dir, kModel);
  PRUNEKIT_FIXTURE(data_dir, kData);
  const std::string dir = prunekit_test::temp_dir("zs-fewshot-bin");
  auto r = run_cmd(bin("eval-zeroshot") + " --model " + model_dir + " --tasks tinystories-cloze --limit 4 --data-dir " +
                   data_dir + " --num-fewshot 1 --output-format lm-eval --json " + dir + "/r.json --log-samples " +
                   dir + "/s.jsonl --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  const json got = read_json(dir + "/r.json");
  EXPECT_EQ(got["n-shot"]["tinystories-cloze"], 1);
  EXPECT_EQ(got["configs"]["tinystories-cloze"]["num_fewshot"], 1);
  EXPECT_EQ(got["configs"]["tinystories-cloze"]["prunekit_data"]["fewshot_file"], "tinystories-cloze.jsonl");
  EXPECT_EQ(got["results"]["tinystories-cloze"].size(), 5u);  // generic tasks report acc and acc_norm
  // random.Random(1234).sample(range(500), 2) -> [494, 398]: document 494 precedes document 0.
  const std::vector<McDoc> docs = prunekit::load_task("tinystories-cloze", data_dir + "/tinystories-cloze.jsonl");
  std::ifstream in(dir + "/s.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const json s0 = json::parse(line);
  const McDoc& ex = docs[494];
  EXPECT_EQ(s0["arguments"]["gen_args_0"]["arg_0"],
            ex.requests[ex.gold].context + ex.requests[ex.gold].continuation + "\n\n" + docs[0].requests[0].context);
  // Bad few-shot and output options.
  const std::string tool = bin("eval-zeroshot") + " --model " + model_dir + " --quiet --data-dir " + data_dir +
                           " --tasks rte --limit 2";
  struct Case {
    std::string args, needle;
  } cases[] = {
      {" --num-fewshot -1", "--num-fewshot"},
      {" --num-fewshot 277", "--num-fewshot"},  // 278 draws from 277 documents
      {" --output-format xml --json " + dir + "/x.json", "--output-format"},
      {" --output-format lm-eval", "--json"},
  };
  for (const Case& c : cases) {
    auto b = run_cmd(tool + c.args);
    EXPECT_EQ(b.code, 2) << c.args << "\n" << b.output;
    EXPECT_NE(b.output.find(c.needle), std::string::npos) << c.args << "\n" << b.output;
  }
}
