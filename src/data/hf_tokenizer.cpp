// tokenizer.json, step by step as huggingface/tokenizers runs it (TokenizerImpl::encode_single_sequence):
// 1. AddedVocabulary::extract_and_normalize: added tokens with normalized=false are cut out of
//    the raw text (leftmost-longest; single_word/lstrip/rstrip), every remaining piece is
//    normalised, then the normalized=true tokens (matched by their normalised content) are cut out.
// 2. The pre-tokenizer splits every piece that is not yet a token; empty pieces are dropped.
// 3. The model turns every piece into ids (BPE with a per-word cache).
// 4. With add_special_tokens the post-processor wraps the ids (TemplateProcessing's single form).
// Offsets are not tracked: only whether a piece starts at the beginning of the original text,
// which Metaspace's prepend_scheme "first" needs.
#include "prunekit/hf_tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <functional>
#include <mutex>
#include <queue>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "hf_text.h"
#include "prunekit/common.h"

namespace prunekit {

namespace {

using json = nlohmann::json;
using hftext::Span;

// One piece of the text on its way through the pipeline: plain text, or a finished token.
struct Piece {
  std::string text;
  int id = -1;             // >= 0: an added token, not touched by later steps
  bool at_origin = false;  // starts at byte 0 of the original text
};

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// NormalizedString::split: cut `p` at `matches` (sorted, non-overlapping) according to the
// behaviour, appending the non-empty parts to `out`.
void split_piece(const Piece& p, const std::vector<Span>& matches, Behavior behavior, bool invert,
                 std::vector<Piece>& out) {
  struct Seg {
    size_t begin, end;
    bool is_match;
  };
  std::vector<Seg> segs;
  if (p.text.empty()) {
    segs.push_back({0, 0, false});
  } else {
    size_t prev = 0;
    for (const Span& m : matches) {
      if (m.first > prev) segs.push_back({prev, m.first, invert});
      segs.push_back({m.first, m.second, !invert});
      prev = m.second;
    }
    if (prev < p.text.size()) segs.push_back({prev, p.text.size(), invert});
  }
  std::vector<Seg> kept;  // is_match here means "remove"
  bool previous_match = false;
  switch (behavior) {
    case Behavior::Removed:
      kept = segs;
      break;
    case Behavior::Isolated:
      for (Seg s : segs) kept.push_back({s.begin, s.end, false});
      break;
    case Behavior::Contiguous:
      for (const Seg& s : segs) {
        if (!kept.empty() && s.is_match == previous_match) kept.back().end = s.end;
        else kept.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      break;
    case Behavior::MergedWithPrevious:
      for (const Seg& s : segs) {
        if (!kept.empty() && s.is_match && !previous_match) kept.back().end = s.end;
        else kept.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      break;
    case Behavior::MergedWithNext:
      for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
        if (!kept.empty() && it->is_match && !previous_match) kept.back().begin = it->begin;
        else kept.push_back({it->begin, it->end, false});
        previous_match = it->is_match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
  }
  for (const Seg& s : kept) {
    if (s.is_match || s.end == s.begin) continue;
    Piece q;
    q.text = p.text.substr(s.begin, s.end - s.begin);
    q.at_origin = p.at_origin && s.begin == 0;
    out.push_back(std::move(q));
  }
}

// Every character for which pred holds is a match of its own (HF's `Fn(char) -> bool` pattern).
template <class Pred>
std::vector<Span> char_matches(const std::string& s, Pred pred) {
  std::vector<Span> m;
  size_t i = 0;
  while (i < s.size()) {
    const size_t b = i;
    if (pred(hftext::next_cp(s, i))) m.emplace_back(b, i);
  }
  return m;
}

// Non-overlapping occurrences of a literal, left to right.
std::vector<Span> literal_matches(const std::string& s, const std::string& lit) {
  std::vector<Span> m;
  if (lit.empty()) return m;
  for (size_t pos = s.find(lit); pos != std::string::npos; pos = s.find(lit, pos + lit.size()))
    m.emplace_back(pos, pos + lit.size());
  return m;
}

std::string replace_spans(const std::string& s, const std::vector<Span>& spans, const std::string& content) {
  if (spans.empty()) return s;
  std::string out;
  size_t prev = 0;
  for (const Span& m : spans) {
    out.append(s, prev, m.first - prev);
    out += content;
    prev = m.second;
  }
  out.append(s, prev, std::string::npos);
  return out;
}

// GPT-2's byte <-> printable character table (bytes_to_unicode).
struct ByteAlphabet {
  std::array<std::string, 256> byte_to_utf8;
  std::unordered_map<char32_t, unsigned char> cp_to_byte;
  ByteAlphabet() {
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      hftext::append_utf8(byte_to_utf8[b], cp);
      cp_to_byte[cp] = static_cast<unsigned char>(b);
    }
  }
};
const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet a;
  return a;
}

std::string byte_level_encode(const std::string& s) {
  const auto& a = byte_alphabet();
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char b : s) out += a.byte_to_utf8[b];
  return out;
}

const char* kByteLevelRegex = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Read-only open-addressing tables for the per-character and per-pair lookups of the BPE loop:
// on a 128k-150k token vocabulary std::unordered_map's node chains cost a cache miss or two per
// lookup, which dominated a first encode (every word new).
class TokenIndex {  // token bytes -> id; keys point into storage that outlives the index
 public:
  void build(const std::vector<std::pair<std::string_view, int>>& entries) {
    size_t cap = 16;
    while (cap < entries.size() * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const auto& [key, id] : entries) {
      const uint64_t h = hash(key);
      size_t i = h & mask_;
      while (slots_[i].id >= 0 && slots_[i].key != key) i = (i + 1) & mask_;
      slots_[i] = Slot{h, key, id};
    }
  }
  int find(std::string_view key) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.hash == h && s.key == key) return s.id;
    }
  }

 private:
  static uint64_t hash(std::string_view s) {  // FNV-1a: tokens are short
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
  }
  struct Slot {
    uint64_t hash = 0;
    std::string_view key;
    int id = -1;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

class MergeIndex {  // (left id, right id) -> (rank, merged id)
 public:
  struct Merge {
    int rank, id;
  };
  void build(const std::unordered_map<uint64_t, std::pair<int, int>>& merges) {
    size_t cap = 16;
    while (cap < merges.size() * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const auto& [key, m] : merges) {
      size_t i = mix(key) & mask_;
      while (slots_[i].merge.rank >= 0) i = (i + 1) & mask_;
      slots_[i] = Slot{key, {m.first, m.second}};
    }
  }
  const Merge* find(int left, int right) const {
    const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    for (size_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.merge.rank < 0) return nullptr;
      if (s.key == key) return &s.merge;
    }
  }

 private:
  static uint64_t mix(uint64_t x) {  // splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  struct Slot {
    uint64_t key = 0;
    Merge merge{-1, -1};
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

// ---------------------------------------------------------------------------------- parsing

// A JSON value's member with a type check; errors name the component path.
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}
  [[noreturn]] void fail(const std::string& what) const { throw InputError(origin_ + ": " + what); }
  const json& member(const json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object() || !obj.contains(key)) fail(where + ": missing \"" + key + "\"");
    return obj.at(key);
  }
  std::string str(const json& obj, const char* key, const std::string& where) const {
    const json& v = member(obj, key, where);
    if (!v.is_string()) fail(where + ": \"" + key + "\" is not a string");
    return v.get<std::string>();
  }
  std::string opt_str(const json& obj, const char* key, const std::string& dflt) const {
    if (!obj.is_object() || !obj.contains(key) || obj.at(key).is_null()) return dflt;
    if (!obj.at(key).is_string()) fail(std::string("\"") + key + "\" is not a string");
    return obj.at(key).get<std::string>();
  }
  bool opt_bool(const json& obj, const char* key, bool dflt) const {
    if (!obj.is_object() || !obj.contains(key) || obj.at(key).is_null()) return dflt;
    if (!obj.at(key).is_boolean()) fail(std::string("\"") + key + "\" is not a boolean");
    return obj.at(key).get<bool>();
  }
  std::string type(const json& obj, const std::string& where) const { return str(obj, "type", where); }
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
};

}  // namespace

