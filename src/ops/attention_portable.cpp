// The fused attention kernel (kernels.h) compiled with the build's default flags: for CPUs without AVX2.
// Body: attention_body.inc.
#include "ops/kernels.h"

namespace prunekit {
namespace ops {
#define ATTN_KERNEL_NAME attend_rows_portable
#include "attention_body.inc"
}  // namespace ops
}  // namespace prunekit
