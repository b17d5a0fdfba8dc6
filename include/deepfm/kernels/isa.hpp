#pragma once
/// @file
/// The instruction set the kernels are compiled for, chosen once, at compile time, from the
/// compiler's target flags. DEEPFM_DISABLE_SIMD forces the scalar path (as Eigen's
/// EIGEN_DONT_VECTORIZE does). Only kernels/ may act on this choice.

#include <string_view>

namespace deepfm::kernels {

/// Instruction sets the kernels have code paths for.
enum class Isa { scalar, avx2_fma, avx512 };

#if defined(DEEPFM_DISABLE_SIMD)
inline constexpr Isa kIsa = Isa::scalar;
#elif defined(__AVX512F__)
inline constexpr Isa kIsa = Isa::avx512;
#elif defined(__AVX2__) && defined(__FMA__)
inline constexpr Isa kIsa = Isa::avx2_fma;
#else
inline constexpr Isa kIsa = Isa::scalar;
#endif

/// Human-readable name of an ISA, for logs and benchmark labels.
constexpr std::string_view isa_name(Isa isa) noexcept {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2_fma: return "avx2+fma";
    case Isa::scalar: return "scalar";
  }
  return "unknown";
}

}  // namespace deepfm::kernels