// ---------------------------------------------------------------------------------- the tokenizer

struct HfTokenizer::Impl {
  explicit Impl(std::string origin) : rd(std::move(origin)) {}
  Reader rd;

  // ---- model (BPE)
  std::unordered_map<std::string, int> vocab;
  std::vector<std::string> vocab_r;  // id -> token ("" where the id is unused)
  std::vector<char> vocab_has;
  std::unordered_map<uint64_t, std::pair<int, int>> merges;  // (left, right) -> (rank, merged id)
  int unk_id = -1;
  bool fuse_unk = false, byte_fallback = false, ignore_merges = false;
  std::string continuing_prefix, end_suffix;
  std::array<int, 256> byte_token{};  // "<0xXX>" ids for byte_fallback, -1 if absent
  TokenIndex token_index;             // the hot-path copies of vocab / merges
  MergeIndex merge_index;
  std::vector<int> char_id;           // id of the one-character token of code point cp < size, or -1
  mutable std::mutex cache_mu;
  mutable std::unordered_map<std::string, std::vector<int>> cache;
  static constexpr size_t kCacheCapacity = 200000, kCacheMaxWordBytes = 256;

  // ---- added tokens
  struct AddedToken {
    std::string content;
    int id;
    bool special, lstrip, rstrip, single_word, normalized;
  };
  std::vector<AddedToken> added;
  std::unordered_map<int, size_t> added_by_id;
  std::unordered_map<std::string, int> added_by_content;
  struct Matcher {  // leftmost-longest over a set of strings: a byte trie
    struct Node {
      std::vector<std::pair<unsigned char, int>> next;
      int token = -1;  // index into `added`
    };
    std::vector<Node> nodes{Node{}};
    std::array<bool, 256> first{};
    bool empty() const { return nodes.size() == 1; }
    void add(const std::string& s, int token) {
      if (s.empty()) return;
      int n = 0;
      for (unsigned char c : s) {
        int child = -1;
        for (auto& [b, k] : nodes[n].next)
          if (b == c) child = k;
        if (child < 0) {
          child = static_cast<int>(nodes.size());
          nodes[n].next.emplace_back(c, child);
          nodes.emplace_back();
        }
        n = child;
      }
      if (nodes[n].token < 0) nodes[n].token = token;
      first[static_cast<unsigned char>(s[0])] = true;
    }
    // Longest match starting at pos: (token, end) or (-1, pos).
    std::pair<int, size_t> longest_at(const std::string& s, size_t pos) const {
      int n = 0, best = -1;
      size_t best_end = pos;
      for (size_t i = pos; i < s.size(); ++i) {
        int child = -1;
        for (auto& [b, k] : nodes[n].next)
          if (b == static_cast<unsigned char>(s[i])) child = k;
        if (child < 0) break;
        n = child;
        if (nodes[n].token >= 0) best = nodes[n].token, best_end = i + 1;
      }
      return {best, best_end};
    }
  };
  Matcher raw_matcher, normalized_matcher;

  // ---- pipeline stages
  std::vector<std::function<void(std::string&)>> normalizers;
  std::vector<std::function<void(std::vector<Piece>&)>> pre_tokenizers;
  std::vector<int> prefix, suffix;
  std::vector<std::function<void(std::vector<std::string>&)>> decoders;
  bool has_decoder = false;
  std::vector<std::unique_ptr<hftext::Regex>> regexes;  // owned patterns the stages refer to
  std::string model_kind = "BPE";
  bool byte_level = false;

