#pragma once
/// @file
/// The training loop behind `deepfm train`: d2l's rollover batch order, per-epoch metrics on
/// the validation and test sets, early stopping on validation AUC with the best epoch
/// restored, and checkpoints (every epoch and every N steps) from which a resumed run ends
/// bit-identical to an uninterrupted one.
///
/// Why resuming is exact: every random draw is counter-based (dropout masks from (seed, step),
/// the epoch permutation from (seed, epoch)), so the state is the parameters, the optimiser
/// moments, the step, and the sampler position (epoch, the rows it opened with, batches done).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/data/rollover_sampler.hpp"
#include "deepfm/data/vocabulary.hpp"
#include "deepfm/io/model_file.hpp"
#include "deepfm/models/ctr_model.hpp"
#include "deepfm/models/model_spec.hpp"
#include "deepfm/train/epoch_loop.hpp"

namespace deepfm {

/// How long to train and when to save.
struct TrainerOptions {
  std::size_t epochs = 30;
  std::size_t batch_size = 2048;
  std::size_t early_stop = 0;               ///< stop after N epochs without a better valid AUC
  std::uint64_t checkpoint_every = 0;       ///< also checkpoint every N steps (0: epochs only)
  std::filesystem::path checkpoint_file{};  ///< where checkpoints go (empty: none)
  int threads = 0;  ///< threads the steps use (0: as set before: all cores or OMP_NUM_THREADS)
};

/// The data a run trains and scores on.
struct TrainerData {
  Batch train{};
  std::optional<Batch> validation{};
  std::optional<Batch> test{};
};

/// Hooks for progress reporting; each may be empty.
struct TrainerCallbacks {
  /// (epoch, total epochs, batches in the epoch, batches already done when resuming)
  std::function<void(std::size_t, std::size_t, std::size_t, std::size_t)> on_epoch_begin{};
  /// (batches done in the epoch, mean loss so far, samples per second so far)
  std::function<void(std::size_t, double, double)> on_step{};
  std::function<void(const EpochStats&)> on_epoch_end{};
  std::function<void(const std::filesystem::path&)> on_checkpoint{};
  /// Asked after every step: true ends the run there (a Ctrl-C), after a checkpoint of the
  /// position when checkpoints are on, so that --resume continues exactly.
  std::function<bool()> stop_requested{};
};

/// What a run did.
struct TrainResult {
  std::vector<EpochStats> history;  ///< every epoch, including those before a resume
  std::size_t best_epoch = 0;       ///< early stopping: the epoch restored (0: not used)
  bool stopped_early = false;
  bool interrupted = false;  ///< stop_requested ended the run before its last epoch
};

/// Trains one model; what it saves names the spec, reader options and vocabulary given here.
template <typename T>
class Trainer {
 public:
  Trainer(CtrModel<T>& model, ModelSpec spec, ReaderOptions reader, const Vocabulary& vocabulary,
          TrainerOptions options, std::string data_fingerprint)
      : model_(model),
        spec_(std::move(spec)),
        reader_(std::move(reader)),
        vocabulary_(vocabulary),
        options_(std::move(options)) {
    if (options_.batch_size == 0) throw InvalidArgument("batch size must be at least 1");
    progress_.data_fingerprint = std::move(data_fingerprint);
  }

  /// Continues from a checkpoint's position (the model must hold the checkpoint's state).
  void resume(TrainingProgress progress, std::vector<std::vector<T>> best_parameters) {
    if (progress.data_fingerprint != progress_.data_fingerprint)
      throw InvalidArgument(
          "the checkpoint was made on other data or reader options; remove it or train on the "
          "same data (checkpoint: " +
          progress.data_fingerprint + "; this run: " + progress_.data_fingerprint + ")");
    progress_ = std::move(progress);
    best_parameters_ = std::move(best_parameters);
  }

