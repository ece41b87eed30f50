// The model's tokenizer, as transformers' AutoTokenizer picks it:
// - a directory with tokenizer.json (or a tokenizer.json path): the fast tokenizer's semantics
//   (HfTokenizer); "add_bos" means add_special_tokens, i.e. whatever the file's post-processor
//   adds (BOS for some, nothing for others); decode skips special tokens and applies
//   clean_up_tokenization_spaces from tokenizer_config.json.
// - tokenizer.model alone: SentencePiece with the slow LlamaTokenizer's semantics: one BOS
//   prepended per text (when asked), no EOS, the model's own normalizer spec.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace prunekit {

class Tokenizer {
 public:
  // path: a model directory (tokenizer.json preferred, else tokenizer.model), a tokenizer.json or
  // a tokenizer.model. InputError if missing, unreadable or of an unsupported kind.
  explicit Tokenizer(const std::string& path);
  ~Tokenizer();
  std::vector<int> encode(const std::string& text, bool add_bos = true) const;
  std::string decode(const std::vector<int>& ids) const;
  std::string id_to_piece(int id) const;  // the token's own string, e.g. "▁Once" or "Ġworld"
  // BOS/EOS: tokenizer_config.json's bos_token/eos_token for tokenizer.json (else the first
  // token the post-processor prepends, for BOS); -1 when the tokenizer has none (Qwen: no BOS).
  int bos_id() const;
  int eos_id() const;
  int vocab_size() const;
  // "sentencepiece" or the tokenizer.json description (HfTokenizer::describe).
  std::string kind() const;

 private:
  // The SentencePieceProcessor, reached through a privately loaded libsentencepiece (see
  // tokenizer.cpp for why it must not share the global symbol scope with LibTorch's protobuf).
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace prunekit