  // ------------------------------------------------------------------ loading
  void load(const json& root);
  void load_model(const json& m);
  void load_added(const json& list);
  void load_normalizer(const json& n, const std::string& where);
  void load_pre_tokenizer(const json& p, const std::string& where);
  void load_post_processor(const json& p, const std::string& where);
  void load_decoder(const json& d, const std::string& where);
  const hftext::Regex& compile(const std::string& pattern, const std::string& where);
  // Split/Replace patterns: {"String": s} or {"Regex": r}; returns the regex source.
  std::string pattern_source(const json& pat, const std::string& where, bool* is_literal, std::string* literal);

  // ------------------------------------------------------------------ running
  void normalize(std::string& s) const {
    for (const auto& n : normalizers) n(s);
  }
  void split_added(const Piece& p, const Matcher& m, std::vector<Piece>& out) const;
  void bpe(const std::string& word, std::vector<int>& ids) const;
  std::vector<int> merge_word(const std::string& w) const;
  int token_id(const std::string& t) const {
    auto a = added_by_content.find(t);
    if (a != added_by_content.end()) return a->second;
    auto v = vocab.find(t);
    return v == vocab.end() ? -1 : v->second;
  }
};

HfTokenizer::HfTokenizer() = default;
HfTokenizer::~HfTokenizer() = default;

const hftext::Regex& HfTokenizer::Impl::compile(const std::string& pattern, const std::string& where) {
  try {
    regexes.push_back(std::make_unique<hftext::Regex>(pattern));
  } catch (const std::invalid_argument& e) {
    rd.fail(where + ": " + e.what());
  }
  return *regexes.back();
}

std::string HfTokenizer::Impl::pattern_source(const json& pat, const std::string& where, bool* is_literal,
                                              std::string* literal) {
  if (pat.is_object() && pat.contains("String") && pat.at("String").is_string()) {
    *is_literal = true;
    *literal = pat.at("String").get<std::string>();
    return hftext::regex_escape(*literal);
  }
  if (pat.is_object() && pat.contains("Regex") && pat.at("Regex").is_string()) {
    *is_literal = false;
    return pat.at("Regex").get<std::string>();
  }
  rd.fail(where + ": pattern is neither {\"String\": ...} nor {\"Regex\": ...}");
}

void HfTokenizer::Impl::load(const json& root) {
  if (!root.is_object()) rd.fail("not a JSON object");
  if (root.contains("truncation") && !root.at("truncation").is_null())
    rd.fail("truncation is set (not supported: prunekit never truncates)");
  if (root.contains("padding") && !root.at("padding").is_null())
    rd.fail("padding is set (not supported: prunekit never pads)");
  load_model(rd.member(root, "model", "tokenizer.json"));
  if (root.contains("normalizer") && !root.at("normalizer").is_null())
    load_normalizer(root.at("normalizer"), "normalizer");
  if (root.contains("added_tokens") && !root.at("added_tokens").is_null()) load_added(root.at("added_tokens"));
  if (root.contains("pre_tokenizer") && !root.at("pre_tokenizer").is_null())
    load_pre_tokenizer(root.at("pre_tokenizer"), "pre_tokenizer");
  if (root.contains("post_processor") && !root.at("post_processor").is_null())
    load_post_processor(root.at("post_processor"), "post_processor");
  if (root.contains("decoder") && !root.at("decoder").is_null()) {
    has_decoder = true;
    load_decoder(root.at("decoder"), "decoder");
  }
}

void HfTokenizer::Impl::load_model(const json& m) {
  const std::string type = m.contains("type") ? rd.str(m, "type", "model") : "BPE";
  if (type != "BPE") rd.fail("model type " + type + " is not supported (only BPE)");
  if (m.contains("dropout") && !m.at("dropout").is_null() && m.at("dropout").get<double>() != 0.0)
    rd.fail("model: BPE dropout " + m.at("dropout").dump() + " is not supported (tokenisation would be random)");
  fuse_unk = rd.opt_bool(m, "fuse_unk", false);
  byte_fallback = rd.opt_bool(m, "byte_fallback", false);
  ignore_merges = rd.opt_bool(m, "ignore_merges", false);
  continuing_prefix = rd.opt_str(m, "continuing_subword_prefix", "");
  end_suffix = rd.opt_str(m, "end_of_word_suffix", "");

  const json& v = rd.member(m, "vocab", "model");
  if (!v.is_object()) rd.fail("model: vocab is not an object");
  int max_id = -1;
  vocab.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<long long>() < 0 || it.value().get<long long>() > (1 << 30))
      rd.fail("model: vocab entry \"" + it.key() + "\" has id " + it.value().dump());
    const int id = it.value().get<int>();
    vocab[it.key()] = id;
    max_id = std::max(max_id, id);
  }
  vocab_r.assign(static_cast<size_t>(max_id + 1), std::string());
  vocab_has.assign(static_cast<size_t>(max_id + 1), 0);
  for (const auto& [tok, id] : vocab) {
    vocab_r[id] = tok;
    vocab_has[id] = 1;
  }

  const std::string unk = rd.opt_str(m, "unk_token", "");
  if (!unk.empty()) {
    auto it = vocab.find(unk);
    if (it == vocab.end()) rd.fail("model: unk_token \"" + unk + "\" is not in the vocabulary");
    unk_id = it->second;
  }
  byte_token.fill(-1);
  if (byte_fallback) {
    static const char* hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
      const std::string t = std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
      auto it = vocab.find(t);
      if (it != vocab.end()) byte_token[b] = it->second;
    }
  }

  const json& ms = rd.member(m, "merges", "model");
  if (!ms.is_array()) rd.fail("model: merges is not an array");
  merges.reserve(ms.size() * 2);
  for (size_t rank = 0; rank < ms.size(); ++rank) {
    const json& e = ms[rank];
    std::string a, b;
    if (e.is_string()) {  // legacy "a b"
      const std::string s = e.get<std::string>();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos) rd.fail("model: merge " + std::to_string(rank) + " \"" + s + "\" is not \"a b\"");
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      a = e[0].get<std::string>();
      b = e[1].get<std::string>();
    } else {
      rd.fail("model: merge " + std::to_string(rank) + " is " + e.dump());
    }
    auto ia = vocab.find(a), ib = vocab.find(b);
    if (ia == vocab.end() || ib == vocab.end())
      rd.fail("model: merge " + std::to_string(rank) + " uses \"" + (ia == vocab.end() ? a : b) +
              "\", which is not in the vocabulary");
    // The merged token drops the right part's continuing_subword_prefix (BPE::from convert_merges).
    const size_t cut = !continuing_prefix.empty() && b.compare(0, continuing_prefix.size(), continuing_prefix) == 0
                           ? continuing_prefix.size() : 0;
    const std::string merged = a + b.substr(cut);
    auto im = vocab.find(merged);
    if (im == vocab.end()) rd.fail("model: merge " + std::to_string(rank) + " makes \"" + merged + "\", not in the vocabulary");
    const uint64_t key = (static_cast<uint64_t>(ia->second) << 32) | static_cast<uint32_t>(ib->second);
    merges[key] = {static_cast<int>(rank), im->second};  // a repeated pair keeps its last rank, as HF's map
  }

  std::vector<std::pair<std::string_view, int>> entries;
  entries.reserve(vocab.size());
  char_id.assign(0x3000, -1);
  for (size_t id = 0; id < vocab_r.size(); ++id) {
    if (!vocab_has[id]) continue;
    const std::string& t = vocab_r[id];
    entries.emplace_back(t, static_cast<int>(id));
    size_t k = 0;
    if (!t.empty() && hftext::find_invalid_utf8(t) == std::string::npos) {
      const char32_t cp = hftext::next_cp(t, k);
      if (k == t.size() && cp < char_id.size()) char_id[cp] = static_cast<int>(id);
    }
  }
  token_index.build(entries);
  merge_index.build(merges);
}

