#pragma once
/// @file
/// Non-owning views of samples: global feature ids, row-major [rows x fields], and labels.

#include <cstddef>
#include <cstdint>
#include <span>

namespace deepfm {

/// Feature ids are global: the field-local id plus the field's offset (the exclusive
/// cumulative sum of the field dims), so one table serves every field.
using FeatureId = std::uint32_t;

/// A batch (or a whole data set) of labelled samples. `ids.size() == labels.size() * fields`.
struct Batch {
  std::span<const FeatureId> ids{};
  std::span<const float> labels{};  ///< 0 or 1
  std::size_t fields = 0;

  std::size_t rows() const noexcept { return labels.size(); }
};

}  // namespace deepfm
