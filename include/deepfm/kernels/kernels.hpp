#pragma once
/// @file
/// The one interface layers call kernels through. Each entry is chosen at compile time from
/// kIsa (see isa.hpp): the kernels written against the ISA layer (simd.hpp) compile to it, the
/// others are the scalar reference twins in ref.hpp, which stay the oracle of every kernel.

#include "deepfm/kernels/dense_products.hpp"
#include "deepfm/kernels/fm.hpp"
#include "deepfm/kernels/isa.hpp"
#include "deepfm/kernels/optimizer_updates.hpp"
#include "deepfm/kernels/ref.hpp"
#include "deepfm/kernels/rows.hpp"

namespace deepfm::kernels {

using ref::AdamStep;
using ref::all_finite;
using ref::axpy;
using ref::bce_with_logit;
using ref::bce_with_logits_backward;
using ref::bce_with_logits_sum;
using ref::multiply;
using ref::relu_backward;
using ref::relu_forward;
using ref::row_sums;
using ref::sigmoid;
using simd::adagrad_update;
using simd::adam_update;
using simd::adam_update_zero_grad;
using simd::add_rows_to_slots;
using simd::dense_backward_bias;
using simd::dense_backward_data;
using simd::dense_backward_data_add;
using simd::dense_backward_weight_columns;
using simd::dense_backward_weights;
using simd::dense_forward;
using simd::fm_backward;
using simd::fm_forward;
using simd::gather_rows;
using simd::kWeightColumnBlock;
using simd::sgd_update;

}  // namespace deepfm::kernels
