#pragma once
/// @file
/// Scalar reference kernels: the semantics of every kernel in deepfm, written as the plainest
/// loops on raw pointers. They are always compiled; they are the fallback where no SIMD path
/// exists and the oracle the SIMD and GPU kernels are tested against. No kernel allocates,
/// throws or knows about layers, files or threads.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace deepfm::kernels::ref {

/// 1 when x is finite, else 0: std::isfinite as a comparison the compiler can vectorize (NaN
/// compares false), as an integer so that flags combine with & without branches.
template <typename T>
inline unsigned finite_bit(T x) noexcept {
  return std::abs(x) <= std::numeric_limits<T>::max() ? 1u : 0u;
}

/// out[i, :] = table[ids[i], :] for i < n; rows of `dim` elements.
template <typename T>
void gather_rows(const T* table, std::size_t dim, const std::uint32_t* ids, std::size_t n,
                 T* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const T* row = table + static_cast<std::size_t>(ids[i]) * dim;
    for (std::size_t j = 0; j < dim; ++j) out[i * dim + j] = row[j];
  }
}

/// For the slots s in [slot_begin, slot_end): sums[s, :] = 0 + every rows[i, :] with
/// slot_of_row[i] == s, added in row order.
template <typename T>
void add_rows_to_slots(const T* rows, std::size_t dim, const std::uint32_t* slot_of_row,
                       std::size_t n, std::size_t slot_begin, std::size_t slot_end,
                       T* sums) noexcept {
  for (std::size_t j = slot_begin * dim; j < slot_end * dim; ++j) sums[j] = T(0);
  for (std::size_t i = 0; i < n; ++i)
    if (slot_of_row[i] >= slot_begin && slot_of_row[i] < slot_end)
      for (std::size_t j = 0; j < dim; ++j) sums[slot_of_row[i] * dim + j] += rows[i * dim + j];
}

/// out[r] = sum_c x[r, c] for an [rows x cols] matrix.
template <typename T>
void row_sums(const T* x, std::size_t rows, std::size_t cols, T* out) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    T sum = 0;
    for (std::size_t c = 0; c < cols; ++c) sum += x[r * cols + c];
    out[r] = sum;
  }
}

/// y[i] += alpha * x[i].
template <typename T>
void axpy(std::size_t n, T alpha, const T* x, T* y) noexcept {
  for (std::size_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

/// Fully connected forward: y[r, o] = sum_i x[r, i] * w[o, i] + bias[o], with x [rows x in],
/// w [out x in] (PyTorch's layout), y [rows x out].
template <typename T>
void dense_forward(const T* x, std::size_t rows, std::size_t in, const T* w, const T* bias,
                   std::size_t out, T* y) noexcept {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t o = 0; o < out; ++o) {
      T sum = 0;
      for (std::size_t i = 0; i < in; ++i) sum += x[r * in + i] * w[o * in + i];
      y[r * out + o] = sum + bias[o];
    }
}

/// Its input gradient: dx[r, i] = sum_o dy[r, o] * w[o, i] (dx overwritten).
template <typename T>
void dense_backward_data(const T* dy, std::size_t rows, std::size_t out, const T* w, std::size_t in,
                         T* dx) noexcept {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < in; ++i) {
      T sum = 0;
      for (std::size_t o = 0; o < out; ++o) sum += dy[r * out + o] * w[o * in + i];
      dx[r * in + i] = sum;
    }
}

/// The same added to dx: dx[r, i] = dx[r, i] + dy[r, 0] * w[0, i] + dy[r, 1] * w[1, i] + ...,
/// in that order (a second consumer's gradient added without a pass of its own).
template <typename T>
void dense_backward_data_add(const T* dy, std::size_t rows, std::size_t out, const T* w,
                             std::size_t in, T* dx) noexcept {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < in; ++i) {
      T sum = dx[r * in + i];
      for (std::size_t o = 0; o < out; ++o) sum += dy[r * out + o] * w[o * in + i];
      dx[r * in + i] = sum;
    }
}

