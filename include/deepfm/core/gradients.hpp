#pragma once
/// @file
/// One batch's gradients: what a model's compute_gradients fills, what a reducer combines
/// across threads or ranks (the identity on one process), and what apply hands to the
/// optimizers. The seam of the three-part step
///   compute_gradients(batch, Gradients&) -> reduce(Gradients&) -> apply(const Gradients&).
/// Dense gradients are one flat buffer (one all-reduce), laid out as the model's
/// dense_layout(); each table's gradient is sparse and canonical (sorted unique rows).

#include <cstddef>

#include "deepfm/core/aligned_buffer.hpp"
#include "deepfm/core/sparse_row_gradient.hpp"

namespace deepfm {

/// The gradients of one batch for a model; make one with the model's make_gradients().
template <typename T>
struct Gradients {
  AlignedBuffer<T> dense{};            ///< every dense parameter's, as dense_layout()
  SparseRowGradient<T> embedding{};    ///< the factor table's touched rows
  SparseRowGradient<T> first_order{};  ///< the first-order weights' touched rows
};

/// The reduce step of one process: the gradients stay as computed.
struct IdentityReducer {
  template <typename T>
  void operator()(Gradients<T>&) const noexcept {}
};

}  // namespace deepfm
