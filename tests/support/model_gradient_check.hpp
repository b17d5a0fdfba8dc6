#pragma once
/// @file
/// Whole-model finite-difference check: every dense parameter, every factor-table entry and
/// every first-order weight of a CtrModel<double> (FM or DeepFM), differentiated through
/// model.loss(batch, training) against model.compute_gradients(batch, training).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/sparse_row_gradient.hpp"
#include "support/gradient_check.hpp"

namespace deepfm::test {

/// Worst relative errors per component, and what the sparse gradients claim about rows.
struct ModelGradientReport {
  GradientCheckResult dense;                                 ///< the flat dense-parameter buffer
  GradientCheckResult embedding;                             ///< the factor table E
  GradientCheckResult first_order;                           ///< the first-order weights w
  std::vector<std::pair<std::string, double>> dense_slices;  ///< worst error per named slice
  std::size_t untouched_rows = 0;                            ///< table rows the batch does not use
  std::size_t untouched_nonzero = 0;  ///< of those, numeric derivatives that are not 0
  std::size_t slot_mismatches = 0;    ///< rows whose slot disagrees with the batch

  double worst() const {
    return std::max({dense.worst_relative_error, embedding.worst_relative_error,
                     first_order.worst_relative_error});
  }
};

/// The sparse gradient spread over a table of `rows` rows, zero where there is no slot.
template <typename T>
std::vector<double> spread(const SparseRowGradient<T>& gradient, std::size_t rows) {
  const std::size_t dim = gradient.dim();
  std::vector<double> out(rows * dim, 0.0);
  for (std::size_t row = 0; row < rows; ++row) {
    const std::uint32_t slot = gradient.slot(static_cast<FeatureId>(row));
    if (slot == SparseRowGradient<T>::kNoSlot) continue;
    const auto values = gradient.row_gradient(slot);
    std::copy(values.begin(), values.end(), out.begin() + static_cast<std::ptrdiff_t>(row * dim));
  }
  return out;
}

/// Checks every parameter of `model` on `batch`. Dropout (training = true) uses the mask of
/// the model's next step in both compute_gradients and loss, so the loss is a fixed function.
template <typename Model>
ModelGradientReport check_model_gradients(Model& model, const Batch& batch, bool training = true,
                                          const GradientCheckOptions& options = {}) {
  model.compute_gradients(batch, training);
  const std::vector<double> dense(model.dense_gradients().begin(), model.dense_gradients().end());
  const std::size_t rows = model.table_rows();
  const std::vector<double> embedding = spread(model.embedding_gradient(), rows);
  const std::vector<double> first_order = spread(model.first_order_gradient(), rows);
  auto loss = [&] { return model.loss(batch, training); };

  ModelGradientReport report;
  report.dense = check_gradient(model.dense_parameters(), dense, loss, options);
  report.embedding = check_gradient(model.embedding_weights(), embedding, loss, options);
  report.first_order = check_gradient(model.first_order_weights(), first_order, loss, options);

  for (const auto& slice : model.dense_layout()) {
    double worst = 0;
    for (std::size_t i = slice.offset; i < slice.offset + slice.size(); ++i)
      worst = std::max(worst,
                       relative_error(dense[i], report.dense.numeric_gradient[i], options.floor));
    report.dense_slices.emplace_back(slice.name, worst);
  }

  std::vector<bool> used(rows, false);
  for (const FeatureId id : batch.ids) used[id] = true;
  const std::size_t k = model.factors();
  for (std::size_t row = 0; row < rows; ++row) {
    const auto id = static_cast<FeatureId>(row);
    const bool has_slot = model.embedding_gradient().slot(id) != SparseRowGradient<double>::kNoSlot;
    const bool has_first =
        model.first_order_gradient().slot(id) != SparseRowGradient<double>::kNoSlot;
    report.slot_mismatches += (has_slot != used[row]) + (has_first != used[row]);
    if (used[row]) continue;
    ++report.untouched_rows;
    for (std::size_t j = 0; j < k; ++j)
      report.untouched_nonzero += report.embedding.numeric_gradient[row * k + j] != 0.0;
    report.untouched_nonzero += report.first_order.numeric_gradient[row] != 0.0;
  }
  return report;
}

}  // namespace deepfm::test
