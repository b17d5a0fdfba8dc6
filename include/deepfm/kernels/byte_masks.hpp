#pragma once
/// @file
/// Where given bytes occur in 64 bytes of text, as a bit mask (bit i: byte i): how a text
/// scanner finds every separator of a line at once instead of calling memchr per value.
/// AVX-512BW compares 64 bytes in one instruction, AVX2 in two; the scalar path loops.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "deepfm/kernels/isa.hpp"

#if !defined(DEEPFM_DISABLE_SIMD) && (defined(__AVX512BW__) || defined(__AVX2__))
#include <immintrin.h>
#endif

namespace deepfm::kernels {

/// Bytes a byte_mask call reads.
inline constexpr std::size_t kMaskBytes = 64;

/// Bit i set where text[i] is `a` or `b`, for i in [0, 64); all 64 bytes must be readable.
inline std::uint64_t byte_mask(const char* text, char a, char b) noexcept {
#if !defined(DEEPFM_DISABLE_SIMD) && defined(__AVX512BW__)
  const __m512i bytes = _mm512_loadu_si512(text);
  return _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(a)) |
         _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(b));
#elif !defined(DEEPFM_DISABLE_SIMD) && defined(__AVX2__)
  const __m256i va = _mm256_set1_epi8(a);
  const __m256i vb = _mm256_set1_epi8(b);
  const auto half = [&](const char* at) {
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
    const __m256i hit = _mm256_or_si256(_mm256_cmpeq_epi8(bytes, va), _mm256_cmpeq_epi8(bytes, vb));
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(hit)));
  };
  return half(text) | (half(text + 32) << 32);
#else
  std::uint64_t mask = 0;
  for (std::size_t i = 0; i < kMaskBytes; ++i)
    mask |= static_cast<std::uint64_t>(text[i] == a || text[i] == b) << i;
  return mask;
#endif
}

/// byte_mask of the `n` < 64 bytes at `text` (bits from n on clear), reading only those.
inline std::uint64_t byte_mask_tail(const char* text, std::size_t n, char a, char b) noexcept {
  char window[kMaskBytes] = {};
  if (n > 0) std::memcpy(window, text, n);
  const std::uint64_t valid = n == 0 ? 0 : ~std::uint64_t{0} >> (kMaskBytes - n);
  return byte_mask(window, a, b) & valid;
}

}  // namespace deepfm::kernels
