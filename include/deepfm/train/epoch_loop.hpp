#pragma once
/// @file
/// The one epoch loop: the batches of one epoch's row order, gathered and trained one
/// three-part step each. `fit` (train/fit.hpp) and `Trainer` (train/trainer.hpp) both run
/// their epochs through it; what they do around an epoch (validation, checkpoints, early
/// stopping) is theirs.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/gradients.hpp"
#include "deepfm/metrics/epoch_stats.hpp"
#include "deepfm/models/ctr_model.hpp"

namespace deepfm {

/// One epoch of `data` in `order` (back-to-back batches of `batch_size` rows, as
/// RolloverSampler::next_epoch yields them). `data` must have passed check_batch: the
/// batches gathered from it are trusted.
template <typename T>
class EpochLoop {
 public:
  EpochLoop(CtrModel<T>& model, const Batch& data, std::span<const std::uint32_t> order,
            std::size_t batch_size)
      : model_(model), data_(data), order_(order), batch_size_(batch_size) {}

  std::size_t batches() const noexcept { return order_.size() / batch_size_; }

  /// Trains from progress.batches_done to the end of the epoch, updating `progress` after
  /// every step and then calling after_step(progress); after_step returning false ends the
  /// epoch there. Returns whether the epoch was finished.
  template <typename AfterStep>
  bool run(EpochProgress& progress, AfterStep&& after_step) {
    const auto start = std::chrono::steady_clock::now();
    const double seconds_before = progress.seconds;
    while (progress.batches_done < batches()) {
      gather_batch(data_, order_.subspan(progress.batches_done * batch_size_, batch_size_),
                   batch_ids_, batch_labels_);
      progress.loss_sum += model_.train_step(Batch{batch_ids_, batch_labels_, data_.fields},
                                             IdentityReducer{}, CtrModel<T>::BatchCheck::trusted);
      ++progress.batches_done;
      progress.seconds =
          seconds_before +
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!after_step(static_cast<const EpochProgress&>(progress))) break;
    }
    return progress.batches_done == batches();
  }

  /// The training half of a finished epoch's stats (validation and test are the caller's).
  EpochStats stats(std::size_t epoch, const EpochProgress& progress) const {
    EpochStats stats;
    stats.epoch = epoch;
    stats.train_loss = progress.loss_sum / static_cast<double>(batches());
    stats.seconds = progress.seconds;
    stats.samples_per_second =
        static_cast<double>(order_.size()) / std::max(progress.seconds, 1e-9);
    return stats;
  }

 private:
  CtrModel<T>& model_;
  const Batch& data_;
  std::span<const std::uint32_t> order_;
  std::size_t batch_size_;
  std::vector<FeatureId> batch_ids_;
  std::vector<float> batch_labels_;
};

}  // namespace deepfm
