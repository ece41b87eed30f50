// Data layer: CPython MT19937 / randint, the upstream C4 sampler against the oracle's windows,
// the SentencePiece tokenizer against python-sentencepiece vectors, and corpus reading.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "prunekit/common.h"
#include "prunekit/corpus.h"
#include "prunekit/safetensors.h"
#include "prunekit/sampler.h"
#include "prunekit/tokenizer.h"

using prunekit::InputError;

namespace {

nlohmann::json load_json(const std::string& path) {
  return nlohmann::json::parse(prunekit::read_file(path));
}

const auto& write_text = prunekit_test::spit;
const auto& expect_input_error = prunekit_test::expect_input_error_mentioning;

std::function<std::vector<int>(const std::string&)> bos_tokenize(const prunekit::Tokenizer& tok) {
  return [&tok](const std::string& s) { return tok.encode(s, true); };
}

}  // namespace

// ---------------------------------------------------------------- CPython random (MT19937)

TEST(Data, MtStateAfterSeedZero) {
  prunekit::PyRandom rng(0);
  const auto& mt = rng.state();
  EXPECT_EQ(mt[0], 0x80000000u);
  EXPECT_EQ(mt[1], 0x2db73a62u);
  EXPECT_EQ(mt[2], 0x1dae48d2u);
  EXPECT_EQ(mt[3], 0xeb934a5cu);
  EXPECT_EQ(mt[623], 0xad040189u);
  EXPECT_EQ(rng.index(), 624);
}

TEST(Data, MtFirstOutputsAfterSeedZero) {
  prunekit::PyRandom rng(0);
  const uint32_t expected[] = {3626764237u, 1654615998u, 3255389356u,
                               3823568514u, 1806341205u, 173879092u};
  for (uint32_t e : expected) EXPECT_EQ(rng.genrand_uint32(), e);
}

TEST(Data, MtSeedIsInitByArrayOfWords) {
  // seed(7) == init_by_array([7]); seed(2**32 + 5) == init_by_array([5, 1]) (LSW first).
  prunekit::PyRandom a(7), b(0), c((uint64_t{1} << 32) + 5), d(0);
  b.init_by_array({7});
  d.init_by_array({5, 1});
  EXPECT_EQ(a.state(), b.state());
  EXPECT_EQ(c.state(), d.state());
  EXPECT_NE(a.state(), c.state());
}

TEST(Data, RandbelowUsesBitLengthOfN) {
  // Raw words after seed(0): 3626764237, 1654615998, 3255389356, ...
  {  // n = 1000: k = 10, 3626764237 >> 22 = 864 < 1000.
    prunekit::PyRandom rng(0);
    EXPECT_EQ(rng.randbelow(1000), 864u);
    EXPECT_EQ(rng.index(), 1);
  }
  {  // n = 1024: k = 11 (not 10); 3626764237 >> 21 = 1729 rejected, 1654615998 >> 21 = 788.
    prunekit::PyRandom rng(0);
    EXPECT_EQ(rng.randbelow(1024), 1654615998u >> 21);
    EXPECT_EQ(rng.index(), 2);
  }
  {  // n = 1: k = 1; 3626764237 >> 31 = 1 rejected, 1654615998 >> 31 = 0.
    prunekit::PyRandom rng(0);
    EXPECT_EQ(rng.randbelow(1), 0u);
    EXPECT_EQ(rng.index(), 2);
  }
  prunekit::PyRandom rng(0);
  EXPECT_EQ(rng.getrandbits(32), 3626764237u);
  EXPECT_EQ(rng.getrandbits(1), 1654615998u >> 31);
}

TEST(Data, RandintOfOneValueConsumesWords) {
  prunekit::PyRandom rng(0);
  EXPECT_EQ(rng.randint(0, 0), 0);
  EXPECT_GE(rng.index(), 1);  // at least one word, here two (the first is rejected)
  EXPECT_EQ(rng.index(), 2);
  EXPECT_EQ(rng.genrand_uint32(), 3255389356u);
  prunekit::PyRandom r2(0);
  EXPECT_EQ(r2.randint(5, 5), 5);
  EXPECT_EQ(r2.randint(0, 999), int64_t{3255389356u >> 22});  // third word, k = 10
}

