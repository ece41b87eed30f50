// Fuzz target: the header of a safetensors file (parse_safetensors_header), the input being the
// whole file. Checks what the reader relies on when it maps tensors: the tensors tile the data
// section exactly, and each span is its shape x dtype size.
#include <cstdlib>

#include "fuzz_common.h"
#include "prunekit/safetensors_header.h"

PRUNEKIT_FUZZ_TARGET({
  (void)input;
  const prunekit::SafetensorsHeader h = prunekit::parse_safetensors_header(data, size, "fuzz.safetensors");
  uint64_t pos = 0;
  for (const prunekit::TensorInfo& t : h.tensors) {
    if (t.begin != pos || t.end < t.begin) std::abort();
    if (static_cast<uint64_t>(t.numel()) * prunekit::dtype_size(t.dtype) != t.nbytes()) std::abort();
    pos = t.end;
  }
  if (h.data_start < 8 || h.data_start + pos != size) std::abort();
})
