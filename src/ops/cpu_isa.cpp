// CPU feature detection and the kernel table per level (include/prunekit/cpu_isa.h, kernels.h).
#include "prunekit/cpu_isa.h"

#include <cpuid.h>

#include <cstdlib>
#include <stdexcept>

#include "ops/kernels.h"

namespace prunekit {
namespace ops {

namespace {
// CPUID leaf 7 sub-leaf 1 EAX bit 5: AVX512_BF16; leaf 7 sub-leaf 0 EDX bit 22: AMX-BF16 (GCC's
// __builtin_cpu_supports knows neither name in every version we build with). The OS must also
// have enabled the AVX-512 / AMX register state; AMX additionally needs a permission request
// (arch_prctl) that we never make, so AMX is reported, not used.
bool cpuid_bit(unsigned leaf, unsigned sub, int reg, unsigned bit) {
  unsigned r[4] = {0, 0, 0, 0};
  if (__get_cpuid_max(0, nullptr) < leaf) return false;
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
  return (r[reg] >> bit) & 1u;
}
}  // namespace

bool cpu_has_avx2_fma() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}
bool cpu_has_avx512_bf16() { return cpu_has_avx512() && cpuid_bit(7, 1, 0, 5); }
bool cpu_has_amx_bf16() { return cpuid_bit(7, 0, 3, 22); }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Auto: return "auto";
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

Isa parse_isa(const std::string& name) {
  if (name == "auto") return Isa::Auto;
  if (name == "scalar") return Isa::Scalar;
  if (name == "avx2") return Isa::Avx2;
  if (name == "avx512") return Isa::Avx512;
  throw std::invalid_argument("unknown kernel ISA '" + name + "' (expected auto|scalar|avx2|avx512)");
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::Auto:
    case Isa::Scalar: return true;
    case Isa::Avx2: return cpu_has_avx2_fma();
    case Isa::Avx512: return cpu_has_avx512() && cpu_has_avx2_fma();
  }
  return false;
}

Isa best_isa() {
  static const Isa best = isa_supported(Isa::Avx512) ? Isa::Avx512
                          : isa_supported(Isa::Avx2) ? Isa::Avx2
                                                     : Isa::Scalar;
  return best;
}

Isa resolve_isa(Isa isa) {
  if (isa == Isa::Auto) {
    const char* env = std::getenv("PRUNEKIT_ISA");
    if (!env || !*env) return best_isa();
    Isa forced = parse_isa(env);
    if (forced == Isa::Auto) return best_isa();
    isa = forced;
  }
  if (!isa_supported(isa))
    throw std::invalid_argument(std::string("kernel ISA '") + isa_name(isa) +
                                "' is not supported by this CPU (best: " + isa_name(best_isa()) + ")");
  return isa;
}

const KernelSet& kernels(Isa isa) {
  static const KernelSet portable{attend_rows_portable, sparse24_gemm_portable, dense_bf16_gemm_portable};
  static const KernelSet avx2{attend_rows_avx2, sparse24_gemm_avx2, dense_bf16_gemm_avx2};
  static const KernelSet avx512{attend_rows_avx512, sparse24_gemm_avx512, dense_bf16_gemm_avx512};
  switch (resolve_isa(isa)) {
    case Isa::Avx512: return avx512;
    case Isa::Avx2: return avx2;
    default: return portable;
  }
}

}  // namespace ops
}  // namespace prunekit
