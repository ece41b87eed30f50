// A Hugging Face `tokenizer.json` (the file behind transformers' fast tokenizers), reimplemented
// to give exactly the ids of `tokenizer(text)`:
//   added tokens (matched in the raw text, or in the normalised text for normalized=true ones)
//   -> normalizer -> pre-tokenizer -> BPE model -> post-processor (only with add_special_tokens).
// Supported components: model BPE (byte_fallback, ignore_merges, fuse_unk, unk_token,
// continuing_subword_prefix, end_of_word_suffix); normalizers Sequence, NFC, NFD, NFKC, NFKD,
// Prepend, Replace, Lowercase, Strip; pre-tokenizers Sequence, Split, ByteLevel, Metaspace, Digits,
// Whitespace, WhitespaceSplit; post-processors TemplateProcessing, ByteLevel, Sequence; decoders
// ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, BPEDecoder, Sequence. Anything else is
// refused with an InputError naming the component, never tokenised approximately.
//
// Plain C++ (nlohmann_json, PCRE2, utf8proc), no LibTorch: from_json takes the file's text so a
// fuzzer can drive the parser directly.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace prunekit {

class HfTokenizer {
 public:
  // json_text: the contents of a tokenizer.json; `origin` (a path) prefixes every error message.
  // InputError for malformed JSON, an inconsistent vocabulary/merges, or an unsupported component.
  static std::unique_ptr<HfTokenizer> from_json(const std::string& json_text,
                                                const std::string& origin = "tokenizer.json");
  static std::unique_ptr<HfTokenizer> from_file(const std::string& path);  // InputError if unreadable
  ~HfTokenizer();

  // tokenizer(text, add_special_tokens=...).input_ids. InputError if text is not valid UTF-8.
  std::vector<int> encode(const std::string& text, bool add_special_tokens = true) const;
  // The tokenizers library's decode (no transformers clean-up). std::out_of_range for an id that
  // names no token.
  std::string decode(const std::vector<int>& ids, bool skip_special_tokens = true) const;

  int token_to_id(const std::string& token) const;  // -1 when absent
  std::string id_to_token(int id) const;            // std::out_of_range when absent
  bool is_special(int id) const;                    // an added token marked special
  int vocab_size() const;                           // largest id + 1, added tokens included
  // The ids the post-processor puts before / after the text (empty for most byte-level files).
  const std::vector<int>& prefix_ids() const;
  const std::vector<int>& suffix_ids() const;
  std::string describe() const;  // e.g. "tokenizer.json BPE (byte-level), 128256 tokens"

 private:
  HfTokenizer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// transformers' clean_up_tokenization (" ." -> ".", " n't" -> "n't", ...), applied by decode()
// when tokenizer_config.json sets clean_up_tokenization_spaces.
std::string clean_up_tokenization(const std::string& text);

}  // namespace prunekit
