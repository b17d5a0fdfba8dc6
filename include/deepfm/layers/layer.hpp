#pragma once
/// @file
/// The layer contract (names from oneDNN):
///   forward(ctx, src, dst)                 dst = f(src)
///   backward(ctx, src, diff_dst, diff_src) diff_src = (df/dsrc)^T diff_dst (overwritten), and
///                                          parameter gradients accumulated (+=)
///   parameter_count()                      how many scalars the layer keeps in the model's
///                                          flat dense-parameter buffer
///   bind(parameters, gradients)            where in that buffer its slice starts
/// Layers own no activations: the caller keeps src (and dst where needed) for backward, so
/// a model can run a const, thread-safe forward for inference.

#include <concepts>
#include <cstddef>
#include <cstdint>

#include "deepfm/core/matrix_view.hpp"

namespace deepfm {

/// Whether a pass trains (dropout active) and which step it is (keys the dropout masks, so
/// backward regenerates exactly the mask forward used, with no mask stored).
struct PassContext {
  bool training = false;
  std::uint64_t step = 0;
};

/// A layer of the dense part of a model (Dense, ReLU, Dropout, FM interaction).
template <typename L>
concept Layer = requires(L layer, const L& const_layer, const PassContext& ctx,
                         MatrixView<const typename L::value_type> src,
                         MatrixView<const typename L::value_type> diff_dst,
                         MatrixView<typename L::value_type> out, typename L::value_type* buffer) {
  { const_layer.forward(ctx, src, out) } -> std::same_as<void>;
  { layer.backward(ctx, src, diff_dst, out) } -> std::same_as<void>;
  { const_layer.parameter_count() } -> std::convertible_to<std::size_t>;
  { layer.bind(buffer, buffer) } -> std::same_as<void>;
};

/// Gives a readable error where a type meant as a layer misses part of the contract.
#define DEEPFM_CHECK_LAYER(L)                                                      \
  static_assert(::deepfm::Layer<L>, #L                                             \
                " must provide value_type, forward(ctx, src, dst) const, "         \
                "backward(ctx, src, diff_dst, diff_src), parameter_count() const " \
                "and bind(parameters, gradients)")

}  // namespace deepfm
