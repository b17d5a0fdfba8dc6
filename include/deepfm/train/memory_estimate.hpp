#pragma once
/// @file
/// The memory a training run will need, by part, computed before anything large is allocated
/// (the trainer prints it; it is an estimate of the heap, not of the binary or the libraries).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "deepfm/core/config.hpp"
#include "deepfm/train/model_spec.hpp"

namespace deepfm {

/// Bytes by part; total() is their sum.
struct MemoryEstimate {
  std::uint64_t parameters = 0;       ///< embedding table, first-order weights, dense buffer
  std::uint64_t optimizer_state = 0;  ///< moments (and lazy-exact row steps)
  std::uint64_t gradients = 0;        ///< dense gradients, sparse row gradients, slot maps
  std::uint64_t workspace = 0;        ///< one batch's activations and their gradients
  std::uint64_t datasets = 0;         ///< encoded ids and labels of every set held
  std::uint64_t evaluation = 0;       ///< logits and the AUC sort of the largest scored set
  std::uint64_t best_copy = 0;        ///< early stopping's copy of the best parameters
  std::uint64_t vocabulary = 0;       ///< kept values and their index

  std::uint64_t total() const noexcept {
    return parameters + optimizer_state + gradients + workspace + datasets + evaluation +
           best_copy + vocabulary;
  }
};

/// What training `spec` with `element_bytes`-wide parameters needs for `train_rows` training
/// rows, `eval_rows` rows scored per epoch (largest set), batches of `batch_size`, a
/// vocabulary of `vocabulary_bytes` of kept strings in `vocabulary_values` entries.
inline MemoryEstimate estimate_training_memory(const ModelSpec& spec, std::size_t element_bytes,
                                               std::uint64_t train_rows, std::uint64_t eval_rows,
                                               std::uint64_t held_rows, std::size_t batch_size,
                                               bool early_stop, std::uint64_t vocabulary_values,
                                               std::uint64_t vocabulary_bytes) {
  std::uint64_t table_rows = 0;
  for (const std::size_t dim : spec.field_dims) table_rows += dim;
  const std::uint64_t fields = spec.field_dims.size();
  const std::uint64_t k = spec.factors;
  const std::uint64_t width = fields * k;
  std::uint64_t dense = 2;  // first-order head
  std::uint64_t hidden_sum = 0;
  if (spec.kind == ModelKind::deepfm) {
    std::uint64_t in = width;
    for (const std::size_t out : spec.mlp) {
      dense += in * out + out;
      hidden_sum += out;
      in = out;
    }
    dense += in + 1;
  }
  const std::uint64_t parameter_count = table_rows * (k + 1) + dense;
  const std::uint64_t batch = std::min<std::uint64_t>(batch_size, train_rows);
  MemoryEstimate m;
  m.parameters = parameter_count * element_bytes;
  const std::uint64_t moments = spec.optimizer.kind == Optimizer::adam      ? 2
                                : spec.optimizer.kind == Optimizer::adagrad ? 1
                                                                            : 0;
  m.optimizer_state = moments * m.parameters;
  if (spec.optimizer.kind == Optimizer::adam && spec.optimizer.adam_mode == AdamMode::lazy_exact)
    m.optimizer_state += 2 * table_rows * sizeof(std::uint64_t);
  // Dense gradients, one row gradient per (sample, field) at most, and a slot per table row
  // for each of the two tables.
  m.gradients = dense * element_bytes + batch * fields * (k + 1) * element_bytes +
                2 * table_rows * sizeof(std::uint32_t);
  // Gathered embeddings, their gradient (twice with an MLP), MLP activations and masks.
  m.workspace = batch * width * element_bytes * (spec.kind == ModelKind::deepfm ? 3 : 2) +
                batch * hidden_sum * (3 * element_bytes + 4) + 4 * batch * element_bytes +
                batch * fields * 4 * 2;
  m.datasets = held_rows * (fields * 4 + 4);
  m.evaluation = eval_rows * (element_bytes + 16) +
                 std::min<std::uint64_t>(eval_rows, 4096) * width * element_bytes;
  m.best_copy = early_stop ? m.parameters : 0;
  // A kept value: its bytes, a string and a hash-map node (~96 bytes on 64-bit libstdc++).
  m.vocabulary = vocabulary_bytes + vocabulary_values * 96;
  return m;
}

}  // namespace deepfm
