// Calibration activations spilled to disk: a tensor backed by an unlinked, pre-allocated file
// mapped MAP_SHARED, of which only the batch in use stays resident. At 70B the layer inputs are
// 128 x 2048 x 8192 fp32 = 8.6 GB; spilled, the peak is one layer + one batch (docs/MEMORY.md).
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace prunekit {

// An uninitialised contiguous tensor of `sizes` x `dtype` in a fresh file under `dir` (created,
// unlinked at once, space reserved with posix_fallocate so that a full disk is an IoError here and
// never a SIGBUS later). The mapping lives as long as the tensor's storage.
at::Tensor spilled_empty(const std::string& dir, at::IntArrayRef sizes, at::ScalarType dtype);

// Drops the resident pages of rows [begin, begin + count) of dim 0 of a spilled tensor (their data
// stays in the file and the page cache, and is read back on the next touch). No-op for any other
// tensor, so callers need not know where their tensor lives.
void evict_spilled_rows(const at::Tensor& t, int64_t begin, int64_t count);

}  // namespace prunekit
