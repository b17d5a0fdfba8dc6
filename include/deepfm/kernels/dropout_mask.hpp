#pragma once
/// @file
/// Applying a counter-based dropout mask: dst[i] = src[i] * keep_scale when element
/// first_element + i is kept, else 0. Element e is kept when the top 24 bits of word e % 4 of
/// Philox block e / 4 of the stream are >= keep_threshold. Nothing stores the mask (forward
/// and backward regenerate it), so encrypting the counters is the cost; the SIMD paths encrypt
/// 16 (AVX-512) or 8 (AVX2) counters per instruction. Every path makes the same integer
/// decisions and the same single multiply per kept element, so all are bit-identical to ref::.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "deepfm/core/random.hpp"
#include "deepfm/kernels/isa.hpp"

#if !defined(DEEPFM_DISABLE_SIMD) && (defined(__AVX512F__) || defined(__AVX2__))
#include <immintrin.h>
#endif

namespace deepfm::kernels {

namespace ref {

/// Whether a Philox word keeps its element: its top 24 bits against the threshold.
constexpr bool dropout_keeps(std::uint32_t word, std::uint32_t keep_threshold) noexcept {
  return (word >> 8) >= keep_threshold;
}

/// dst[i] = kept(first_element + i) ? src[i] * keep_scale : 0 for i < n, one Philox block per
/// four elements. src == dst is allowed; otherwise the two must not overlap.
template <typename T>
void apply_dropout_mask(const RandomStream& stream, std::uint32_t keep_threshold, T keep_scale,
                        std::size_t first_element, std::size_t n, const T* src, T* dst) noexcept {
  std::size_t i = 0;
  while (i < n) {
    const std::size_t element = first_element + i;
    const Philox4x32::Block words = stream.block(element / 4);
    for (std::size_t w = element % 4; w < 4 && i < n; ++w, ++i)
      dst[i] = dropout_keeps(words[w], keep_threshold) ? src[i] * keep_scale : T(0);
  }
}

}  // namespace ref

namespace detail {

// Each ISA below is a struct of the few operations on a register of 32-bit words (`Words`,
// kBlocks lanes) that Philox and the mask need; apply_dropout_mask_simd is written once
// against them.
//
// Lane order: the four output words of the blocks come out as four registers, one per word
// index, and elements need them interleaved (element 4b + w is word w of block b). A 4x4
// transpose inside each 128-bit lane does that, but leaves 128-bit lane k of output register r
// holding the block of lane 4k + r. So lane 4k + r encrypts block r * (kBlocks / 4) + k: after
// the transpose, register r holds elements r * kBlocks .. r * kBlocks + kBlocks - 1 in order.
// (The transpose is about 9% of the AVX-512 kernel; comparing the word registers first and
// interleaving their bit masks with BMI2's pdep measured no faster, and needs BMI2.)
template <std::size_t kBlocks>
constexpr std::array<std::uint32_t, kBlocks> transposed_block_offsets() noexcept {
  std::array<std::uint32_t, kBlocks> offsets{};
  for (std::size_t lane = 0; lane < kBlocks; ++lane)
    offsets[lane] = static_cast<std::uint32_t>((lane % 4) * (kBlocks / 4) + lane / 4);
  return offsets;
}

#if !defined(DEEPFM_DISABLE_SIMD) && defined(__AVX512F__)
// GCC before 12.3 reports its own _mm512_undefined_epi32() as uninitialized wherever an
// intrinsic built on it is inlined (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
/// AVX-512F: 16 blocks per register; a __mmask16 of kept elements per register of words.
struct PhiloxAvx512 {
  using Words = __m512i;
  static constexpr std::size_t kBlocks = 16;

  static Words broadcast(std::uint32_t x) noexcept {
    return _mm512_set1_epi32(static_cast<int>(x));
  }
  static Words load(const std::uint32_t* p) noexcept { return _mm512_loadu_si512(p); }
  static void store(std::uint32_t* p, Words x) noexcept { _mm512_storeu_si512(p, x); }
  static Words add(Words a, Words b) noexcept { return _mm512_add_epi32(a, b); }
  static Words xor2(Words a, Words b) noexcept { return _mm512_xor_si512(a, b); }
  static Words xor3(Words a, Words b, Words c) noexcept {
    return _mm512_ternarylogic_epi32(a, b, c, 0x96);  // 0x96: the truth table of a ^ b ^ c
  }

