#pragma once
/// @file
/// The deep component of DeepFM: (Dense → ReLU → Dropout) per hidden layer, then Dense to 1,
/// over the concatenated field embeddings, as d2l's DeepFM builds it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "deepfm/core/aligned_buffer.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/layers/dense.hpp"
#include "deepfm/layers/dropout.hpp"
#include "deepfm/layers/relu.hpp"

namespace deepfm {

/// Multi-layer perceptron [rows x in] -> [rows x 1] with any number of hidden layers (zero
/// included: then it is one Dense). Its parameters are consecutive Dense slices
/// [W0 b0 W1 b1 ... W_out b_out] of the model's flat buffer.
template <typename T>
class MLP {
 public:
  using value_type = T;

  /// Activations forward leaves for backward, and backward's per-row gradients; owned by the
  /// caller.
  struct Workspace {
    std::vector<AlignedBuffer<T>> pre_activation;  ///< per hidden layer: Dense output
    std::vector<AlignedBuffer<T>> hidden_output;   ///< per hidden layer: after ReLU, Dropout
    std::vector<AlignedBuffer<T>> diff_pre;  ///< per hidden layer: d loss / d its Dense output
  };

  /// One slice of the weight gradients: the inputs [i_begin, i_end) of Dense layer `layer`
  /// (the slice that starts at input 0 sums the bias too).
  struct WeightSlice {
    std::size_t layer;
    std::size_t i_begin;
    std::size_t i_end;
  };

  MLP(std::size_t in, std::vector<std::size_t> hidden, double dropout, std::uint64_t seed)
      : in_(in), hidden_(std::move(hidden)) {
    std::size_t width = in_;
    for (std::size_t i = 0; i < hidden_.size(); ++i) {
      dense_.emplace_back(width, hidden_[i]);
      dropout_.emplace_back(dropout, seed, static_cast<std::uint16_t>(i));
      width = hidden_[i];
    }
    dense_.emplace_back(width, 1);
  }

  std::size_t in() const noexcept { return in_; }
  const std::vector<std::size_t>& hidden() const noexcept { return hidden_; }
  const std::vector<Dense<T>>& dense_layers() const noexcept { return dense_; }

  std::size_t parameter_count() const noexcept {
    std::size_t count = 0;
    for (const auto& layer : dense_) count += layer.parameter_count();
    return count;
  }

  void bind(T* parameters, T* gradients) noexcept {
    for (auto& layer : dense_) {
      layer.bind(parameters, gradients);
      parameters += layer.parameter_count();
      gradients += layer.parameter_count();
    }
  }

  /// Initialises Dense layer i from init sub-stream first_tensor_id + i.
  void initialize(std::uint64_t seed, std::uint16_t first_tensor_id) {
    for (std::size_t i = 0; i < dense_.size(); ++i)
      dense_[i].initialize(seed, static_cast<std::uint16_t>(first_tensor_id + i));
  }

  void forward(const PassContext& ctx, MatrixView<const T> src, MatrixView<T> dst,
               Workspace& ws) const {
    prepare(src.rows, ws, false);
    parallel_for(src.rows, row_grain(), [&](std::size_t begin, std::size_t end) {
      forward_rows(ctx, src, dst, ws, begin, end);
    });
  }

  /// Accumulates every Dense gradient and writes diff_src. Needs the workspace of the
  /// forward pass on the same src and ctx.
  void backward(const PassContext& ctx, MatrixView<const T> src, MatrixView<const T> diff_dst,
                MatrixView<T> diff_src, Workspace& ws) {
    prepare(src.rows, ws);
    parallel_for(src.rows, row_grain(), [&](std::size_t begin, std::size_t end) {
      backward_rows(ctx, diff_dst, diff_src, ws, begin, end);
    });
    std::vector<WeightSlice> slices;
    weight_slices(src.rows, slices);
    parallel_for(slices.size(), 1, [&](std::size_t begin, std::size_t end) {
      for (std::size_t k = begin; k < end; ++k) backward_weights(src, diff_dst, ws, slices[k]);
    });
  }

  // The parts of forward and backward, for callers that run a whole pass in one parallel
  // region (a model's step): prepare once; per block of rows, forward_rows then backward_rows
  // on the calling thread; then, once every row is done, backward_weights for each of
  // weight_slices, in any order and on any thread (the slices are disjoint).

  /// Sizes the workspace for a batch of `rows`, for forward only or for backward too.
  void prepare(std::size_t rows, Workspace& ws, bool backward = true) const {
    ws.pre_activation.resize(hidden_.size());
    ws.hidden_output.resize(hidden_.size());
    ws.diff_pre.resize(hidden_.size());
    for (std::size_t i = 0; i < hidden_.size(); ++i) {
      ws.pre_activation[i].ensure_size(rows * hidden_[i]);
      ws.hidden_output[i].ensure_size(rows * hidden_[i]);
      if (backward) ws.diff_pre[i].ensure_size(rows * hidden_[i]);
    }
  }

  /// dst rows [begin, end) from src rows [begin, end).
  void forward_rows(const PassContext& ctx, MatrixView<const T> src, MatrixView<T> dst,
                    Workspace& ws, std::size_t begin, std::size_t end) const noexcept {
    for (std::size_t i = 0; i < hidden_.size(); ++i) {
      const MatrixView<T> pre = view(ws.pre_activation[i], src.rows, i);
      const MatrixView<T> out = view(ws.hidden_output[i], src.rows, i);
      dense_[i].forward_rows(input(src, ws, i), pre, begin, end);
      relu_.forward_rows(pre, out, begin, end);
      dropout_[i].apply_rows(ctx, out, out, begin, end);  // element-wise, so in place is safe
    }
    dense_.back().forward_rows(input(src, ws, hidden_.size()), dst, begin, end);
  }

