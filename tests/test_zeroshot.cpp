// Zero-shot multiple choice against tests/fixtures/data/zeroshot/reference-stories260K.json (an
// independent Python scorer): per-choice log-likelihoods of its test vector, and the per-task
// counts of correct answers on ALL its items (500 per task, RTE 277), exactly. Plus the
// shared-prefix scorer against one plain full forward per request (with truncation and clipped
// continuations forced by a small max_length), the task constructions, and the CLI.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "fixtures.h"
#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/model.h"
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
  prunekit::Stopwatch clock;
  const prunekit::TaskResult r = prunekit::evaluate_task(s.model, s.tok, task, docs, opt);
  std::printf("[ zeroshot ] %s: %lld items in %.1fs (%.1f items/s)\n", task.c_str(), (long long)n,
              clock.seconds(), double(n) / clock.seconds());
  auto count = [&](const char* key) { return std::llround(ref[key].get<double>() * double(n)); };
  EXPECT_EQ(r.n, n);
  EXPECT_EQ(r.correct, count("acc")) << task;
  EXPECT_EQ(r.correct_norm, count("acc_norm")) << task;
  EXPECT_EQ(r.correct_bytes, count("acc_bytes")) << task;
  EXPECT_NEAR(r.acc_stderr, ref["acc_stderr"].get<double>(), 1e-12);
  EXPECT_NEAR(r.acc_norm_stderr, ref["acc_norm_stderr"].get<double>(), 1e-12);
  EXPECT_EQ(r.requests_truncated, ref["requests_truncated"].get<int64_t>()) << task;
  EXPECT_EQ(r.requests_continuation_clipped, ref["requests_continuation_clipped"].get<int64_t>()) << task;
}

// lm-eval's request, scored the plain way: one full forward of the truncated input.
double full_forward_loglik(prunekit::LlamaModel& model, const prunekit::Tokenizer& tok,
                           std::string ctx, std::string cont, int64_t max_length) {
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
  for (int64_t k = 0; k < scored; ++k) ll += logp[T - scored + k][seq[seq.size() - scored + k]].item<float>();
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
        const double want = full_forward_loglik(s.model, s.tok, d->requests[i].context,
                                                d->requests[i].continuation, c.max_length);
        EXPECT_NEAR(sc.loglik[i], want, 1e-4) << "request " << i;
      }
    }
  }
  // The cases above do exercise truncation and clipping.
  EXPECT_EQ(prunekit::score_document(s.model, s.tok, doc, 512).truncated, 0);
  const prunekit::DocScores small = prunekit::score_document(s.model, s.tok, doc, 12);
  EXPECT_EQ(small.truncated, 5);
  EXPECT_GE(small.clipped, 2);
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
