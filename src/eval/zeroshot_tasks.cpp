// Zero-shot task files (include/prunekit/zeroshot.h): one JSON record per line -> one McDoc with
// lm-eval's construction for the task. No LibTorch: part of prunekit_parse (fuzzed, sanitizer-tested).
#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <sstream>

#include "prunekit/common.h"
#include "prunekit/zeroshot.h"

namespace prunekit {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Small string helpers (Python semantics where lm-eval relies on them).

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// str.strip() / str.rstrip() for ASCII whitespace.
std::string strip(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// str.replace(from, to): one left-to-right pass over non-overlapping occurrences.
std::string replace_all(const std::string& s, const std::string& from, const std::string& to) {
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size())
    out.append(s, pos, hit - pos).append(to);
  return out.append(s, pos, std::string::npos);
}

// str.capitalize(): first character upper-cased, the rest lower-cased. ASCII and Latin-1
// (two-byte UTF-8 "\xC3.") letters; other scripts are left as they are.
std::string capitalize(const std::string& s) {
  std::string out = s;
  bool first = true;
  for (size_t i = 0; i < out.size(); ++i) {
    unsigned char c = out[i];
    if (c == 0xC3 && i + 1 < out.size()) {
      unsigned char& n = reinterpret_cast<unsigned char&>(out[i + 1]);
      const bool upper = n >= 0x80 && n <= 0x9E && n != 0x97, lower = n >= 0xA0 && n <= 0xBE && n != 0xB7;
      if (first && lower) n -= 0x20;
      if (!first && upper) n += 0x20;
      ++i;
    } else if (c < 0x80) {
      out[i] = first ? static_cast<char>(std::toupper(c)) : static_cast<char>(std::tolower(c));
    }
    if ((c & 0xC0) != 0x80) first = false;
  }
  return out;
}

// Accessors on one JSONL record that name "<path>:<line>" on failure.
struct Record {
  const json& j;
  std::string where;

