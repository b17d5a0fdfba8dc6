#pragma once
/// @file
/// What one training epoch did: the value the epoch loop hands to its reports (progress lines,
/// JSON lines, the SVG plot) and keeps in checkpoints. A light header (no model, no Eigen), so
/// that the report writers do not pull in the model to read it.

#include <cstddef>
#include <optional>

#include "deepfm/metrics/metrics.hpp"

namespace deepfm {

/// How far an epoch has come: what the epoch loop updates after every step, and what a
/// checkpoint saves so that a resumed epoch goes on from there.
struct EpochProgress {
  std::size_t batches_done = 0;  ///< batches of the epoch already trained
  double loss_sum = 0;           ///< their summed mean losses
  double seconds = 0;            ///< time spent on them
};

/// What one epoch of training did.
struct EpochStats {
  std::size_t epoch = 0;  ///< 1-based, counting every epoch this model trained
  double train_loss = 0;  ///< mean of the epoch's batch losses
  double seconds = 0;
  double samples_per_second = 0;
  std::optional<Metrics> validation{};  ///< when a validation set was given
  std::optional<Metrics> test{};        ///< the trainer's --test set, when given
};

}  // namespace deepfm
