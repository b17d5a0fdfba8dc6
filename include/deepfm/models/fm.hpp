#pragma once
/// @file
/// The factorization machine (Rendle, ICDM 2010), the baseline DeepFM is compared to:
///   logit = a · Σ_f w[x_f] + b  +  0.5 · Σ_j ((Σ_f e_fj)² − Σ_f e_fj²).

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "deepfm/core/config.hpp"
#include "deepfm/models/ctr_model.hpp"

namespace deepfm {

/// An FM model over fields with the given dimensions (values per field).
template <typename T>
class FM : public CtrModel<T> {
 public:
  explicit FM(std::vector<std::size_t> field_dims, const FMConfig& config = {})
      : CtrModel<T>(std::move(field_dims), checked(config).factors, std::nullopt, 0.0,
                    config.optimizer, config.seed),
        config_(config) {}

  const FMConfig& config() const noexcept { return config_; }

 private:
  static const FMConfig& checked(const FMConfig& config) {
    detail::validate(config);
    return config;
  }

  FMConfig config_;
};

using FMf = FM<float>;
using FMd = FM<double>;

}  // namespace deepfm