void HfTokenizer::Impl::load_added(const json& list) {
  if (!list.is_array()) rd.fail("added_tokens is not an array");
  for (const json& t : list) {
    AddedToken a;
    a.content = rd.str(t, "content", "added_tokens");
    const json& idv = rd.member(t, "id", "added_tokens");
    if (!idv.is_number_integer() || idv.get<long long>() < 0 || idv.get<long long>() > (1 << 30))
      rd.fail("added token \"" + a.content + "\" has id " + idv.dump());
    a.id = idv.get<int>();
    a.special = rd.opt_bool(t, "special", false);
    a.lstrip = rd.opt_bool(t, "lstrip", false);
    a.rstrip = rd.opt_bool(t, "rstrip", false);
    a.single_word = rd.opt_bool(t, "single_word", false);
    a.normalized = rd.opt_bool(t, "normalized", !a.special);
    if (a.content.empty()) continue;  // HF ignores empty added tokens
    // HF re-derives the id: the model's own id when the content is in its vocabulary.
    auto v = vocab.find(a.content);
    if (v != vocab.end()) a.id = v->second;
    if (added_by_content.count(a.content)) continue;
    added_by_content[a.content] = a.id;
    added_by_id[a.id] = added.size();
    added.push_back(a);
  }
  // Special tokens first, then the others, as AddedVocabulary::refresh_added_tokens orders them
  // (it only matters for two tokens with the same content, which we drop above).
  for (size_t i = 0; i < added.size(); ++i) {
    const AddedToken& a = added[i];
    if (!a.normalized) {
      raw_matcher.add(a.content, static_cast<int>(i));
    } else {
      std::string c = a.content;
      normalize(c);
      normalized_matcher.add(c, static_cast<int>(i));
    }
  }
}

void HfTokenizer::Impl::load_normalizer(const json& n, const std::string& where) {
  const std::string type = rd.type(n, where);
  const std::string here = where + " " + type;
  if (type == "Sequence") {
    const json& list = rd.member(n, "normalizers", here);
    if (!list.is_array()) rd.fail(here + ": \"normalizers\" is not an array");
    for (size_t i = 0; i < list.size(); ++i) load_normalizer(list[i], where + "[" + std::to_string(i) + "]");
  } else if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    const hftext::NormForm f = type == "NFC" ? hftext::NormForm::NFC : type == "NFD" ? hftext::NormForm::NFD
                               : type == "NFKC" ? hftext::NormForm::NFKC : hftext::NormForm::NFKD;
    normalizers.push_back([f](std::string& s) { s = hftext::normalize(s, f); });
  } else if (type == "Lowercase") {
    normalizers.push_back([](std::string& s) { s = hftext::to_lower(s); });
  } else if (type == "Prepend") {
    const std::string pre = rd.str(n, "prepend", here);
    normalizers.push_back([pre](std::string& s) {
      if (!s.empty()) s.insert(0, pre);
    });
  } else if (type == "Replace") {
    bool literal = false;
    std::string lit;
    const std::string src = pattern_source(rd.member(n, "pattern", here), here, &literal, &lit);
    const std::string content = rd.str(n, "content", here);
    if (literal) {
      normalizers.push_back([lit, content](std::string& s) { s = replace_spans(s, literal_matches(s, lit), content); });
    } else {
      const hftext::Regex* re = &compile(src, here);
      normalizers.push_back([re, content](std::string& s) { s = replace_spans(s, re->find_all(s), content); });
    }
  } else if (type == "Strip") {
    const bool left = rd.opt_bool(n, "strip_left", true), right = rd.opt_bool(n, "strip_right", true);
    normalizers.push_back([left, right](std::string& s) {
      size_t b = 0, e = s.size();
      if (left) {
        size_t i = 0;
        while (i < s.size()) {
          const size_t at = i;
          if (!hftext::is_whitespace(hftext::next_cp(s, i))) {
            i = at;
            break;
          }
        }
        b = i;
      }
      if (right) {
        size_t i = b, last_non_space = b;
        while (i < s.size())
          if (!hftext::is_whitespace(hftext::next_cp(s, i))) last_non_space = i;
        e = last_non_space;
      }
      s = s.substr(b, e - b);
    });
  } else {
    rd.fail(where + ": normalizer " + type + " is not supported");
  }
}

