#pragma once
/// @file
/// Synthetic CTR data with a known generating model, so a test can tell how close a trained
/// model gets to the best possible one. For F categorical fields, with per-value parameters
/// drawn once from the seed:
///   w_f[v]   = first_order_scale · U(−1, 1)                       first-order part
///   V_f[v]   = interaction_scale · U(−1, 1)^latent_factors         FM (pairwise) part
///   u_f[v]   = √3 · U(−1, 1)                                       (unit variance)
///   logit(x) = bias + Σ_f w_f[x_f] + Σ_{f<g} <V_f[x_f], V_g[x_g]>
///            + nonlinear_scale · Σ_t u_{3t}[x_{3t}] · u_{3t+1}[x_{3t+1}] · u_{3t+2}[x_{3t+2}]
/// The last sum, over consecutive field triples, is a third-order interaction: no FM can
/// represent it (and with symmetric u it is uncorrelated with every first- and second-order
/// term), while an MLP over the embeddings can learn it. Field values are drawn with a
/// popularity skew, x_f = floor(dim_f · U(0,1)^(1 + skew)), and labels y ~
/// Bernoulli(sigmoid(logit)). The Bayes-optimal scorer is the true logit; bayes_auc is its AUC on
/// the drawn labels.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/core/random.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/metrics/auc.hpp"

namespace deepfm {

/// Parameters of the synthetic generator; see the formula in data/synthetic.hpp.
struct SyntheticConfig {
  std::size_t rows = 100000;
  std::vector<std::size_t> field_dims = std::vector<std::size_t>(9, 10);
  std::size_t latent_factors = 4;
  double bias = 0.0;
  double first_order_scale = 0.5;
  double interaction_scale = 0.3;
  double nonlinear_scale = 1.5;
  double skew = 0.5;
  std::uint64_t seed = 1;
};

/// Generated samples with global ids (field offsets applied), ready for a model.
struct SyntheticData {
  std::vector<std::size_t> field_dims;
  std::vector<FeatureId> ids;  ///< [rows x fields]
  std::vector<float> labels;
  std::vector<double> true_logits;
  double bayes_auc = 0;  ///< AUC of the true logits on `labels`

  std::size_t fields() const noexcept { return field_dims.size(); }
  std::size_t rows() const noexcept { return labels.size(); }
  /// All rows as a Batch.
  Batch batch() const { return {ids, labels, fields()}; }
  /// Rows [begin, end) as a Batch (for train / held-out splits).
  Batch slice(std::size_t begin, std::size_t end) const {
    return {std::span(ids).subspan(begin * fields(), (end - begin) * fields()),
            std::span(labels).subspan(begin, end - begin), fields()};
  }
};

/// Draws `config.rows` samples; deterministic for a given config.
inline SyntheticData generate_synthetic(const SyntheticConfig& config) {
  const std::size_t fields = config.field_dims.size();
  if (fields == 0) throw InvalidArgument("synthetic: field_dims is empty");
  if (config.rows == 0) throw InvalidArgument("synthetic: rows must be at least 1");
  if (config.latent_factors == 0) throw InvalidArgument("synthetic: latent_factors must be >= 1");
  const std::size_t k = config.latent_factors;

  // Per-value parameters, and global ids as a model indexes them.
  std::vector<std::size_t> offsets(fields);
  std::size_t values = 0;
  for (std::size_t f = 0; f < fields; ++f) {
    if (config.field_dims[f] == 0) throw InvalidArgument("synthetic: a field has dimension 0");
    offsets[f] = values;
    values += config.field_dims[f];
  }
  const RandomStream parameters(config.seed, RngStream::synthetic, 0);
  std::vector<double> w(values), u(values), v(values * k);
  for (std::size_t i = 0; i < values; ++i) {
    w[i] = config.first_order_scale * parameters.uniform(3 * i, -1.0, 1.0);
    u[i] = std::sqrt(3.0) * parameters.uniform(3 * i + 1, -1.0, 1.0);
  }
  const RandomStream factors(config.seed, RngStream::synthetic, 1);
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = config.interaction_scale * factors.uniform(i, -1.0, 1.0);

  SyntheticData data;
  data.field_dims = config.field_dims;
  data.ids.resize(config.rows * fields);
  data.labels.resize(config.rows);
  data.true_logits.resize(config.rows);
  const RandomStream features(config.seed, RngStream::synthetic, 2);
  const RandomStream labels(config.seed, RngStream::synthetic, 3);
  std::vector<double> factor_sum(k);
  for (std::size_t r = 0; r < config.rows; ++r) {
    FeatureId* x = data.ids.data() + r * fields;
    double logit = config.bias;
    double sum_of_squares = 0;
    std::fill(factor_sum.begin(), factor_sum.end(), 0.0);
    for (std::size_t f = 0; f < fields; ++f) {
      const double draw = features.unit<double>(r * fields + f);
      const auto local = static_cast<std::size_t>(static_cast<double>(config.field_dims[f]) *
                                                  std::pow(draw, 1.0 + config.skew));
      x[f] = static_cast<FeatureId>(offsets[f] + std::min(local, config.field_dims[f] - 1));
      logit += w[x[f]];
      for (std::size_t j = 0; j < k; ++j) {
        factor_sum[j] += v[x[f] * k + j];
        sum_of_squares += v[x[f] * k + j] * v[x[f] * k + j];
      }
    }
    double pairwise = -sum_of_squares;
    for (std::size_t j = 0; j < k; ++j) pairwise += factor_sum[j] * factor_sum[j];
    logit += 0.5 * pairwise;
    for (std::size_t f = 0; f + 2 < fields; f += 3)
      logit += config.nonlinear_scale * u[x[f]] * u[x[f + 1]] * u[x[f + 2]];
    data.true_logits[r] = logit;
    data.labels[r] = labels.unit<double>(r) < kernels::sigmoid(logit) ? 1.0f : 0.0f;
  }
  data.bayes_auc = roc_auc<double>(data.true_logits, data.labels).value_or(0.5);
  return data;
}

}  // namespace deepfm