  [[noreturn]] void fail(const std::string& what) const { throw InputError(where + ": " + what); }
  const json& at(const char* key) const {
    auto it = j.find(key);
    if (it == j.end()) fail(std::string("missing field \"") + key + "\"");
    return *it;
  }
  bool has(const char* key) const { return j.contains(key); }
  std::string str(const char* key) const {
    const json& v = at(key);
    if (!v.is_string()) fail(std::string("field \"") + key + "\" is not a string");
    return v.get<std::string>();
  }
  std::vector<std::string> strs(const json& v, const char* key) const {
    if (!v.is_array() || v.empty())
      fail(std::string("field \"") + key + "\" is not a non-empty list of strings");
    std::vector<std::string> out;
    for (const json& e : v) {
      if (!e.is_string()) fail(std::string("field \"") + key + "\" is not a list of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  // An integer label: a JSON number, a boolean, or a string of digits (HellaSwag's "0".."3").
  int64_t label(const char* key) const {
    const json& v = at(key);
    if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
    if (v.is_number_integer()) {
      // Range-checked before any narrowing: 4294967296 must not become choice 0.
      if (v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(INT32_MAX) : v.get<int64_t>() > INT32_MAX)
        fail(std::string("field \"") + key + "\" is " + v.dump() + ", too large for a choice index");
      // ... nor -4294967296 (it used to pass as choice 0).
      if (!v.is_number_unsigned() && v.get<int64_t>() < INT32_MIN)
        fail(std::string("field \"") + key + "\" is " + v.dump() + ", too small for a choice index");
      return v.get<int64_t>();
    }
    if (v.is_string()) {
      const std::string s = v.get<std::string>();
      auto digit = [](unsigned char c) { return std::isdigit(c) != 0; };
      if (!s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), digit)) return std::stoll(s);
    }
    fail(std::string("field \"") + key + "\" is not an integer label");
  }
};

// doc_to_target for the ARC / OpenBookQA layout: choices.label.index(answerKey).
int label_index(const Record& r, const std::vector<std::string>& labels, const std::string& key) {
  auto it = std::find(labels.begin(), labels.end(), key);
  if (it == labels.end()) r.fail("answerKey \"" + key + "\" is not among choices.label");
  return static_cast<int>(it - labels.begin());
}

// All requests share one context; continuation = target delimiter " " + choice.
McDoc shared_context_doc(const std::string& context, std::vector<std::string> choices, int64_t gold) {
  McDoc d;
  for (const std::string& c : choices) d.requests.push_back({context, " " + c});
  d.choices = std::move(choices);
  d.gold = static_cast<int>(gold);
  return d;
}

// The lm-eval construction of one record of `task` (README "Tasks").
McDoc build_doc(const std::string& task, const Record& r) {
  if (task == "boolq")  // "{{passage}}\nQuestion: {{question}}?\nAnswer:", ["no", "yes"]
    return shared_context_doc(r.str("passage") + "\nQuestion: " + r.str("question") + "?\nAnswer:",
                              {"no", "yes"}, r.label("label"));
  if (task == "rte") {  // SuperGLUE premise/hypothesis or GLUE sentence1/sentence2; 0 = entailment
    const bool glue = !r.has("premise") && r.has("sentence1");
    const std::string premise = r.str(glue ? "sentence1" : "premise");
    const std::string hypothesis = r.str(glue ? "sentence2" : "hypothesis");
    return shared_context_doc(premise + "\nQuestion: " + hypothesis + " True or False?\nAnswer:",
                              {"True", "False"}, r.label("label"));
  }
  if (task == "hellaswag") {  // lm-eval tasks/hellaswag/utils.py process_docs
    const std::string ctx = r.str("ctx_a") + " " + capitalize(r.str("ctx_b"));
    std::vector<std::string> choices;
    for (const std::string& e : r.strs(r.at("endings"), "endings")) choices.push_back(hellaswag_clean(e));
    return shared_context_doc(hellaswag_clean(r.str("activity_label") + ": " + ctx), choices, r.label("label"));
  }
  if (task == "arc_easy" || task == "arc_challenge" || task == "openbookqa") {
    const json& ch = r.at("choices");
    if (!ch.is_object()) r.fail("field \"choices\" is not an object {\"text\", \"label\"}");
    const Record c{ch, r.where};
    std::vector<std::string> text = r.strs(c.at("text"), "choices.text");
    std::vector<std::string> labels = r.strs(c.at("label"), "choices.label");
    if (text.size() != labels.size()) r.fail("choices.text and choices.label differ in length");
    if (task == "openbookqa") {  // bare question_stem; answerKey.lstrip()
      std::string key = r.str("answerKey");
      const size_t b = key.find_first_not_of(" \t\n\r\v\f");
      key = b == std::string::npos ? std::string() : key.substr(b);
      return shared_context_doc(r.str("question_stem"), text, label_index(r, labels, key));
    }
    return shared_context_doc("Question: " + r.str("question") + "\nAnswer:", text,
                              label_index(r, labels, r.str("answerKey")));
  }
  if (task == "piqa")
    return shared_context_doc("Question: " + r.str("goal") + "\nAnswer:", {r.str("sol1"), r.str("sol2")},
                              r.label("label"));
  if (task == "winogrande") {  // partial scoring: options in the contexts, one shared continuation
    const std::string sentence = r.str("sentence");
    const size_t i = sentence.find('_');
    if (i == std::string::npos) r.fail("sentence has no \"_\" blank");
    const std::string cont = " " + strip(sentence.substr(i + 1));
    McDoc d;
    for (const char* key : {"option1", "option2"}) {
      d.choices.push_back(sentence.substr(0, i) + r.str(key));  // doc_to_choice: the partial contexts
      d.requests.push_back({d.choices.back(), cont});
    }
    const json& a = r.at("answer");
    d.gold = (a.is_string() ? a.get<std::string>() == "1" : a == 1) ? 0 : 1;
    return d;
  }
  // Generic (tinystories-cloze and any other file): {"context", "choices", "gold"}.
  return shared_context_doc(r.str("context"), r.strs(r.at("choices"), "choices"), r.label("gold"));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Tasks and files.

std::string hellaswag_clean(const std::string& text) {
  std::string t = replace_all(strip(text), " [title]", ". ");
  // re.sub("\\[.*?\\]", "", t): '.' does not match a newline.
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '[') {
      const size_t close = t.find(']', i + 1), nl = t.find('\n', i + 1);
      if (close != std::string::npos && (nl == std::string::npos || nl > close)) {
        i = close;
        continue;
      }
    }
    out.push_back(t[i]);
  }
  return replace_all(out, "  ", " ");
}

int64_t utf8_length(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

McDoc parse_task_line(const std::string& name, const std::string& line, const std::string& where) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw InputError(where + ": not valid JSON");
  if (!j.is_object()) throw InputError(where + ": not a JSON object");
  const Record rec{j, where};
  McDoc d = build_doc(name, rec);
  d.record = nlohmann::ordered_json::parse(line);  // key order kept for the sample log
  if (d.gold < 0 || d.gold >= static_cast<int>(d.requests.size()))
    rec.fail("gold index " + std::to_string(d.gold) + " outside the " + std::to_string(d.requests.size()) +
             " choices");
  return d;
}

std::vector<McDoc> load_task(const std::string& name, const std::string& path, int64_t limit) {
  std::istringstream in(read_file(path));
  std::vector<McDoc> docs;
  std::string line;
  for (int64_t lineno = 1; std::getline(in, line) && (limit <= 0 || int64_t(docs.size()) < limit); ++lineno) {
    if (strip(line).empty()) continue;
    docs.push_back(parse_task_line(name, line, path + ":" + std::to_string(lineno)));
  }
  if (docs.empty()) throw InputError(path + ": no records");
  return docs;
}

}  // namespace prunekit
