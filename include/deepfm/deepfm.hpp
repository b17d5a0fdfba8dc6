#pragma once
/// @file
/// deepfm: header-only DeepFM and FM click-through-rate models. Include this one header.
///
///   deepfm::DeepFM<float> model(field_dims, {.factors = 10, .mlp = {30, 20, 10}});
///   deepfm::fit(model, train, {.epochs = 30, .batch_size = 2048});
///   std::vector<float> p = model.predict(ids);
///
/// The CUDA path (deepfm/cuda/) is separate and never included from here.

#include "deepfm/core/aligned_buffer.hpp"
#include "deepfm/core/batch.hpp"
#include "deepfm/core/config.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/core/finite.hpp"
#include "deepfm/core/gradients.hpp"
#include "deepfm/core/init.hpp"
#include "deepfm/core/matrix_view.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/core/random.hpp"
#include "deepfm/core/sparse_row_gradient.hpp"
#include "deepfm/data/rollover_sampler.hpp"
#include "deepfm/data/synthetic.hpp"
#include "deepfm/kernels/isa.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/layers/dense.hpp"
#include "deepfm/layers/dropout.hpp"
#include "deepfm/layers/embedding_table.hpp"
#include "deepfm/layers/first_order.hpp"
#include "deepfm/layers/fm_interaction.hpp"
#include "deepfm/layers/layer.hpp"
#include "deepfm/layers/mlp.hpp"
#include "deepfm/layers/relu.hpp"
#include "deepfm/loss/bce.hpp"
#include "deepfm/metrics/auc.hpp"
#include "deepfm/metrics/epoch_stats.hpp"
#include "deepfm/metrics/metrics.hpp"
#include "deepfm/models/ctr_model.hpp"
#include "deepfm/models/deepfm.hpp"
#include "deepfm/models/dense_parameters.hpp"
#include "deepfm/models/fm.hpp"
#include "deepfm/optim/adam_schedule.hpp"
#include "deepfm/optim/ctr_optimizer.hpp"
#include "deepfm/optim/dense_optimizer.hpp"
#include "deepfm/optim/row_optimizer.hpp"
#include "deepfm/train/epoch_loop.hpp"
#include "deepfm/train/fit.hpp"
#include "deepfm/version.hpp"
