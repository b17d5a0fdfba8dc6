#pragma once
/// @file
/// The gradient of an embedding table for one batch, in canonical form: the sorted unique ids
/// of the rows the batch touched, each with its summed gradient row. The form is what threads
/// and ranks can merge in one fixed order (by row id), and its memory follows the batch, not
/// the table.
///
/// BatchRows sorts a batch's ids once (both tables of a model see the same ids): a counting
/// sort when the id range is small next to the batch, else a stable LSD radix sort. Each
/// occurrence then knows its row's index, and a table's gradient is summed walking the batch
/// in order, so every row's sum is taken in batch order: the same bits whatever the table size
/// or the later split of the work.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/kernels/rows.hpp"

namespace deepfm {

namespace detail {
/// y += x over n values: a plain sum, the same bits as kernels::axpy with a = 1 (for merging
/// two batches' gradients; a batch's own sums are kernels::simd::add_rows_to_slots).
template <typename T>
void add_row(std::size_t n, const T* x, T* y) noexcept {
  for (std::size_t j = 0; j < n; ++j) y[j] += x[j];
}
}  // namespace detail

/// The rows a batch touches: rows() sorted and unique, and for each id of the batch (in
/// order) the index of its row in rows(). Build once per batch; the buffers are reused.
class BatchRows {
 public:
  /// Indexes `ids`, every one below `table_rows`.
  void build(std::span<const FeatureId> ids, std::size_t table_rows) {
    const std::size_t n = ids.size();
    slot_of_id_.resize(n);
    rows_.clear();
    if (n == 0) return;
    // The id range decides the sort: a counting sort costs O(n + range), so it is used where
    // the range is at most a few times the batch (memory and time follow the batch either way).
    if (table_rows <= kCountingSortFactor * n) {
      counting_sort(ids, table_rows);
    } else {
      radix_sort(ids);
    }
  }

  /// Makes room for build on `ids` ids below `table_rows`, so that build allocates nothing
  /// (and cannot throw: a caller may then run it on another thread).
  void reserve(std::size_t ids, std::size_t table_rows) {
    slot_of_id_.reserve(ids);
    rows_.reserve(ids);
    if (table_rows <= kCountingSortFactor * ids) {
      slot_plus_one_.reserve(table_rows);
      return;
    }
    for (auto* buffer : {&keys_, &positions_, &scratch_keys_, &scratch_positions_})
      buffer->reserve(ids);
  }

  /// The touched rows, sorted and unique.
  std::span<const FeatureId> rows() const noexcept { return rows_; }
  /// For the i-th id of the batch, the index of its row in rows().
  std::span<const std::uint32_t> slot_of_id() const noexcept { return slot_of_id_; }

 private:
  static constexpr std::size_t kCountingSortFactor = 4;

  void counting_sort(std::span<const FeatureId> ids, std::size_t table_rows) {
    // slot_plus_one_[id]: 0 for an id the batch lacks, else 1 + its row's index in rows().
    slot_plus_one_.assign(table_rows, 0);
    for (const FeatureId id : ids) slot_plus_one_[id] = 1;
    for (std::size_t id = 0; id < table_rows; ++id)
      if (slot_plus_one_[id] != 0) {
        rows_.push_back(static_cast<FeatureId>(id));
        slot_plus_one_[id] = static_cast<std::uint32_t>(rows_.size());
      }
    for (std::size_t i = 0; i < ids.size(); ++i) slot_of_id_[i] = slot_plus_one_[ids[i]] - 1;
  }

  /// Stable LSD radix sort of (id, position) pairs, a byte a pass, skipping the bytes every id
  /// shares; then the unique ids and each position's index among them.
  void radix_sort(std::span<const FeatureId> ids) {
    const std::size_t n = ids.size();
    keys_.assign(ids.begin(), ids.end());
    positions_.resize(n);
    for (std::size_t i = 0; i < n; ++i) positions_[i] = static_cast<std::uint32_t>(i);
    scratch_keys_.resize(n);
    scratch_positions_.resize(n);
    std::uint32_t all_or = 0;
    std::uint32_t all_and = ~std::uint32_t{0};
    for (const FeatureId id : ids) {
      all_or |= id;
      all_and &= id;
    }
    for (unsigned shift = 0; shift < 32; shift += 8) {
      if (((all_or ^ all_and) >> shift & 0xFFu) == 0) continue;  // every id has this byte
      std::array<std::size_t, 257> start{};
      for (const std::uint32_t key : keys_) ++start[(key >> shift & 0xFFu) + 1];
      for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t at = start[keys_[i] >> shift & 0xFFu]++;
        scratch_keys_[at] = keys_[i];
        scratch_positions_[at] = positions_[i];
      }
      keys_.swap(scratch_keys_);
      positions_.swap(scratch_positions_);
    }
    for (std::size_t k = 0; k < n; ++k) {
      if (k == 0 || keys_[k] != keys_[k - 1]) rows_.push_back(keys_[k]);
      slot_of_id_[positions_[k]] = static_cast<std::uint32_t>(rows_.size() - 1);
    }
  }