void HfTokenizer::Impl::load_pre_tokenizer(const json& p, const std::string& where) {
  const std::string type = rd.type(p, where);
  const std::string here = where + " " + type;
  // Apply fn to every text piece, keeping finished tokens in place.
  auto each_text = [](std::function<void(const Piece&, std::vector<Piece>&)> fn) {
    return [fn](std::vector<Piece>& pieces) {
      std::vector<Piece> out;
      out.reserve(pieces.size());
      for (Piece& p : pieces) {
        if (p.id >= 0) out.push_back(std::move(p));
        else fn(p, out);
      }
      pieces.swap(out);
    };
  };
  if (type == "Sequence") {
    const json& list = rd.member(p, "pretokenizers", here);
    if (!list.is_array()) rd.fail(here + ": \"pretokenizers\" is not an array");
    for (size_t i = 0; i < list.size(); ++i) load_pre_tokenizer(list[i], where + "[" + std::to_string(i) + "]");
  } else if (type == "Split") {
    bool literal = false;
    std::string lit;
    const std::string src = pattern_source(rd.member(p, "pattern", here), here, &literal, &lit);
    const std::string b = rd.str(p, "behavior", here);
    Behavior behavior;
    if (b == "Removed") behavior = Behavior::Removed;
    else if (b == "Isolated") behavior = Behavior::Isolated;
    else if (b == "MergedWithPrevious") behavior = Behavior::MergedWithPrevious;
    else if (b == "MergedWithNext") behavior = Behavior::MergedWithNext;
    else if (b == "Contiguous") behavior = Behavior::Contiguous;
    else rd.fail(here + ": behavior " + b + " is not supported");
    const bool invert = rd.opt_bool(p, "invert", false);
    const hftext::Regex* re = &compile(src, here);
    pre_tokenizers.push_back(each_text([re, behavior, invert](const Piece& x, std::vector<Piece>& out) {
      split_piece(x, re->find_all(x.text), behavior, invert, out);
    }));
  } else if (type == "ByteLevel") {
    const bool add_prefix_space = rd.opt_bool(p, "add_prefix_space", true);
    const bool use_regex = rd.opt_bool(p, "use_regex", true);
    const hftext::Regex* re = use_regex ? &compile(kByteLevelRegex, here) : nullptr;
    byte_level = true;
    pre_tokenizers.push_back(each_text([=](const Piece& x, std::vector<Piece>& out) {
      Piece y = x;
      if (add_prefix_space && (y.text.empty() || y.text[0] != ' ')) y.text.insert(0, " ");
      const size_t first = out.size();
      if (re) split_piece(y, re->find_all(y.text), Behavior::Isolated, false, out);
      else if (!y.text.empty()) out.push_back(std::move(y));
      for (size_t i = first; i < out.size(); ++i) out[i].text = byte_level_encode(out[i].text);
    }));
  } else if (type == "Metaspace") {
    std::string rep = rd.opt_str(p, "replacement", "\xE2\x96\x81");
    size_t k = 0;
    if (rep.empty() || (hftext::next_cp(rep, k), k != rep.size()))
      rd.fail(here + ": replacement \"" + rep + "\" is not one character");
    // Files from tokenizers < 0.15 have only add_prefix_space; false there (or next to a
    // prepend_scheme) means never, as Metaspace's deserializer reads it.
    std::string scheme = rd.opt_str(p, "prepend_scheme", "always");
    if (!rd.opt_bool(p, "add_prefix_space", true)) scheme = "never";
    if (scheme != "always" && scheme != "first" && scheme != "never")
      rd.fail(here + ": prepend_scheme " + scheme + " is not supported");
    const bool split = rd.opt_bool(p, "split", true);
    pre_tokenizers.push_back(each_text([=](const Piece& x, std::vector<Piece>& out) {
      Piece y = x;
      y.text = replace_spans(y.text, literal_matches(y.text, " "), rep);
      const bool starts = y.text.compare(0, rep.size(), rep) == 0;
      if (!starts && (scheme == "always" || (scheme == "first" && y.at_origin))) y.text.insert(0, rep);
      if (split) split_piece(y, literal_matches(y.text, rep), Behavior::MergedWithNext, false, out);
      else if (!y.text.empty()) out.push_back(std::move(y));
    }));
  } else if (type == "Digits") {
    const bool individual = rd.opt_bool(p, "individual_digits", false);
    pre_tokenizers.push_back(each_text([individual](const Piece& x, std::vector<Piece>& out) {
      split_piece(x, char_matches(x.text, hftext::is_numeric), individual ? Behavior::Isolated : Behavior::Contiguous,
                  false, out);
    }));
  } else if (type == "Whitespace") {
    const hftext::Regex* re = &compile(R"(\w+|[^\w\s]+)", here);
    pre_tokenizers.push_back(each_text([re](const Piece& x, std::vector<Piece>& out) {
      split_piece(x, re->find_all(x.text), Behavior::Removed, /*invert=*/true, out);
    }));
  } else if (type == "WhitespaceSplit") {
    pre_tokenizers.push_back(each_text([](const Piece& x, std::vector<Piece>& out) {
      split_piece(x, char_matches(x.text, hftext::is_whitespace), Behavior::Removed, false, out);
    }));
  } else {
    rd.fail(where + ": pre-tokenizer " + type + " is not supported");
  }
}

