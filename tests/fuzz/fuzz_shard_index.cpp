// Fuzz target: model.safetensors.index.json (parse_shard_index).
#include <cstdlib>

#include "fuzz_common.h"
#include "prunekit/safetensors_header.h"

PRUNEKIT_FUZZ_TARGET({
  const prunekit::ShardIndex index = prunekit::parse_shard_index(input, "model.safetensors.index.json");
  for (const auto& [name, file] : index.weight_map)
    if (!index.shard_names.count(file)) std::abort();
})
