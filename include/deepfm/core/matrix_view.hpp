#pragma once
/// @file
/// A non-owning, row-major [rows x cols] view: what layers read (src) and write (dst).

#include <cstddef>
#include <span>
#include <type_traits>

namespace deepfm {

/// Row-major matrix view over contiguous memory; `MatrixView<const T>` for inputs.
template <typename T>
struct MatrixView {
  T* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;

  std::size_t size() const noexcept { return rows * cols; }
  T* row(std::size_t r) const noexcept { return data + r * cols; }
  std::span<T> span() const noexcept { return {data, size()}; }
  /// Implicit view-as-const, so a mutable output can be passed where an input is expected.
  operator MatrixView<const T>() const noexcept  // NOLINT(google-explicit-constructor)
      requires(!std::is_const_v<T>) {
    return {data, rows, cols};
  }
};

}  // namespace deepfm
