// The CPU check of a kernel test compiled for one ISA (deepfm_add_isa_test in
// tests/CMakeLists.txt). This file is compiled without the ISA's flags: the test's own code,
// Catch2's test registration included, may use the ISA's instructions anywhere, even in static
// initializers, so the check runs as a constructor of priority 101, which the linker orders
// before every constructor without a priority. On a CPU without the ISA it prints SKIPPED and
// exits with 77, which CTest reports as a skipped test (SKIP_RETURN_CODE).
#include <cstdio>
#include <cstdlib>

namespace {

#if defined(DEEPFM_ISA_GUARD_AVX512)
constexpr const char* kIsaName = "avx512 (F, BW, DQ, VL) with AVX2 and FMA";
bool cpu_has_isa() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#elif defined(DEEPFM_ISA_GUARD_AVX2)
constexpr const char* kIsaName = "avx2 with FMA";
bool cpu_has_isa() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#else
#error "define DEEPFM_ISA_GUARD_AVX512 or DEEPFM_ISA_GUARD_AVX2"
#endif

constexpr int kSkipExitCode = 77;

__attribute__((constructor(101))) void skip_unless_cpu_has_isa() {
  __builtin_cpu_init();  // needed before __builtin_cpu_supports in an early constructor
  if (cpu_has_isa()) return;
  std::printf("SKIPPED: this CPU lacks %s, which this test is compiled for\n", kIsaName);
  std::fflush(stdout);
  std::_Exit(kSkipExitCode);
}

}  // namespace