/// Its parameter gradients for the outputs o in [o_begin, o_end), summed in row order:
/// dw[o, i] += sum_r dy[r, o] * x[r, i], db[o] += sum_r dy[r, o].
template <typename T>
void dense_backward_weights(const T* x, const T* dy, std::size_t rows, std::size_t in,
                            std::size_t out, std::size_t o_begin, std::size_t o_end, T* dw,
                            T* db) noexcept {
  for (std::size_t o = o_begin; o < o_end; ++o) {
    for (std::size_t i = 0; i < in; ++i) {
      T sum = dw[o * in + i];
      for (std::size_t r = 0; r < rows; ++r) sum += dy[r * out + o] * x[r * in + i];
      dw[o * in + i] = sum;
    }
    T sum = db[o];
    for (std::size_t r = 0; r < rows; ++r) sum += dy[r * out + o];
    db[o] = sum;
  }
}

/// FM second-order term per sample, O(fields * factors):
///   out[r] = 0.5 * sum_j ((sum_f e[r,f,j])^2 - sum_f e[r,f,j]^2)
/// which equals sum_{f<g} <e[r,f,:], e[r,g,:]> (Rendle 2010, Lemma 3.1).
template <typename T>
void fm_forward(const T* embedded, std::size_t rows, std::size_t fields, std::size_t factors,
                T* out) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    const T* e = embedded + r * fields * factors;
    T total = 0;
    for (std::size_t j = 0; j < factors; ++j) {
      T sum = 0;
      T sum_of_squares = 0;
      for (std::size_t f = 0; f < fields; ++f) {
        const T v = e[f * factors + j];
        sum += v;
        sum_of_squares += v * v;
      }
      total += sum * sum - sum_of_squares;
    }
    out[r] = T(0.5) * total;
  }
}

/// Gradient of fm_forward: diff_embedded[r,f,j] = diff_out[r] * (sum_g e[r,g,j] - e[r,f,j]).
/// Overwrites diff_embedded.
template <typename T>
void fm_backward(const T* embedded, const T* diff_out, std::size_t rows, std::size_t fields,
                 std::size_t factors, T* diff_embedded) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    const T* e = embedded + r * fields * factors;
    T* d = diff_embedded + r * fields * factors;
    for (std::size_t j = 0; j < factors; ++j) {
      T sum = 0;
      for (std::size_t f = 0; f < fields; ++f) sum += e[f * factors + j];
      for (std::size_t f = 0; f < fields; ++f)
        d[f * factors + j] = diff_out[r] * (sum - e[f * factors + j]);
    }
  }
}

/// y = max(x, 0).
template <typename T>
void relu_forward(const T* x, std::size_t n, T* y) noexcept {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}

/// dx = x > 0 ? dy : 0 (the subgradient 0 at x == 0, as PyTorch and MXNet).
template <typename T>
void relu_backward(const T* x, const T* dy, std::size_t n, T* dx) noexcept {
  for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : T(0);
}

/// y = x * scale, element-wise (inverted dropout with a precomputed 0 or 1/(1-p) scale).
template <typename T>
void multiply(const T* x, const T* scale, std::size_t n, T* y) noexcept {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] * scale[i];
}

/// Numerically stable logistic function: never evaluates exp of a positive argument.
template <typename T>
T sigmoid(T z) noexcept {
  if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
  const T e = std::exp(z);
  return e / (T(1) + e);
}

/// Binary cross-entropy of a logit, log(1 + e^-|z|) + max(z, 0) - z*y: finite for any finite
/// z, accumulated in double by the callers.
template <typename T>
double bce_with_logit(T logit, T label) noexcept {
  const double z = static_cast<double>(logit);
  return std::max(z, 0.0) - z * static_cast<double>(label) + std::log1p(std::exp(-std::abs(z)));
}

/// Sum over i of bce_with_logit(logits[i], labels[i]), in double.
template <typename T, typename L>
double bce_with_logits_sum(const T* logits, const L* labels, std::size_t n) noexcept {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += bce_with_logit(logits[i], static_cast<T>(labels[i]));
  return sum;
}

/// d loss / d logit of `scale * sum_i bce`: diff[i] = scale * (sigmoid(z_i) - y_i).
template <typename T, typename L>
void bce_with_logits_backward(const T* logits, const L* labels, std::size_t n, T scale,
                              T* diff) noexcept {
  for (std::size_t i = 0; i < n; ++i)
    diff[i] = scale * (sigmoid(logits[i]) - static_cast<T>(labels[i]));
}

