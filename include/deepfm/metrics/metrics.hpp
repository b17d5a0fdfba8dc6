#pragma once
/// @file
/// The evaluation metrics of a CTR model, computed from logits in double.

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
  for (std::size_t i = 0; i < logits.size(); ++i)
    correct += (logits[i] > T(0)) == (labels[i] > 0.5f) ? 1 : 0;
  metrics.accuracy = static_cast<double>(correct) / static_cast<double>(logits.size());
  return metrics;
}

}  // namespace deepfm