// ---------------------------------------------------------------- the C4 sampler

TEST(Data, SamplerC4FirstDraws) {
  PRUNEKIT_FIXTURE(tok_path, "models/stories260K/tokenizer.model");
  PRUNEKIT_FIXTURE(c4, "data/c4-sample.jsonl");
  prunekit::Tokenizer tok(tok_path);
  auto docs = prunekit::read_documents(c4);
  ASSERT_EQ(docs.size(), 1000u);
  auto set = prunekit::sample_windows(docs, bos_tokenize(tok), 6, 512, 0);
  const std::vector<std::array<int64_t, 3>> first12 = {
      {0, 999, 864}, {0, 270, 197}, {0, 999, 776}, {0, 454, 215}, {0, 999, 41},  {0, 431, 132},
      {0, 999, 988}, {0, 999, 523}, {0, 478, 248}, {0, 999, 414}, {0, 1879, 1605}, {0, 999, 849}};
  ASSERT_GE(set.randint_draws.size(), first12.size());
  for (size_t i = 0; i < first12.size(); ++i) EXPECT_EQ(set.randint_draws[i], first12[i]) << "draw " << i;
  ASSERT_EQ(set.windows.size(), 6u);
  const int64_t docs_exp[] = {864, 776, 41, 523, 414, 849};
  const int64_t starts_exp[] = {197, 215, 132, 248, 1605, 310};
  const int64_t lens_exp[] = {783, 967, 944, 991, 2392, 1076};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(set.windows[i].doc, docs_exp[i]);
    EXPECT_EQ(set.windows[i].start, starts_exp[i]);
    EXPECT_EQ(set.windows[i].doc_tokens, lens_exp[i]);
  }
  EXPECT_EQ(set.rejected_docs, std::vector<int64_t>{988});
  ASSERT_EQ(set.input_ids.sizes(), (at::IntArrayRef{6, 512}));
  EXPECT_EQ(set.input_ids.scalar_type(), at::kLong);
  const int64_t head[] = {272, 411, 411, 421, 299, 373, 298, 347, 418, 282};
  for (int t = 0; t < 10; ++t) EXPECT_EQ(set.input_ids[0][t].item<int64_t>(), head[t]);
}

TEST(Data, SamplerC4MatchesOracle) {
  PRUNEKIT_FIXTURE(tok_path, "models/stories260K/tokenizer.model");
  PRUNEKIT_FIXTURE(c4, "data/c4-sample.jsonl");
  PRUNEKIT_FIXTURE(calib, "reference/oracle/calib-c4-s0-n128-l512.safetensors");
  PRUNEKIT_FIXTURE(report_path, "reference/oracle/wanda-u50/report.json");
  prunekit::Tokenizer tok(tok_path);
  auto docs = prunekit::read_documents(c4);
  auto set = prunekit::sample_windows(docs, bos_tokenize(tok), 128, 512, 0);

  // All 65,536 token ids.
  auto oracle = prunekit::load_safetensors(calib);
  ASSERT_TRUE(oracle.count("input_ids"));
  const at::Tensor want = oracle.at("input_ids");
  ASSERT_EQ(want.scalar_type(), at::kLong);
  ASSERT_EQ(want.sizes(), set.input_ids.sizes());
  EXPECT_TRUE(at::equal(want, set.input_ids))
      << (want != set.input_ids).sum().item<int64_t>() << " ids differ";

  // Every randint draw and every sample's doc / start / length / rejected documents.
  const auto report = load_json(report_path);
  const auto& cal = report.at("calibration");
  const auto& draws = cal.at("python_random").at("randint_draws");
  ASSERT_EQ(draws.size(), set.randint_draws.size());
  for (size_t i = 0; i < draws.size(); ++i) {
    std::array<int64_t, 3> d{draws[i][0].get<int64_t>(), draws[i][1].get<int64_t>(),
                             draws[i][2].get<int64_t>()};
    ASSERT_EQ(d, set.randint_draws[i]) << "draw " << i;
  }
  const auto& samples = cal.at("samples");
  ASSERT_EQ(samples.size(), set.windows.size());
  std::vector<int64_t> rejected;
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(samples[i].at("doc").get<int64_t>(), set.windows[i].doc) << "sample " << i;
    EXPECT_EQ(samples[i].at("start").get<int64_t>(), set.windows[i].start) << "sample " << i;
    EXPECT_EQ(samples[i].at("doc_tokens").get<int64_t>(), set.windows[i].doc_tokens) << "sample " << i;
    for (const auto& r : samples[i].at("rejected_docs")) rejected.push_back(r.get<int64_t>());
  }
  EXPECT_EQ(rejected, set.rejected_docs);
}

