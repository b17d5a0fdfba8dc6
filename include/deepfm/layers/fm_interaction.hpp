#pragma once
/// @file
/// The factorization machine's second-order term over the field embeddings of each sample
/// (Rendle 2010): 0.5 · Σ_j ((Σ_f e_fj)² − Σ_f e_fj²) = Σ_{f<g} <e_f, e_g>, in O(F·k).

#include <cstddef>

#include "deepfm/core/error.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/layers/layer.hpp"

namespace deepfm {

/// FM interaction: src [rows x (fields·factors)] -> dst [rows x 1]; no parameters.
template <typename T>
class FMInteraction {
 public:
  using value_type = T;

  FMInteraction(std::size_t fields, std::size_t factors) : fields_(fields), factors_(factors) {}

  std::size_t parameter_count() const noexcept { return 0; }
  void bind(T*, T*) noexcept {}

  void forward(const PassContext&, MatrixView<const T> src, MatrixView<T> dst) const {
    DEEPFM_ASSERT(src.cols == fields_ * factors_ && dst.cols == 1 && dst.rows == src.rows);
    parallel_for(src.rows, grain_for(src.cols),
                 [&](std::size_t begin, std::size_t end) { forward_rows(src, dst, begin, end); });
  }

  void backward(const PassContext&, MatrixView<const T> src, MatrixView<const T> diff_dst,
                MatrixView<T> diff_src) {
    DEEPFM_ASSERT(diff_src.cols == src.cols && diff_src.rows == src.rows &&
                  diff_dst.rows == src.rows && diff_dst.cols == 1);
    parallel_for(src.rows, grain_for(src.cols), [&](std::size_t begin, std::size_t end) {
      backward_rows(src, diff_dst, diff_src, begin, end);
    });
  }

  /// forward on rows [begin, end), on the calling thread (for a caller's parallel region).
  void forward_rows(MatrixView<const T> src, MatrixView<T> dst, std::size_t begin,
                    std::size_t end) const noexcept {
    kernels::fm_forward(src.row(begin), end - begin, fields_, factors_, dst.row(begin));
  }

  /// backward on rows [begin, end), on the calling thread.
  void backward_rows(MatrixView<const T> src, MatrixView<const T> diff_dst, MatrixView<T> diff_src,
                     std::size_t begin, std::size_t end) const noexcept {
    kernels::fm_backward(src.row(begin), diff_dst.row(begin), end - begin, fields_, factors_,
                         diff_src.row(begin));
  }

 private:
  std::size_t fields_;
  std::size_t factors_;
};

DEEPFM_CHECK_LAYER(FMInteraction<float>);

}  // namespace deepfm
