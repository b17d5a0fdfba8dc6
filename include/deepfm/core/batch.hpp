#pragma once
/// @file
/// Non-owning views of samples: global feature ids, row-major [rows x fields], and labels.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

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

/// Copies the samples `rows` of `data` (validated indices) into `ids` and `labels`, in order.
inline void gather_batch(const Batch& data, std::span<const std::uint32_t> rows,
                         std::vector<FeatureId>& ids, std::vector<float>& labels) {
  const std::size_t fields = data.fields;
  ids.resize(rows.size() * fields);
  labels.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::copy_n(data.ids.data() + std::size_t{rows[i]} * fields, fields, ids.data() + i * fields);
    labels[i] = data.labels[rows[i]];
  }
}

}  // namespace deepfm