  std::vector<FeatureId> rows_;
  std::vector<std::uint32_t> slot_of_id_;
  // Sort buffers, kept so that a warm step allocates nothing.
  std::vector<std::uint32_t> slot_plus_one_;
  std::vector<std::uint32_t> keys_;
  std::vector<std::uint32_t> positions_;
  std::vector<std::uint32_t> scratch_keys_;
  std::vector<std::uint32_t> scratch_positions_;
};

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

  /// Sets the gradient from a batch indexed by `batch` (diff [ids x dim], the batch's order):
  /// each row's sum from 0 in batch order. Threads split the rows, never a row's sum: each
  /// walks the whole batch in order (reading diff front to back, as caches like) and adds the
  /// ids whose rows it owns, so the sums are the same for any thread count.
  void assign(const BatchRows& batch, const T* diff) {
    const std::span<const FeatureId> rows = batch.rows();
    const std::span<const std::uint32_t> slots = batch.slot_of_id();
    rows_.assign(rows.begin(), rows.end());
    values_.resize(rows.size() * dim_);
    // One block a thread at most (each block reads every slot), and one in all unless the
    // batch is worth the threads.
    const std::size_t threads = static_cast<std::size_t>(max_threads());
    const bool worth_threads = grain_for(slots.size() * dim_) == 1;
    const std::size_t grain = worth_threads ? (rows.size() + threads - 1) / threads : rows.size();
    parallel_for(rows.size(), grain, [&](std::size_t begin, std::size_t end) {
      kernels::simd::add_rows_to_slots(diff, dim_, slots.data(), slots.size(), begin, end,
                                       values_.data());
    });
  }

  /// Adds diff[i, :] to the gradient of row ids[i], for i < n. Rows already held keep their
  /// sums and add the new rows after them, in batch order.
  void accumulate(const FeatureId* ids, const T* diff, std::size_t n) {
    if (n == 0) return;
    own_index_.build(std::span<const FeatureId>(ids, n), table_rows_);
    if (rows_.empty()) {
      assign(own_index_, diff);
      return;
    }
    // A second batch before clear(): merge the two sorted lists, old sums first.
    SparseRowGradient added(table_rows_, dim_);
    added.assign(own_index_, diff);
    std::vector<FeatureId> rows;
    std::vector<T> values;
    std::size_t a = 0;
    std::size_t b = 0;
    while (a < rows_.size() || b < added.rows_.size()) {
      const bool take_old =
          b == added.rows_.size() || (a < rows_.size() && rows_[a] <= added.rows_[b]);
      const bool both = take_old && b < added.rows_.size() && rows_[a] == added.rows_[b];
      const T* source = take_old ? values_.data() + a * dim_ : added.values_.data() + b * dim_;
      rows.push_back(take_old ? rows_[a] : added.rows_[b]);
      values.insert(values.end(), source, source + dim_);
      if (both)
        detail::add_row(dim_, added.values_.data() + b * dim_,
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
  /// Every touched row's gradient, back to back in rows() order ([rows().size() x dim]).
  std::span<const T> values() const noexcept { return values_; }
  /// Index of `row` among the touched rows (binary search), or kNoSlot.
  std::uint32_t slot(FeatureId row) const noexcept {
    const auto found = std::lower_bound(rows_.begin(), rows_.end(), row);
    if (found == rows_.end() || *found != row) return kNoSlot;
    return static_cast<std::uint32_t>(found - rows_.begin());
  }
  std::size_t dim() const noexcept { return dim_; }
  std::size_t table_rows() const noexcept { return table_rows_; }

 private:
  std::size_t dim_ = 0;
  std::size_t table_rows_ = 0;
  std::vector<FeatureId> rows_;
  std::vector<T> values_;
  BatchRows own_index_;  ///< accumulate's index of a batch given as bare ids
};

}  // namespace deepfm
