#pragma once
/// @file
/// The optimiser step of an embedding table (a span of rows x dim values) from its sparse row
/// gradient (sorted unique rows with their summed gradients).
///
/// SGD and Adagrad update only the rows a batch touched (for them an untouched row would not
/// move anyway, l2 aside). Adam has three modes (AdamMode):
///  - dense: every row every step, untouched rows with a zero gradient, so their moments
///    decay and they keep moving: the reference's semantics, cost O(table) per step;
///  - lazy: touched rows only, with the global step's bias correction (TensorFlow's LazyAdam,
///    PyTorch's SparseAdam): cost O(batch), values differ from dense;
///  - lazy_exact: touched rows only, but a row remembers the last step it was updated and,
///    when next touched, first replays the zero-gradient steps it skipped. catch_up() replays
///    every row before evaluation and saving. Values and moments equal dense mode's.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "deepfm/core/aligned_buffer.hpp"
#include "deepfm/core/config.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/core/sparse_row_gradient.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/optim/adam_schedule.hpp"

namespace deepfm {

/// Row-wise optimiser state and step for one table of `rows x dim` values.
template <typename T>
class RowOptimizer {
 public:
  RowOptimizer(const OptimizerConfig& config, std::size_t rows, std::size_t dim)
      : config_(config), schedule_(config), dim_(dim) {
    if (config.kind != Optimizer::sgd) first_moment_.resize(rows * dim);
    if (config.kind == Optimizer::adam) second_moment_.resize(rows * dim);
    if (lazy_exact()) last_step_.assign(rows, 0);
  }

  /// Applies step t (1-based) to the table `weights` from `gradient`. Returns whether every
  /// value and moment it wrote is finite.
  bool step(std::span<T> weights, const SparseRowGradient<T>& gradient, std::uint64_t t) {
    if (config_.kind == Optimizer::adam && config_.adam_mode == AdamMode::dense)
      return dense_adam_step(weights, gradient, t);
    const auto rows = gradient.rows();
    const kernels::AdamStep<T> constants =
        config_.kind == Optimizer::adam ? schedule_.at(t) : kernels::AdamStep<T>{};
    current_step_ = t;
    if (lazy_exact()) {
      // One thread: the replays share the schedule's cache of step constants.
      bool finite = true;
      for (std::size_t k = 0; k < rows.size(); ++k) {
        finite &= replay_to(weights, rows[k], t - 1);
        finite &= update_row(weights, rows[k], gradient.row_gradient(k).data(), constants);
        last_step_[rows[k]] = t;
      }
      return finite;
    }
    // Each touched row is updated on its own: any split across threads gives the same values.
    // Touched rows with consecutive ids lie back to back in the table, the moments and the
    // gradient alike, so a run of them is one call (element-wise: the same values).
    return parallel_all_of(
        rows.size(), grain_for(8 * dim_), [&](std::size_t begin, std::size_t end) {
          unsigned finite = 1;
          for (std::size_t k = begin; k < end;) {
            std::size_t run = 1;
            while (k + run < end && rows[k + run] == rows[k] + run) ++run;
            finite &= update_rows(weights, rows[k], run, gradient.row_gradient(k).data(), constants)
                          ? 1u
                          : 0u;
            k += run;
          }
          return finite != 0;
        });
  }

  /// Brings every row of `weights` up to step t: a no-op except in lazy_exact mode.
  void catch_up(std::span<T> weights, std::uint64_t t) {
    if (!lazy_exact()) return;
    const std::size_t rows = weights.size() / dim_;
    for (std::size_t row = 0; row < rows; ++row) replay_to(weights, static_cast<FeatureId>(row), t);
    synced_step_ = t;
  }

  /// Brings the rows in `ids` up to step t (lazy_exact only; repeated ids are fine). A model
  /// calls it with the previous step before a forward pass, so that the batch reads the
  /// values dense mode would hold; otherwise the gradient is taken at stale rows.
  void catch_up_rows(std::span<T> weights, std::span<const FeatureId> ids, std::uint64_t t) {
    if (!lazy_exact()) return;
    for (const FeatureId row : ids) replay_to(weights, row, t);
  }

  /// Declares every row up to date at step t (after its state was restored from a file
  /// saved in sync).
  void reset_step(std::uint64_t t) {
    if (lazy_exact()) std::fill(last_step_.begin(), last_step_.end(), t);
    current_step_ = t;
    synced_step_ = t;
  }

  /// True when some rows are behind (lazy_exact between a step and catch_up).
  bool needs_catch_up() const noexcept { return lazy_exact() && synced_step_ != current_step_; }

