// Fuzz target: config.json (LlamaConfig::from_json_text, which validates every range), then what is
// sized from a config that passed: the tensors it implies and the sequence-length check.
#include "fuzz_common.h"
#include "prunekit/config.h"

PRUNEKIT_FUZZ_TARGET({
  const prunekit::LlamaConfig c = prunekit::LlamaConfig::from_json_text(input, "config.json");
  const auto tensors = c.expected_tensors();
  (void)tensors;
  try {
    c.check_seqlen(512);
  } catch (const prunekit::InvalidSetting&) {
  }
})
