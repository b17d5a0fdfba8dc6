#pragma once
/// @file
/// Plain double loops of the optimiser formulas as PyTorch's torch.optim.SGD / Adagrad / Adam
/// write them (weight_decay = l2 added to the gradient), the oracle of the optimiser tests.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "deepfm/core/config.hpp"

namespace deepfm::test {

/// Parameters and optimiser state of one flat tensor, in double.
struct ReferenceState {
  std::vector<double> p;
  std::vector<double> m;  ///< Adam exp_avg, Adagrad state_sum
  std::vector<double> v;  ///< Adam exp_avg_sq

  explicit ReferenceState(std::vector<double> values)
      : p(std::move(values)), m(p.size(), 0.0), v(p.size(), 0.0) {}
};

/// One step t (1-based) of `config.kind` on elements [begin, begin + n) with gradient `grad`.
inline void reference_step(ReferenceState& s, std::size_t begin, std::size_t n, const double* grad,
                           std::uint64_t t, const OptimizerConfig& config) {
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = begin + k;
    const double g = grad[k] + config.l2 * s.p[i];
    switch (config.kind) {
      case Optimizer::sgd: s.p[i] -= config.lr * g; break;
      case Optimizer::adagrad:
        // torch.optim.Adagrad: state_sum += g^2; p -= lr * g / (sqrt(state_sum) + eps)
        s.m[i] += g * g;
        s.p[i] -= config.lr * g / (std::sqrt(s.m[i]) + config.adagrad_eps);
        break;
      case Optimizer::adam: {
        // torch.optim.Adam (non-amsgrad, non-fused):
        //   exp_avg = beta1 exp_avg + (1 - beta1) g;  exp_avg_sq = beta2 exp_avg_sq + (1 - beta2)
        //   g^2 step_size = lr / (1 - beta1^t);  denom = sqrt(exp_avg_sq) / sqrt(1 - beta2^t) + eps
        //   p -= step_size * exp_avg / denom
        const double td = static_cast<double>(t);
        const double bias1 = 1.0 - std::pow(config.beta1, td);
        const double bias2 = 1.0 - std::pow(config.beta2, td);
        s.m[i] = config.beta1 * s.m[i] + (1.0 - config.beta1) * g;
        s.v[i] = config.beta2 * s.v[i] + (1.0 - config.beta2) * g * g;
        const double denom = std::sqrt(s.v[i]) / std::sqrt(bias2) + config.eps;
        s.p[i] -= (config.lr / bias1) * (s.m[i] / denom);
        break;
      }
    }
  }
}

}  // namespace deepfm::test
