#pragma once
/// @file
/// The batch order of d2l's training loop (MXNet DataLoader, shuffle, last_batch='rollover').

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/core/random.hpp"

namespace deepfm {

/// Where a rollover batch order stands between epochs: what a RolloverSampler restarts from
/// (the epoch loop keeps it between calls, a checkpoint in its file).
struct BatchOrderPosition {
  std::size_t rows = 0;                 ///< rows of the data set ordered (0: nothing yet)
  std::size_t batch_size = 0;           ///< the batch size asked for
  std::uint64_t next_epoch = 0;         ///< the next epoch's index
  std::vector<std::uint32_t> leftover;  ///< the rows the next epoch opens with
};

/// Each epoch starts with the rows left over from the previous one, then a seeded
/// Fisher–Yates permutation of all rows; it yields the full batches of that sequence and
/// rolls the remainder into the next epoch. With fewer rows than one batch, an epoch is one
/// batch of all rows (shuffled). Epoch e's permutation depends only on (seed, e).
class RolloverSampler {
 public:
  /// A sampler whose next epoch is `first_epoch`, opening with the `leftover` rows (as
  /// leftover() returned them): a checkpoint restores a sampler this way.
  RolloverSampler(std::size_t rows, std::size_t batch_size, std::uint64_t seed,
                  std::uint64_t first_epoch = 0, std::vector<std::uint32_t> leftover = {})
      : rows_(rows),
        batch_size_(batch_size),
        seed_(seed),
        epoch_(first_epoch),
        leftover_(std::move(leftover)) {
    if (rows == 0) throw InvalidArgument("sampler: no rows to sample");
    if (batch_size == 0) throw InvalidArgument("sampler: batch size must be at least 1");
    if (leftover_.size() >= batch_size_ && rows_ >= batch_size_)
      throw InvalidArgument("sampler: " + std::to_string(leftover_.size()) +
                            " leftover rows make a whole batch of " + std::to_string(batch_size_));
    for (const std::uint32_t row : leftover_)
      if (row >= rows_)
        throw InvalidArgument("sampler: leftover row " + std::to_string(row) + " is past the " +
                              std::to_string(rows_) + " rows");
  }

  /// The row order of the next epoch: batches() full batches of batch_size() rows, back to
  /// back (the rows an epoch trains on).
  std::vector<std::uint32_t> next_epoch() {
    std::vector<std::uint32_t> permutation(rows_);
    std::iota(permutation.begin(), permutation.end(), std::uint32_t{0});
    shuffle(std::span<std::uint32_t>(permutation),
            RandomStream(seed_, RngStream::shuffle, 0, epoch_));
    ++epoch_;
    if (rows_ < batch_size_) return permutation;

    std::vector<std::uint32_t> sequence = std::move(leftover_);
    sequence.insert(sequence.end(), permutation.begin(), permutation.end());
    const std::size_t used = sequence.size() / batch_size_ * batch_size_;
    leftover_.assign(sequence.begin() + static_cast<std::ptrdiff_t>(used), sequence.end());
    sequence.resize(used);
    return sequence;
  }

  /// Rows per batch of the epochs this sampler yields (all rows when fewer than a batch).
  std::size_t batch_size() const noexcept { return rows_ < batch_size_ ? rows_ : batch_size_; }
  /// The batch size asked for at construction.
  std::size_t requested_batch_size() const noexcept { return batch_size_; }
  /// Rows of the data set sampled.
  std::size_t rows() const noexcept { return rows_; }
  /// The next epoch's index.
  std::uint64_t epoch() const noexcept { return epoch_; }
  /// Rows carried into the next epoch.
  std::span<const std::uint32_t> leftover() const noexcept { return leftover_; }

 private:
  std::size_t rows_;
  std::size_t batch_size_;
  std::uint64_t seed_;
  std::uint64_t epoch_;
  std::vector<std::uint32_t> leftover_;
};

}  // namespace deepfm
