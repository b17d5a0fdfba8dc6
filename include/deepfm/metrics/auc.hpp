#pragma once
/// @file
/// Exact area under the ROC curve, ties averaged (the Mann–Whitney U statistic divided by
/// positives × negatives), as sklearn's roc_auc_score computes it.

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <optional>
#include <span>
#include <vector>

#include "deepfm/core/error.hpp"

namespace deepfm {

/// AUC of `scores` (any monotone score: logits or probabilities) against 0/1 `labels`;
/// nullopt when the labels hold only one class, where AUC is undefined.
template <typename S>
std::optional<double> roc_auc(std::span<const S> scores, std::span<const float> labels) {
  if (scores.size() != labels.size())
    throw InvalidArgument("roc_auc: scores and labels differ in length");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0;
  std::size_t positives = 0;
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin + 1;
    while (end < order.size() && !(scores[order[begin]] < scores[order[end]])) ++end;
    const double average_rank = 0.5 * static_cast<double>(begin + 1 + end);  // 1-based ranks
    for (std::size_t i = begin; i < end; ++i) {
      if (labels[order[i]] > 0.5f) {
        positive_rank_sum += average_rank;
        ++positives;
      }
    }
    begin = end;
  }
  const std::size_t negatives = scores.size() - positives;
  if (positives == 0 || negatives == 0) return std::nullopt;
  const double p = static_cast<double>(positives);
  return (positive_rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

}  // namespace deepfm
