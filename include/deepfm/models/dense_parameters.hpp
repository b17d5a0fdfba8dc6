#pragma once
/// @file
/// A model's dense parameters (everything but the embedding tables) in one flat buffer with a
/// named layout: the optimiser is one loop over it, and their gradients (Gradients::dense,
/// core/gradients.hpp) share the layout, so a data-parallel all-reduce is one call.

#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "deepfm/core/aligned_buffer.hpp"
#include "deepfm/core/error.hpp"

namespace deepfm {

/// A named [rows x cols] slice of the flat buffer, e.g. {"mlp.0.weight", 0, 30, 340}.
struct ParameterSlice {
  std::string name{};
  std::size_t offset = 0;
  std::size_t rows = 0;
  std::size_t cols = 0;

  std::size_t size() const noexcept { return rows * cols; }
};

/// The flat parameter buffer plus its layout.
template <typename T>
class DenseParameters {
 public:
  /// Appends a slice; returns its offset. Only before allocate().
  std::size_t add(std::string name, std::size_t rows, std::size_t cols) {
    DEEPFM_ASSERT(values_.empty());
    layout_.push_back({std::move(name), size_, rows, cols});
    size_ += rows * cols;
    return layout_.back().offset;
  }

  /// Allocates the buffer, zeroed.
  void allocate() { values_.resize(size_); }

  std::size_t size() const noexcept { return size_; }
  std::span<T> values() noexcept { return values_.span(); }
  std::span<const T> values() const noexcept { return values_.span(); }
  const std::vector<ParameterSlice>& layout() const noexcept { return layout_; }

 private:
  std::vector<ParameterSlice> layout_;
  std::size_t size_ = 0;
  AlignedBuffer<T> values_;
};

}  // namespace deepfm