  /// diff_src rows [begin, end) from diff_dst rows [begin, end) (with `add_to_diff_src`,
  /// added to what diff_src holds), leaving each hidden layer's gradient in ws.diff_pre for
  /// backward_weights. Needs the forward pass's workspace.
  void backward_rows(const PassContext& ctx, MatrixView<const T> diff_dst, MatrixView<T> diff_src,
                     Workspace& ws, std::size_t begin, std::size_t end,
                     bool add_to_diff_src = false) const noexcept {
    const std::size_t rows = diff_dst.rows;
    const std::size_t depth = hidden_.size();
    if (depth == 0) {
      dense_.back().backward_data_rows(diff_dst, diff_src, begin, end, add_to_diff_src);
      return;
    }
    dense_.back().backward_data_rows(diff_dst, view(ws.diff_pre[depth - 1], rows, depth - 1), begin,
                                     end);
    for (std::size_t i = depth; i-- > 0;) {
      const MatrixView<T> diff = view(ws.diff_pre[i], rows, i);
      const MatrixView<const T> pre = view(ws.pre_activation[i], rows, i);
      dropout_[i].apply_rows(ctx, diff, diff, begin, end);  // the same mask, in place
      relu_.backward_rows(pre, diff, diff, begin, end);
      if (i == 0) {
        dense_[0].backward_data_rows(diff, diff_src, begin, end, add_to_diff_src);
      } else {
        dense_[i].backward_data_rows(diff, view(ws.diff_pre[i - 1], rows, i - 1), begin, end);
      }
    }
  }

  /// Adds the weight gradients of the rows [begin, end) only, summed in row order, into
  /// `gradients` (laid out as this MLP's parameters): a part of the batch's sums, taken while
  /// the rows' activations are still in cache. Needs backward_rows done for those rows.
  void backward_weight_rows(MatrixView<const T> src, MatrixView<const T> diff_dst,
                            const Workspace& ws, std::size_t begin, std::size_t end,
                            T* gradients) const noexcept {
    for (std::size_t l = 0; l < dense_.size(); ++l) {
      const MatrixView<const T> diff =
          l == hidden_.size() ? diff_dst : view(ws.diff_pre[l], src.rows, l);
      dense_[l].backward_weight_rows(input(src, ws, l), diff, begin, end, gradients);
      gradients += dense_[l].parameter_count();
    }
  }

  /// The slices of the weight gradients of a batch of `rows`, into `slices` (cleared first;
  /// its capacity is reused): each costs about the same, so threads share them evenly. They
  /// split a layer's inputs, not its outputs, so each reads only its columns of the input.
  void weight_slices(std::size_t rows, std::vector<WeightSlice>& slices) const {
    slices.clear();
    constexpr std::size_t kBlock = kernels::kWeightColumnBlock<T>;
    for (std::size_t l = 0; l < dense_.size(); ++l) {
      const std::size_t in = dense_[l].in();
      const std::size_t per_input = std::max<std::size_t>(rows * dense_[l].out(), 1);
      const std::size_t blocks = std::max<std::size_t>(kSliceOperations / per_input / kBlock, 1);
      const std::size_t step = blocks * kBlock;
      for (std::size_t i = 0; i < in; i += step) slices.push_back({l, i, std::min(in, i + step)});
    }
  }

  /// Accumulates the weight gradient of one slice over every row. Needs backward_rows done
  /// for every row.
  void backward_weights(MatrixView<const T> src, MatrixView<const T> diff_dst, const Workspace& ws,
                        const WeightSlice& slice) noexcept {
    const std::size_t l = slice.layer;
    const MatrixView<const T> diff =
        l == hidden_.size() ? diff_dst : view(ws.diff_pre[l], src.rows, l);
    dense_[l].backward_weight_columns(input(src, ws, l), diff, slice.i_begin, slice.i_end,
                                      slice.i_begin == 0);
  }

 private:
  /// Rows that make a parallel block of forward or backward worth a thread.
  std::size_t row_grain() const noexcept {
    std::size_t cost = 0;
    for (const auto& layer : dense_) cost += layer.in() * layer.out();
    return grain_for(cost);
  }

  /// Multiply-adds in one weight-gradient slice: about 2 M, some hundred microseconds, so a
  /// batch's slices spread over the threads and still pay for handing them out.
  static constexpr std::size_t kSliceOperations = std::size_t{1} << 21;

  /// The input of Dense layer i: src for the first, the previous hidden output otherwise.
  MatrixView<const T> input(MatrixView<const T> src, const Workspace& ws, std::size_t i) const {
    if (i == 0) return src;
    return {ws.hidden_output[i - 1].data(), src.rows, hidden_[i - 1]};
  }
  /// Hidden layer i's buffer as a [rows x hidden_[i]] matrix.
  MatrixView<T> view(AlignedBuffer<T>& buffer, std::size_t rows, std::size_t i) const {
    return {buffer.data(), rows, hidden_[i]};
  }
  MatrixView<const T> view(const AlignedBuffer<T>& buffer, std::size_t rows, std::size_t i) const {
    return {buffer.data(), rows, hidden_[i]};
  }

  std::size_t in_;
  std::vector<std::size_t> hidden_;
  std::vector<Dense<T>> dense_;
  std::vector<Dropout<T>> dropout_;
  ReLU<T> relu_;
};

}  // namespace deepfm
