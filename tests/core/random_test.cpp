// core/random.hpp: Philox4x32-10 known answers, golden stream values, integer-to-real and
// multiply-high maps, stream separation and the Fisher–Yates shuffle.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <deepfm/core/random.hpp>
#include <numeric>
#include <set>
#include <span>
#include <vector>

namespace {

using deepfm::Philox4x32;
using deepfm::RandomStream;
using deepfm::RngStream;

__extension__ typedef unsigned __int128 U128;

std::uint64_t multiply_high_reference(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::uint64_t>((static_cast<U128>(a) * static_cast<U128>(b)) >> 64);
}

std::uint64_t key_of(std::uint32_t k0, std::uint32_t k1) {
  return (std::uint64_t{k1} << 32) | k0;  // generate() reads k0 from the low half
}

}  // namespace

TEST_CASE("Philox4x32-10 reproduces the Random123 known-answer vectors", "[core][random]") {
  using Block = Philox4x32::Block;
  CHECK(Philox4x32::generate(key_of(0, 0), Block{0, 0, 0, 0}) ==
        Block{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  CHECK(Philox4x32::generate(key_of(0xffffffffu, 0xffffffffu),
                             Block{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}) ==
        Block{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
  CHECK(Philox4x32::generate(key_of(0xa4093822u, 0x299f31d0u),
                             Block{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}) ==
        Block{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
  // It is constexpr: the first vector evaluated at compile time.
  static_assert(Philox4x32::generate(0, Block{0, 0, 0, 0})[0] == 0x6627e8d5u);
}

TEST_CASE("RandomStream(42, init) golden values", "[core][random]") {
  // Computed once with this code after the known-answer test passed; any change to the
  // counter layout, the conversions or the shuffle breaks every seeded model, so it must
  // be deliberate.
  const RandomStream stream(42, RngStream::init);
  const std::uint64_t bits[8] = {
      0xecba94ea97907da9ull, 0x146515f0f7bc4fb8ull, 0xc4622ea8c2e2c944ull, 0x17f4cd75d994b2f7ull,
      0x3935a5275ed5560aull, 0xcec2dcd457709881ull, 0xb23819f64c77141aull, 0x4f5dcc1fa764bfadull};
  const float unit_float[8] = {0x1.d97528p-1f, 0x1.46515p-4f,  0x1.88c45cp-1f, 0x1.7f4cdp-4f,
                               0x1.c9ad28p-3f, 0x1.9d85b8p-1f, 0x1.647032p-1f, 0x1.3d773p-2f};
  const double unit_double[8] = {0x1.d97529d52f20fp-1, 0x1.46515f0f7bc48p-4, 0x1.88c45d5185c59p-1,
                                 0x1.7f4cd75d994bp-4,  0x1.c9ad293af6aa8p-3, 0x1.9d85b9a8aee13p-1,
                                 0x1.647033ec98ee2p-1, 0x1.3d77307e9d92ep-2};
  const std::uint64_t below10[8] = {9, 0, 7, 0, 2, 8, 6, 3};
  for (std::uint64_t i = 0; i < 8; ++i) {
    INFO("index " << i);
    CHECK(stream.bits(i) == bits[i]);
    CHECK(stream.unit<float>(i) == unit_float[i]);
    CHECK(stream.unit<double>(i) == unit_double[i]);
    CHECK(stream.below(i, 10) == below10[i]);
    // bits() is the first two words of block(); the words are what the golden values pin.
    const auto block = stream.block(i);
    CHECK(((std::uint64_t{block[1]} << 32) | block[0]) == bits[i]);
  }
  std::vector<int> values(10);
  std::iota(values.begin(), values.end(), 0);
  deepfm::shuffle(std::span<int>(values), stream);
  CHECK(values == std::vector<int>{5, 3, 7, 8, 9, 6, 4, 2, 0, 1});
}

TEST_CASE("RandomStream::to_unit maps to the unit interval with the full mantissa",
          "[core][random]") {
  CHECK(RandomStream::to_unit<float>(0) == 0.0f);
  CHECK(RandomStream::to_unit<double>(0) == 0.0);
  const std::uint64_t ones = ~std::uint64_t{0};
  CHECK(RandomStream::to_unit<float>(ones) < 1.0f);
  CHECK(RandomStream::to_unit<double>(ones) < 1.0);
  CHECK(RandomStream::to_unit<float>(ones) == 1.0f - 0x1.0p-24f);
  CHECK(RandomStream::to_unit<double>(ones) == 1.0 - 0x1.0p-53);
  // The top bit alone is exactly one half; bits below the mantissa width are ignored.
  CHECK(RandomStream::to_unit<float>(std::uint64_t{1} << 63) == 0.5f);
  CHECK(RandomStream::to_unit<double>(std::uint64_t{1} << 63) == 0.5);
  CHECK(RandomStream::to_unit<float>((std::uint64_t{1} << 40) - 1) == 0.0f);
  CHECK(RandomStream::to_unit<double>((std::uint64_t{1} << 11) - 1) == 0.0);
  CHECK(RandomStream::to_unit<float>(std::uint64_t{1} << 40) == 0x1.0p-24f);
  CHECK(RandomStream::to_unit<double>(std::uint64_t{1} << 11) == 0x1.0p-53);

  const RandomStream stream(7, RngStream::synthetic, 3, 5);
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const float f = stream.unit<float>(i);
    const double d = stream.unit<double>(i);
    REQUIRE(f >= 0.0f);
    REQUIRE(f < 1.0f);
    REQUIRE(d >= 0.0);
    REQUIRE(d < 1.0);
    const double u = stream.uniform<double>(i, -3.0, 2.0);
    REQUIRE(u >= -3.0);
    REQUIRE(u < 2.0);
  }
}

TEST_CASE("RandomStream::multiply_high equals the 128-bit product's high word", "[core][random]") {
  const std::uint64_t ones = ~std::uint64_t{0};
  const std::uint64_t edges[] = {0,
                                 1,
                                 2,
                                 0xFFFFFFFFull,
                                 0x100000000ull,
                                 0x8000000000000000ull,
                                 ones,
                                 ones - 1,
                                 0xFFFFFFFF00000000ull};
  for (const std::uint64_t a : edges)
    for (const std::uint64_t b : edges) {
      INFO(a << " * " << b);
      CHECK(RandomStream::multiply_high(a, b) == multiply_high_reference(a, b));
    }
  const RandomStream stream(99, RngStream::synthetic, 9);
  for (std::uint64_t i = 0; i < 5000; ++i) {
    const std::uint64_t a = stream.bits(2 * i);
    // Mix full-width, 32-bit and small second operands.
    std::uint64_t b = stream.bits(2 * i + 1);
    if (i % 3 == 1) b >>= 32;
    if (i % 3 == 2) b >>= 56;
    REQUIRE(RandomStream::multiply_high(a, b) == multiply_high_reference(a, b));
  }
  static_assert(RandomStream::multiply_high(~std::uint64_t{0}, ~std::uint64_t{0}) ==
                ~std::uint64_t{0} - 1);
}

TEST_CASE("RandomStream::below stays below n", "[core][random]") {
  const RandomStream stream(3, RngStream::dropout, 1, 2);
  for (const std::uint64_t n : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{7},
                                std::uint64_t{1000}, ~std::uint64_t{0}}) {
    for (std::uint64_t i = 0; i < 500; ++i) REQUIRE(stream.below(i, n) < n);
  }
  for (std::uint64_t i = 0; i < 100; ++i) CHECK(stream.below(i, 1) == 0);
  // below(i, n) is the high word of bits(i) * n.
  for (std::uint64_t i = 0; i < 100; ++i)
    CHECK(stream.below(i, 12345) == multiply_high_reference(stream.bits(i), 12345));
}

TEST_CASE("RandomStreams differ by seed, stream, substream and sequence", "[core][random]") {
  const RandomStream base(5, RngStream::init, 1, 2);
  const RandomStream others[] = {RandomStream(6, RngStream::init, 1, 2),
                                 RandomStream(5, RngStream::dropout, 1, 2),
                                 RandomStream(5, RngStream::shuffle, 1, 2),
                                 RandomStream(5, RngStream::synthetic, 1, 2),
                                 RandomStream(5, RngStream::init, 0, 2),
                                 RandomStream(5, RngStream::init, 65535, 2),
                                 RandomStream(5, RngStream::init, 1, 3),
                                 RandomStream(5, RngStream::init, 1, 0),
                                 RandomStream(5, RngStream::init, 1, (std::uint64_t{1} << 40) - 1)};
  std::set<std::uint64_t> firsts{base.bits(0)};
  for (const RandomStream& other : others) {
    std::size_t equal = 0;
    for (std::uint64_t i = 0; i < 64; ++i) equal += other.bits(i) == base.bits(i);
    CHECK(equal == 0);
    firsts.insert(other.bits(0));
  }
  CHECK(firsts.size() == 1 + std::size(others));
  // A copy is the same stream; elements within a stream differ.
  const RandomStream copy = base;
  std::set<std::uint64_t> within;
  for (std::uint64_t i = 0; i < 256; ++i) {
    CHECK(copy.bits(i) == base.bits(i));
    within.insert(base.bits(i));
  }
  CHECK(within.size() == 256);
  // The sequence keeps 40 bits: bit 40 and up do not reach the counter.
  CHECK(RandomStream(5, RngStream::init, 1, 2 + (std::uint64_t{1} << 40)).bits(0) == base.bits(0));
}

TEST_CASE("shuffle yields a permutation that depends only on the stream", "[core][random]") {
  for (const std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{17}, std::size_t{1000}}) {
    std::vector<std::uint32_t> values(n);
    std::iota(values.begin(), values.end(), 0u);
    const RandomStream stream(11, RngStream::shuffle, 0, n);
    deepfm::shuffle(std::span<std::uint32_t>(values), stream);
    std::vector<std::uint32_t> again(n);
    std::iota(again.begin(), again.end(), 0u);
    deepfm::shuffle(std::span<std::uint32_t>(again), stream);
    CHECK(values == again);
    std::vector<std::uint32_t> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::uint32_t> identity(n);
    std::iota(identity.begin(), identity.end(), 0u);
    CHECK(sorted == identity);
    if (n >= 17) CHECK(values != identity);
  }
}

TEST_CASE("shuffle puts each element in each position about equally often", "[core][random]") {
  constexpr std::size_t n = 6;
  constexpr std::size_t shuffles = 24000;
  std::array<std::array<std::size_t, n>, n> counts{};
  std::array<int, n> values{};
  for (std::size_t s = 0; s < shuffles; ++s) {
    std::iota(values.begin(), values.end(), 0);
    deepfm::shuffle(std::span<int>(values), RandomStream(2024, RngStream::shuffle, 0, s));
    for (std::size_t position = 0; position < n; ++position)
      ++counts[static_cast<std::size_t>(values[position])][position];
  }
  const double expected = static_cast<double>(shuffles) / n;
  double chi_square = 0;
  for (const auto& row : counts)
    for (const std::size_t count : row) {
      const double d = static_cast<double>(count) - expected;
      chi_square += d * d / expected;
    }
  // (n-1)^2 = 25 degrees of freedom: mean 25, sd ~7; P(chi2 > 80) is about 1e-7. A shuffle
  // with an off-by-one (e.g. swapping with below(i, i) or never with itself) scores in the
  // thousands here.
  INFO("chi-square " << chi_square);
  CHECK(chi_square < 80.0);
}