TEST(Data, SamplerRefusesCorpusWithoutLongDocument) {
  // A whitespace tokenizer keeps the test independent of any model: one token per word + BOS.
  auto words = [](const std::string& s) {
    std::vector<int> ids{1};
    bool in_word = false;
    for (char c : s) {
      if (c != ' ' && !in_word) ids.push_back(2);
      in_word = c != ' ';
    }
    return ids;
  };
  std::vector<std::string> short_docs = {"a b c", "d e", "f g h i"};  // at most 5 tokens
  expect_input_error([&] { prunekit::sample_windows(short_docs, words, 2, 5, 0); },
                     "no document is longer than seqlen 5 tokens");
  // Exactly seqlen tokens is still too short (strictly greater is required).
  expect_input_error([&] { prunekit::sample_windows({"a b c d"}, words, 1, 5, 0); },
                     "no document is longer than seqlen 5");
  // One qualifying document among many short ones: sampled, not refused.
  std::vector<std::string> docs(300, "x");
  docs[123] = "a b c d e f g h";  // 9 tokens
  auto set = prunekit::sample_windows(docs, words, 3, 5, 0);
  ASSERT_EQ(set.windows.size(), 3u);
  for (const auto& w : set.windows) {
    EXPECT_EQ(w.doc, 123);
    EXPECT_EQ(w.doc_tokens, 9);
    EXPECT_LE(w.start, 9 - 5 - 1);
  }
  EXPECT_FALSE(set.rejected_docs.empty());
  EXPECT_EQ(set.randint_draws.size(), set.rejected_docs.size() + 2 * 3);
}

// ---------------------------------------------------------------- tokenizer

static void check_golden(const std::string& model_dir) {
  prunekit::Tokenizer tok(model_dir);  // directory form
  const auto golden = load_json(model_dir + "/golden.json");
  ASSERT_FALSE(golden.at("encode_no_bos").empty());
  for (const auto& e : golden.at("encode_no_bos")) {
    const std::string text = e.at("text");
    const auto ids = tok.encode(text, false);
    EXPECT_EQ(ids, e.at("ids").get<std::vector<int>>()) << "text: " << text;
    const auto pieces = e.at("pieces").get<std::vector<std::string>>();
    ASSERT_EQ(ids.size(), pieces.size()) << "text: " << text;
    for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(tok.id_to_piece(ids[i]), pieces[i]);
  }
  for (const auto& g : golden.at("generate")) {
    const std::string prompt = g.at("prompt");
    EXPECT_EQ(tok.encode(prompt, true), g.at("prompt_ids_with_bos").get<std::vector<int>>())
        << "prompt: " << prompt;
  }
}

TEST(Data, TokenizerGoldenStories260K) {
  PRUNEKIT_FIXTURE(dir, "models/stories260K");
  check_golden(dir);
  prunekit::Tokenizer tok(dir + "/tokenizer.model");  // file form
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  EXPECT_EQ(tok.vocab_size(), 512);
  EXPECT_EQ(tok.encode("", true), std::vector<int>{1});
  const std::string text = "Once upon a time, there was a little girl named Lily.";
  auto ids = tok.encode(text, true);
  ids.push_back(tok.eos_id());
  EXPECT_EQ(tok.decode(ids), text);  // BOS / EOS skipped
}