  /// Trains until options.epochs epochs are done (counting those before a resume) or early
  /// stopping ends the run; with early stopping the model ends as its best epoch.
  TrainResult run(const TrainerData& data, const TrainerCallbacks& callbacks = {}) {
    const ThreadCountScope threads(options_.threads);
    if (data.train.rows() == 0) throw InvalidArgument("the training set is empty");
    if (options_.early_stop > 0 && !data.validation)
      throw InvalidArgument("early stopping needs a validation set (--valid or --valid-fraction)");
    // Checked once here; every batch is gathered from it, so the steps trust their batches.
    model_.check_batch(data.train);
    while (progress_.history.size() < options_.epochs && !early_stop_due()) {
      const std::size_t epoch = progress_.history.size() + 1;
      RolloverSampler sampler(data.train.rows(), options_.batch_size, spec_.seed,
                              progress_.sampler_epoch, progress_.epoch_leftover);
      const std::vector<std::uint32_t> order = sampler.next_epoch();
      EpochLoop<T> loop(model_, data.train, order, sampler.batch_size());
      const std::size_t batches = loop.batches();
      if (callbacks.on_epoch_begin)
        callbacks.on_epoch_begin(epoch, options_.epochs, batches, progress_.epoch.batches_done);
      const EpochProgress resumed_at = progress_.epoch;
      const bool finished = loop.run(progress_.epoch, [&](const EpochProgress& now) {
        const double mean_loss = now.loss_sum / static_cast<double>(now.batches_done);
        if (callbacks.on_step)
          callbacks.on_step(now.batches_done, mean_loss,
                            static_cast<double>((now.batches_done - resumed_at.batches_done) *
                                                sampler.batch_size()) /
                                std::max(now.seconds - resumed_at.seconds, 1e-9));
        if (now.batches_done == batches) return true;  // the epoch's end checkpoints below
        const bool stop = callbacks.stop_requested && callbacks.stop_requested();
        if (stop ||
            (options_.checkpoint_every > 0 && model_.step() % options_.checkpoint_every == 0)) {
          // No checkpoint from an epoch already past the bound: judge its running mean first
          // (once it spans enough batches not to be one unlucky batch).
          if (now.batches_done >= kMinBatchesJudged) check_divergence(epoch, mean_loss);
          save_checkpoint(callbacks);
        }
        return !stop;
      });
      if (!finished) return finish(true);

      EpochStats stats = loop.stats(epoch, progress_.epoch);
      // Before anything is scored or saved, so the last checkpoint stays the last good state.
      check_divergence(epoch, stats.train_loss);
      if (data.validation) stats.validation = model_.evaluate(*data.validation);
      if (data.test) stats.test = model_.evaluate(*data.test);
      progress_.sampler_epoch = sampler.epoch();
      progress_.epoch_leftover.assign(sampler.leftover().begin(), sampler.leftover().end());
      progress_.epoch = {};
      progress_.history.push_back(stats);
      if (options_.early_stop > 0 && stats.validation && stats.validation->auc &&
          *stats.validation->auc > progress_.best_auc) {
        progress_.best_auc = *stats.validation->auc;
        progress_.best_epoch = epoch;
        copy_parameters_out();
      }
      if (callbacks.on_epoch_end) callbacks.on_epoch_end(stats);
      save_checkpoint(callbacks);
      if (progress_.history.size() < options_.epochs && !early_stop_due() &&
          callbacks.stop_requested && callbacks.stop_requested())
        return finish(true);
    }
    return finish(false);
  }

  const TrainingProgress& progress() const noexcept { return progress_; }

  /// A training loss above this multiple of the first epoch's stops the run as diverged.
  static constexpr double kDivergenceFactor = 10;
  /// The fewest batches of an epoch whose running mean the mid-epoch check judges.
  static constexpr std::size_t kMinBatchesJudged = 8;

 private:
  /// Only the training loss counts: a rising test loss is overfitting, not divergence. Runs at
  /// the end of every epoch and, on the epoch's running mean (from kMinBatchesJudged batches
  /// on), before every mid-epoch checkpoint.
  void check_divergence(std::size_t epoch, double train_loss) const {
    if (progress_.history.empty()) return;
    const double first = progress_.history.front().train_loss;
    if (train_loss > kDivergenceFactor * first)
      throw NumericError(
          "training diverged in epoch " + std::to_string(epoch) + ": train loss " +
          std::to_string(train_loss) + " is more than " +
          std::to_string(static_cast<int>(kDivergenceFactor)) + " times the first epoch's " +
          std::to_string(first) + "; try a lower learning rate (now " +
          detail::exact_text(spec_.optimizer.lr) +
          "), starting afresh: a checkpoint resumes with the learning rate it was made with");
  }

  /// The run's result. An interrupted run keeps the model as it is (its last step), so that
  /// a checkpoint of it resumes exactly; a finished one takes its best epoch back.
  TrainResult finish(bool interrupted) {
    TrainResult result;
    result.history = progress_.history;
    result.interrupted = interrupted;
    if (interrupted) return result;
    result.stopped_early = early_stop_due() && progress_.history.size() < options_.epochs;
    if (options_.early_stop > 0 && progress_.best_epoch > 0) {
      copy_parameters_in();
      result.best_epoch = static_cast<std::size_t>(progress_.best_epoch);
    }
    return result;
  }

  bool early_stop_due() const noexcept {
    // An epoch without a validation AUC (one class only) counts as not better.
    return options_.early_stop > 0 &&
           progress_.history.size() >= progress_.best_epoch + options_.early_stop &&
           !progress_.history.empty();
  }

  void copy_parameters_out() {
    best_parameters_.clear();
    model_.visit_state([&](std::string_view, std::span<T> values,
                           bool) { best_parameters_.emplace_back(values.begin(), values.end()); },
                       false);
  }

  void copy_parameters_in() {
    std::size_t i = 0;
    model_.visit_state(
        [&](std::string_view name, std::span<T> values, bool) {
          if (i >= best_parameters_.size() || best_parameters_[i].size() != values.size())
            throw InternalError("best-epoch parameters do not match tensor " + std::string(name));
          std::copy(best_parameters_[i].begin(), best_parameters_[i].end(), values.begin());
          ++i;
        },
        false);
  }

  void save_checkpoint(const TrainerCallbacks& callbacks) {
    if (options_.checkpoint_file.empty()) return;
    save_model_file<T>(options_.checkpoint_file, model_, spec_, reader_, vocabulary_, &progress_,
                       options_.early_stop > 0 ? &best_parameters_ : nullptr);
    if (callbacks.on_checkpoint) callbacks.on_checkpoint(options_.checkpoint_file);
  }

  CtrModel<T>& model_;
  ModelSpec spec_;
  ReaderOptions reader_;
  const Vocabulary& vocabulary_;
  TrainerOptions options_;
  TrainingProgress progress_;
  std::vector<std::vector<T>> best_parameters_;
};

}  // namespace deepfm
