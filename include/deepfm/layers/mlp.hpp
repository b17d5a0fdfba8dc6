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

  /// Activations forward leaves for backward, and backward's scratch; owned by the caller.
  struct Workspace {
    std::vector<AlignedBuffer<T>> pre_activation;  ///< per hidden layer: Dense output
    std::vector<AlignedBuffer<T>> hidden_output;   ///< per hidden layer: after ReLU, Dropout
    AlignedBuffer<T> diff[2];                      ///< ping-pong gradients of hidden outputs
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
    const std::size_t rows = src.rows;
    ws.pre_activation.resize(hidden_.size());
    ws.hidden_output.resize(hidden_.size());
    MatrixView<const T> input = src;
    for (std::size_t i = 0; i < hidden_.size(); ++i) {
      ws.pre_activation[i].ensure_size(rows * hidden_[i]);
      ws.hidden_output[i].ensure_size(rows * hidden_[i]);
      const MatrixView<T> pre{ws.pre_activation[i].data(), rows, hidden_[i]};
      const MatrixView<T> out{ws.hidden_output[i].data(), rows, hidden_[i]};
      dense_[i].forward(ctx, input, pre);
      relu_.forward(ctx, pre, out);
      dropout_[i].forward(ctx, out, out);  // element-wise, so in place is safe
      input = out;
    }
    dense_.back().forward(ctx, input, dst);
  }

  /// Accumulates every Dense gradient and writes diff_src. Needs the workspace of the
  /// forward pass on the same src and ctx.
  void backward(const PassContext& ctx, MatrixView<const T> src, MatrixView<const T> diff_dst,
                MatrixView<T> diff_src, Workspace& ws) {
    const std::size_t rows = src.rows;
    const std::size_t widest =
        hidden_.empty() ? 0 : *std::max_element(hidden_.begin(), hidden_.end());
    for (auto& buffer : ws.diff) buffer.ensure_size(rows * widest);
    T* current = ws.diff[0].data();
    T* next = ws.diff[1].data();

    const std::size_t depth = hidden_.size();
    dense_.back().backward(ctx, input(src, ws, depth), diff_dst,
                           depth == 0 ? diff_src : MatrixView<T>{current, rows, hidden_.back()});
    for (std::size_t i = depth; i-- > 0;) {
      const MatrixView<T> diff{current, rows, hidden_[i]};
      const MatrixView<const T> pre{ws.pre_activation[i].data(), rows, hidden_[i]};
      dropout_[i].backward(ctx, diff, diff, diff);  // element-wise, in place
      relu_.backward(ctx, pre, diff, diff);
      dense_[i].backward(ctx, input(src, ws, i), diff,
                         i == 0 ? diff_src : MatrixView<T>{next, rows, hidden_[i - 1]});
      std::swap(current, next);
    }
  }

 private:
  /// The input of Dense layer i: src for the first, the previous hidden output otherwise.
  MatrixView<const T> input(MatrixView<const T> src, const Workspace& ws, std::size_t i) const {
    if (i == 0) return src;
    return {ws.hidden_output[i - 1].data(), src.rows, hidden_[i - 1]};
  }

  std::size_t in_;
  std::vector<std::size_t> hidden_;
  std::vector<Dense<T>> dense_;
  std::vector<Dropout<T>> dropout_;
  ReLU<T> relu_;
};

}  // namespace deepfm
