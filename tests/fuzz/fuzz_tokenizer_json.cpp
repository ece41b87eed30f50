// Fuzz target: loading a tokenizer.json (HfTokenizer::from_json); a file that loads then encodes
// and decodes a fixed text through every component it declared.
#include <stdexcept>

#include "fuzz_common.h"
#include "prunekit/hf_tokenizer.h"

PRUNEKIT_FUZZ_TARGET({
  const auto tok = prunekit::HfTokenizer::from_json(input, "tokenizer.json");
  for (bool special : {false, true}) {
    const std::vector<int> ids = tok->encode("Once upon a time, 12 caf\xC3\xA9s  said \"hi\"!\n\tEnd.", special);
    try {
      (void)tok->decode(ids, !special);
    } catch (const std::out_of_range&) {  // decode's documented answer to an id that names no token
    }
  }
  (void)tok->describe();
})
