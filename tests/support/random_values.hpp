#pragma once
/// @file
/// Deterministic random test inputs from deepfm's own counter-based generator, so every
/// machine and compiler sees the same values.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "deepfm/core/random.hpp"

namespace deepfm::test {

/// n values uniform in [low, high), drawn in double and converted to T; `stream` separates
/// the inputs of one test.
template <typename T>
std::vector<T> random_values(std::size_t n, std::uint16_t stream, double low = -1,
                             double high = 1) {
  const RandomStream rng(1234, RngStream::synthetic, stream);
  std::vector<T> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(rng.uniform<double>(i, low, high));
  return out;
}

/// Weighted sum Σ c_i y_i: the scalar loss gradient checks differentiate, whose gradient with
/// respect to y is c.
inline double weighted_sum(const double* y, const std::vector<double>& c) {
  double total = 0;
  for (std::size_t i = 0; i < c.size(); ++i) total += c[i] * y[i];
  return total;
}

}  // namespace deepfm::test