TEST(Data, TokenizerGoldenAidreams260K) {
  PRUNEKIT_FIXTURE(dir, "models/aidreams260K");
  check_golden(dir);
}

TEST(Data, TokenizerLlama2KeepsWhitespace) {
  PRUNEKIT_FIXTURE(path, "models/llama2-tokenizer/tokenizer.model");
  prunekit::Tokenizer tok(path);
  EXPECT_EQ(tok.vocab_size(), 32000);
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  EXPECT_EQ(tok.encode("Hello world", true), (std::vector<int>{1, 15043, 3186}));
  EXPECT_EQ(tok.encode("Hello world", false), (std::vector<int>{15043, 3186}));
  // remove_extra_whitespaces is false in LLaMA-2's normalizer: the extra spaces survive as "▁".
  EXPECT_EQ(tok.encode(" Hello", true), (std::vector<int>{1, 29871, 15043}));
  EXPECT_EQ(tok.encode("Hello  world", true), (std::vector<int>{1, 15043, 29871, 3186}));
  EXPECT_EQ(tok.decode(tok.encode(" Hello", true)), " Hello");
  EXPECT_EQ(tok.decode(tok.encode("Hello  world", true)), "Hello  world");
}

TEST(Data, TokenizerErrors) {
  const std::string dir = prunekit_test::temp_dir("tok");
  ASSERT_FALSE(dir.empty());
  expect_input_error([&] { prunekit::Tokenizer t(dir); }, dir + ": tokenizer.model missing");
  expect_input_error([&] { prunekit::Tokenizer t(dir + "/nope.model"); }, "tokenizer.model missing");
  write_text(dir + "/tokenizer.model", "this is not a protobuf");
  expect_input_error([&] { prunekit::Tokenizer t(dir); }, "not a SentencePiece model");
}

TEST(Data, TokenCountsOfEvalFiles) {
  PRUNEKIT_FIXTURE(s260k, "models/stories260K/tokenizer.model");
  PRUNEKIT_FIXTURE(llama2, "models/llama2-tokenizer/tokenizer.model");
  PRUNEKIT_FIXTURE(wiki, "data/wikitext2-test.txt");
  PRUNEKIT_FIXTURE(tiny, "data/tinystories-valid.txt");
  const std::string wiki_text = prunekit::read_eval_text(wiki);
  EXPECT_EQ(wiki_text.size(), 1296370u);  // verbatim
  prunekit::Tokenizer small(s260k), big(llama2);
  EXPECT_EQ(small.encode(wiki_text, true).size(), 815066u);
  EXPECT_EQ(small.encode(prunekit::read_eval_text(tiny), true).size(), 295607u);
  EXPECT_EQ(big.encode(wiki_text, true).size(), 341469u);
}

// ---------------------------------------------------------------- corpora

TEST(Data, ReadsC4Jsonl) {
  PRUNEKIT_FIXTURE(c4, "data/c4-sample.jsonl");
  const std::string content = prunekit::read_maybe_gzip(c4);
  EXPECT_TRUE(prunekit::looks_like_jsonl(content));
  auto docs = prunekit::read_documents(c4, prunekit::DocMode::Lines);  // mode ignored for JSONL
  ASSERT_EQ(docs.size(), 1000u);
  EXPECT_EQ(docs[0].rfind("Beginners BBQ Class Taking Place in Missoula!", 0), 0u);
}

