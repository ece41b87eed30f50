// SentencePiece tokenizer with transformers' slow LlamaTokenizer semantics:
// one BOS prepended per text (when asked), no EOS, the model's own normalizer spec.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace prunekit {

class Tokenizer {
 public:
  // path: a tokenizer.model file, or a model directory containing one. InputError if missing or
  // not a SentencePiece model.
  explicit Tokenizer(const std::string& path);
  ~Tokenizer();
  std::vector<int> encode(const std::string& text, bool add_bos = true) const;
  std::string decode(const std::vector<int>& ids) const;
  std::string id_to_piece(int id) const;  // the SentencePiece piece, e.g. "▁Once"
  int bos_id() const;
  int eos_id() const;
  int vocab_size() const;

 private:
  // The SentencePieceProcessor, reached through a privately loaded libsentencepiece (see
  // tokenizer.cpp for why it must not share the global symbol scope with LibTorch's protobuf).
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace prunekit
