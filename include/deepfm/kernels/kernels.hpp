#pragma once
/// @file
/// The one interface layers call kernels through. Each entry is chosen at compile time from
/// kIsa (see isa.hpp); today every entry is the scalar reference twin in ref.hpp. SIMD
/// implementations slot in here, one `if constexpr` per kernel, with ref:: kept as their oracle.

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

}  // namespace deepfm::kernels
