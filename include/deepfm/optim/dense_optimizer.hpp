#pragma once
/// @file
/// The optimiser step of a model's dense parameters: one loop over the flat buffer.

#include <cstddef>
#include <cstdint>
#include <span>

#include "deepfm/core/aligned_buffer.hpp"
#include "deepfm/core/config.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/optim/adam_schedule.hpp"

namespace deepfm {

/// SGD, Adagrad or Adam over one flat span of parameters, every element every step.
template <typename T>
class DenseOptimizer {
 public:
  DenseOptimizer(const OptimizerConfig& config, std::size_t size)
      : config_(config), schedule_(config) {
    if (config.kind != Optimizer::sgd) first_moment_.resize(size);  // Adam m or Adagrad h
    if (config.kind == Optimizer::adam) second_moment_.resize(size);
  }

  /// Applies step t (1-based) with gradient `gradients` to `parameters`. Returns whether
  /// every parameter and moment it wrote is finite.
  bool step(std::span<T> parameters, std::span<const T> gradients, std::uint64_t t) {
    DEEPFM_ASSERT(parameters.size() == gradients.size());
    const std::size_t n = parameters.size();
    switch (config_.kind) {
      case Optimizer::sgd:
        return kernels::sgd_update(parameters.data(), gradients.data(), n, lr(), l2());
      case Optimizer::adagrad:
        return kernels::adagrad_update(parameters.data(), gradients.data(), first_moment_.data(), n,
                                       lr(), static_cast<T>(config_.adagrad_eps), l2());
      case Optimizer::adam:
        return kernels::adam_update(parameters.data(), gradients.data(), first_moment_.data(),
                                    second_moment_.data(), n, schedule_.at(t));
    }
    return true;
  }

  /// Adam's m (or Adagrad's accumulator); empty for SGD.
  std::span<T> first_moment() noexcept { return first_moment_.span(); }
  std::span<const T> first_moment() const noexcept { return first_moment_.span(); }
  /// Adam's v; empty otherwise.
  std::span<T> second_moment() noexcept { return second_moment_.span(); }
  std::span<const T> second_moment() const noexcept { return second_moment_.span(); }

 private:
  T lr() const noexcept { return static_cast<T>(config_.lr); }
  T l2() const noexcept { return static_cast<T>(config_.l2); }

  OptimizerConfig config_;
  AdamSchedule<T> schedule_;
  AlignedBuffer<T> first_moment_;
  AlignedBuffer<T> second_moment_;
};

}  // namespace deepfm
