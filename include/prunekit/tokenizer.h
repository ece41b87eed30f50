// SentencePiece tokenizer with transformers' slow LlamaTokenizer semantics:
// one BOS prepended per text (when asked), no EOS, the model's own normalizer spec.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace prunekit {

class Tokenizer {
 public:
  // path: a tokenizer.model file, or a model directory containing one. InputError if missing or
  // not a SentencePiece model.
  explicit Tokenizer(const std::string& path);
  ~Tokenizer();
  std::vector<int> encode(const std::string& text, bool add_bos = true) const;
  std::string decode(const std::vector<int>& ids) const;
  int bos_id() const;
  int eos_id() const;
  int vocab_size() const;

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
};

}  // namespace prunekit
