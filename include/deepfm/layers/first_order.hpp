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
  void forward(const PassContext&, std::span<const FeatureId> ids, Workspace& ws,
               MatrixView<T> dst) const {
    prepare(dst.rows, ws);
    parallel_for(dst.rows, grain_for(fields_), [&](std::size_t begin, std::size_t end) {
      forward_rows(ids, ws, dst, begin, end);
    });
  }

  /// Accumulates the head's gradients and the weight table's sparse row gradient (into the
  /// table's own gradient()).
  void backward(const PassContext&, std::span<const FeatureId> ids, Workspace& ws,
                MatrixView<const T> diff_dst) {
    diff_table_rows(ws, diff_dst);
    weights_.backward(ids, ws.gathered.data());
  }

  /// The same, the table's gradient set into `table_gradient` from the batch `rows` indexes.
  void backward(const PassContext&, std::span<const FeatureId>, Workspace& ws,
                MatrixView<const T> diff_dst, const BatchRows& rows,
                SparseRowGradient<T>& table_gradient) {
    diff_table_rows(ws, diff_dst);
    weights_.backward(rows, ws.gathered.data(), table_gradient);
  }

  // The parts of a pass, for callers that run it in one parallel region (a model's step):
  // prepare once, then per block of rows forward_rows and backward_rows on the calling thread,
  // then backward_head once; the table's gradient is then summed from ws.gathered.

  /// Sizes the workspace for a batch of `rows`.
  void prepare(std::size_t rows, Workspace& ws) const {
    ws.gathered.ensure_size(rows * fields_);
    ws.sums.ensure_size(rows);
    ws.diff_sums.ensure_size(rows);
  }

  /// dst rows [begin, end) of the batch `ids`.
  void forward_rows(std::span<const FeatureId> ids, Workspace& ws, MatrixView<T> dst,
                    std::size_t begin, std::size_t end) const noexcept {
    T* gathered = ws.gathered.data() + begin * fields_;
    weights_.gather(ids.subspan(begin * fields_, (end - begin) * fields_), gathered);
    kernels::row_sums(gathered, end - begin, fields_, ws.sums.data() + begin);
    head_.forward_rows(sums(ws, dst.rows), dst, begin, end);
  }

  /// In ws.gathered, for rows [begin, end), the gradient of each gathered weight.
  void backward_rows(Workspace& ws, MatrixView<const T> diff_dst, std::size_t begin,
                     std::size_t end) const noexcept {
    const MatrixView<T> diff_sums{ws.diff_sums.data(), diff_dst.rows, 1};
    head_.backward_data_rows(diff_dst, diff_sums, begin, end);
    // d sum / d w[x_f] = 1, so every field of row r receives diff_sums[r].
    for (std::size_t r = begin; r < end; ++r)
      std::fill_n(ws.gathered.data() + r * fields_, fields_, ws.diff_sums[r]);
  }

  /// Accumulates the head's gradients [a | b] over every row of the batch.
  void backward_head(const Workspace& ws, MatrixView<const T> diff_dst) noexcept {
    head_.backward_weights(sums(ws, diff_dst.rows), diff_dst, 0, 1);
  }

  EmbeddingTable<T>& table() noexcept { return weights_; }
  const EmbeddingTable<T>& table() const noexcept { return weights_; }

 private:
  static MatrixView<const T> sums(const Workspace& ws, std::size_t rows) noexcept {
    return {ws.sums.data(), rows, 1};
  }

  /// The head's gradients, and in ws.gathered the gradient of each gathered weight.
  void diff_table_rows(Workspace& ws, MatrixView<const T> diff_dst) {
    backward_head(ws, diff_dst);
    parallel_for(diff_dst.rows, grain_for(fields_), [&](std::size_t begin, std::size_t end) {
      backward_rows(ws, diff_dst, begin, end);
    });
  }

  std::size_t fields_;
  EmbeddingTable<T> weights_;
  Dense<T> head_;
};

}  // namespace deepfm
