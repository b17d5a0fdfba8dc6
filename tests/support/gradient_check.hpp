#pragma once
/// @file
/// Finite-difference gradient checking in double (after mlpack's tests/ann/ann_test_tools.hpp).
///
/// check_gradient perturbs every element p_i of a parameter span by ±h_i (and ±2h_i), with
/// h_i = step · max(1, |p_i|) (absolute near zero, relative for large values), takes the
/// fourth-order central difference
///   n_i = (8 (L(p + h) − L(p − h)) − (L(p + 2h) − L(p − 2h))) / (12 h)
/// and compares it with the analytic a_i through
///   rel_i = |a_i − n_i| / max(|a_i| + |n_i|, floor).
/// The fourth-order stencil has truncation error O(h⁴), so h can be large enough (1e-5) for
/// the rounding error of the loss, ~1e-16 · |L| / h, to stay near 1e-11. `floor` turns the
/// measure into an absolute one for gradients that are (near) zero, where a relative error is
/// meaningless: it must sit well above that rounding noise. Every parameter is restored
/// bit for bit after its perturbation.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <ostream>
#include <span>
#include <vector>

namespace deepfm::test {

/// Settings of a finite-difference check.
struct GradientCheckOptions {
  double step = 1e-5;  ///< h_i = step · max(1, |p_i|)
  /// Denominator floor of the relative error: a gradient element below it is held to an
  /// absolute error of floor · tolerance (1e-11 at a tolerance of 1e-6), comfortably above
  /// the ~1e-12 rounding noise of the differences and far below any real mistake.
  double floor = 1e-5;
};

/// The worst element of a check: its index, the analytic and numeric values and their error.
struct GradientCheckResult {
  double worst_relative_error = 0;
  std::size_t worst_index = 0;
  double analytic = 0;  ///< at worst_index
  double numeric = 0;   ///< at worst_index
  std::size_t checked = 0;
  std::vector<double> numeric_gradient{};  ///< every numeric derivative, in parameter order
};

inline std::ostream& operator<<(std::ostream& os, const GradientCheckResult& r) {
  return os << "worst relative error " << r.worst_relative_error << " at element " << r.worst_index
            << " (analytic " << r.analytic << ", numeric " << r.numeric << ") of " << r.checked;
}

/// |a − n| / max(|a| + |n|, floor).
inline double relative_error(double analytic, double numeric, double floor = 1e-5) {
  return std::abs(analytic - numeric) / std::max(std::abs(analytic) + std::abs(numeric), floor);
}

/// Fourth-order central difference of `loss()` with respect to `*parameter`; restores it.
template <typename Loss>
double numeric_derivative(double* parameter, Loss&& loss, double step = 1e-5) {
  const double original = *parameter;
  const double h = step * std::max(1.0, std::abs(original));
  auto at = [&](double offset) {
    *parameter = original + offset;
    const double value = static_cast<double>(loss());
    *parameter = original;
    return value;
  };
  const double near = at(h) - at(-h);
  const double far = at(2 * h) - at(-2 * h);
  return (8 * near - far) / (12 * h);
}

/// Compares `analytic` with finite differences of `loss()` over every element of `parameters`.
/// `loss` reads the parameters through whatever it captured (the span must alias them).
template <typename Loss>
GradientCheckResult check_gradient(std::span<double> parameters, std::span<const double> analytic,
                                   Loss&& loss, const GradientCheckOptions& options = {}) {
  GradientCheckResult result;
  result.checked = parameters.size();
  result.numeric_gradient.resize(parameters.size());
  if (analytic.size() != parameters.size()) {
    result.worst_relative_error = std::numeric_limits<double>::infinity();
    return result;
  }
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const double numeric = numeric_derivative(&parameters[i], loss, options.step);
    result.numeric_gradient[i] = numeric;
    double error = relative_error(analytic[i], numeric, options.floor);
    if (std::isnan(error)) error = std::numeric_limits<double>::infinity();
    if (error > result.worst_relative_error || i == 0) {
      result.worst_relative_error = error;
      result.worst_index = i;
      result.analytic = analytic[i];
      result.numeric = numeric;
    }
  }
  return result;
}

}  // namespace deepfm::test