void HfTokenizer::Impl::load_post_processor(const json& p, const std::string& where) {
  const std::string type = rd.type(p, where);
  const std::string here = where + " " + type;
  if (type == "Sequence") {
    const json& list = rd.member(p, "processors", here);
    if (!list.is_array()) rd.fail(here + ": \"processors\" is not an array");
    for (size_t i = 0; i < list.size(); ++i) load_post_processor(list[i], where + "[" + std::to_string(i) + "]");
  } else if (type == "ByteLevel") {
    // Only trims offsets; the ids are unchanged.
  } else if (type == "TemplateProcessing") {
    const json& single = rd.member(p, "single", here);
    const json& specials = p.contains("special_tokens") ? p.at("special_tokens") : json::object();
    if (!single.is_array()) rd.fail(here + ": \"single\" is not an array");
    std::vector<int> before, after;
    bool seen_sequence = false;
    for (const json& item : single) {
      if (item.is_object() && item.contains("Sequence")) {
        const std::string seq = rd.str(item.at("Sequence"), "id", here + " single");
        if (seq != "A") rd.fail(here + ": single template uses sequence " + seq);
        if (seen_sequence) rd.fail(here + ": single template uses the sequence twice");
        seen_sequence = true;
      } else if (item.is_object() && item.contains("SpecialToken")) {
        const std::string name = rd.str(item.at("SpecialToken"), "id", here + " single");
        if (!specials.is_object() || !specials.contains(name))
          rd.fail(here + ": special token " + name + " missing from special_tokens");
        const json& ids = rd.member(specials.at(name), "ids", here + " special_tokens " + name);
        if (!ids.is_array()) rd.fail(here + ": special_tokens " + name + ": \"ids\" is not an array");
        for (const json& id : ids) {
          if (!id.is_number_integer() || id.get<long long>() < 0)
            rd.fail(here + ": special_tokens " + name + " has id " + id.dump());
          (seen_sequence ? after : before).push_back(id.get<int>());
        }
      } else {
        rd.fail(here + ": unknown template item " + item.dump());
      }
    }
    if (!seen_sequence) rd.fail(here + ": single template has no $A");
    // Nested processors wrap what the earlier ones produced.
    prefix.insert(prefix.begin(), before.begin(), before.end());
    suffix.insert(suffix.end(), after.begin(), after.end());
  } else {
    rd.fail(where + ": post-processor " + type + " is not supported");
  }
}

void HfTokenizer::Impl::load_decoder(const json& d, const std::string& where) {
  const std::string type = rd.type(d, where);
  const std::string here = where + " " + type;
  using Tokens = std::vector<std::string>;
  if (type == "Sequence") {
    const json& list = rd.member(d, "decoders", here);
    if (!list.is_array()) rd.fail(here + ": \"decoders\" is not an array");
    for (size_t i = 0; i < list.size(); ++i) load_decoder(list[i], where + "[" + std::to_string(i) + "]");
  } else if (type == "ByteLevel") {
    decoders.push_back([](Tokens& toks) {
      const auto& a = byte_alphabet();
      std::string bytes;
      for (const std::string& t : toks) {
        // A token with a character outside the alphabet is kept as its UTF-8 bytes.
        std::string mapped;
        bool ok = true;
        size_t i = 0;
        while (i < t.size() && ok) {
          auto it = a.cp_to_byte.find(hftext::next_cp(t, i));
          if (it == a.cp_to_byte.end()) ok = false;
          else mapped.push_back(static_cast<char>(it->second));
        }
        bytes += ok ? mapped : t;
      }
      toks.assign(1, hftext::utf8_lossy(bytes));
    });
  } else if (type == "Replace") {
    bool literal = false;
    std::string lit;
    const std::string src = pattern_source(rd.member(d, "pattern", here), here, &literal, &lit);
    const std::string content = rd.str(d, "content", here);
    const hftext::Regex* re = literal ? nullptr : &compile(src, here);
    decoders.push_back([=](Tokens& toks) {
      for (std::string& t : toks) t = replace_spans(t, re ? re->find_all(t) : literal_matches(t, lit), content);
    });
  } else if (type == "ByteFallback") {
    decoders.push_back([](Tokens& toks) {
      Tokens out;
      std::string pending;  // bytes of consecutive <0xXX> tokens
      auto flush = [&] {
        if (pending.empty()) return;
        if (hftext::find_invalid_utf8(pending) == std::string::npos) out.push_back(pending);
        else
          for (size_t i = 0; i < pending.size(); ++i) out.push_back("\xEF\xBF\xBD");
        pending.clear();
      };
      for (std::string& t : toks) {
        int byte = -1;
        if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
          auto hex = [](char c) {
            return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
          };
          const int hi = hex(t[3]), lo = hex(t[4]);
          if (hi >= 0 && lo >= 0) byte = hi * 16 + lo;
        }
        if (byte >= 0) {
          pending.push_back(static_cast<char>(byte));
        } else {
          flush();
          out.push_back(std::move(t));
        }
      }
      flush();
      toks.swap(out);
    });
  } else if (type == "Fuse") {
    decoders.push_back([](Tokens& toks) {
      std::string all;
      for (const std::string& t : toks) all += t;
      toks.assign(1, all);
    });
  } else if (type == "Strip") {
    const std::string content = rd.str(d, "content", here);
    size_t k = 0;
    if (content.empty() || (hftext::next_cp(content, k), k != content.size()))
      rd.fail(here + ": content \"" + content + "\" is not one character");
    const json& js = rd.member(d, "start", here);
    const json& je = rd.member(d, "stop", here);
    if (!js.is_number_unsigned() || !je.is_number_unsigned()) rd.fail(here + ": start/stop are not counts");
    const size_t start = js.get<size_t>(), stop = je.get<size_t>();
    decoders.push_back([=](Tokens& toks) {
      for (std::string& t : toks) {
        std::vector<Span> chars;  // byte span of every character
        size_t i = 0;
        while (i < t.size()) {
          const size_t b = i;
          hftext::next_cp(t, i);
          chars.emplace_back(b, i);
        }
        size_t first = 0, last = chars.size();
        while (first < std::min(start, chars.size()) &&
               t.compare(chars[first].first, chars[first].second - chars[first].first, content) == 0)
          ++first;
        for (size_t n = 0; n < stop && last > first; ++n) {
          const Span c = chars[last - 1];
          if (t.compare(c.first, c.second - c.first, content) != 0) break;
          --last;
        }
        t = first < last ? t.substr(chars[first].first, chars[last - 1].second - chars[first].first) : std::string();
      }
    });
  } else if (type == "Metaspace") {
    const std::string rep = rd.opt_str(d, "replacement", "\xE2\x96\x81");
    std::string scheme = rd.opt_str(d, "prepend_scheme", "always");
    if (!rd.opt_bool(d, "add_prefix_space", true)) scheme = "never";
    const bool drop_first_space = scheme != "never";
    decoders.push_back([=](Tokens& toks) {
      for (size_t i = 0; i < toks.size(); ++i) {
        // In the first token every replacement character vanishes (Metaspace::decode_chain).
        toks[i] = replace_spans(toks[i], literal_matches(toks[i], rep), i == 0 && drop_first_space ? "" : " ");
      }
    });
  } else if (type == "BPEDecoder") {
    const std::string suf = rd.opt_str(d, "suffix", "</w>");
    decoders.push_back([=](Tokens& toks) {
      for (size_t i = 0; i < toks.size(); ++i)
        toks[i] = replace_spans(toks[i], literal_matches(toks[i], suf), i + 1 == toks.size() ? "" : " ");
    });
  } else {
    rd.fail(where + ": decoder " + type + " is not supported");
  }
}

