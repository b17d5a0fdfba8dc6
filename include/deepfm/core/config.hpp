#pragma once
/// @file
/// Configuration aggregates, read with designated initialisers:
/// `DeepFMConfig{.factors = 10, .mlp = {30, 20, 10}, .dropout = 0.1}`.
/// Defaults are the d2l.ai DeepFM chapter's setup; FMConfig's are its FM chapter's.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/error.hpp"

namespace deepfm {

/// The optimisation algorithm.
enum class Optimizer { sgd, adagrad, adam };

/// How Adam treats the rows of the embedding table (dense parameters are always dense).
enum class AdamMode {
  dense,       ///< every row every step, zero gradient for untouched rows (the reference)
  lazy,        ///< only rows touched by the batch; untouched rows keep stale moments
  lazy_exact,  ///< only touched rows, replaying skipped steps: equals dense, costs like lazy
};

/// Optimiser hyper-parameters. Adam's defaults are PyTorch's torch.optim.Adam.
struct OptimizerConfig {
  Optimizer kind = Optimizer::adam;
  double lr = 0.01;            ///< learning rate
  double beta1 = 0.9;          ///< Adam first-moment decay
  double beta2 = 0.999;        ///< Adam second-moment decay
  double eps = 1e-8;           ///< Adam epsilon, added after the bias-corrected square root
  double adagrad_eps = 1e-10;  ///< Adagrad epsilon (PyTorch's default)
  double l2 = 0.0;             ///< L2 penalty added to the gradient (PyTorch's weight_decay)
  AdamMode adam_mode = AdamMode::dense;
};

/// DeepFM: linear + FM second-order term + MLP over the concatenated field embeddings.
struct DeepFMConfig {
  std::size_t factors = 10;                     ///< embedding width k
  std::vector<std::size_t> mlp = {30, 20, 10};  ///< hidden layer widths; empty = no hidden layer
  double dropout = 0.1;                         ///< inverted-dropout rate after each hidden ReLU
  OptimizerConfig optimizer{};
  std::uint64_t seed = 0;  ///< drives initialisation and dropout
};

/// FM: linear + FM second-order term (the baseline DeepFM is compared to).
struct FMConfig {
  std::size_t factors = 20;
  OptimizerConfig optimizer{.lr = 0.02};
  std::uint64_t seed = 0;
};

struct EpochStats;

/// Options of a `fit` call.
struct FitOptions {
  std::size_t epochs = 30;
  std::size_t batch_size = 2048;
  std::optional<Batch> validation{};                  ///< scored after every epoch when set
  std::function<void(const EpochStats&)> on_epoch{};  ///< called after every epoch when set
  int threads = 0;  ///< threads the steps use (0: as set before: all cores or OMP_NUM_THREADS)
};

namespace detail {

inline void require(bool condition, const std::string& message) {
  if (!condition) throw InvalidArgument(message);
}

inline void validate(const OptimizerConfig& config) {
  require(std::isfinite(config.lr) && config.lr > 0, "optimizer lr must be a positive number");
  require(config.beta1 >= 0 && config.beta1 < 1, "optimizer beta1 must be in [0, 1)");
  require(config.beta2 >= 0 && config.beta2 < 1, "optimizer beta2 must be in [0, 1)");
  require(std::isfinite(config.eps) && config.eps > 0, "optimizer eps must be positive");
  require(std::isfinite(config.adagrad_eps) && config.adagrad_eps > 0,
          "optimizer adagrad_eps must be positive");
  require(std::isfinite(config.l2) && config.l2 >= 0, "optimizer l2 must be >= 0");
}

inline void validate_factors(std::size_t factors) {
  require(factors > 0, "factors must be at least 1 (got 0)");
}

inline void validate(const DeepFMConfig& config) {
  validate_factors(config.factors);
  for (std::size_t i = 0; i < config.mlp.size(); ++i)
    require(config.mlp[i] > 0, "mlp layer " + std::to_string(i) + " has width 0");
  require(config.dropout >= 0 && config.dropout < 1, "dropout must be in [0, 1)");
  validate(config.optimizer);
}

inline void validate(const FMConfig& config) {
  validate_factors(config.factors);
  validate(config.optimizer);
}

}  // namespace detail
}  // namespace deepfm