TEST(Data, GzipJsonlMatchesPlain) {
  const std::string dir = prunekit_test::temp_dir("gz");
  const std::string jsonl =
      "{\"text\": \"first doc\", \"url\": \"u\"}\n"
      "\n"
      "{\"text\": \"second\\ndoc \\u00e9\"}\r\n"
      "{\"text\": \"\"}\n";
  write_text(dir + "/a.jsonl", jsonl);
  gzFile gz = gzopen((dir + "/a.jsonl.gz").c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, jsonl.data(), static_cast<unsigned>(jsonl.size())), static_cast<int>(jsonl.size()));
  gzclose(gz);
  // A gzip file with another name: detected by magic bytes, not by ".gz".
  std::rename((dir + "/a.jsonl.gz").c_str(), (dir + "/compressed.data").c_str());

  EXPECT_EQ(prunekit::read_maybe_gzip(dir + "/compressed.data"), jsonl);
  const std::vector<std::string> want = {"first doc", "second\ndoc \xc3\xa9", ""};
  EXPECT_EQ(prunekit::read_documents(dir + "/a.jsonl"), want);
  EXPECT_EQ(prunekit::read_documents(dir + "/compressed.data"), want);
  EXPECT_EQ(prunekit::read_eval_text(dir + "/compressed.data"), "first doc\n\nsecond\ndoc \xc3\xa9\n\n");

  write_text(dir + "/trunc.gz", prunekit::read_file(dir + "/compressed.data").substr(0, 20));
  expect_input_error([&] { prunekit::read_maybe_gzip(dir + "/trunc.gz"); }, "gzip");
}

TEST(Data, JsonlBadLineNamesTheLine) {
  const std::string dir = prunekit_test::temp_dir("badjson");
  write_text(dir + "/bad.jsonl", "{\"text\": \"ok\"}\n\n{\"text\": oops}\n");
  expect_input_error([&] { prunekit::read_documents(dir + "/bad.jsonl"); }, dir + "/bad.jsonl:3: ");
  write_text(dir + "/notext.jsonl", "{\"text\": \"ok\"}\n{\"question\": \"q\"}\n");
  expect_input_error([&] { prunekit::read_eval_text(dir + "/notext.jsonl"); },
                     dir + "/notext.jsonl:2: ");
}

TEST(Data, PlainTextDocModes) {
  const std::string dir = prunekit_test::temp_dir("modes");
  const std::string text = "\n\n = Title = \n\nfirst para line 1\nline 2\n\n\n  \nsecond para\n";
  write_text(dir + "/t.txt", text);
  const std::string f = dir + "/t.txt";
  EXPECT_FALSE(prunekit::looks_like_jsonl(text));
  EXPECT_EQ(prunekit::read_documents(f, prunekit::DocMode::File), std::vector<std::string>{text});
  EXPECT_EQ(prunekit::read_documents(f, prunekit::DocMode::Paragraphs),
            (std::vector<std::string>{" = Title = ", "first para line 1\nline 2", "second para"}));
  EXPECT_EQ(prunekit::read_documents(f, prunekit::DocMode::Lines),
            (std::vector<std::string>{" = Title = ", "first para line 1", "line 2", "second para"}));
  EXPECT_EQ(prunekit::read_eval_text(f), text);  // verbatim
  EXPECT_EQ(prunekit::doc_mode_from_name("paragraphs"), prunekit::DocMode::Paragraphs);
  EXPECT_EQ(prunekit::doc_mode_from_name("lines"), prunekit::DocMode::Lines);
  EXPECT_EQ(prunekit::doc_mode_from_name("file"), prunekit::DocMode::File);
  EXPECT_THROW(prunekit::doc_mode_from_name("words"), InputError);
}

TEST(Data, MissingAndEmptyFiles) {
  const std::string dir = prunekit_test::temp_dir("empty");
  expect_input_error([&] { prunekit::read_documents(dir + "/absent.txt"); }, dir + "/absent.txt: no such file");
  expect_input_error([&] { prunekit::read_eval_text(dir + "/absent.txt"); }, "no such file");
  write_text(dir + "/empty.txt", "");
  expect_input_error([&] { prunekit::read_documents(dir + "/empty.txt"); }, dir + "/empty.txt: empty");
  expect_input_error([&] { prunekit::read_eval_text(dir + "/empty.txt"); }, dir + "/empty.txt: empty");
  write_text(dir + "/blank.txt", "\n\n  \n");
  expect_input_error([&] { prunekit::read_documents(dir + "/blank.txt", prunekit::DocMode::Lines); },
                     "empty");
}