// AddedVocabulary::find_matches + split_with_indices.
void HfTokenizer::Impl::split_added(const Piece& p, const Matcher& m, std::vector<Piece>& out) const {
  const std::string& s = p.text;
  if (m.empty()) {
    if (!s.empty()) out.push_back(p);
    return;
  }
  auto push_text = [&](size_t b, size_t e) {
    if (e <= b) return;
    Piece q;
    q.text = s.substr(b, e - b);
    q.at_origin = p.at_origin && b == 0;
    out.push_back(std::move(q));
  };
  size_t start_offset = 0, pos = 0;
  while (pos < s.size()) {
    if (!m.first[static_cast<unsigned char>(s[pos])]) {
      ++pos;
      continue;
    }
    auto [tok, end] = m.longest_at(s, pos);
    if (tok < 0) {
      ++pos;
      continue;
    }
    const AddedToken& a = added[static_cast<size_t>(tok)];
    size_t start = pos, stop = end;
    pos = end;  // the next search resumes after this match even when it is discarded
    if (a.single_word) {
      bool start_ok = start == 0, stop_ok = stop == s.size();
      if (!start_ok) {  // previous character is not a word character
        size_t k = start - 1;
        while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
        size_t j = k;
        start_ok = !hftext::is_word_char(hftext::next_cp(s, j));
      }
      if (!stop_ok) {
        size_t j = stop;
        stop_ok = !hftext::is_word_char(hftext::next_cp(s, j));
      }
      if (!start_ok || !stop_ok) continue;
    }
    if (a.lstrip) {  // take the whitespace on the left, but not what an earlier match took
      size_t k = start;
      while (k > 0) {
        size_t b = k - 1;
        while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
        size_t j = b;
        if (!hftext::is_whitespace(hftext::next_cp(s, j))) break;
        k = b;
      }
      start = std::max(k, start_offset);
    }
    if (a.rstrip) {
      size_t j = stop;
      while (j < s.size()) {
        size_t k = j;
        if (!hftext::is_whitespace(hftext::next_cp(s, k))) break;
        j = k;
      }
      stop = j;  // the search still resumes at the match's own end, as HF's find_iter does
    }
    push_text(start_offset, start);
    Piece t;
    t.id = a.id;
    t.text = s.substr(start, stop - start);
    out.push_back(std::move(t));
    start_offset = stop;
  }
  push_text(start_offset, s.size());
}

// BPE::merge_word: characters (with prefix/suffix) -> ids, byte fallback / unk, then merges by
// rank, leftmost first among equal ranks (Word::merge_all's priority queue).
std::vector<int> HfTokenizer::Impl::merge_word(const std::string& w) const {
  struct Symbol {
    int id, prev, next;
    size_t len;
  };
  std::vector<Symbol> sym;
  sym.reserve(w.size());
  auto add = [&](int id, size_t len) {
    const int n = static_cast<int>(sym.size());
    if (n > 0) sym.back().next = n;
    sym.push_back({id, n - 1, -1, len});
  };
  int unk_pending = -1;
  size_t unk_len = 0;
  std::string s;
  size_t i = 0;
  while (i < w.size()) {
    const size_t b = i;
    const char32_t cp = hftext::next_cp(w, i);
    const bool decorated = (b > 0 && !continuing_prefix.empty()) || (i == w.size() && !end_suffix.empty());
    int id;
    if (!decorated && cp < char_id.size()) {
      id = char_id[cp];
      if (id < 0) s.assign(w, b, i - b);
    } else {
      s.assign(w, b, i - b);
      if (b > 0 && !continuing_prefix.empty()) s.insert(0, continuing_prefix);
      if (i == w.size() && !end_suffix.empty()) s += end_suffix;
      id = token_index.find(s);
    }
    if (id >= 0) {
      if (unk_pending >= 0) add(unk_pending, unk_len), unk_pending = -1;
      add(id, i - b);
      continue;
    }
    if (byte_fallback) {
      bool all = true;
      for (unsigned char c : s) all &= byte_token[c] >= 0;
      if (all) {
        if (unk_pending >= 0) add(unk_pending, unk_len), unk_pending = -1;
        for (unsigned char c : s) add(byte_token[c], 1);
        continue;
      }
    }
    if (unk_id >= 0) {
      if (unk_pending >= 0 && fuse_unk) {
        unk_len += i - b;
      } else {
        if (unk_pending >= 0) add(unk_pending, unk_len);
        unk_pending = unk_id;
        unk_len = i - b;
      }
    }
    // Without an unk token the character is dropped, as in HF.
  }
  if (unk_pending >= 0) add(unk_pending, unk_len);

  struct Merge {
    int pos, rank, new_id;
  };
  auto later = [](const Merge& x, const Merge& y) { return x.rank != y.rank ? x.rank > y.rank : x.pos > y.pos; };
  std::priority_queue<Merge, std::vector<Merge>, decltype(later)> queue(later);
  auto lookup = [&](int l, int r) { return merge_index.find(l, r); };
  for (size_t k = 0; k + 1 < sym.size(); ++k)
    if (const auto* m = lookup(sym[k].id, sym[k + 1].id)) queue.push({static_cast<int>(k), m->rank, m->id});
  while (!queue.empty()) {
    const Merge top = queue.top();
    queue.pop();
    Symbol& cur = sym[static_cast<size_t>(top.pos)];
    if (cur.len == 0 || cur.next < 0) continue;
    const Symbol right = sym[static_cast<size_t>(cur.next)];
    const auto* m = lookup(cur.id, right.id);
    if (!m || m->id != top.new_id) continue;  // stale entry
    const int right_pos = cur.next;
    cur.id = top.new_id;
    cur.len += right.len;
    cur.next = right.next;
    sym[static_cast<size_t>(right_pos)].len = 0;
    if (right.next >= 0) sym[static_cast<size_t>(right.next)].prev = top.pos;
    if (cur.prev >= 0)
      if (const auto* pm = lookup(sym[static_cast<size_t>(cur.prev)].id, cur.id)) queue.push({cur.prev, pm->rank, pm->id});
    if (cur.next >= 0)
      if (const auto* nm = lookup(cur.id, sym[static_cast<size_t>(cur.next)].id)) queue.push({top.pos, nm->rank, nm->id});
  }
  std::vector<int> ids;
  for (const Symbol& x : sym)
    if (x.len != 0) ids.push_back(x.id);
  return ids;
}

