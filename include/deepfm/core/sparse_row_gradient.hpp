#pragma once
/// @file
/// The gradient of an embedding table for one batch, in canonical form: the sorted unique ids
/// of the rows the batch touched, each with its summed gradient row. The form is what threads
/// and ranks can merge in one fixed order (by row id), and its memory follows the batch, not
/// the table.
///
/// Building it: the batch's (id, position) pairs are sorted by id with a stable LSD radix
/// sort, so each row's occurrences stay in batch order and its sum is taken in batch order:
/// the same bits as summing while walking the batch, for any later split of the work.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/kernels/kernels.hpp"

namespace deepfm {

namespace detail {

/// Sorts `keys` (with `values` alongside) by key, stably: least significant byte first,
/// skipping the bytes every key shares (the high bytes of a small table's ids). `scratch_*`
/// are reused buffers. O(n) per byte.
inline void radix_sort_pairs(std::vector<std::uint32_t>& keys, std::vector<std::uint32_t>& values,
                             std::vector<std::uint32_t>& scratch_keys,
                             std::vector<std::uint32_t>& scratch_values) {
  const std::size_t n = keys.size();
  scratch_keys.resize(n);
  scratch_values.resize(n);
  std::uint32_t all_or = 0;
  std::uint32_t all_and = ~std::uint32_t{0};
  for (const std::uint32_t key : keys) {
    all_or |= key;
    all_and &= key;
  }
  for (unsigned shift = 0; shift < 32; shift += 8) {
    if (((all_or ^ all_and) >> shift & 0xFFu) == 0) continue;  // every key has this byte
    std::array<std::size_t, 257> start{};
    for (const std::uint32_t key : keys) ++start[(key >> shift & 0xFFu) + 1];
    for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t at = start[keys[i] >> shift & 0xFFu]++;
      scratch_keys[at] = keys[i];
      scratch_values[at] = values[i];
    }
    keys.swap(scratch_keys);
    values.swap(scratch_values);
  }
}

}  // namespace detail

/// Sparse row gradient of a table of `table_rows` rows of `dim` values: rows() sorted and
/// unique, row_gradient(k) the sum of the batch's gradient rows for rows()[k], added in batch
/// order.
template <typename T>
class SparseRowGradient {
 public:
  static constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();

  SparseRowGradient() = default;
  SparseRowGradient(std::size_t table_rows, std::size_t dim) : dim_(dim), table_rows_(table_rows) {}

  /// Forgets the previous batch (keeps the capacity).
  void clear() noexcept {
    rows_.clear();
    values_.clear();
  }

  /// Adds diff[i, :] to the gradient of row ids[i], for i < n. Rows already held keep their
  /// sums and add the new rows after them, in batch order.
  void accumulate(const FeatureId* ids, const T* diff, std::size_t n) {
    if (n == 0) return;
    sorted_ids_.assign(ids, ids + n);
    positions_.resize(n);
    for (std::size_t i = 0; i < n; ++i) positions_[i] = static_cast<std::uint32_t>(i);
    detail::radix_sort_pairs(sorted_ids_, positions_, scratch_ids_, scratch_positions_);
    if (rows_.empty()) {
      sum_sorted(diff, rows_, values_);
      return;
    }
    // A second batch before clear(): merge the two sorted lists, old sums first.
    std::vector<FeatureId> new_rows;
    std::vector<T> new_values;
    sum_sorted(diff, new_rows, new_values);
    std::vector<FeatureId> rows;
    std::vector<T> values;
    rows.reserve(rows_.size() + new_rows.size());
    values.reserve(values_.size() + new_values.size());
    std::size_t a = 0;
    std::size_t b = 0;
    while (a < rows_.size() || b < new_rows.size()) {
      const bool take_old = b == new_rows.size() || (a < rows_.size() && rows_[a] <= new_rows[b]);
      const bool both = take_old && b < new_rows.size() && rows_[a] == new_rows[b];
      const T* source = take_old ? values_.data() + a * dim_ : new_values.data() + b * dim_;
      rows.push_back(take_old ? rows_[a] : new_rows[b]);
      values.insert(values.end(), source, source + dim_);
      if (both)
        kernels::axpy(dim_, T(1), new_values.data() + b * dim_,
                      values.data() + values.size() - dim_);
      a += take_old ? 1 : 0;
      b += take_old && !both ? 0 : 1;
    }
    rows_ = std::move(rows);
    values_ = std::move(values);
  }

  /// The touched rows, sorted and unique.
  std::span<const FeatureId> rows() const noexcept { return rows_; }
  /// Gradient of the k-th touched row.
  std::span<const T> row_gradient(std::size_t k) const noexcept {
    return {values_.data() + k * dim_, dim_};
  }
  /// Index of `row` among the touched rows (binary search), or kNoSlot.
  std::uint32_t slot(FeatureId row) const noexcept {
    const auto found = std::lower_bound(rows_.begin(), rows_.end(), row);
    if (found == rows_.end() || *found != row) return kNoSlot;
    return static_cast<std::uint32_t>(found - rows_.begin());
  }
  std::size_t dim() const noexcept { return dim_; }
  std::size_t table_rows() const noexcept { return table_rows_; }

 private:
  /// Sums the rows of `diff` for sorted_ids_ (with positions_) into unique rows.
  void sum_sorted(const T* diff, std::vector<FeatureId>& rows, std::vector<T>& values) const {
    const std::size_t n = sorted_ids_.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (i == 0 || sorted_ids_[i] != sorted_ids_[i - 1]) {
        rows.push_back(sorted_ids_[i]);
        values.resize(values.size() + dim_, T(0));
      }
      kernels::axpy(dim_, T(1), diff + std::size_t{positions_[i]} * dim_,
                    values.data() + values.size() - dim_);
    }
  }

  std::size_t dim_ = 0;
  std::size_t table_rows_ = 0;
  std::vector<FeatureId> rows_;
  std::vector<T> values_;
  // Sort buffers, kept so that a step allocates nothing once warm.
  std::vector<std::uint32_t> sorted_ids_;
  std::vector<std::uint32_t> positions_;
  std::vector<std::uint32_t> scratch_ids_;
  std::vector<std::uint32_t> scratch_positions_;
};

}  // namespace deepfm
