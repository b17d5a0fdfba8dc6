#pragma once
/// @file
/// The optimizer of a CTR model: one DenseOptimizer over the flat dense-parameter buffer and
/// one RowOptimizer per table (the factor table, the first-order weights), applied together
/// from one batch's Gradients. It sees spans, never layers: the model hands it its parameter
/// buffers, so the same object serves one process, a data-parallel rank or a replica.

#include <cstddef>
#include <cstdint>
#include <span>

#include "deepfm/core/config.hpp"
#include "deepfm/core/gradients.hpp"
#include "deepfm/optim/dense_optimizer.hpp"
#include "deepfm/optim/row_optimizer.hpp"

namespace deepfm {

/// The parameter buffers a CtrOptimizer updates.
template <typename T>
struct CtrParameters {
  std::span<T> dense;        ///< every dense parameter, as the model's dense_layout()
  std::span<T> embedding;    ///< the factor table [rows x factors]
  std::span<T> first_order;  ///< the first-order weights, one per row
};

template <typename T>
class CtrOptimizer {
 public:
  CtrOptimizer(const OptimizerConfig& config, std::size_t dense_size, std::size_t table_rows,
               std::size_t factors)
      : dense_(config, dense_size),
        embedding_(config, table_rows, factors),
        first_order_(config, table_rows, 1) {}

  /// Applies step t from `gradients` (computed, then reduced). Returns whether every value
  /// and moment the step wrote is finite: the kernels flag it as they write, so the check
  /// costs no pass of its own.
  bool apply(const CtrParameters<T>& parameters, const Gradients<T>& gradients, std::uint64_t t) {
    bool finite = dense_.step(parameters.dense, gradients.dense.span(), t);
    finite &= embedding_.step(parameters.embedding, gradients.embedding, t);
    finite &= first_order_.step(parameters.first_order, gradients.first_order, t);
    return finite;
  }

  /// Lazy-exact Adam: brings the rows in `ids` of both tables up to step t (before a forward
  /// pass reads them). A no-op in the other modes.
  void catch_up_rows(const CtrParameters<T>& parameters, std::span<const FeatureId> ids,
                     std::uint64_t t) {
    embedding_.catch_up_rows(parameters.embedding, ids, t);
    first_order_.catch_up_rows(parameters.first_order, ids, t);
  }

  /// Lazy-exact Adam: brings every row of both tables up to step t.
  void catch_up(const CtrParameters<T>& parameters, std::uint64_t t) {
    embedding_.catch_up(parameters.embedding, t);
    first_order_.catch_up(parameters.first_order, t);
  }

  bool needs_catch_up() const noexcept {
    return embedding_.needs_catch_up() || first_order_.needs_catch_up();
  }

  /// Declares every row up to date at step t (after a saved state was written back).
  void reset_step(std::uint64_t t) {
    embedding_.reset_step(t);
    first_order_.reset_step(t);
  }

  DenseOptimizer<T>& dense() noexcept { return dense_; }
  const DenseOptimizer<T>& dense() const noexcept { return dense_; }
  RowOptimizer<T>& embedding() noexcept { return embedding_; }
  const RowOptimizer<T>& embedding() const noexcept { return embedding_; }
  RowOptimizer<T>& first_order() noexcept { return first_order_; }
  const RowOptimizer<T>& first_order() const noexcept { return first_order_; }

 private:
  DenseOptimizer<T> dense_;
  RowOptimizer<T> embedding_;
  RowOptimizer<T> first_order_;
};

}  // namespace deepfm
