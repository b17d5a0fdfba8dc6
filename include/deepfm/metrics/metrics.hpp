#pragma once
/// @file
/// The evaluation metrics of a CTR model, computed from logits in double.
///   logloss     = mean over rows of BCE(logit, label), from the logit (finite for any logit)
///   calibration = mean predicted probability / observed positive rate (1 = calibrated)
///   ne          = logloss / H(p), H(p) = -(p ln p + (1-p) ln(1-p)) with p the observed rate:
///                 the normalized entropy of He et al. (ADKDD 2014); < 1 beats the base rate

#include <cmath>
#include <cstddef>
#include <optional>
#include <span>

#include "deepfm/core/error.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/metrics/auc.hpp"

namespace deepfm {

/// Metrics of a model on a labelled set.
struct Metrics {
  std::optional<double> auc{};  ///< ROC AUC, ties averaged; none when only one class is present
  double logloss = 0;           ///< mean binary cross-entropy, finite for any finite logit
  double accuracy = 0;          ///< fraction with (probability > 0.5) == label
  std::optional<double> calibration{};  ///< none when there is no positive
  std::optional<double> ne{};           ///< normalized entropy; none when only one class
  std::size_t rows = 0;
};

/// Metrics of `logits` against 0/1 `labels`.
template <typename T>
Metrics compute_metrics(std::span<const T> logits, std::span<const float> labels) {
  if (logits.size() != labels.size() || logits.empty())
    throw InvalidArgument("compute_metrics: need as many logits as labels, at least one");
  Metrics metrics;
  metrics.rows = logits.size();
  metrics.auc = roc_auc(logits, labels);
  metrics.logloss = kernels::bce_with_logits_sum(logits.data(), labels.data(), logits.size()) /
                    static_cast<double>(logits.size());
  std::size_t correct = 0;
  std::size_t positives = 0;
  double probability_sum = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    correct += (logits[i] > T(0)) == (labels[i] > 0.5f) ? std::size_t{1} : std::size_t{0};
    positives += labels[i] > 0.5f ? std::size_t{1} : std::size_t{0};
    probability_sum += 1.0 / (1.0 + std::exp(-static_cast<double>(logits[i])));
  }
  const auto n = static_cast<double>(logits.size());
  metrics.accuracy = static_cast<double>(correct) / n;
  const double rate = static_cast<double>(positives) / n;
  if (positives > 0) metrics.calibration = (probability_sum / n) / rate;
  if (positives > 0 && positives < logits.size())
    metrics.ne = metrics.logloss / -(rate * std::log(rate) + (1 - rate) * std::log1p(-rate));
  return metrics;
}

}  // namespace deepfm
