#pragma once
/// @file
/// An embedding table: `rows` vectors of `dim` scalars addressed by global feature id.
/// Its gradient is sparse (only rows a batch touched), so it lives outside the model's flat
/// dense-parameter buffer and has its own row-wise optimiser step.

#include <cstddef>
#include <cstdint>
#include <span>

#include "deepfm/core/aligned_buffer.hpp"
#include "deepfm/core/batch.hpp"
#include "deepfm/core/init.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/core/sparse_row_gradient.hpp"
#include "deepfm/kernels/kernels.hpp"

namespace deepfm {

/// A table of `rows x dim` parameters with gather (forward) and scatter-add (backward).
template <typename T>
class EmbeddingTable {
 public:
  using value_type = T;

  EmbeddingTable() = default;
  EmbeddingTable(std::size_t rows, std::size_t dim)
      : rows_(rows), dim_(dim), weights_(rows * dim), gradient_(rows, dim) {}

  /// Xavier-uniform with fan_in = dim, fan_out = rows (MXNet's convention for a table).
  void initialize(std::uint64_t seed, std::uint16_t tensor_id) {
    xavier_uniform(weights_.span(), dim_, rows_, seed, tensor_id);
  }

  /// dst[i, :] = weights[ids[i], :]. Ids must already be validated against rows().
  void forward(std::span<const FeatureId> ids, T* dst) const noexcept {
    parallel_for(ids.size(), grain_for(dim_), [&](std::size_t begin, std::size_t end) {
      gather(ids.subspan(begin, end - begin), dst + begin * dim_);
    });
  }
  /// The same on the calling thread (for a caller's parallel region).
  void gather(std::span<const FeatureId> ids, T* dst) const noexcept {
    kernels::gather_rows(weights_.data(), dim_, ids.data(), ids.size(), dst);
  }

  /// Accumulates diff_dst[i, :] into the sparse gradient of row ids[i] (the table's own
  /// gradient()).
  void backward(std::span<const FeatureId> ids, const T* diff_dst) {
    gradient_.accumulate(ids.data(), diff_dst, ids.size());
  }
  /// Sets `into` (a Gradients value's) to the gradient of the batch `rows` indexes, diff_dst
  /// holding one row per id of that batch.
  void backward(const BatchRows& rows, const T* diff_dst, SparseRowGradient<T>& into) const {
    into.assign(rows, diff_dst);
  }

  std::size_t rows() const noexcept { return rows_; }
  std::size_t dim() const noexcept { return dim_; }
  std::span<T> weights() noexcept { return weights_.span(); }
  std::span<const T> weights() const noexcept { return weights_.span(); }
  std::span<T> row(FeatureId id) noexcept {
    return {weights_.data() + std::size_t{id} * dim_, dim_};
  }
  SparseRowGradient<T>& gradient() noexcept { return gradient_; }
  const SparseRowGradient<T>& gradient() const noexcept { return gradient_; }

 private:
  std::size_t rows_ = 0;
  std::size_t dim_ = 0;
  AlignedBuffer<T> weights_;
  SparseRowGradient<T> gradient_;
};

}  // namespace deepfm
