// The dropout mask kernel (kernels/dropout_mask.hpp): ref:: against the definition, and the
// path of the ISA this file is compiled for against ref::, bit for bit. The suite compiles it
// for its own target; deepfm_add_isa_test (tests/CMakeLists.txt) once more per SIMD ISA.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <deepfm/core/random.hpp>
#include <deepfm/kernels/dropout_mask.hpp>
#include <deepfm/kernels/isa.hpp>
#include <iostream>
#include <limits>
#include <string_view>
#include <vector>

#include "support/random_values.hpp"

namespace {

namespace kernels = deepfm::kernels;
using deepfm::RandomStream;
using deepfm::RngStream;

// Sizes around every batch width (4 elements per block, 32 per AVX2 batch, 64 per AVX-512).
const std::size_t kSizes[] = {0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 35, 63, 64, 65, 129, 1000};

// First elements: unaligned to a block and to a batch; 2^32 - 3 crosses a 32-bit element index;
// around 2^34 the block index crosses 2^32, so word 0 of the counter wraps into word 1 inside
// a batch (2^34 - 21: blocks 2^32 - 6 onwards) or at a batch's start (2^34 - 64).
const std::size_t kFirstElements[] = {0,
                                      1,
                                      3,
                                      5,
                                      17,
                                      (std::size_t{1} << 32) - 3,
                                      (std::size_t{1} << 34) - 21,
                                      (std::size_t{1} << 34) - 64};

/// Dropout's threshold for a rate (layers/dropout.hpp): ceil(rate · 2^24).
std::uint32_t threshold_of(double rate) {
  return static_cast<std::uint32_t>(std::ceil(rate * 0x1.0p24));
}

// Rates 0.1 and 0.5, and the thresholds the layer can make: 0 (rate 0, all kept), 1 (the
// smallest rate), 2^24 - 1, and 2^24 (a rate within 2^-24 of 1: nothing kept); and one above
// any rate's, which must keep nothing too.
const std::uint32_t kThresholds[] = {threshold_of(0.1), threshold_of(0.5), 0,          1,
                                     (1u << 24) - 1,    1u << 24,          0xFFFFFFFFu};

// Streams with a key of two non-zero halves and a step past 32 bits.
const RandomStream kStreams[] = {
    RandomStream(11, RngStream::dropout, 2, 4),
    RandomStream(0x9E3779B97F4A7C15ull, RngStream::dropout, 65535, (std::uint64_t{1} << 40) - 1)};

/// The definition, one element at a time: word e % 4 of block e / 4, top 24 bits >= threshold.
template <typename T>
std::vector<T> masked_by_definition(const RandomStream& stream, std::uint32_t threshold, T scale,
                                    std::size_t first, const std::vector<T>& src) {
  std::vector<T> out(src.size());
  for (std::size_t i = 0; i < src.size(); ++i) {
    const std::size_t e = first + i;
    const bool kept = (stream.block(e / 4)[e % 4] >> 8) >= threshold;
    out[i] = kept ? src[i] * scale : T(0);
  }
  return out;
}

/// Inputs with the values a product could treat differently: NaN, infinities, signed zeros,
/// a subnormal; the rest in [-2, 2).
template <typename T>
std::vector<T> awkward_values(std::size_t n) {
  auto values = deepfm::test::random_values<T>(n, 21, -2, 2);
  const T specials[] = {std::numeric_limits<T>::quiet_NaN(),
                        std::numeric_limits<T>::infinity(),
                        -std::numeric_limits<T>::infinity(),
                        T(0),
                        -T(0),
                        std::numeric_limits<T>::denorm_min()};
  for (std::size_t i = 0; i < n; i += 7) values[i] = specials[(i / 7) % std::size(specials)];
  return values;
}

/// Index of the first element whose bits differ, or n when all agree.
template <typename T>
std::size_t first_difference(const T* a, const T* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (std::memcmp(a + i, b + i, sizeof(T)) != 0) return i;
  return n;
}

}  // namespace

TEST_CASE("apply_dropout_mask runs the path of the ISA it is compiled for", "[kernels]") {
  // The report of which path the bit-for-bit checks below compared with ref::.
  std::cout << "apply_dropout_mask: kIsa = " << kernels::isa_name(kernels::kIsa) << "\n";
#if defined(DEEPFM_TEST_EXPECTED_ISA)
  CHECK(kernels::isa_name(kernels::kIsa) == std::string_view(DEEPFM_TEST_EXPECTED_ISA));
#endif
  CHECK(kernels::isa_name(kernels::kIsa) != "unknown");
}

