#pragma once
/// @file
/// The factorization machine's second-order term and its gradient, written against the ISA
/// layer (simd.hpp): the lanes run over the factors of one sample, so each row is one fixed
/// chain of operations, whatever the batch. Their scalar twins are ref::fm_forward and
/// ref::fm_backward; these agree with them within rounding (the sums run in another order).

#include <cstddef>

#include "deepfm/kernels/ref.hpp"
#include "deepfm/kernels/simd.hpp"

namespace deepfm::kernels::simd {

namespace detail {

/// Calls body.template operator()<V>() with V, the vectors a row of `factors` values takes
/// (1 to 4: up to 64 floats on AVX-512, 32 on AVX2); returns false for wider rows.
template <typename T, typename Body>
bool with_factor_vectors(std::size_t factors, Body&& body) {
  switch (chunks<T>(factors)) {
    case 1: body.template operator()<1>(); return true;
    case 2: body.template operator()<2>(); return true;
    case 3: body.template operator()<3>(); return true;
    case 4: body.template operator()<4>(); return true;
    default: return false;
  }
}

/// sum[c] = sum_f e[f, c-th vector] for one sample.
template <typename T, std::size_t V>
void field_sums(const T* e, std::size_t fields, std::size_t factors, Vec<T> (&sum)[V]) noexcept {
  for (Vec<T>& s : sum) s = Vec<T>::zero();
  for (std::size_t f = 0; f < fields; ++f)
    for (std::size_t c = 0; c < V; ++c) sum[c] = sum[c] + load_chunk(e + f * factors, c, factors);
}

}  // namespace detail

/// out[r] = 0.5 * sum_j ((sum_f e[r,f,j])^2 - sum_f e[r,f,j]^2) for `rows` samples of
/// `fields` x `factors` values each.
template <typename T>
void fm_forward(const T* embedded, std::size_t rows, std::size_t fields, std::size_t factors,
                T* out) noexcept {
  const bool vectorized = detail::with_factor_vectors<T>(factors, [&]<std::size_t V>() {
    for (std::size_t r = 0; r < rows; ++r) {
      const T* e = embedded + r * fields * factors;
      Vec<T> sum[V];
      Vec<T> sum_of_squares[V];
      for (std::size_t c = 0; c < V; ++c) sum[c] = sum_of_squares[c] = Vec<T>::zero();
      for (std::size_t f = 0; f < fields; ++f)
        for (std::size_t c = 0; c < V; ++c) {
          const Vec<T> v = load_chunk(e + f * factors, c, factors);
          sum[c] = sum[c] + v;
          sum_of_squares[c] = fma(v, v, sum_of_squares[c]);
        }
      Vec<T> total = Vec<T>::zero();
      for (std::size_t c = 0; c < V; ++c) total = total + (sum[c] * sum[c] - sum_of_squares[c]);
      out[r] = T(0.5) * sum_lanes(total);
    }
  });
  if (!vectorized) ref::fm_forward(embedded, rows, fields, factors, out);
}

/// Its gradient: diff_embedded[r,f,j] = diff_out[r] * (sum_g e[r,g,j] - e[r,f,j])
/// (overwritten). The subtraction and product round as ref::fm_backward's; only the field sum
/// may differ in its last bits.
template <typename T>
void fm_backward(const T* embedded, const T* diff_out, std::size_t rows, std::size_t fields,
                 std::size_t factors, T* diff_embedded) noexcept {
  const bool vectorized = detail::with_factor_vectors<T>(factors, [&]<std::size_t V>() {
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t at = r * fields * factors;
      Vec<T> sum[V];
      detail::field_sums(embedded + at, fields, factors, sum);
      const Vec<T> g = Vec<T>::broadcast(diff_out[r]);
      for (std::size_t f = 0; f < fields; ++f)
        for (std::size_t c = 0; c < V; ++c) {
          const Vec<T> v = load_chunk(embedded + at + f * factors, c, factors);
          store_chunk(g * (sum[c] - v), diff_embedded + at + f * factors, c, factors);
        }
    }
  });
  if (!vectorized) ref::fm_backward(embedded, diff_out, rows, fields, factors, diff_embedded);
}

}  // namespace deepfm::kernels::simd
