#pragma once
/// @file
/// Adam's per-step constants, computed in double from the step number alone, so that a row
/// brought up to date later (lazy-exact) uses bit-for-bit the constants a dense step used.

#include <array>
#include <cmath>
#include <cstdint>

#include "deepfm/core/config.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/kernels/kernels.hpp"

namespace deepfm {

/// Constants of Adam step t: step_size = lr / (1 - beta1^t), bias2_sqrt = sqrt(1 - beta2^t).
template <typename T>
class AdamSchedule {
 public:
  explicit AdamSchedule(const OptimizerConfig& config) : config_(config) {}

  /// Constants of step t (1-based). Computed afresh each call, by the same double arithmetic,
  /// so a row brought up to date later (lazy-exact) gets the bits a dense step got, and
  /// nothing is kept per step: no memory that grows with the run, no allocation.
  kernels::AdamStep<T> at(std::uint64_t t) const {
    DEEPFM_ASSERT(t >= 1);
    return compute(t);
  }

  /// at(t) through a small direct-mapped cache of recent steps: lazy-exact replays ask for
  /// the same few steps for many rows. Fixed size, so it never allocates.
  kernels::AdamStep<T> cached(std::uint64_t t) {
    DEEPFM_ASSERT(t >= 1);
    Entry& entry = recent_[t % kRecentSteps];
    if (entry.step != t) entry = {t, compute(t)};
    return entry.constants;
  }

 private:
  static constexpr std::size_t kRecentSteps = 64;
  struct Entry {
    std::uint64_t step = 0;  ///< 0: empty (steps start at 1)
    kernels::AdamStep<T> constants{};
  };

  kernels::AdamStep<T> compute(std::uint64_t t) const {
    const double step = static_cast<double>(t);
    const double bias1 = 1.0 - std::pow(config_.beta1, step);
    const double bias2 = 1.0 - std::pow(config_.beta2, step);
    return {static_cast<T>(config_.lr / bias1),  static_cast<T>(std::sqrt(bias2)),
            static_cast<T>(config_.beta1),       static_cast<T>(config_.beta2),
            static_cast<T>(1.0 - config_.beta1), static_cast<T>(1.0 - config_.beta2),
            static_cast<T>(config_.eps),         static_cast<T>(config_.l2)};
  }

  OptimizerConfig config_;
  std::array<Entry, kRecentSteps> recent_{};
};

}  // namespace deepfm
