// Fuzz target: a corpus file's bytes (gzip detected by magic; JSON lines or plain text) through
// documents_from_bytes in each document mode and eval_text_from_bytes, as read_documents and
// read_eval_text see them after reading the file.
#include "fuzz_common.h"
#include "prunekit/corpus.h"

PRUNEKIT_FUZZ_TARGET({
  for (prunekit::DocMode mode : {prunekit::DocMode::File, prunekit::DocMode::Paragraphs, prunekit::DocMode::Lines}) {
    try {
      (void)prunekit::documents_from_bytes(input, "corpus.jsonl", mode);
    } catch (const prunekit::InputError&) {
    }
  }
  (void)prunekit::eval_text_from_bytes(input, "corpus.jsonl");
})
