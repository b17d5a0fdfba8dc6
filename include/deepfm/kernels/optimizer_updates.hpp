#pragma once
/// @file
/// The element-wise optimizer updates (Adam, Adagrad, SGD) written against the ISA layer
/// (simd.hpp). Each element takes the operations of its scalar twin in ref.hpp in the same
/// order, except that a multiply feeding an add may be fused (as the compiler may also do in
/// ref), so they agree with ref within an ulp or two per step. Each returns whether every value
/// it wrote is finite, found without a branch: x * 0 is 0 for a finite x and NaN otherwise,
/// so a sum of those is 0 exactly when all are finite.

#include <cstddef>

#include "deepfm/kernels/ref.hpp"
#include "deepfm/kernels/simd.hpp"

namespace deepfm::kernels::simd {

namespace detail {
/// Calls body(c) for every vector c of n values, then reports whether the products with 0
/// the body accumulated into `finite` stayed 0.
template <typename T, typename Body>
bool for_each_chunk(std::size_t n, Body&& body) noexcept {
  Vec<T> finite = Vec<T>::zero();
  for (std::size_t c = 0; c < chunks<T>(n); ++c) body(c, finite);
  return sum_lanes(finite) == T(0);
}
}  // namespace detail

/// Adam, as ref::adam_update.
template <typename T>
bool adam_update(T* p, const T* grad, T* m, T* v, std::size_t n,
                 const ref::AdamStep<T>& s) noexcept {
  const Vec<T> zero = Vec<T>::zero(), l2 = Vec<T>::broadcast(s.l2);
  const Vec<T> beta1 = Vec<T>::broadcast(s.beta1), beta2 = Vec<T>::broadcast(s.beta2);
  const Vec<T> one_minus_beta1 = Vec<T>::broadcast(s.one_minus_beta1);
  const Vec<T> one_minus_beta2 = Vec<T>::broadcast(s.one_minus_beta2);
  const Vec<T> step_size = Vec<T>::broadcast(s.step_size);
  const Vec<T> bias2_sqrt = Vec<T>::broadcast(s.bias2_sqrt), eps = Vec<T>::broadcast(s.eps);
  return detail::for_each_chunk<T>(n, [&](std::size_t c, Vec<T>& finite) {
    Vec<T> pc = load_chunk(p, c, n);
    const Vec<T> g = fma(l2, pc, load_chunk(grad, c, n));
    const Vec<T> mc = fma(beta1, load_chunk(m, c, n), one_minus_beta1 * g);
    const Vec<T> vc = fma(beta2, load_chunk(v, c, n), one_minus_beta2 * g * g);
    pc = pc - step_size * mc / (sqrt(vc) / bias2_sqrt + eps);
    store_chunk(pc, p, c, n);
    store_chunk(mc, m, c, n);
    store_chunk(vc, v, c, n);
    finite = fma(pc, zero, fma(mc, zero, fma(vc, zero, finite)));
  });
}

/// Adam with a zero gradient (an untouched row), as ref::adam_update_zero_grad.
template <typename T>
bool adam_update_zero_grad(T* p, T* m, T* v, std::size_t n, const ref::AdamStep<T>& s) noexcept {
  const Vec<T> zero = Vec<T>::zero(), l2 = Vec<T>::broadcast(s.l2);
  const Vec<T> beta1 = Vec<T>::broadcast(s.beta1), beta2 = Vec<T>::broadcast(s.beta2);
  const Vec<T> one_minus_beta1 = Vec<T>::broadcast(s.one_minus_beta1);
  const Vec<T> one_minus_beta2 = Vec<T>::broadcast(s.one_minus_beta2);
  const Vec<T> step_size = Vec<T>::broadcast(s.step_size);
  const Vec<T> bias2_sqrt = Vec<T>::broadcast(s.bias2_sqrt), eps = Vec<T>::broadcast(s.eps);
  return detail::for_each_chunk<T>(n, [&](std::size_t c, Vec<T>& finite) {
    Vec<T> pc = load_chunk(p, c, n);
    const Vec<T> g = l2 * pc;
    const Vec<T> mc = fma(beta1, load_chunk(m, c, n), one_minus_beta1 * g);
    const Vec<T> vc = fma(beta2, load_chunk(v, c, n), one_minus_beta2 * g * g);
    pc = pc - step_size * mc / (sqrt(vc) / bias2_sqrt + eps);
    store_chunk(pc, p, c, n);
    store_chunk(mc, m, c, n);
    store_chunk(vc, v, c, n);
    finite = fma(pc, zero, fma(mc, zero, fma(vc, zero, finite)));
  });
}

/// Adagrad, as ref::adagrad_update.
template <typename T>
bool adagrad_update(T* p, const T* grad, T* h, std::size_t n, T lr, T eps, T l2) noexcept {
  const Vec<T> zero = Vec<T>::zero(), l2v = Vec<T>::broadcast(l2);
  const Vec<T> lrv = Vec<T>::broadcast(lr), epsv = Vec<T>::broadcast(eps);
  return detail::for_each_chunk<T>(n, [&](std::size_t c, Vec<T>& finite) {
    Vec<T> pc = load_chunk(p, c, n);
    const Vec<T> g = fma(l2v, pc, load_chunk(grad, c, n));
    const Vec<T> hc = fma(g, g, load_chunk(h, c, n));
    pc = pc - lrv * g / (sqrt(hc) + epsv);
    store_chunk(pc, p, c, n);
    store_chunk(hc, h, c, n);
    finite = fma(pc, zero, fma(hc, zero, finite));
  });
}

/// Plain SGD, as ref::sgd_update.
template <typename T>
bool sgd_update(T* p, const T* grad, std::size_t n, T lr, T l2) noexcept {
  const Vec<T> zero = Vec<T>::zero(), l2v = Vec<T>::broadcast(l2), lrv = Vec<T>::broadcast(lr);
  return detail::for_each_chunk<T>(n, [&](std::size_t c, Vec<T>& finite) {
    Vec<T> pc = load_chunk(p, c, n);
    pc = pc - lrv * fma(l2v, pc, load_chunk(grad, c, n));
    store_chunk(pc, p, c, n);
    finite = fma(pc, zero, finite);
  });
}

}  // namespace deepfm::kernels::simd