  /// The 64-bit products x * m of every lane, as their high and low 32-bit words.
  /// _mm512_mul_epu32 multiplies the even lanes only, so the odd lanes are shifted down for a
  /// second multiply, and the halves are shuffled back into place under a lane mask.
  static void multiply_wide(Words x, Words m, Words& high, Words& low) noexcept {
    const Words even = _mm512_mul_epu32(x, m);
    const Words odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
    high = _mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_DDBB);
    low = _mm512_mask_shuffle_epi32(even, 0xAAAA, odd, _MM_PERM_CCAA);
  }

  static void transpose4(Words& w0, Words& w1, Words& w2, Words& w3) noexcept {
    const Words a = _mm512_unpacklo_epi32(w0, w1), b = _mm512_unpackhi_epi32(w0, w1);
    const Words c = _mm512_unpacklo_epi32(w2, w3), d = _mm512_unpackhi_epi32(w2, w3);
    w0 = _mm512_unpacklo_epi64(a, c);
    w1 = _mm512_unpackhi_epi64(a, c);
    w2 = _mm512_unpacklo_epi64(b, d);
    w3 = _mm512_unpackhi_epi64(b, d);
  }

  /// What `kept` compares against: the threshold itself (the compare is unsigned).
  static Words threshold(std::uint32_t keep_threshold) noexcept {
    return broadcast(keep_threshold);
  }
  static __mmask16 kept(Words words, Words threshold) noexcept {
    return _mm512_cmpge_epu32_mask(_mm512_srli_epi32(words, 8), threshold);
  }

  /// Masks the 16 elements whose words are `words`.
  static void apply(Words words, Words threshold, float keep_scale, const float* src,
                    float* dst) noexcept {
    const __m512 scaled = _mm512_maskz_mul_ps(kept(words, threshold), _mm512_loadu_ps(src),
                                              _mm512_set1_ps(keep_scale));
    _mm512_storeu_ps(dst, scaled);
  }
  static void apply(Words words, Words threshold, double keep_scale, const double* src,
                    double* dst) noexcept {
    const __mmask16 keep = kept(words, threshold);
    const __m512d scale = _mm512_set1_pd(keep_scale);
    const __m512d low =
        _mm512_maskz_mul_pd(static_cast<__mmask8>(keep), _mm512_loadu_pd(src), scale);
    const __m512d high =
        _mm512_maskz_mul_pd(static_cast<__mmask8>(keep >> 8), _mm512_loadu_pd(src + 8), scale);
    _mm512_storeu_pd(dst, low);
    _mm512_storeu_pd(dst + 8, high);
  }
};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

#if !defined(DEEPFM_DISABLE_SIMD) && defined(__AVX2__)
/// AVX2: 8 blocks per register; a register of all-ones (kept) or zero lanes per register of
/// words, and-ed with the scaled values.
struct PhiloxAvx2 {
  using Words = __m256i;
  static constexpr std::size_t kBlocks = 8;

  static Words broadcast(std::uint32_t x) noexcept {
    return _mm256_set1_epi32(static_cast<int>(x));
  }
  static Words load(const std::uint32_t* p) noexcept {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  static void store(std::uint32_t* p, Words x) noexcept {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), x);
  }
  static Words add(Words a, Words b) noexcept { return _mm256_add_epi32(a, b); }
  static Words xor2(Words a, Words b) noexcept { return _mm256_xor_si256(a, b); }
  static Words xor3(Words a, Words b, Words c) noexcept { return xor2(xor2(a, b), c); }

  /// As PhiloxAvx512::multiply_wide, with blends; shuffles, not shifts, move the odd words
  /// (Intel's shuffle port, away from the multiplies: about 3% faster than shifts).
  static void multiply_wide(Words x, Words m, Words& high, Words& low) noexcept {
    const Words even = _mm256_mul_epu32(x, m);
    const Words odd = _mm256_mul_epu32(_mm256_shuffle_epi32(x, 0xF5), m);
    high = _mm256_blend_epi32(_mm256_shuffle_epi32(even, 0xF5), odd, 0xAA);
    low = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  }

  static void transpose4(Words& w0, Words& w1, Words& w2, Words& w3) noexcept {
    const Words a = _mm256_unpacklo_epi32(w0, w1), b = _mm256_unpackhi_epi32(w0, w1);
    const Words c = _mm256_unpacklo_epi32(w2, w3), d = _mm256_unpackhi_epi32(w2, w3);
    w0 = _mm256_unpacklo_epi64(a, c);
    w1 = _mm256_unpackhi_epi64(a, c);
    w2 = _mm256_unpacklo_epi64(b, d);
    w3 = _mm256_unpackhi_epi64(b, d);
  }

