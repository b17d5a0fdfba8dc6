#pragma once
/// @file
/// The optimiser step of a model's dense parameters: one loop over the flat buffer.

#include <cstddef>
#include <cstdint>
#include <span>

#include "deepfm/core/aligned_buffer.hpp"
#include "deepfm/core/config.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/core/parallel_for.hpp"
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
    const kernels::AdamStep<T> adam =
        config_.kind == Optimizer::adam ? schedule_.at(t) : kernels::AdamStep<T>{};
    // Element-wise: any split across threads gives the same values.
    return parallel_all_of(parameters.size(), grain_for(8), [&](std::size_t at, std::size_t end) {
      const std::size_t n = end - at;
      T* p = parameters.data() + at;
      const T* g = gradients.data() + at;
      switch (config_.kind) {
        case Optimizer::sgd: return kernels::sgd_update(p, g, n, lr(), l2());
        case Optimizer::adagrad:
          return kernels::adagrad_update(p, g, first_moment_.data() + at, n, lr(),
                                         static_cast<T>(config_.adagrad_eps), l2());
        case Optimizer::adam:
          return kernels::adam_update(p, g, first_moment_.data() + at, second_moment_.data() + at,
                                      n, adam);
      }
      return true;
    });
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
