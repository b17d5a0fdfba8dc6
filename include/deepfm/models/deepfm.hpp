#pragma once
/// @file
/// DeepFM (Guo et al., IJCAI 2017), as the d2l.ai chapter builds it:
///   logit = a · Σ_f w[x_f] + b  +  0.5 · Σ_j ((Σ_f e_fj)² − Σ_f e_fj²)  +  MLP(concat_f e_f)
/// with one shared N x k factor table E (e_f = E[x_f]), MLP = (Dense → ReLU → Dropout)* → Dense(1),
/// probability = sigmoid(logit), loss = binary cross-entropy on the logit.

#include <cstddef>
#include <utility>
#include <vector>

#include "deepfm/core/config.hpp"
#include "deepfm/models/ctr_model.hpp"

namespace deepfm {

/// A DeepFM model over fields with the given dimensions (values per field).
template <typename T>
class DeepFM : public CtrModel<T> {
 public:
  explicit DeepFM(std::vector<std::size_t> field_dims, const DeepFMConfig& config = {})
      : CtrModel<T>(std::move(field_dims), checked(config).factors, config.mlp, config.dropout,
                    config.optimizer, config.seed),
        config_(config) {}

  const DeepFMConfig& config() const noexcept { return config_; }

 private:
  static const DeepFMConfig& checked(const DeepFMConfig& config) {
    detail::validate(config);
    return config;
  }

  DeepFMConfig config_;
};

using DeepFMf = DeepFM<float>;
using DeepFMd = DeepFM<double>;

}  // namespace deepfm
