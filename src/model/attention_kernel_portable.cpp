// The fused attention kernel with the build's default flags: for CPUs without AVX2.
#include "attention_kernel.h"

namespace prunekit {
namespace attn_kernels {
#define ATTN_KERNEL_NAME attend_rows_portable
#include "attention_kernel_body.inc"
}  // namespace attn_kernels
}  // namespace prunekit