  /// What `kept` compares against: AVX2 compares signed only, so threshold - 1 for a >, with
  /// the threshold first capped at 2^24 (which keeps nothing, as any larger one does): every
  /// operand then lies in [-1, 2^24] and the signed compare is exact.
  static Words threshold(std::uint32_t keep_threshold) noexcept {
    const std::uint32_t capped = std::min<std::uint32_t>(keep_threshold, std::uint32_t{1} << 24);
    return _mm256_set1_epi32(static_cast<int>(capped) - 1);
  }
  static Words kept(Words words, Words threshold) noexcept {
    return _mm256_cmpgt_epi32(_mm256_srli_epi32(words, 8), threshold);
  }

  /// Masks the 8 elements whose words are `words`.
  static void apply(Words words, Words threshold, float keep_scale, const float* src,
                    float* dst) noexcept {
    const __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(src), _mm256_set1_ps(keep_scale));
    _mm256_storeu_ps(dst, _mm256_and_ps(scaled, _mm256_castsi256_ps(kept(words, threshold))));
  }
  static void apply(Words words, Words threshold, double keep_scale, const double* src,
                    double* dst) noexcept {
    const Words keep = kept(words, threshold);
    const __m256i keep_low = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(keep));
    const __m256i keep_high = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(keep, 1));
    const __m256d scale = _mm256_set1_pd(keep_scale);
    const __m256d low = _mm256_mul_pd(_mm256_loadu_pd(src), scale);
    const __m256d high = _mm256_mul_pd(_mm256_loadu_pd(src + 4), scale);
    _mm256_storeu_pd(dst, _mm256_and_pd(low, _mm256_castsi256_pd(keep_low)));
    _mm256_storeu_pd(dst + 4, _mm256_and_pd(high, _mm256_castsi256_pd(keep_high)));
  }
};
#endif

/// The round keys of Philox4x32-10 for one key, broadcast once per call.
template <class Simd>
struct PhiloxRoundKeys {
  static constexpr int kRounds = 10;
  typename Simd::Words key0[kRounds];
  typename Simd::Words key1[kRounds];
  std::uint32_t first0, first1;  ///< round 0's keys, which the first round uses as scalars

  explicit PhiloxRoundKeys(std::uint64_t key) noexcept
      : first0(static_cast<std::uint32_t>(key)), first1(static_cast<std::uint32_t>(key >> 32)) {
    std::uint32_t k0 = first0, k1 = first1;
    for (int round = 0; round < kRounds; ++round) {
      if (round > 0) {
        k0 += Philox4x32::kWeyl0;
        k1 += Philox4x32::kWeyl1;
      }
      key0[round] = Simd::broadcast(k0);
      key1[round] = Simd::broadcast(k1);
    }
  }
};

/// The four words of blocks first_block .. first_block + kBlocks - 1, in element order:
/// words[r] holds those of elements 4 * first_block + r * kBlocks and the kBlocks after it.
/// The same rounds as Philox4x32::generate, on kBlocks counters at once.
template <class Simd>
void philox_words(const RandomStream& stream, const PhiloxRoundKeys<Simd>& keys,
                  std::uint64_t first_block, typename Simd::Words (&words)[4]) noexcept {
  using Words = typename Simd::Words;
  static constexpr auto kOffsets = transposed_block_offsets<Simd::kBlocks>();
  const Philox4x32::Block counter = stream.counter(first_block);
  Words c0, c1;
  if (counter[0] <= UINT32_MAX - (Simd::kBlocks - 1)) {
    c0 = Simd::add(Simd::broadcast(counter[0]), Simd::load(kOffsets.data()));
    c1 = Simd::broadcast(counter[1]);
  } else {  // the low word wraps inside this batch: once per 2^32 blocks
    std::uint32_t low[Simd::kBlocks], high[Simd::kBlocks];
    for (std::size_t lane = 0; lane < Simd::kBlocks; ++lane) {
      const Philox4x32::Block lane_counter = stream.counter(first_block + kOffsets[lane]);
      low[lane] = lane_counter[0];
      high[lane] = lane_counter[1];
    }
    c0 = Simd::load(low);
    c1 = Simd::load(high);
  }
  const Words multiplier0 = Simd::broadcast(Philox4x32::kMultiplier0);
  const Words multiplier1 = Simd::broadcast(Philox4x32::kMultiplier1);
  Words high0, low0, high1, low1;

  // Round 1: words 2 and 3 are the stream's tag in every lane, so its second product is one
  // scalar multiply.
  const std::uint64_t tag_product = std::uint64_t{Philox4x32::kMultiplier1} * counter[2];
  Simd::multiply_wide(c0, multiplier0, high0, low0);
  c0 = Simd::xor2(c1, Simd::broadcast(static_cast<std::uint32_t>(tag_product >> 32) ^ keys.first0));
  c1 = Simd::broadcast(static_cast<std::uint32_t>(tag_product));
  Words c2 = Simd::xor2(high0, Simd::broadcast(counter[3] ^ keys.first1));
  Words c3 = low0;

  for (int round = 1; round < PhiloxRoundKeys<Simd>::kRounds; ++round) {
    Simd::multiply_wide(c0, multiplier0, high0, low0);
    Simd::multiply_wide(c2, multiplier1, high1, low1);
    c0 = Simd::xor3(high1, c1, keys.key0[round]);
    c1 = low1;
    c2 = Simd::xor3(high0, c3, keys.key1[round]);
    c3 = low0;
  }
  Simd::transpose4(c0, c1, c2, c3);
  words[0] = c0;
  words[1] = c1;
  words[2] = c2;
  words[3] = c3;
}

