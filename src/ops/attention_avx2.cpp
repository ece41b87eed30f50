// The fused attention kernel (kernels.h) compiled with AVX2 flags (CMakeLists.txt: *_avx2.cpp); run only after a CPU check.
// Body: attention_body.inc.
#include "ops/kernels.h"

namespace prunekit {
namespace ops {
#define ATTN_KERNEL_NAME attend_rows_avx2
#include "attention_body.inc"
}  // namespace ops
}  // namespace prunekit
