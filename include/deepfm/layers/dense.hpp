#pragma once
/// @file
/// Fully connected layer: dst = src · Wᵀ + b, W of shape (out, in) as in MXNet and PyTorch.
/// The products are deepfm's own kernels (kernels/dense_products.hpp), threaded here: rows
/// split across threads for the outputs and the input gradient, outputs split for the weight
/// gradient, so every value is the same for any thread count.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "deepfm/core/error.hpp"
#include "deepfm/core/init.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/layers/layer.hpp"

namespace deepfm {

/// Dense (affine) layer whose weights live in the model's flat dense-parameter buffer:
/// [W (out x in, row-major) | b (out)].
template <typename T>
class Dense {
 public:
  using value_type = T;

  Dense(std::size_t in, std::size_t out) : in_(in), out_(out) {}

  std::size_t in() const noexcept { return in_; }
  std::size_t out() const noexcept { return out_; }
  std::size_t parameter_count() const noexcept { return out_ * in_ + out_; }

  void bind(T* parameters, T* gradients) noexcept {
    parameters_ = parameters;
    gradients_ = gradients;
  }

  /// Xavier-uniform weights (fan_in = in, fan_out = out), zero bias.
  void initialize(std::uint64_t seed, std::uint16_t tensor_id) {
    DEEPFM_ASSERT(parameters_ != nullptr);
    xavier_uniform(std::span<T>(parameters_, out_ * in_), in_, out_, seed, tensor_id);
    std::fill(parameters_ + out_ * in_, parameters_ + parameter_count(), T(0));
  }

  void forward(const PassContext&, MatrixView<const T> src, MatrixView<T> dst) const {
    DEEPFM_ASSERT(src.cols == in_ && dst.cols == out_ && src.rows == dst.rows);
    parallel_for(src.rows, grain_for(in_ * out_),
                 [&](std::size_t begin, std::size_t end) { forward_rows(src, dst, begin, end); });
  }

  /// dW += diff_dstᵀ · src, db += column sums of diff_dst, diff_src = diff_dst · W.
  /// diff_src may be empty (rows == 0) when the input needs no gradient.
  void backward(const PassContext&, MatrixView<const T> src, MatrixView<const T> diff_dst,
                MatrixView<T> diff_src) {
    DEEPFM_ASSERT(src.cols == in_ && diff_dst.cols == out_ && src.rows == diff_dst.rows);
    parallel_for(out_, grain_for(src.rows * in_), [&](std::size_t begin, std::size_t end) {
      backward_weights(src, diff_dst, begin, end);
    });
    if (diff_src.rows != 0) {
      DEEPFM_ASSERT(diff_src.cols == in_ && diff_src.rows == src.rows);
      parallel_for(src.rows, grain_for(in_ * out_), [&](std::size_t begin, std::size_t end) {
        backward_data_rows(diff_dst, diff_src, begin, end);
      });
    }
  }

  // The parts of forward and backward, on the calling thread, for callers that run a whole
  // pass in one parallel region (a model's step): rows [begin, end) of the batch, or the
  // weight gradient of the outputs [o_begin, o_end) over every row.

  /// dst rows [begin, end) = src rows · Wᵀ + b.
  void forward_rows(MatrixView<const T> src, MatrixView<T> dst, std::size_t begin,
                    std::size_t end) const noexcept {
    kernels::dense_forward(src.row(begin), end - begin, in_, parameters_, bias(), out_,
                           dst.row(begin));
  }

  /// diff_src rows [begin, end) = diff_dst rows · W, or with `add` diff_src rows += that
  /// (each sum starting from diff_src's value).
  void backward_data_rows(MatrixView<const T> diff_dst, MatrixView<T> diff_src, std::size_t begin,
                          std::size_t end, bool add = false) const noexcept {
    if (add) {
      kernels::dense_backward_data_add(diff_dst.row(begin), end - begin, out_, parameters_, in_,
                                       diff_src.row(begin));
    } else {
      kernels::dense_backward_data(diff_dst.row(begin), end - begin, out_, parameters_, in_,
                                   diff_src.row(begin));
    }
  }

  /// dW[o, :] += Σ_r diff_dst[r, o] · src[r, :] and db[o] += Σ_r diff_dst[r, o] for the outputs
  /// o in [o_begin, o_end), summed in row order.
  void backward_weights(MatrixView<const T> src, MatrixView<const T> diff_dst, std::size_t o_begin,
                        std::size_t o_end) noexcept {
    kernels::dense_backward_weights(src.data, diff_dst.data, src.rows, in_, out_, o_begin, o_end,
                                    gradients_, gradients_ + out_ * in_);
  }

  /// dW += Σ_r diff_dst[r, :]ᵀ · src[r, :] and db += Σ_r diff_dst[r, :] over the rows
  /// [begin, end) only, summed in row order into `gradients` ([dW | db], laid out as this
  /// layer's parameters) rather than the bound buffer: a part of the batch's sums.
  void backward_weight_rows(MatrixView<const T> src, MatrixView<const T> diff_dst,
                            std::size_t begin, std::size_t end, T* gradients) const noexcept {
    kernels::dense_backward_weight_columns(src.row(begin), diff_dst.row(begin), end - begin, in_,
                                           out_, 0, in_, gradients);
    kernels::dense_backward_bias(diff_dst.row(begin), end - begin, out_, gradients + out_ * in_);
  }

  /// The same sums split by inputs: dW[:, i] for i in [i_begin, i_end) (i_begin a multiple of
  /// kernels::kWeightColumnBlock<T>, i_end too or in()), and with `bias` db as well.
  void backward_weight_columns(MatrixView<const T> src, MatrixView<const T> diff_dst,
                               std::size_t i_begin, std::size_t i_end, bool bias) noexcept {
    kernels::dense_backward_weight_columns(src.data, diff_dst.data, src.rows, in_, out_, i_begin,
                                           i_end, gradients_);
    if (bias) kernels::dense_backward_bias(diff_dst.data, src.rows, out_, gradients_ + out_ * in_);
  }

 private:
  const T* bias() const noexcept { return parameters_ + out_ * in_; }

  std::size_t in_;
  std::size_t out_;
  T* parameters_ = nullptr;
  T* gradients_ = nullptr;
};

DEEPFM_CHECK_LAYER(Dense<float>);

}  // namespace deepfm
