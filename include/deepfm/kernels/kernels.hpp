#pragma once
/// @file
/// The one interface layers call kernels through. Each entry is chosen at compile time from
/// kIsa (see isa.hpp): the kernels written against the ISA layer (simd.hpp) compile to it, the
/// others are the scalar reference twins in ref.hpp, which stay the oracle of every kernel.

#include "deepfm/kernels/dense_products.hpp"
#include "deepfm/kernels/isa.hpp"
#include "deepfm/kernels/ref.hpp"

namespace deepfm::kernels {

using ref::adagrad_update;
using ref::adam_update;
using ref::adam_update_zero_grad;
using ref::AdamStep;
using ref::all_finite;
using ref::axpy;
using ref::bce_with_logit;
using ref::bce_with_logits_backward;
using ref::bce_with_logits_sum;
using ref::fm_backward;
using ref::fm_forward;
using ref::gather_rows;
using ref::multiply;
using ref::relu_backward;
using ref::relu_forward;
using ref::row_sums;
using ref::sgd_update;
using ref::sigmoid;
using simd::dense_backward_data;
using simd::dense_backward_weights;
using simd::dense_forward;

}  // namespace deepfm::kernels
