#pragma once
/// @file
/// The small ISA layer the SIMD kernels are written against: Vec<T> is one register of T for
/// the ISA chosen in isa.hpp (AVX-512: 16 floats or 8 doubles; AVX2+FMA: 8 or 4; scalar: 1),
/// with the handful of operations the kernels need. A kernel written once against Vec<T>
/// compiles to each ISA; partial loads and stores cover the tail of a row, so no kernel reads
/// or writes past the n values it was given.

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "deepfm/kernels/isa.hpp"

#if !defined(DEEPFM_DISABLE_SIMD) && (defined(__AVX512F__) || defined(__AVX2__))
#include <immintrin.h>
#endif

namespace deepfm::kernels::simd {

/// One register of T; specialised below for the ISA in use.
template <typename T, Isa I = kIsa>
struct Vec;

/// Whether the target computes std::fma in one instruction (else it is a slow library call,
/// and the scalar path multiplies and adds).
inline constexpr bool kFusedMultiplyAdd =
#if (defined(FP_FAST_FMA) && defined(FP_FAST_FMAF)) || defined(__FMA__) || \
    defined(__ARM_FEATURE_FMA)
    true;
#else
    false;
#endif

/// The scalar "register": every ISA's code compiles to it when SIMD is off.
template <typename T>
struct Vec<T, Isa::scalar> {
  static constexpr std::size_t lanes = 1;
  T v;
  static Vec zero() noexcept { return {T(0)}; }
  static Vec broadcast(T x) noexcept { return {x}; }
  static Vec load(const T* p) noexcept { return {*p}; }
  /// The first n lanes (n <= lanes); the rest are 0.
  static Vec load(const T* p, std::size_t n) noexcept { return {n != 0 ? *p : T(0)}; }
  void store(T* p) const noexcept { *p = v; }
  void store(T* p, std::size_t n) const noexcept {
    if (n != 0) *p = v;
  }
  /// a * b + c: fused (rounded once) where the target has FMA, else rounded twice. Never left
  /// to the compiler: GNU C++ may fuse `a * b + c` in one inlined copy and not in another,
  /// and a row would then round differently in a different block of the batch.
  friend Vec fma(Vec a, Vec b, Vec c) noexcept {
    if constexpr (kFusedMultiplyAdd) {
      return {std::fma(a.v, b.v, c.v)};
    } else {
      return {a.v * b.v + c.v};
    }
  }
  friend Vec operator+(Vec a, Vec b) noexcept { return {a.v + b.v}; }
  friend Vec operator-(Vec a, Vec b) noexcept { return {a.v - b.v}; }
  friend Vec operator*(Vec a, Vec b) noexcept { return {a.v * b.v}; }
  friend Vec operator/(Vec a, Vec b) noexcept { return {a.v / b.v}; }
  friend Vec sqrt(Vec a) noexcept { return {std::sqrt(a.v)}; }
  friend T sum_lanes(Vec a) noexcept { return a.v; }
};

#if !defined(DEEPFM_DISABLE_SIMD) && defined(__AVX512F__)
template <>
struct Vec<float, Isa::avx512> {
  static constexpr std::size_t lanes = 16;
  __m512 v;
  static __mmask16 first(std::size_t n) noexcept {
    return static_cast<__mmask16>((1u << n) - 1u);  // n <= 16 fits in 32-bit arithmetic
  }
  static Vec zero() noexcept { return {_mm512_setzero_ps()}; }
  static Vec broadcast(float x) noexcept { return {_mm512_set1_ps(x)}; }
  static Vec load(const float* p) noexcept { return {_mm512_loadu_ps(p)}; }
  static Vec load(const float* p, std::size_t n) noexcept {
    return {_mm512_maskz_loadu_ps(first(n), p)};
  }
  void store(float* p) const noexcept { _mm512_storeu_ps(p, v); }
  void store(float* p, std::size_t n) const noexcept { _mm512_mask_storeu_ps(p, first(n), v); }
  friend Vec fma(Vec a, Vec b, Vec c) noexcept { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
  friend Vec operator+(Vec a, Vec b) noexcept { return {_mm512_add_ps(a.v, b.v)}; }
  friend Vec operator-(Vec a, Vec b) noexcept { return {_mm512_sub_ps(a.v, b.v)}; }
  friend Vec operator*(Vec a, Vec b) noexcept { return {_mm512_mul_ps(a.v, b.v)}; }
  friend Vec operator/(Vec a, Vec b) noexcept { return {_mm512_div_ps(a.v, b.v)}; }
  friend Vec sqrt(Vec a) noexcept { return {_mm512_mask_sqrt_ps(a.v, 0xFFFF, a.v)}; }  // 105593
  /// Pairwise tree: halves, then quarters... (a fixed order, so every call rounds alike).
  /// Masked forms with every lane set: the plain ones pass GCC 12 an "undefined" operand that
  /// it then reports as uninitialised inside its own headers (GCC bug 105593).
  friend float sum_lanes(Vec a) noexcept {
    constexpr __mmask16 all = 0xFFFF;
    __m512 t = _mm512_add_ps(a.v, _mm512_mask_shuffle_f32x4(a.v, all, a.v, a.v, 0x4E));
    t = _mm512_add_ps(t, _mm512_mask_shuffle_f32x4(t, all, t, t, 0xB1));
    t = _mm512_add_ps(t, _mm512_mask_permute_ps(t, all, t, 0x4E));
    t = _mm512_add_ps(t, _mm512_mask_permute_ps(t, all, t, 0xB1));
    return _mm512_cvtss_f32(t);
  }
};

template <>
struct Vec<double, Isa::avx512> {
  static constexpr std::size_t lanes = 8;
  __m512d v;
  static __mmask8 first(std::size_t n) noexcept { return static_cast<__mmask8>((1u << n) - 1u); }
  static Vec zero() noexcept { return {_mm512_setzero_pd()}; }
  static Vec broadcast(double x) noexcept { return {_mm512_set1_pd(x)}; }
  static Vec load(const double* p) noexcept { return {_mm512_loadu_pd(p)}; }
  static Vec load(const double* p, std::size_t n) noexcept {
    return {_mm512_maskz_loadu_pd(first(n), p)};
  }
  void store(double* p) const noexcept { _mm512_storeu_pd(p, v); }
  void store(double* p, std::size_t n) const noexcept { _mm512_mask_storeu_pd(p, first(n), v); }
  friend Vec fma(Vec a, Vec b, Vec c) noexcept { return {_mm512_fmadd_pd(a.v, b.v, c.v)}; }
  friend Vec operator+(Vec a, Vec b) noexcept { return {_mm512_add_pd(a.v, b.v)}; }
  friend Vec operator-(Vec a, Vec b) noexcept { return {_mm512_sub_pd(a.v, b.v)}; }
  friend Vec operator*(Vec a, Vec b) noexcept { return {_mm512_mul_pd(a.v, b.v)}; }
  friend Vec operator/(Vec a, Vec b) noexcept { return {_mm512_div_pd(a.v, b.v)}; }
  friend Vec sqrt(Vec a) noexcept { return {_mm512_mask_sqrt_pd(a.v, 0xFF, a.v)}; }  // 105593
  friend double sum_lanes(Vec a) noexcept {
    constexpr __mmask8 all = 0xFF;
    __m512d t = _mm512_add_pd(a.v, _mm512_mask_shuffle_f64x2(a.v, all, a.v, a.v, 0x4E));
    t = _mm512_add_pd(t, _mm512_mask_shuffle_f64x2(t, all, t, t, 0xB1));
    t = _mm512_add_pd(t, _mm512_mask_permute_pd(t, all, t, 0x55));
    return _mm512_cvtsd_f64(t);
  }
};
#endif

#if !defined(DEEPFM_DISABLE_SIMD) && defined(__AVX2__) && defined(__FMA__)
namespace detail {
/// Lane masks for AVX2's maskload/maskstore: the first n 32-bit lanes set.
inline __m256i first_lanes32(std::size_t n) noexcept {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline __m256i first_lanes64(std::size_t n) noexcept {
  return _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(n)),
                            _mm256_setr_epi64x(0, 1, 2, 3));
}
}  // namespace detail

template <>
struct Vec<float, Isa::avx2_fma> {
  static constexpr std::size_t lanes = 8;
  __m256 v;
  static Vec zero() noexcept { return {_mm256_setzero_ps()}; }
  static Vec broadcast(float x) noexcept { return {_mm256_set1_ps(x)}; }
  static Vec load(const float* p) noexcept { return {_mm256_loadu_ps(p)}; }
  static Vec load(const float* p, std::size_t n) noexcept {
    return {_mm256_maskload_ps(p, detail::first_lanes32(n))};
  }
  void store(float* p) const noexcept { _mm256_storeu_ps(p, v); }
  void store(float* p, std::size_t n) const noexcept {
    _mm256_maskstore_ps(p, detail::first_lanes32(n), v);
  }
  friend Vec fma(Vec a, Vec b, Vec c) noexcept { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
  friend Vec operator+(Vec a, Vec b) noexcept { return {_mm256_add_ps(a.v, b.v)}; }
  friend Vec operator-(Vec a, Vec b) noexcept { return {_mm256_sub_ps(a.v, b.v)}; }
  friend Vec operator*(Vec a, Vec b) noexcept { return {_mm256_mul_ps(a.v, b.v)}; }
  friend Vec operator/(Vec a, Vec b) noexcept { return {_mm256_div_ps(a.v, b.v)}; }
  friend Vec sqrt(Vec a) noexcept { return {_mm256_sqrt_ps(a.v)}; }
  friend float sum_lanes(Vec a) noexcept {
    const __m128 quarter = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
    const __m128 eighth = _mm_add_ps(quarter, _mm_movehl_ps(quarter, quarter));
    return _mm_cvtss_f32(_mm_add_ss(eighth, _mm_movehdup_ps(eighth)));
  }
};

template <>
struct Vec<double, Isa::avx2_fma> {
  static constexpr std::size_t lanes = 4;
  __m256d v;
  static Vec zero() noexcept { return {_mm256_setzero_pd()}; }
  static Vec broadcast(double x) noexcept { return {_mm256_set1_pd(x)}; }
  static Vec load(const double* p) noexcept { return {_mm256_loadu_pd(p)}; }
  static Vec load(const double* p, std::size_t n) noexcept {
    return {_mm256_maskload_pd(p, detail::first_lanes64(n))};
  }
  void store(double* p) const noexcept { _mm256_storeu_pd(p, v); }
  void store(double* p, std::size_t n) const noexcept {
    _mm256_maskstore_pd(p, detail::first_lanes64(n), v);
  }
  friend Vec fma(Vec a, Vec b, Vec c) noexcept { return {_mm256_fmadd_pd(a.v, b.v, c.v)}; }
  friend Vec operator+(Vec a, Vec b) noexcept { return {_mm256_add_pd(a.v, b.v)}; }
  friend Vec operator-(Vec a, Vec b) noexcept { return {_mm256_sub_pd(a.v, b.v)}; }
  friend Vec operator*(Vec a, Vec b) noexcept { return {_mm256_mul_pd(a.v, b.v)}; }
  friend Vec operator/(Vec a, Vec b) noexcept { return {_mm256_div_pd(a.v, b.v)}; }
  friend Vec sqrt(Vec a) noexcept { return {_mm256_sqrt_pd(a.v)}; }
  friend double sum_lanes(Vec a) noexcept {
    const __m128d half = _mm_add_pd(_mm256_castpd256_pd128(a.v), _mm256_extractf128_pd(a.v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(half, _mm_unpackhi_pd(half, half)));
  }
};
#endif

/// Vector c of a row of n values: lanes [c·lanes, (c+1)·lanes), the last one partial (its
/// missing lanes 0). With store_chunk, the way kernels walk rows of any width.
template <typename T>
Vec<T> load_chunk(const T* row, std::size_t c, std::size_t n) noexcept {
  constexpr std::size_t L = Vec<T>::lanes;
  const std::size_t left = n - c * L;
  return left >= L ? Vec<T>::load(row + c * L) : Vec<T>::load(row + c * L, left);
}

/// Stores `v` as vector c of a row of n values, writing nothing past the row.
template <typename T>
void store_chunk(Vec<T> v, T* row, std::size_t c, std::size_t n) noexcept {
  constexpr std::size_t L = Vec<T>::lanes;
  const std::size_t left = n - c * L;
  if (left >= L) {
    v.store(row + c * L);
  } else {
    v.store(row + c * L, left);
  }
}

/// Vectors a row of n values takes.
template <typename T>
constexpr std::size_t chunks(std::size_t n) noexcept {
  return (n + Vec<T>::lanes - 1) / Vec<T>::lanes;
}

}  // namespace deepfm::kernels::simd
