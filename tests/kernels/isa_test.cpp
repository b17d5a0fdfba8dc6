// The compile-time ISA choice (kernels/isa.hpp).
#include <catch2/catch.hpp>

#include <deepfm/kernels/isa.hpp>
#include <string_view>

namespace {

using deepfm::kernels::Isa;
using deepfm::kernels::isa_name;
using deepfm::kernels::kIsa;

// The choice follows the compiler's target flags, and DEEPFM_DISABLE_SIMD wins over them.
#if defined(DEEPFM_DISABLE_SIMD)
static_assert(kIsa == Isa::scalar, "DEEPFM_DISABLE_SIMD must force the scalar kernels");
#elif defined(__AVX512F__)
static_assert(kIsa == Isa::avx512, "an AVX-512 target must select the AVX-512 kernels");
#elif defined(__AVX2__) && defined(__FMA__)
static_assert(kIsa == Isa::avx2_fma, "an AVX2+FMA target must select the AVX2 kernels");
#else
static_assert(kIsa == Isa::scalar, "a target without AVX2+FMA must select the scalar kernels");
#endif

// isa_name is usable at compile time.
static_assert(isa_name(Isa::scalar) == std::string_view("scalar"));

}  // namespace

TEST_CASE("kIsa is one of the Isa values and has a name", "[kernels]") {
  const bool known = kIsa == Isa::scalar || kIsa == Isa::avx2_fma || kIsa == Isa::avx512;
  CHECK(known);
  CHECK_FALSE(isa_name(kIsa).empty());
  CHECK(isa_name(kIsa) != "unknown");
}

TEST_CASE("isa_name gives every Isa a distinct non-empty name", "[kernels]") {
  const std::string_view scalar = isa_name(Isa::scalar);
  const std::string_view avx2 = isa_name(Isa::avx2_fma);
  const std::string_view avx512 = isa_name(Isa::avx512);
  CHECK(scalar == "scalar");
  CHECK(avx2 == "avx2+fma");
  CHECK(avx512 == "avx512");
  CHECK(scalar != avx2);
  CHECK(avx2 != avx512);
  CHECK(scalar != avx512);
  CHECK(isa_name(static_cast<Isa>(42)) == "unknown");
}
