#pragma once
/// @file
/// Adam's per-step constants, computed once per step in double and cached, so that a row
/// brought up to date later (lazy-exact) uses bit-for-bit the constants a dense step used.

#include <cmath>
#include <cstdint>
#include <vector>

#include "deepfm/core/config.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/kernels/kernels.hpp"

namespace deepfm {

/// Constants of Adam steps 1..n: step_size = lr / (1 - beta1^t), bias2_sqrt = sqrt(1 - beta2^t).
template <typename T>
class AdamSchedule {
 public:
  explicit AdamSchedule(const OptimizerConfig& config) : config_(config) {}

  /// Constants of step t (1-based); extends the cache as needed.
  kernels::AdamStep<T> at(std::uint64_t t) {
    DEEPFM_ASSERT(t >= 1);
    while (steps_.size() < t) {
      const double step = static_cast<double>(steps_.size() + 1);
      const double bias1 = 1.0 - std::pow(config_.beta1, step);
      const double bias2 = 1.0 - std::pow(config_.beta2, step);
      steps_.push_back({static_cast<T>(config_.lr / bias1), static_cast<T>(std::sqrt(bias2)),
                        static_cast<T>(config_.beta1), static_cast<T>(config_.beta2),
                        static_cast<T>(1.0 - config_.beta1), static_cast<T>(1.0 - config_.beta2),
                        static_cast<T>(config_.eps), static_cast<T>(config_.l2)});
    }
    return steps_[t - 1];
  }

 private:
  OptimizerConfig config_;
  std::vector<kernels::AdamStep<T>> steps_;
};

}  // namespace deepfm