void HfTokenizer::Impl::bpe(const std::string& word, std::vector<int>& ids) const {
  if (word.empty()) return;
  if (ignore_merges) {  // a word that is a token is taken whole, merges or not (Llama-3)
    const int id = token_index.find(word);
    if (id >= 0) {
      ids.push_back(id);
      return;
    }
  }
  const bool cacheable = word.size() < kCacheMaxWordBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mu);
    auto it = cache.find(word);
    if (it != cache.end()) {
      ids.insert(ids.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int> w = merge_word(word);
  ids.insert(ids.end(), w.begin(), w.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mu);
    if (cache.size() < kCacheCapacity) cache.emplace(word, std::move(w));
  }
}

// ---------------------------------------------------------------------------------- public API

std::unique_ptr<HfTokenizer> HfTokenizer::from_json(const std::string& json_text, const std::string& origin) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {
    throw InputError(origin + ": not valid JSON (" + e.what() + ")");
  }
  std::unique_ptr<HfTokenizer> t(new HfTokenizer());
  t->impl_ = std::make_unique<Impl>(origin);
  try {
    t->impl_->load(root);
  } catch (const json::exception& e) {  // a value of the wrong type somewhere
    throw InputError(origin + ": " + e.what());
  }
  return t;
}

std::unique_ptr<HfTokenizer> HfTokenizer::from_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(path + ": cannot open");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw InputError(path + ": read failed");
  return from_json(ss.str(), path);
}

std::vector<int> HfTokenizer::encode(const std::string& text, bool add_special_tokens) const {
  const Impl& m = *impl_;
  const size_t bad = hftext::find_invalid_utf8(text);
  if (bad != std::string::npos)
    throw InputError("text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  std::vector<Piece> pieces, next;
  Piece whole;
  whole.text = text;
  whole.at_origin = true;
  m.split_added(whole, m.raw_matcher, pieces);
  for (Piece& p : pieces) {
    if (p.id >= 0) {
      next.push_back(std::move(p));
      continue;
    }
    m.normalize(p.text);
    m.split_added(p, m.normalized_matcher, next);
  }
  pieces.swap(next);
  for (const auto& pre : m.pre_tokenizers) pre(pieces);
  std::vector<int> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_special_tokens) ids.insert(ids.end(), m.prefix.begin(), m.prefix.end());
  for (const Piece& p : pieces) {
    if (p.id >= 0) ids.push_back(p.id);
    else m.bpe(p.text, ids);
  }
  if (add_special_tokens) ids.insert(ids.end(), m.suffix.begin(), m.suffix.end());
  return ids;
}

std::string HfTokenizer::decode(const std::vector<int>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int id : ids) {
    if (skip_special_tokens && is_special(id)) continue;
    tokens.push_back(id_to_token(id));
  }
  if (!impl_->has_decoder) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  for (const auto& d : impl_->decoders) d(tokens);
  std::string out;
  for (const std::string& t : tokens) out += t;
  return out;
}

int HfTokenizer::token_to_id(const std::string& token) const { return impl_->token_id(token); }

std::string HfTokenizer::id_to_token(int id) const {
  auto a = impl_->added_by_id.find(id);
  if (a != impl_->added_by_id.end()) return impl_->added[a->second].content;
  if (id >= 0 && static_cast<size_t>(id) < impl_->vocab_r.size() && impl_->vocab_has[static_cast<size_t>(id)])
    return impl_->vocab_r[static_cast<size_t>(id)];
  throw std::out_of_range("token id " + std::to_string(id) + " is not in the vocabulary of " + impl_->rd.origin());
}

bool HfTokenizer::is_special(int id) const {
  auto a = impl_->added_by_id.find(id);
  return a != impl_->added_by_id.end() && impl_->added[a->second].special;
}

int HfTokenizer::vocab_size() const {
  int n = static_cast<int>(impl_->vocab_r.size());
  for (const auto& a : impl_->added) n = std::max(n, a.id + 1);
  return n;
}

const std::vector<int>& HfTokenizer::prefix_ids() const { return impl_->prefix; }
const std::vector<int>& HfTokenizer::suffix_ids() const { return impl_->suffix; }

std::string HfTokenizer::describe() const {
  return "tokenizer.json " + impl_->model_kind + (impl_->byte_level ? " (byte-level)" : "") + ", " +
         std::to_string(vocab_size()) + " tokens";
}

std::string clean_up_tokenization(const std::string& text) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
      {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string s = text;
  for (const auto& [from, to] : kRules) s = replace_spans(s, literal_matches(s, from), to);
  return s;
}

}  // namespace prunekit
