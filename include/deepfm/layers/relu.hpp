#pragma once
/// @file
/// Rectified linear unit, element-wise: dst = max(src, 0).

#include <cstddef>

#include "deepfm/core/error.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/layers/layer.hpp"

namespace deepfm {

/// ReLU; has no parameters.
template <typename T>
class ReLU {
 public:
  using value_type = T;

  std::size_t parameter_count() const noexcept { return 0; }
  void bind(T*, T*) noexcept {}

  void forward(const PassContext&, MatrixView<const T> src, MatrixView<T> dst) const {
    DEEPFM_ASSERT(src.size() == dst.size());
    parallel_for(src.size(), grain_for(1), [&](std::size_t begin, std::size_t end) {
      kernels::relu_forward(src.data + begin, end - begin, dst.data + begin);
    });
  }

  void backward(const PassContext&, MatrixView<const T> src, MatrixView<const T> diff_dst,
                MatrixView<T> diff_src) {
    DEEPFM_ASSERT(src.size() == diff_dst.size() && src.size() == diff_src.size());
    parallel_for(src.size(), grain_for(1), [&](std::size_t begin, std::size_t end) {
      kernels::relu_backward(src.data + begin, diff_dst.data + begin, end - begin,
                             diff_src.data + begin);
    });
  }

  /// forward on rows [begin, end), on the calling thread (for a caller's parallel region).
  void forward_rows(MatrixView<const T> src, MatrixView<T> dst, std::size_t begin,
                    std::size_t end) const noexcept {
    kernels::relu_forward(src.row(begin), (end - begin) * src.cols, dst.row(begin));
  }

  /// backward on rows [begin, end), on the calling thread.
  void backward_rows(MatrixView<const T> src, MatrixView<const T> diff_dst, MatrixView<T> diff_src,
                     std::size_t begin, std::size_t end) const noexcept {
    kernels::relu_backward(src.row(begin), diff_dst.row(begin), (end - begin) * src.cols,
                           diff_src.row(begin));
  }
};

DEEPFM_CHECK_LAYER(ReLU<float>);

}  // namespace deepfm