TEMPLATE_TEST_CASE("ref::apply_dropout_mask follows the definition element by element", "[kernels]",
                   float, double) {
  const TestType scale = TestType(1) / (TestType(1) - TestType(0.3));
  for (const RandomStream& stream : kStreams)
    for (const std::uint32_t threshold : kThresholds)
      for (const std::size_t first : kFirstElements)
        for (const std::size_t n : {0, 1, 3, 4, 5, 17, 35}) {
          CAPTURE(threshold, first, n);
          const auto src = awkward_values<TestType>(n);
          const auto expected = masked_by_definition(stream, threshold, scale, first, src);
          std::vector<TestType> dst(n, TestType(-7));
          kernels::ref::apply_dropout_mask(stream, threshold, scale, first, n, src.data(),
                                           dst.data());
          CHECK(first_difference(dst.data(), expected.data(), n) == n);
        }
}

TEMPLATE_TEST_CASE("apply_dropout_mask equals ref bit for bit, in place or not, unaligned",
                   "[kernels]", float, double) {
  using T = TestType;
  const std::size_t largest = 1000;
  // One element of padding on each side, plus one to misalign the start.
  const auto input = awkward_values<T>(largest + 3);
  const T guard = T(-12345);
  for (const RandomStream& stream : kStreams)
    for (const std::uint32_t threshold : kThresholds)
      for (const T scale : {T(1) / (T(1) - T(0.1)), T(2)})
        for (const std::size_t first : kFirstElements)
          for (const std::size_t n : kSizes)
            for (const std::size_t misalign : {0, 1})
              for (const bool in_place : {false, true}) {
                CAPTURE(threshold, scale, first, n, misalign, in_place);
                const T* src = input.data() + 1 + misalign;
                std::vector<T> expected(n);
                kernels::ref::apply_dropout_mask(stream, threshold, scale, first, n, src,
                                                 expected.data());
                // dst[0] and dst[n + 1] are guards the kernel must leave alone.
                std::vector<T> out(largest + 3, guard);
                T* dst = out.data() + 1 + misalign;
                if (in_place) std::memcpy(dst, src, n * sizeof(T));
                kernels::apply_dropout_mask(stream, threshold, scale, first, n,
                                            in_place ? dst : src, dst);
                CHECK(first_difference(dst, expected.data(), n) == n);
                CHECK(dst[-1] == guard);
                CHECK(dst[n] == guard);
              }
}

TEMPLATE_TEST_CASE("apply_dropout_mask split into row blocks equals one call", "[kernels]", float,
                   double) {
  // How a threaded caller uses it: rows of `width` elements, blocks of rows at r * width.
  const std::size_t rows = 37, width = 30;
  const auto src = awkward_values<TestType>(rows * width);
  const RandomStream stream(5, RngStream::dropout, 1, 9);
  const std::uint32_t threshold = threshold_of(0.1);
  const TestType scale = TestType(1) / (TestType(1) - TestType(0.1));
  std::vector<TestType> whole(src.size()), pieces(src.size());
  kernels::apply_dropout_mask(stream, threshold, scale, 0, src.size(), src.data(), whole.data());
  for (const std::size_t block_rows : {1, 2, 3, 5, 16}) {
    CAPTURE(block_rows);
    for (std::size_t row = 0; row < rows; row += block_rows) {
      const std::size_t count = std::min(block_rows, rows - row) * width;
      kernels::apply_dropout_mask(stream, threshold, scale, row * width, count,
                                  src.data() + row * width, pieces.data() + row * width);
    }
    CHECK(first_difference(pieces.data(), whole.data(), src.size()) == src.size());
  }
}

TEST_CASE("apply_dropout_mask keeps every element at threshold 0 and none from 2^24", "[kernels]") {
  const RandomStream stream(3, RngStream::dropout, 0, 7);
  const auto src = deepfm::test::random_values<float>(257, 4, 0.5, 1.5);
  std::vector<float> dst(src.size());
  kernels::apply_dropout_mask(stream, 0, 2.0f, 3, src.size(), src.data(), dst.data());
  for (std::size_t i = 0; i < src.size(); ++i) CHECK(dst[i] == src[i] * 2.0f);
  for (const std::uint32_t threshold : {1u << 24, (1u << 24) + 1, 0x80000000u, 0xFFFFFFFFu}) {
    CAPTURE(threshold);
    kernels::apply_dropout_mask(stream, threshold, 2.0f, 3, src.size(), src.data(), dst.data());
    for (const float v : dst) CHECK(v == 0.0f);
  }
}
