#pragma once
/// @file
/// Finding the first NaN or infinity in a tensor: what the training step, lazy-Adam catch-up,
/// saving and loading check before they trust (or keep) a model's values.

#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace deepfm {

/// The index of the first non-finite value of `values`, or nullopt when every value is finite.
template <typename T>
std::optional<std::size_t> first_non_finite(std::span<const T> values) noexcept {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) return i;
  return std::nullopt;
}

/// A value for an error message: "nan" for every NaN (std::to_string prints "-nan" for the
/// ones x86 arithmetic makes), "inf", "-inf", or the number.
template <typename T>
std::string value_text(T value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return std::to_string(value);
}

}  // namespace deepfm
