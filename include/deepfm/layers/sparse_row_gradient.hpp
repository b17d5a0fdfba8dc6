#pragma once
/// @file
/// The gradient of an embedding table for one batch: only the rows the batch touched.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/kernels/kernels.hpp"

namespace deepfm {

/// Sparse row gradient. Rows are numbered in order of first appearance in the batch and each
/// row's sum is accumulated in batch order, so the result is deterministic and needs neither
/// a sort nor atomics. `slot(row)` answers in O(1) through a table-sized index, which the
/// dense optimiser mode uses to walk every row.
template <typename T>
class SparseRowGradient {
 public:
  static constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();

  SparseRowGradient() = default;
  SparseRowGradient(std::size_t table_rows, std::size_t dim)
      : dim_(dim), slot_of_row_(table_rows, kNoSlot) {}

  /// Forgets the previous batch; O(rows touched), not O(table).
  void clear() noexcept {
    for (const FeatureId row : rows_) slot_of_row_[row] = kNoSlot;
    rows_.clear();
    values_.clear();
  }

  /// Adds diff[i, :] to the gradient of row ids[i], for i < n.
  void accumulate(const FeatureId* ids, const T* diff, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t& slot = slot_of_row_[ids[i]];
      if (slot == kNoSlot) {
        slot = static_cast<std::uint32_t>(rows_.size());
        rows_.push_back(ids[i]);
        values_.resize(values_.size() + dim_, T(0));
      }
      kernels::axpy(dim_, T(1), diff + i * dim_, values_.data() + std::size_t{slot} * dim_);
    }
  }

  /// The touched rows, in order of first appearance.
  std::span<const FeatureId> rows() const noexcept { return rows_; }
  /// Gradient of the k-th touched row.
  std::span<const T> row_gradient(std::size_t k) const noexcept {
    return {values_.data() + k * dim_, dim_};
  }
  /// Slot of `row` among the touched rows, or kNoSlot.
  std::uint32_t slot(FeatureId row) const noexcept { return slot_of_row_[row]; }
  std::size_t dim() const noexcept { return dim_; }
  std::size_t table_rows() const noexcept { return slot_of_row_.size(); }

 private:
  std::size_t dim_ = 0;
  std::vector<std::uint32_t> slot_of_row_;
  std::vector<FeatureId> rows_;
  std::vector<T> values_;
};

}  // namespace deepfm
