// Text primitives behind the tokenizer.json tokenizer: UTF-8, the Unicode predicates HF's Rust
// code takes from `char`, normalisation forms (utf8proc) and a PCRE2 regex in UTF + UCP mode.
// Plain C++ (no LibTorch), so a fuzz or sanitizer build can compile it on its own.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prunekit::hftext {

// Next code point of valid UTF-8 starting at s[i]; advances i past it.
char32_t next_cp(std::string_view s, size_t& i);
void append_utf8(std::string& out, char32_t cp);
// Byte offset of the first byte that is not part of valid UTF-8, or npos.
size_t find_invalid_utf8(std::string_view s);
// Rust's String::from_utf8_lossy: every maximal invalid subpart becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);

bool is_whitespace(char32_t cp);  // White_Space property (Rust char::is_whitespace)
bool is_numeric(char32_t cp);     // general category Nd, Nl or No (Rust char::is_numeric)
bool is_word_char(char32_t cp);   // regex \w: letters, Nl, marks, Nd, Pc, ZWJ/ZWNJ

enum class NormForm { NFC, NFD, NFKC, NFKD };
std::string normalize(std::string_view s, NormForm form);
// Per character full lowercase mapping (Rust char::to_lowercase, no context rules).
std::string to_lower(std::string_view s);

using Span = std::pair<size_t, size_t>;  // [begin, end) byte offsets

// A compiled PCRE2 pattern (UTF + UCP, JIT when available). The pattern is written in the
// Oniguruma dialect HF uses; \s, \S and \w are rewritten to the Unicode classes Oniguruma gives
// them (PCRE2's \s also takes U+180E, its \w no marks).
class Regex {
 public:
  explicit Regex(const std::string& pattern);  // std::invalid_argument with PCRE2's message
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  // All non-overlapping matches, left to right (subject must be valid UTF-8).
  std::vector<Span> find_all(std::string_view subject) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The regex source that matches `literal` verbatim.
std::string regex_escape(std::string_view literal);

}  // namespace prunekit::hftext
