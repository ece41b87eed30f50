// The fused attention kernel compiled with avx512 flags (CMakeLists.txt: *_avx512.cpp); run only after
// a CPU check. Body: attention_kernel_body.inc.
#include "attention_kernel.h"

namespace prunekit {
namespace attn_kernels {
#define ATTN_KERNEL_NAME attend_rows_avx512
#include "attention_kernel_body.inc"
}  // namespace attn_kernels
}  // namespace prunekit