/// Per-step constants of Adam: step_size = lr / (1 - beta1^t), bias2_sqrt = sqrt(1 - beta2^t).
/// 1 - beta is formed in double before rounding to T, as PyTorch does (1 - 0.999f in float is
/// 1.3e-5 relatively off, which would lengthen every float step).
template <typename T>
struct AdamStep {
  T step_size;
  T bias2_sqrt;
  T beta1;
  T beta2;
  T one_minus_beta1;
  T one_minus_beta2;
  T eps;
  T l2;
};

/// Adam, as torch.optim.Adam (Kingma & Ba 2015, with eps added after the bias correction):
///   g  = grad + l2 * p
///   m  = beta1 * m + one_minus_beta1 * g
///   v  = beta2 * v + one_minus_beta2 * g^2
///   p -= step_size * m / (sqrt(v) / bias2_sqrt + eps)
/// Returns whether every p, m and v it wrote is finite (the step's check, at no extra pass).
template <typename T>
bool adam_update(T* p, const T* grad, T* m, T* v, std::size_t n, const AdamStep<T>& s) noexcept {
  unsigned finite = 1;
  for (std::size_t i = 0; i < n; ++i) {
    const T g = grad[i] + s.l2 * p[i];
    m[i] = s.beta1 * m[i] + s.one_minus_beta1 * g;
    v[i] = s.beta2 * v[i] + s.one_minus_beta2 * g * g;
    p[i] -= s.step_size * m[i] / (std::sqrt(v[i]) / s.bias2_sqrt + s.eps);
    finite &= finite_bit(p[i]) & finite_bit(m[i]) & finite_bit(v[i]);
  }
  return finite != 0;
}

/// adam_update with a zero gradient (an untouched embedding row), bit-identical to passing
/// zeros, without the zeros.
template <typename T>
bool adam_update_zero_grad(T* p, T* m, T* v, std::size_t n, const AdamStep<T>& s) noexcept {
  unsigned finite = 1;
  for (std::size_t i = 0; i < n; ++i) {
    const T g = s.l2 * p[i];
    m[i] = s.beta1 * m[i] + s.one_minus_beta1 * g;
    v[i] = s.beta2 * v[i] + s.one_minus_beta2 * g * g;
    p[i] -= s.step_size * m[i] / (std::sqrt(v[i]) / s.bias2_sqrt + s.eps);
    finite &= finite_bit(p[i]) & finite_bit(m[i]) & finite_bit(v[i]);
  }
  return finite != 0;
}

/// Adagrad, as torch.optim.Adagrad (Duchi et al. 2011):
///   g = grad + l2 * p;  h += g^2;  p -= lr * g / (sqrt(h) + eps)
/// Returns whether every p and h it wrote is finite.
template <typename T>
bool adagrad_update(T* p, const T* grad, T* h, std::size_t n, T lr, T eps, T l2) noexcept {
  unsigned finite = 1;
  for (std::size_t i = 0; i < n; ++i) {
    const T g = grad[i] + l2 * p[i];
    h[i] += g * g;
    p[i] -= lr * g / (std::sqrt(h[i]) + eps);
    finite &= finite_bit(p[i]) & finite_bit(h[i]);
  }
  return finite != 0;
}

/// Plain SGD: p -= lr * (grad + l2 * p). Returns whether every p it wrote is finite.
template <typename T>
bool sgd_update(T* p, const T* grad, std::size_t n, T lr, T l2) noexcept {
  unsigned finite = 1;
  for (std::size_t i = 0; i < n; ++i) {
    p[i] -= lr * (grad[i] + l2 * p[i]);
    finite &= finite_bit(p[i]);
  }
  return finite != 0;
}

/// Whether all n values are finite: one branch-free pass (it vectorizes), for a buffer that
/// must be checked whole before it is used; the caller looks for the culprit only on false.
template <typename T>
bool all_finite(const T* x, std::size_t n) noexcept {
  unsigned finite = 1;
  for (std::size_t i = 0; i < n; ++i) finite &= finite_bit(x[i]);
  return finite != 0;
}

}  // namespace deepfm::kernels::ref
