#pragma once
/// @file
/// Binary cross-entropy on logits, the loss of every model here:
///   loss(z, y) = max(z, 0) − z·y + log(1 + e^{−|z|}),  d loss / dz = sigmoid(z) − y.
/// Stable for any logit. The d2l reference applies a sigmoid before a loss that applies one
/// again; we apply it once.

#include <cstddef>
#include <span>

#include "deepfm/core/error.hpp"
#include "deepfm/kernels/kernels.hpp"

namespace deepfm {

/// Mean BCE of `logits` against 0/1 `labels`, accumulated in double.
template <typename T>
double bce_with_logits_mean(std::span<const T> logits, std::span<const float> labels) {
  DEEPFM_ASSERT(logits.size() == labels.size() && !logits.empty());
  return kernels::bce_with_logits_sum(logits.data(), labels.data(), logits.size()) /
         static_cast<double>(logits.size());
}

/// Gradient of the mean BCE with respect to each logit: (sigmoid(z) − y) / n.
template <typename T>
void bce_with_logits_mean_backward(std::span<const T> logits, std::span<const float> labels,
                                   std::span<T> diff_logits) {
  DEEPFM_ASSERT(logits.size() == labels.size() && logits.size() == diff_logits.size());
  kernels::bce_with_logits_backward(logits.data(), labels.data(), logits.size(),
                                    T(1) / static_cast<T>(logits.size()), diff_logits.data());
}

}  // namespace deepfm
