// Fuzz target: encoding arbitrary text with a fixed real tokenizer (the llama3 tokenizer.json of
// tests/fixtures: byte-level BPE, PCRE2 Split pre-tokenizer, added special tokens), then decoding
// it back. Byte-level BPE without a normalizer is lossless, so decode(encode(text)) must give the
// text back (InputError is the answer to text that is not UTF-8).
#include <cstdlib>
#include <cstdio>
#include <memory>

#include "fuzz_common.h"
#include "prunekit/hf_tokenizer.h"

namespace {
const prunekit::HfTokenizer& tokenizer() {
  static std::unique_ptr<prunekit::HfTokenizer> tok =
      prunekit::HfTokenizer::from_file(PRUNEKIT_SOURCE_DIR "/tests/fixtures/models/llama3-tokenizer/tokenizer.json");
  return *tok;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tokenizer();  // a 9 MB file: loaded once, before the first input
  return 0;
}

PRUNEKIT_FUZZ_TARGET({
  const prunekit::HfTokenizer& tok = tokenizer();
  const std::vector<int> ids = tok.encode(input, /*add_special_tokens=*/false);
  if (tok.decode(ids, /*skip_special_tokens=*/false) != input) {
    std::fprintf(stderr, "fuzz_tokenizer_encode: decode(encode(text)) differs from the text\n");
    std::abort();
  }
  (void)tok.encode(input, /*add_special_tokens=*/true);
})
