#pragma once
/// @file
/// Fully connected layer: dst = src · Wᵀ + b, W of shape (out, in) as in MXNet and PyTorch.
/// Eigen does the matrix products on this reference path. deepfm's CMake target defines
/// EIGEN_DONT_PARALLELIZE: threads come from parallel_for, not from inside each product.

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "deepfm/core/error.hpp"
#include "deepfm/core/init.hpp"
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
    auto y = map(dst);
    y.noalias() = map(src) * weight().transpose();
    y.rowwise() += bias();
  }

  /// dW += diff_dstᵀ · src, db += column sums of diff_dst, diff_src = diff_dst · W.
  /// diff_src may be empty (rows == 0) when the input needs no gradient.
  void backward(const PassContext&, MatrixView<const T> src, MatrixView<const T> diff_dst,
                MatrixView<T> diff_src) {
    DEEPFM_ASSERT(src.cols == in_ && diff_dst.cols == out_ && src.rows == diff_dst.rows);
    const auto dy = map(diff_dst);
    WeightMap(gradients_, out_, in_).noalias() += dy.transpose() * map(src);
    BiasMap(gradients_ + out_ * in_, out_) += dy.colwise().sum();
    if (diff_src.rows != 0) {
      DEEPFM_ASSERT(diff_src.cols == in_ && diff_src.rows == src.rows);
      map(diff_src).noalias() = dy * weight();
    }
  }

 private:
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using WeightMap = Eigen::Map<Matrix>;
  using BiasMap = Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>;

  static Eigen::Map<Matrix> map(MatrixView<T> view) {
    return {view.data, static_cast<Eigen::Index>(view.rows), static_cast<Eigen::Index>(view.cols)};
  }
  static Eigen::Map<const Matrix> map(MatrixView<const T> view) {
    return {view.data, static_cast<Eigen::Index>(view.rows), static_cast<Eigen::Index>(view.cols)};
  }
  Eigen::Map<const Matrix> weight() const {
    return {parameters_, static_cast<Eigen::Index>(out_), static_cast<Eigen::Index>(in_)};
  }
  Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> bias() const {
    return {parameters_ + out_ * in_, static_cast<Eigen::Index>(out_)};
  }

  std::size_t in_;
  std::size_t out_;
  T* parameters_ = nullptr;
  T* gradients_ = nullptr;
};

DEEPFM_CHECK_LAYER(Dense<float>);

}  // namespace deepfm
