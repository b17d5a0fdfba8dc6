#pragma once
/// @file
/// Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11) with deepfm's own
/// integer-to-real conversion and Fisher–Yates shuffle. The standard library's distributions
/// and std::shuffle differ between implementations; these do not, so a seed gives the same
/// model bit for bit on every machine and compiler (and, later, on the GPU).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

namespace deepfm {

/// What a random stream is used for; part of the counter so streams never overlap.
enum class RngStream : std::uint8_t {
  init = 1,       ///< parameter initialisation, sub-stream = tensor id
  dropout = 2,    ///< dropout masks, sub-stream = layer, sequence = training step
  shuffle = 3,    ///< sampler permutations, sequence = epoch
  synthetic = 4,  ///< the synthetic data generator
};

/// Philox4x32-10: a keyed bijection on 128-bit counters; every output is independent of
/// every other, so any element can be drawn without drawing the ones before it.
class Philox4x32 {
 public:
  using Block = std::array<std::uint32_t, 4>;

  /// Encrypts `counter` under the 64-bit `key`.
  static constexpr Block generate(std::uint64_t key, Block counter) noexcept {
    std::uint32_t k0 = static_cast<std::uint32_t>(key);
    std::uint32_t k1 = static_cast<std::uint32_t>(key >> 32);
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        k0 += kWeyl0;
        k1 += kWeyl1;
      }
      const std::uint64_t product0 = std::uint64_t{kMultiplier0} * counter[0];
      const std::uint64_t product1 = std::uint64_t{kMultiplier1} * counter[2];
      counter = {static_cast<std::uint32_t>(product1 >> 32) ^ counter[1] ^ k0,
                 static_cast<std::uint32_t>(product1),
                 static_cast<std::uint32_t>(product0 >> 32) ^ counter[3] ^ k1,
                 static_cast<std::uint32_t>(product0)};
    }
    return counter;
  }

  // Public for the SIMD kernels that run many blocks at once (kernels/dropout_mask.hpp).
  static constexpr std::uint32_t kMultiplier0 = 0xD2511F53u;
  static constexpr std::uint32_t kMultiplier1 = 0xCD9E8D57u;
  static constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;  ///< key schedule: added each round
  static constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;
};

/// One independent stream of 64-bit random words, addressed by index: `bits(i)` is a pure
/// function of (seed, stream, substream, sequence, i).
class RandomStream {
 public:
  /// `substream` (16 bits) separates tensors or layers; `sequence` (40 bits) steps or epochs.
  constexpr RandomStream(std::uint64_t seed, RngStream stream, std::uint16_t substream = 0,
                         std::uint64_t sequence = 0) noexcept
      : seed_(seed),
        tag_((std::uint64_t{static_cast<std::uint8_t>(stream)} << 56) |
             (std::uint64_t{substream} << 40) | (sequence & ((std::uint64_t{1} << 40) - 1))) {}

  /// The four 32-bit words of block `index`, for consumers that need fewer bits per draw.
  constexpr Philox4x32::Block block(std::uint64_t index) const noexcept {
    return Philox4x32::generate(key(), counter(index));
  }

  /// The Philox key and the counter that block(index) encrypts, for kernels that encrypt
  /// many counters at once: words 0 and 1 are the index, words 2 and 3 the stream's tag.
  constexpr std::uint64_t key() const noexcept { return seed_; }
  constexpr Philox4x32::Block counter(std::uint64_t index) const noexcept {
    return {static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32),
            static_cast<std::uint32_t>(tag_), static_cast<std::uint32_t>(tag_ >> 32)};
  }

  /// 64 random bits for element `index` (the first two words of block `index`).
  constexpr std::uint64_t bits(std::uint64_t index) const noexcept {
    const auto out = block(index);
    return (std::uint64_t{out[1]} << 32) | out[0];
  }

  /// Uniform in [0, 1) with the full mantissa of T (24 bits for float, 53 for double).
  template <typename T>
  constexpr T unit(std::uint64_t index) const noexcept {
    return to_unit<T>(bits(index));
  }

  /// Uniform in [low, high).
  template <typename T>
  constexpr T uniform(std::uint64_t index, T low, T high) const noexcept {
    return low + (high - low) * unit<T>(index);
  }

  /// Uniform integer in [0, n): the high word of bits · n (Lemire's multiply-shift map,
  /// bias below n / 2^64), written with 32-bit halves to stay portable C++.
  constexpr std::uint64_t below(std::uint64_t index, std::uint64_t n) const noexcept {
    return multiply_high(bits(index), n);
  }

  /// High 64 bits of the 128-bit product a · b.
  static constexpr std::uint64_t multiply_high(std::uint64_t a, std::uint64_t b) noexcept {
    const std::uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32;
    const std::uint64_t b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
    const std::uint64_t lo_lo = a_lo * b_lo;
    const std::uint64_t hi_lo = a_hi * b_lo;
    const std::uint64_t lo_hi = a_lo * b_hi;
    const std::uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFFu) + lo_hi;
    return a_hi * b_hi + (hi_lo >> 32) + (cross >> 32);
  }

  /// Maps 64 random bits to [0, 1): the top mantissa-width bits times 2^-width, exact in T.
  template <typename T>
  static constexpr T to_unit(std::uint64_t random_bits) noexcept {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "to_unit supports float and double");
    if constexpr (std::is_same_v<T, float>) {
      return static_cast<float>(random_bits >> 40) * 0x1.0p-24f;
    } else {
      return static_cast<double>(random_bits >> 11) * 0x1.0p-53;
    }
  }

 private:
  std::uint64_t seed_;
  std::uint64_t tag_;
};

/// Fisher–Yates shuffle driven by `stream`: element i (from the back) swaps with
/// `stream.below(i, i + 1)`, so the permutation depends only on the stream and the size.
template <typename U>
void shuffle(std::span<U> values, const RandomStream& stream) {
  for (std::size_t i = values.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(stream.below(i - 1, i));
    std::swap(values[i - 1], values[j]);
  }
}

}  // namespace deepfm