  std::span<T> first_moment() noexcept { return first_moment_.span(); }
  std::span<const T> first_moment() const noexcept { return first_moment_.span(); }
  std::span<T> second_moment() noexcept { return second_moment_.span(); }
  std::span<const T> second_moment() const noexcept { return second_moment_.span(); }
  /// Per row, the last step it was updated to (lazy_exact only).
  std::span<std::uint64_t> last_step() noexcept { return last_step_; }

 private:
  bool lazy_exact() const noexcept {
    return config_.kind == Optimizer::adam && config_.adam_mode == AdamMode::lazy_exact;
  }

  std::size_t offset(FeatureId row) const noexcept { return std::size_t{row} * dim_; }

  /// One row's update; `adam` holds step t's constants (Adam only).
  bool update_row(std::span<T> weights, FeatureId row, const T* grad,
                  const kernels::AdamStep<T>& adam) {
    return update_rows(weights, row, 1, grad, adam);
  }

  /// The update of `count` consecutive rows from `first`, their gradients back to back.
  bool update_rows(std::span<T> weights, FeatureId first, std::size_t count, const T* grad,
                   const kernels::AdamStep<T>& adam) {
    T* p = weights.data() + offset(first);
    const std::size_t n = count * dim_;
    switch (config_.kind) {
      case Optimizer::sgd:
        return kernels::sgd_update(p, grad, n, static_cast<T>(config_.lr),
                                   static_cast<T>(config_.l2));
      case Optimizer::adagrad:
        return kernels::adagrad_update(
            p, grad, first_moment_.data() + offset(first), n, static_cast<T>(config_.lr),
            static_cast<T>(config_.adagrad_eps), static_cast<T>(config_.l2));
      case Optimizer::adam:
        return kernels::adam_update(p, grad, first_moment_.data() + offset(first),
                                    second_moment_.data() + offset(first), n, adam);
    }
    return true;
  }

  /// Zero-gradient Adam steps last_step+1 .. t for one row; whether they stayed finite.
  bool replay_to(std::span<T> weights, FeatureId row, std::uint64_t t) {
    bool finite = true;
    for (std::uint64_t s = last_step_[row] + 1; s <= t; ++s)
      finite &= kernels::adam_update_zero_grad(
          weights.data() + offset(row), first_moment_.data() + offset(row),
          second_moment_.data() + offset(row), dim_, schedule_.cached(s));
    if (last_step_[row] < t) last_step_[row] = t;
    return finite;
  }

  /// Every row: the touched ones (sorted) with their gradient, the others with zero. The
  /// sorted rows are walked beside the table, so no per-row index is needed.
  bool dense_adam_step(std::span<T> weights, const SparseRowGradient<T>& gradient,
                       std::uint64_t t) {
    const kernels::AdamStep<T> constants = schedule_.at(t);
    const std::span<const FeatureId> touched = gradient.rows();
    const std::size_t rows = weights.size() / dim_;
    current_step_ = t;
    // Rows are independent: threads take ranges of the table.
    return parallel_all_of(rows, grain_for(8 * dim_), [&](std::size_t begin, std::size_t end) {
      unsigned finite = 1;
      // The first touched row at or after `begin`, then walked beside the table.
      std::size_t next = static_cast<std::size_t>(
          std::lower_bound(touched.begin(), touched.end(), begin) - touched.begin());
      // Rows go in runs, each one call (element-wise: the same values as row by row): touched
      // rows with consecutive ids, whose gradients lie back to back, or untouched rows up to
      // the next touched one.
      for (std::size_t row = begin; row < end;) {
        const std::size_t at = row * dim_;
        T* p = weights.data() + at;
        T* m = first_moment_.data() + at;
        T* v = second_moment_.data() + at;
        std::size_t run = 1;
        bool run_finite;
        if (next < touched.size() && touched[next] == row) {
          while (row + run < end && next + run < touched.size() && touched[next + run] == row + run)
            ++run;
          run_finite = kernels::adam_update(p, gradient.row_gradient(next).data(), m, v, run * dim_,
                                            constants);
          next += run;
        } else {
          const std::size_t stop =
              next < touched.size() ? std::min<std::size_t>(touched[next], end) : end;
          run = stop - row;
          run_finite = kernels::adam_update_zero_grad(p, m, v, run * dim_, constants);
        }
        finite &= run_finite ? 1u : 0u;
        row += run;
      }
      return finite != 0;
    });
  }

  OptimizerConfig config_;
  AdamSchedule<T> schedule_;
  std::size_t dim_;
  AlignedBuffer<T> first_moment_;
  AlignedBuffer<T> second_moment_;
  std::vector<std::uint64_t> last_step_;
  std::uint64_t current_step_ = 0;
  std::uint64_t synced_step_ = 0;
};

}  // namespace deepfm
