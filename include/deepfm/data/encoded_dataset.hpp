#pragma once
/// @file
/// A data set after encoding: global feature ids and labels, ready for a model's Batch.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "deepfm/core/batch.hpp"

namespace deepfm {

/// Encoded samples in memory. ids are global (field offset applied), row-major [rows x fields].
struct EncodedDataset {
  std::vector<std::size_t> field_dims{};
  std::vector<FeatureId> ids{};
  std::vector<float> labels{};

  std::size_t fields() const noexcept { return field_dims.size(); }
  std::size_t rows() const noexcept { return labels.size(); }
  Batch batch() const { return {ids, labels, fields()}; }
};

}  // namespace deepfm
