// CPU instruction-set levels of prunekit's own kernels (src/ops) and the one place that detects
// them. Every kernel has an implementation per level (src/ops/kernels.h); ops::kernels(isa) hands
// out a level's set, after checking that the CPU has it.
#pragma once
#include <string>

namespace prunekit {
namespace ops {

struct KernelSet;  // src/ops/kernels.h

// Kernel level. Auto = best supported (after the $PRUNEKIT_ISA override, if set).
enum class Isa { Auto, Scalar, Avx2, Avx512 };

const char* isa_name(Isa isa);           // "auto" | "scalar" | "avx2" | "avx512"
Isa parse_isa(const std::string& name);  // std::invalid_argument on anything else
bool isa_supported(Isa isa);             // by this CPU (Auto and Scalar: always)
Isa best_isa();                          // best supported by the CPU, ignoring $PRUNEKIT_ISA
// What Auto resolves to: $PRUNEKIT_ISA when set (std::invalid_argument when unknown or not
// supported by this CPU), else best_isa(). Any other level is checked and returned as is.
Isa resolve_isa(Isa isa);

// The kernels of a level (resolved as resolve_isa does; std::invalid_argument when unsupported).
const KernelSet& kernels(Isa isa);

// CPU features a caller outside src/ops asks about (e.g. which OpenBLAS kernels fit this CPU).
bool cpu_has_avx512();      // F + BW + VL + DQ
bool cpu_has_avx2_fma();
bool cpu_has_avx512_bf16();  // AVX512_BF16 (bf16 dot products)
bool cpu_has_amx_bf16();     // AMX tiles with bf16

}  // namespace ops
}  // namespace prunekit
