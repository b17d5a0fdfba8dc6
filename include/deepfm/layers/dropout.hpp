#pragma once
/// @file
/// Inverted dropout: in training each element is kept with probability 1 - rate and scaled
/// by 1 / (1 - rate); in evaluation it is the identity. The mask comes from the counter-based
/// dropout stream keyed by (seed, layer, step, element), so backward regenerates it instead
/// of storing it, and a run is reproducible bit for bit. Element i is kept when the top 24
/// bits of word i % 4 of Philox block i / 4 are >= ceil(rate · 2^24): one block serves four
/// elements, the decision is an integer compare, and float and double models share masks.
/// The mask kernel (kernels/dropout_mask.hpp) encrypts many blocks at once on SIMD ISAs.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "deepfm/core/error.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/core/random.hpp"
#include "deepfm/kernels/dropout_mask.hpp"
#include "deepfm/layers/layer.hpp"

namespace deepfm {

/// Dropout with a deterministic, regenerable mask; has no parameters.
template <typename T>
class Dropout {
 public:
  using value_type = T;

  Dropout(double rate, std::uint64_t seed, std::uint16_t layer_id)
      : rate_(static_cast<T>(checked(rate))),
        keep_threshold_(static_cast<std::uint32_t>(std::ceil(rate * 0x1.0p24))),
        seed_(seed),
        layer_id_(layer_id) {}

  std::size_t parameter_count() const noexcept { return 0; }
  void bind(T*, T*) noexcept {}
  T rate() const noexcept { return rate_; }

  /// The mask scale of element `index` at a training step: 0 or 1 / (1 - rate).
  T scale(std::uint64_t step, std::size_t index) const noexcept {
    const RandomStream stream(seed_, RngStream::dropout, layer_id_, step);
    return kept(stream.block(index / 4)[index % 4]) ? keep_scale() : T(0);
  }

  void forward(const PassContext& ctx, MatrixView<const T> src, MatrixView<T> dst) const {
    apply(ctx, src, dst);
  }

  /// d dst / d src is the same mask, so backward applies it to diff_dst.
  void backward(const PassContext& ctx, MatrixView<const T>, MatrixView<const T> diff_dst,
                MatrixView<T> diff_src) {
    apply(ctx, diff_dst, diff_src);
  }

  /// forward (and, with the same mask, backward) on rows [begin, end), on the calling thread:
  /// the mask of an element depends on its index in the whole batch, not on the rows given.
  void apply_rows(const PassContext& ctx, MatrixView<const T> src, MatrixView<T> dst,
                  std::size_t begin, std::size_t end) const noexcept {
    const std::size_t first = begin * src.cols;
    const std::size_t count = (end - begin) * src.cols;
    if (!ctx.training || rate_ == T(0)) {
      if (src.data != dst.data) std::copy_n(src.data + first, count, dst.data + first);
      return;
    }
    const RandomStream stream(seed_, RngStream::dropout, layer_id_, ctx.step);
    kernels::apply_dropout_mask(stream, keep_threshold_, keep_scale(), first, count,
                                src.data + first, dst.data + first);
  }

 private:
  // Validates before keep_threshold_ converts rate · 2^24 to an integer, which is undefined
  // behaviour for a NaN or negative rate.
  static double checked(double rate) {
    if (!(rate >= 0 && rate < 1)) throw InvalidArgument("dropout rate must be in [0, 1)");
    return rate;
  }
  T keep_scale() const noexcept { return T(1) / (T(1) - rate_); }
  bool kept(std::uint32_t word) const noexcept {
    return kernels::ref::dropout_keeps(word, keep_threshold_);
  }

  void apply(const PassContext& ctx, MatrixView<const T> src, MatrixView<T> dst) const {
    DEEPFM_ASSERT(src.size() == dst.size());
    if (!ctx.training || rate_ == T(0)) {
      if (src.data != dst.data) std::copy(src.data, src.data + src.size(), dst.data);
      return;
    }
    const RandomStream stream(seed_, RngStream::dropout, layer_id_, ctx.step);
    // The mask is keyed on the element's index, so any split across threads gives it whole.
    parallel_for(src.size(), grain_for(4), [&](std::size_t begin, std::size_t end) {
      kernels::apply_dropout_mask(stream, keep_threshold_, keep_scale(), begin, end - begin,
                                  src.data + begin, dst.data + begin);
    });
  }

  T rate_;
  std::uint32_t keep_threshold_;  ///< keep iff the top 24 bits of the word are >= this
  std::uint64_t seed_;
  std::uint16_t layer_id_;
};

DEEPFM_CHECK_LAYER(Dropout<float>);

}  // namespace deepfm
