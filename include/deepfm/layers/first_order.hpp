#pragma once
/// @file
/// The first-order (linear) term: a · Σ_f w[x_f] + b, as the reference computes it (a Dense(1)
/// applied to the summed per-feature weights).
///
/// Where the first-order weights live: beside the factor table, in a table of its own with
/// the same row ids (N x 1), not as a (k+1)-th column. The factor rows then stay exactly k
/// wide and contiguous, which is what the FM and MLP kernels (and their SIMD lanes) read, and
/// both tables share one sparse-gradient and row-optimiser mechanism.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "deepfm/core/aligned_buffer.hpp"
#include "deepfm/core/batch.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/layers/dense.hpp"
#include "deepfm/layers/embedding_table.hpp"

namespace deepfm {

/// Linear term over `fields` features per sample. Owns the N x 1 weight table; its head
/// [a | b] lives in the model's flat dense-parameter buffer.
template <typename T>
class FirstOrderTerm {
 public:
  using value_type = T;

  /// Buffers a forward pass leaves for backward, owned by the caller.
  struct Workspace {
    AlignedBuffer<T> gathered;  ///< [rows x fields] w[x_f]
    AlignedBuffer<T> sums;      ///< [rows] Σ_f w[x_f]
    AlignedBuffer<T> diff_sums;
  };

  FirstOrderTerm(std::size_t table_rows, std::size_t fields)
      : fields_(fields), weights_(table_rows, 1), head_(1, 1) {}

  std::size_t parameter_count() const noexcept { return head_.parameter_count(); }
  void bind(T* parameters, T* gradients) noexcept { head_.bind(parameters, gradients); }

  void initialize(std::uint64_t seed, std::uint16_t table_tensor_id, std::uint16_t head_tensor_id) {
    weights_.initialize(seed, table_tensor_id);
    head_.initialize(seed, head_tensor_id);
  }

  /// dst [rows x 1] = a · Σ_f w[ids[r, f]] + b.
  void forward(const PassContext& ctx, std::span<const FeatureId> ids, Workspace& ws,
               MatrixView<T> dst) const {
    const std::size_t rows = ids.size() / fields_;
    ws.gathered.ensure_size(ids.size());
    ws.sums.ensure_size(rows);
    weights_.forward(ids, ws.gathered.data());
    parallel_for(rows, grain_for(fields_), [&](std::size_t begin, std::size_t end) {
      kernels::row_sums(ws.gathered.data() + begin * fields_, end - begin, fields_,
                        ws.sums.data() + begin);
    });
    head_.forward(ctx, MatrixView<const T>{ws.sums.data(), rows, 1}, dst);
  }

  /// Accumulates the head's gradients and the weight table's sparse row gradient (into the
  /// table's own gradient()).
  void backward(const PassContext& ctx, std::span<const FeatureId> ids, Workspace& ws,
                MatrixView<const T> diff_dst) {
    diff_table_rows(ctx, ids, ws, diff_dst);
    weights_.backward(ids, ws.gathered.data());
  }

  /// The same, the table's gradient set into `table_gradient` from the batch `rows` indexes.
  void backward(const PassContext& ctx, std::span<const FeatureId> ids, Workspace& ws,
                MatrixView<const T> diff_dst, const BatchRows& rows,
                SparseRowGradient<T>& table_gradient) {
    diff_table_rows(ctx, ids, ws, diff_dst);
    weights_.backward(rows, ws.gathered.data(), table_gradient);
  }

  EmbeddingTable<T>& table() noexcept { return weights_; }
  const EmbeddingTable<T>& table() const noexcept { return weights_; }

 private:
  /// The head's gradients, and in ws.gathered the gradient of each gathered weight.
  void diff_table_rows(const PassContext& ctx, std::span<const FeatureId> ids, Workspace& ws,
                       MatrixView<const T> diff_dst) {
    const std::size_t rows = ids.size() / fields_;
    ws.diff_sums.ensure_size(rows);
    head_.backward(ctx, MatrixView<const T>{ws.sums.data(), rows, 1}, diff_dst,
                   MatrixView<T>{ws.diff_sums.data(), rows, 1});
    // d sum / d w[x_f] = 1, so every field of row r receives diff_sums[r].
    ws.gathered.ensure_size(ids.size());
    parallel_for(rows, grain_for(fields_), [&](std::size_t begin, std::size_t end) {
      for (std::size_t r = begin; r < end; ++r)
        std::fill_n(ws.gathered.data() + r * fields_, fields_, ws.diff_sums[r]);
    });
  }

  std::size_t fields_;
  EmbeddingTable<T> weights_;
  Dense<T> head_;
};

}  // namespace deepfm