/// apply_dropout_mask on one ISA: whole batches of 4 * kBlocks elements straight from the
/// registers; a batch cut by first_element or by n (at most the first and the last) goes
/// through a buffer of its words and the scalar decision.
template <class Simd, typename T>
void apply_dropout_mask_simd(const RandomStream& stream, std::uint32_t keep_threshold, T keep_scale,
                             std::size_t first_element, std::size_t n, const T* src,
                             T* dst) noexcept {
  constexpr std::size_t kBatch = 4 * Simd::kBlocks;
  const PhiloxRoundKeys<Simd> keys(stream.key());
  const typename Simd::Words threshold = Simd::threshold(keep_threshold);
  std::uint64_t block = first_element / 4;
  std::size_t skip = first_element % 4;  // elements of the first block before first_element
  std::size_t done = 0;
  while (done < n) {
    typename Simd::Words words[4];
    philox_words<Simd>(stream, keys, block, words);
    const std::size_t count = std::min(kBatch - skip, n - done);
    if (count == kBatch) {
      for (std::size_t r = 0; r < 4; ++r) {
        const std::size_t at = done + r * Simd::kBlocks;
        Simd::apply(words[r], threshold, keep_scale, src + at, dst + at);
      }
    } else {
      std::uint32_t buffer[kBatch];
      for (std::size_t r = 0; r < 4; ++r) Simd::store(buffer + r * Simd::kBlocks, words[r]);
      for (std::size_t e = 0; e < count; ++e) {
        const bool keep = ref::dropout_keeps(buffer[skip + e], keep_threshold);
        dst[done + e] = keep ? src[done + e] * keep_scale : T(0);
      }
    }
    done += count;
    block += Simd::kBlocks;
    skip = 0;
  }
}

}  // namespace detail

/// ref::apply_dropout_mask on the ISA chosen in isa.hpp, bit-identical to it.
/// first_element may be any element (a thread's row block starts at row * width).
template <typename T>
void apply_dropout_mask(const RandomStream& stream, std::uint32_t keep_threshold, T keep_scale,
                        std::size_t first_element, std::size_t n, const T* src, T* dst) noexcept {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "apply_dropout_mask supports float and double");
#if !defined(DEEPFM_DISABLE_SIMD) && defined(__AVX512F__)
  if constexpr (kIsa == Isa::avx512) {
    detail::apply_dropout_mask_simd<detail::PhiloxAvx512>(stream, keep_threshold, keep_scale,
                                                          first_element, n, src, dst);
    return;
  }
#endif
#if !defined(DEEPFM_DISABLE_SIMD) && defined(__AVX2__)
  if constexpr (kIsa == Isa::avx2_fma) {
    detail::apply_dropout_mask_simd<detail::PhiloxAvx2>(stream, keep_threshold, keep_scale,
                                                        first_element, n, src, dst);
    return;
  }
#endif
  ref::apply_dropout_mask(stream, keep_threshold, keep_scale, first_element, n, src, dst);
}

}  // namespace deepfm::kernels
