#pragma once
/// @file
/// `fit`: the short way to train a model in memory, in d2l's rollover batch order, with the
/// validation set scored after every epoch. For checkpoints, early stopping and resuming use
/// Trainer (train/trainer.hpp); both run their epochs through EpochLoop.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/config.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/data/rollover_sampler.hpp"
#include "deepfm/metrics/epoch_stats.hpp"
#include "deepfm/models/ctr_model.hpp"
#include "deepfm/train/epoch_loop.hpp"

namespace deepfm {

/// Trains `model` for options.epochs over `train`. Consecutive calls with the same number of
/// rows and batch size continue one batch order (rows rolled over at the end of one call open
/// the next; the model keeps the position), so two calls of one epoch equal one of two.
/// Leaves the model synced (lazy-exact rows brought up to date).
template <typename T>
std::vector<EpochStats> fit(CtrModel<T>& model, const Batch& train,
                            const FitOptions& options = {}) {
  const ThreadCountScope threads(options.threads);
  model.check_batch(train);
  if (options.validation) model.check_batch(*options.validation);
  BatchOrderPosition& position = model.batch_order();
  if (position.rows != train.rows() || position.batch_size != options.batch_size)
    position = {train.rows(), options.batch_size, model.epochs_trained(), {}};
  RolloverSampler sampler(position.rows, position.batch_size, model.seed(), position.next_epoch,
                          position.leftover);
  std::vector<EpochStats> history;
  for (std::size_t e = 0; e < options.epochs; ++e) {
    const std::vector<std::uint32_t> order = sampler.next_epoch();
    position.next_epoch = sampler.epoch();
    position.leftover.assign(sampler.leftover().begin(), sampler.leftover().end());
    EpochLoop<T> loop(model, train, order, sampler.batch_size());
    EpochProgress progress;
    loop.run(progress, [](const EpochProgress&) { return true; });
    model.count_epoch();
    EpochStats stats = loop.stats(static_cast<std::size_t>(model.epochs_trained()), progress);
    if (options.validation) stats.validation = model.evaluate(*options.validation);
    if (options.on_epoch) options.on_epoch(stats);
    history.push_back(stats);
  }
  model.sync();
  return history;
}

}  // namespace deepfm
