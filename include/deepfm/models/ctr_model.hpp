#pragma once
/// @file
/// What FM and DeepFM share: the embedding table, the first-order term, the FM interaction,
/// an optional MLP, the flat dense-parameter buffer, and the optimizer state of its
/// parameters. The model computes (forward, backward, the three-part step); the epoch loop
/// lives in train/ (train/epoch_loop.hpp, `fit` in train/fit.hpp).
/// The logit of a sample x (F global feature ids) is
///   first_order(x) + fm(E[x]) [+ mlp(concat E[x])]
/// where E is the one shared N x k factor table (Guo et al., IJCAI 2017, "DeepFM").

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "deepfm/core/aligned_buffer.hpp"
#include "deepfm/core/batch.hpp"
#include "deepfm/core/config.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/core/finite.hpp"
#include "deepfm/core/gradients.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/data/rollover_sampler.hpp"
#include "deepfm/kernels/kernels.hpp"
#include "deepfm/layers/embedding_table.hpp"
#include "deepfm/layers/first_order.hpp"
#include "deepfm/layers/fm_interaction.hpp"
#include "deepfm/layers/mlp.hpp"
#include "deepfm/loss/bce.hpp"
#include "deepfm/metrics/epoch_stats.hpp"
#include "deepfm/metrics/metrics.hpp"
#include "deepfm/models/dense_parameters.hpp"
#include "deepfm/models/pass_layout.hpp"
#include "deepfm/optim/ctr_optimizer.hpp"

namespace deepfm {

/// Init sub-streams of the parameter tensors (part of the seed -> model contract).
namespace tensor_id {
inline constexpr std::uint16_t kEmbedding = 0;
inline constexpr std::uint16_t kFirstOrderTable = 1;
inline constexpr std::uint16_t kFirstOrderHead = 2;
inline constexpr std::uint16_t kFirstMlpLayer = 3;
}  // namespace tensor_id

/// The shared machinery of FM and DeepFM; construct one of those.
template <typename T>
class CtrModel {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "models are defined for float and double");

 public:
  using value_type = T;

  CtrModel(const CtrModel&) = delete;  // layers point into this model's own buffers
  CtrModel& operator=(const CtrModel&) = delete;
  CtrModel(CtrModel&&) noexcept = default;  // buffers move with their heap blocks
  CtrModel& operator=(CtrModel&&) noexcept = default;
  virtual ~CtrModel() = default;  // trainers hold an FM or a DeepFM through this base

  // ---- shape ----
  std::size_t fields() const noexcept { return field_dims_.size(); }
  std::size_t factors() const noexcept { return factors_; }
  const std::vector<std::size_t>& field_dims() const noexcept { return field_dims_; }
  /// offsets()[f] = sum of field_dims before f: global id = offset + field-local id.
  const std::vector<FeatureId>& offsets() const noexcept { return offsets_; }
  /// Rows of the embedding table: sum of field_dims.
  std::size_t table_rows() const noexcept { return embedding_.rows(); }
  /// The seed of every random draw (init, dropout masks, batch order).
  std::uint64_t seed() const noexcept { return seed_; }
  /// Optimiser steps taken so far.
  std::uint64_t step() const noexcept { return step_; }
  /// Epochs `fit` (or a trainer, through set_progress) has completed.
  std::uint64_t epochs_trained() const noexcept { return epochs_trained_; }
  /// Counts one more epoch trained (what `fit` calls after each).
  void count_epoch() noexcept { ++epochs_trained_; }
  /// Where `fit`'s batch order stands, so that consecutive fit calls continue it.
  BatchOrderPosition& batch_order() noexcept { return batch_order_; }

  /// Buffers of one forward (and backward) pass, grown to the largest batch seen. A caller
  /// that keeps one per thread makes loss and predict_logits allocate nothing once warm;
  /// its contents are the model's business.
  struct Workspace {
    AlignedBuffer<T> embedded;  ///< [rows x fields*factors]: gathered rows, the MLP input
    AlignedBuffer<T> logits;
    AlignedBuffer<T> term;  ///< one head's output before it is added to the logits
    typename FirstOrderTerm<T>::Workspace first_order;
    typename MLP<T>::Workspace mlp;
    AlignedBuffer<T> diff_logits;
    AlignedBuffer<double> losses;      ///< each row's loss, summed in row order after the pass
    AlignedBuffer<T> diff_embedded;    ///< the FM's and the MLP's gradients of `embedded`, summed
    AlignedBuffer<T> weight_partials;  ///< per chunk of rows: its MLP weight gradients
  };

  // ---- training: one step is compute_gradients -> reduce -> apply ----
  /// Whether train_step checks the batch's ids and labels. A loop over one data set checks it
  /// once (check_batch) and its batches, gathered from it, are then `trusted`.
  enum class BatchCheck { validate, trusted };

  /// One optimiser step on `batch`; returns its mean loss (before the step). The step is in
  /// three parts: compute_gradients, then `reduce` (the identity on one process; a
  /// data-parallel run sums the replicas' gradients there), then apply: every replica that
  /// applies the same reduced gradients stays identical.
  template <typename Reduce = IdentityReducer>
  double train_step(const Batch& batch, Reduce&& reduce = Reduce{},
                    BatchCheck check = BatchCheck::validate) {
    if (check == BatchCheck::validate) validate(batch);
    const std::uint64_t t = step_ + 1;
    const double loss = compute_gradients_unchecked(batch, PassContext{true, t}, gradients_);
    if (!std::isfinite(loss))
      throw NumericError("training loss is " + value_text(loss) + " at step " + std::to_string(t) +
                         "; parameters left as they were before the step");
    reduce(gradients_);
    apply(gradients_);
    return loss;
  }

  /// Checks that `batch` (a whole data set, say) holds only ids in range and 0/1 labels;
  /// InvalidArgument naming the first that does not.
  void check_batch(const Batch& batch) const { validate(batch); }

  /// Gradients sized for this model. One kept across steps lets a step allocate nothing.
  Gradients<T> make_gradients() const {
    Gradients<T> gradients;
    gradients.dense.resize(dense_.size());
    gradients.embedding = SparseRowGradient<T>(embedding_.rows(), factors_);
    gradients.first_order = SparseRowGradient<T>(embedding_.rows(), 1);
    return gradients;
  }

  /// Loss of `batch` and its gradients into `out` (from make_gradients), without updating a
  /// parameter. In training mode dropout uses the mask of the next step.
  double compute_gradients(const Batch& batch, Gradients<T>& out, bool training = true) {
    validate(batch);
    return compute_gradients_unchecked(batch, PassContext{training, step_ + 1}, out);
  }

  /// Applies the next optimiser step from `gradients` (computed, then reduced). Nothing is
  /// applied from a non-finite gradient (NumericError naming the tensor); a step that leaves
  /// a touched parameter or optimiser state non-finite is reported the same way.
  void apply(const Gradients<T>& gradients) {
    const std::uint64_t t = step_ + 1;
    // A finite loss can still come with an overflowing gradient; nothing is applied then.
    // One branch-free pass each; the culprit is looked for only when one fails.
    if (!kernels::all_finite(gradients.dense.data(), gradients.dense.size()) ||
        !kernels::all_finite(gradients.embedding.values().data(),
                             gradients.embedding.values().size()) ||
        !kernels::all_finite(gradients.first_order.values().data(),
                             gradients.first_order.values().size()))
      report_non_finite_gradient(gradients, t);
    const bool finite = optimizer_.apply(parameters(), gradients, t);
    step_ = t;
    if (!finite) report_non_finite_step(gradients, t);
  }

  /// Loss of `batch` and the gradients of every parameter into the model's own Gradients,
  /// without updating anything. In training mode dropout uses the mask of the next step, the
  /// same one loss(batch, true) uses. Dense gradients: dense_gradients(); table gradients:
  /// *_gradient().
  double compute_gradients(const Batch& batch, bool training = true) {
    return compute_gradients(batch, gradients_, training);
  }

  /// Mean loss of `batch` (forward only); with training = true, dropout as compute_gradients.
  double loss(const Batch& batch, bool training = false) const {
    Workspace ws;
    return loss(batch, training, ws);
  }
  /// The same in the caller's workspace: once warm, it allocates nothing.
  double loss(const Batch& batch, bool training, Workspace& ws) const {
    validate(batch);
    if (needs_sync())
      throw InvalidArgument(
          "loss: lazy-exact Adam has rows behind; call sync() (fit and evaluate do)");
    forward(PassContext{training, step_ + 1}, batch.ids, ws);
    return bce_with_logits_mean<T>(std::span<const T>(ws.logits.data(), batch.rows()),
                                   batch.labels);
  }

  // ---- inference ----
  /// Logits of the samples in `ids` ([rows x fields]) into `logits` (rows). Thread-safe.
  void predict_logits(std::span<const FeatureId> ids, std::span<T> logits) const {
    Workspace ws;
    predict_logits(ids, logits, ws);
  }
  /// The same in the caller's workspace (one per thread): once warm, it allocates nothing.
  void predict_logits(std::span<const FeatureId> ids, std::span<T> logits, Workspace& ws) const {
    validate_ids(ids);
    if (logits.size() != ids.size() / fields())
      throw InvalidArgument("predict: output holds " + std::to_string(logits.size()) +
                            " values for " + std::to_string(ids.size() / fields()) + " rows");
    if (needs_sync())
      throw InvalidArgument(
          "predict: lazy-exact Adam has rows behind; call sync() (fit and evaluate do)");
    const PassContext ctx{false, step_};
    for (std::size_t begin = 0; begin < logits.size(); begin += kInferenceChunkRows) {
      const std::size_t rows = std::min(kInferenceChunkRows, logits.size() - begin);
      forward(ctx, ids.subspan(begin * fields(), rows * fields()), ws);
      std::copy_n(ws.logits.data(), rows, logits.data() + begin);
    }
  }

  /// Click probabilities sigmoid(logit) of the samples in `ids`. Thread-safe.
  std::vector<T> predict(std::span<const FeatureId> ids) const {
    std::vector<T> out(ids.size() / std::max<std::size_t>(fields(), 1));
    predict_logits(ids, out);
    for (T& value : out) value = kernels::sigmoid(value);
    return out;
  }

  /// AUC, logloss and accuracy on `data` (brings lazy-exact rows up to date first).
  Metrics evaluate(const Batch& data) {
    validate(data);
    sync();
    std::vector<T> logits(data.rows());
    predict_logits(data.ids, logits);
    return compute_metrics<T>(logits, data.labels);
  }

  /// Brings every embedding row up to the current step (needed only in lazy-exact mode).
  /// Throws NumericError if that leaves a non-finite value.
  void sync() {
    if (!needs_sync()) return;
    optimizer_.catch_up(parameters(), step_);
    // The replayed zero-gradient steps rewrote rows no step check has read since they were
    // last touched; a file or an evaluation must not take a non-finite one on trust. (From
    // finite state the replay stays finite: a hit means the row was corrupt already.)
    check_tables_finite(step_,
                        "; found bringing every row up to date before an evaluation or a save");
  }
  bool needs_sync() const noexcept { return optimizer_.needs_catch_up(); }

  // ---- state, for model files and checkpoints ----
  /// Calls visit(name, std::span<T>, is_parameter) for every parameter tensor and, with
  /// `optimizer_state`,
  /// every optimiser moment, in a fixed order: the state that, with step() and
  /// epochs_trained(), determines every later step. Brings lazy-exact rows up to date first
  /// (which changes no value dense mode would hold), so no per-row step needs saving.
  template <typename Visitor>
  void visit_state(Visitor&& visit, bool optimizer_state) {
    sync();
    visit("embedding", embedding_weights(), true);
    visit("first_order", first_order_weights(), true);
    visit("dense", dense_parameters(), true);
    if (!optimizer_state) return;
    visit("dense.moment1", optimizer_.dense().first_moment(), false);
    visit("dense.moment2", optimizer_.dense().second_moment(), false);
    visit("embedding.moment1", optimizer_.embedding().first_moment(), false);
    visit("embedding.moment2", optimizer_.embedding().second_moment(), false);
    visit("first_order.moment1", optimizer_.first_order().first_moment(), false);
    visit("first_order.moment2", optimizer_.first_order().second_moment(), false);
  }

  /// Sets the step and epoch counters after visit_state has written a saved state back
  /// (a resumed run then draws the same dropout masks and batch order as the original).
  void set_progress(std::uint64_t step, std::uint64_t epochs_trained) {
    step_ = step;
    epochs_trained_ = epochs_trained;
    optimizer_.reset_step(step);
    batch_order_ = {};
  }

  // ---- parameters (read and write) ----
  /// The factor table E, row-major [table_rows x factors].
  std::span<T> embedding_weights() noexcept { return embedding_.weights(); }
  std::span<const T> embedding_weights() const noexcept { return embedding_.weights(); }
  /// The first-order weights w, one per table row.
  std::span<T> first_order_weights() noexcept { return first_order_.table().weights(); }
  std::span<const T> first_order_weights() const noexcept { return first_order_.table().weights(); }
  /// Every dense parameter (first-order head, MLP) in one flat buffer; see dense_layout().
  std::span<T> dense_parameters() noexcept { return dense_.values(); }
  std::span<const T> dense_parameters() const noexcept { return dense_.values(); }
  /// Named slices of dense_parameters().
  const std::vector<ParameterSlice>& dense_layout() const noexcept { return dense_.layout(); }
  /// Gradients of the last compute_gradients(batch) / train_step, in the model's own Gradients.
  std::span<const T> dense_gradients() const noexcept { return gradients_.dense.span(); }
  const SparseRowGradient<T>& embedding_gradient() const noexcept { return gradients_.embedding; }
  const SparseRowGradient<T>& first_order_gradient() const noexcept {
    return gradients_.first_order;
  }

 protected:
  CtrModel(std::vector<std::size_t> field_dims, std::size_t factors,
           std::optional<std::vector<std::size_t>> mlp, double dropout,
           const OptimizerConfig& optimizer, std::uint64_t seed)
      : field_dims_(std::move(field_dims)),
        offsets_(compute_offsets(field_dims_)),
        factors_(factors),
        seed_(seed),
        embedding_(table_rows_of(field_dims_), factors),
        first_order_(table_rows_of(field_dims_), field_dims_.size()),
        fm_(field_dims_.size(), factors),
        mlp_(mlp ? std::optional<MLP<T>>(std::in_place, field_dims_.size() * factors, *mlp, dropout,
                                         seed)
                 : std::nullopt),
        dense_(layout(first_order_, mlp_)),
        optimizer_(optimizer, dense_.size(), embedding_.rows(), factors),
        gradients_(make_gradients()) {
    bind_layers(gradients_.dense.data());
    embedding_.initialize(seed, tensor_id::kEmbedding);
    first_order_.initialize(seed, tensor_id::kFirstOrderTable, tensor_id::kFirstOrderHead);
    if (mlp_) mlp_->initialize(seed, tensor_id::kFirstMlpLayer);
  }

 private:
  static constexpr std::size_t kInferenceChunkRows = 4096;
  /// The fewest rows a thread's block holds: below that, handing out blocks costs more than
  /// the rows.
  static constexpr std::size_t kMinimumBlockRows = 8;

  static std::size_t table_rows_of(const std::vector<std::size_t>& field_dims) {
    if (field_dims.empty()) throw InvalidArgument("field_dims is empty: a model needs a field");
    std::size_t rows = 0;
    for (std::size_t f = 0; f < field_dims.size(); ++f) {
      if (field_dims[f] == 0)
        throw InvalidArgument("field " + std::to_string(f) + " has dimension 0");
      rows += field_dims[f];
      if (rows >= SparseRowGradient<T>::kNoSlot)
        throw InvalidArgument("sum of field_dims exceeds the 32-bit feature id space");
    }
    return rows;
  }

  static std::vector<FeatureId> compute_offsets(const std::vector<std::size_t>& field_dims) {
    table_rows_of(field_dims);  // validates before anything is allocated
    std::vector<FeatureId> offsets(field_dims.size());
    std::size_t running = 0;
    for (std::size_t f = 0; f < field_dims.size(); ++f) {
      offsets[f] = static_cast<FeatureId>(running);
      running += field_dims[f];
    }
    return offsets;
  }

  static DenseParameters<T> layout(const FirstOrderTerm<T>& first_order,
                                   const std::optional<MLP<T>>& mlp) {
    DenseParameters<T> dense;
    dense.add("first_order.weight", 1, 1);
    dense.add("first_order.bias", 1, 1);
    DEEPFM_ASSERT(first_order.parameter_count() == 2);
    if (mlp) {
      const auto& layers = mlp->dense_layers();
      for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string prefix = "mlp." + std::to_string(i);
        dense.add(prefix + ".weight", layers[i].out(), layers[i].in());
        dense.add(prefix + ".bias", 1, layers[i].out());
      }
    }
    dense.allocate();
    return dense;
  }

  /// Points the dense layers at their parameters and at the gradient buffer a pass fills.
  void bind_layers(T* gradients) {
    T* values = dense_.values().data();
    first_order_.bind(values, gradients);
    if (mlp_) {
      const std::size_t at = first_order_.parameter_count();
      mlp_->bind(values + at, gradients + at);
    }
  }

  void validate_ids(std::span<const FeatureId> ids) const {
    const std::size_t f_count = fields();
    if (ids.size() % f_count != 0)
      throw InvalidArgument("ids hold " + std::to_string(ids.size()) +
                            " values, not a multiple of the model's " + std::to_string(f_count) +
                            " fields");
    // One unsigned compare an id (below the offset wraps around to a huge value), branch-free
    // over a row; the message is looked for only once a row fails.
    for (std::size_t r = 0; r < ids.size() / f_count; ++r) {
      const FeatureId* row = ids.data() + r * f_count;
      bool inside = true;
      for (std::size_t f = 0; f < f_count; ++f)
        inside &= static_cast<std::size_t>(row[f] - offsets_[f]) < field_dims_[f];
      if (!inside) report_id_out_of_range(ids, r);
    }
  }

  [[noreturn]] void report_id_out_of_range(std::span<const FeatureId> ids, std::size_t r) const {
    const std::size_t f_count = fields();
    for (std::size_t i = r * f_count; i < (r + 1) * f_count; ++i) {
      const std::size_t f = i % f_count;
      const FeatureId id = ids[i];
      if (id < offsets_[f] || id - offsets_[f] >= field_dims_[f])
        throw InvalidArgument("feature id " + std::to_string(id) + " at row " +
                              std::to_string(i / f_count) + ", field " + std::to_string(f) +
                              " is outside the field's range [" + std::to_string(offsets_[f]) +
                              ", " + std::to_string(offsets_[f] + field_dims_[f]) + ")");
    }
    throw InternalError("row " + std::to_string(r) + " was flagged out of range, but no id is");
  }

  void validate(const Batch& batch) const {
    if (batch.fields != fields())
      throw InvalidArgument("batch has " + std::to_string(batch.fields) +
                            " fields; the model has " + std::to_string(fields()));
    if (batch.rows() == 0) throw InvalidArgument("batch is empty");
    if (batch.ids.size() != batch.rows() * fields())
      throw InvalidArgument("batch holds " + std::to_string(batch.ids.size()) + " ids for " +
                            std::to_string(batch.rows()) + " labels x " + std::to_string(fields()) +
                            " fields");
    validate_ids(batch.ids);
    for (std::size_t r = 0; r < batch.rows(); ++r)
      if (batch.labels[r] != 0.0f && batch.labels[r] != 1.0f)
        throw InvalidArgument("label at row " + std::to_string(r) + " is " +
                              std::to_string(batch.labels[r]) + "; labels must be 0 or 1");
  }

  // A pass runs in one parallel region over blocks of rows, and within a block tile by tile
  // (models/pass_layout.hpp), so that a tile's activations stay in cache from the gather to
  // the input gradient. Every row is computed on its own, so the split changes no value. The
  // weight gradients are sums over rows: summed per tile into chunk partials where the weights
  // are small, else after the pass, split by columns. The tables' row gradients come last.

  /// Values of the partial sums one task of the final addition takes.
  static constexpr std::size_t kPartialSliceValues = 4096;

  std::size_t dense_bytes() const noexcept { return dense_.size() * sizeof(T); }
  /// Whether a pass sums the MLP's weight gradients tile by tile into chunk partials.
  bool weight_gradients_in_tiles() const noexcept {
    return mlp_ && pass_layout::small_weights(dense_bytes());
  }

  /// Sizes the workspace for `rows`, for forward only or for backward too.
  void prepare(std::size_t rows, Workspace& ws, bool backward) const {
    const std::size_t width = fields() * factors_;
    ws.embedded.ensure_size(rows * width);
    ws.logits.ensure_size(rows);
    ws.term.ensure_size(rows);
    first_order_.prepare(rows, ws.first_order);
    if (mlp_) mlp_->prepare(rows, ws.mlp, backward);
    if (!backward) return;
    ws.diff_logits.ensure_size(rows);
    ws.losses.ensure_size(rows);
    ws.diff_embedded.ensure_size(rows * width);
  }

  /// Calls tile(begin, end) for consecutive tiles (pass_layout::tile_rows), over blocks of rows
  /// spread across the threads.
  template <typename Tile>
  void for_each_tile(std::size_t rows, Tile&& tile) const {
    std::size_t cost = fields() * factors_ * 4;  // gather, FM, their gradients
    if (mlp_)
      for (const auto& layer : mlp_->dense_layers()) cost += layer.in() * layer.out();
    const std::size_t tile_size = pass_layout::tile_rows(dense_bytes());
    parallel_for(rows, std::max(grain_for(cost), kMinimumBlockRows),
                 [&](std::size_t begin, std::size_t end) {
                   for (std::size_t at = begin; at < end; at += tile_size)
                     tile(at, std::min(end, at + tile_size));
                 });
  }

  /// logits = first_order + fm [+ mlp], summed in that order (as the reference does).
  void forward(const PassContext& ctx, std::span<const FeatureId> ids, Workspace& ws) const {
    const std::size_t rows = ids.size() / fields();
    prepare(rows, ws, false);
    for_each_tile(
        rows, [&](std::size_t begin, std::size_t end) { forward_rows(ctx, ids, ws, begin, end); });
  }

  void forward_rows(const PassContext& ctx, std::span<const FeatureId> ids, Workspace& ws,
                    std::size_t begin, std::size_t end) const noexcept {
    const std::size_t rows = ids.size() / fields();
    const std::size_t width = fields() * factors_;
    embedding_.gather(ids.subspan(begin * fields(), (end - begin) * fields()),
                      ws.embedded.data() + begin * width);
    const MatrixView<const T> embedded{ws.embedded.data(), rows, width};
    const MatrixView<T> logits{ws.logits.data(), rows, 1};
    const MatrixView<T> term{ws.term.data(), rows, 1};
    first_order_.forward_rows(ids, ws.first_order, logits, begin, end);
    fm_.forward_rows(embedded, term, begin, end);
    kernels::axpy(end - begin, T(1), term.data + begin, logits.data + begin);
    if (mlp_) {
      mlp_->forward_rows(ctx, embedded, term, ws.mlp, begin, end);
      kernels::axpy(end - begin, T(1), term.data + begin, logits.data + begin);
    }
  }

  /// For rows [begin, end) after their forward: each row's loss, the loss gradient (the
  /// mean's, `scale` = 1 / batch rows), the gradient of every gathered value (ws.diff_embedded,
  /// and the first-order weights' in ws.first_order) and the MLP's per-row gradients.
  void backward_rows(const PassContext& ctx, const Batch& batch, Workspace& ws, T scale,
                     std::size_t begin, std::size_t end) const noexcept {
    const std::size_t rows = batch.rows();
    const std::size_t width = fields() * factors_;
    for (std::size_t r = begin; r < end; ++r)
      ws.losses[r] = kernels::bce_with_logit(ws.logits[r], static_cast<T>(batch.labels[r]));
    kernels::bce_with_logits_backward(ws.logits.data() + begin, batch.labels.data() + begin,
                                      end - begin, scale, ws.diff_logits.data() + begin);
    const MatrixView<const T> diff_logits{ws.diff_logits.data(), rows, 1};
    const MatrixView<const T> embedded{ws.embedded.data(), rows, width};
    const MatrixView<T> diff_embedded{ws.diff_embedded.data(), rows, width};
    first_order_.backward_rows(ws.first_order, diff_logits, begin, end);
    fm_.backward_rows(embedded, diff_logits, diff_embedded, begin, end);
    // The MLP's input gradient is added to the FM's as it is formed.
    if (mlp_) mlp_->backward_rows(ctx, diff_logits, diff_embedded, ws.mlp, begin, end, true);
  }

  /// Forward and the per-row backward of every row, each tile's MLP weight gradients summed
  /// into its chunk's partial in ws.weight_partials; beside them, one task sorts the batch's
  /// ids into batch_rows_.
  void pass_with_weight_partials(const PassContext& ctx, const Batch& batch, Workspace& ws,
                                 T scale) {
    const std::size_t rows = batch.rows();
    const std::size_t chunks = pass_layout::weight_chunks(rows);
    const std::size_t width = mlp_->parameter_count();
    ws.weight_partials.ensure_size(chunks * width);
    batch_rows_.reserve(batch.ids.size(), embedding_.rows());
    const MatrixView<const T> embedded{ws.embedded.data(), rows, fields() * factors_};
    const MatrixView<const T> diff_logits{ws.diff_logits.data(), rows, 1};
    // Task 0 is the sort; task c + 1 is chunk c.
    parallel_for(chunks + 1, 1, [&](std::size_t task_begin, std::size_t task_end) {
      for (std::size_t task = task_begin; task < task_end; ++task) {
        if (task == 0) {
          batch_rows_.build(batch.ids, embedding_.rows());
          continue;
        }
        const std::size_t c = task - 1;
        T* partial = ws.weight_partials.data() + c * width;
        std::fill_n(partial, width, T(0));
        const std::size_t end = rows * (c + 1) / chunks;
        for (std::size_t at = rows * c / chunks; at < end; at += pass_layout::kTileRows) {
          const std::size_t tile_end = std::min(end, at + pass_layout::kTileRows);
          forward_rows(ctx, batch.ids, ws, at, tile_end);
          backward_rows(ctx, batch, ws, scale, at, tile_end);
          mlp_->backward_weight_rows(embedded, diff_logits, ws.mlp, at, tile_end, partial);
        }
      }
    });
  }

  /// The gradients of every parameter from a pass's per-row gradients: the dense layers'
  /// sums over rows (the chunks' partials added, or the MLP's sums split by columns), one
  /// parallel region; then each table's row gradients.
  void sum_gradients(const Batch& batch, Workspace& ws, Gradients<T>& out) {
    const std::size_t rows = batch.rows();
    const std::size_t width = fields() * factors_;
    const MatrixView<const T> diff_logits{ws.diff_logits.data(), rows, 1};
    const MatrixView<const T> embedded{ws.embedded.data(), rows, width};
    const bool partials = weight_gradients_in_tiles();
    const std::size_t chunks = pass_layout::weight_chunks(rows);
    const std::size_t mlp_values = mlp_ ? mlp_->parameter_count() : 0;
    T* mlp_gradients = out.dense.data() + first_order_.parameter_count();
    weight_slices_.clear();
    if (mlp_ && !partials) mlp_->weight_slices(rows, weight_slices_);
    const std::size_t tasks = partials
                                  ? (mlp_values + kPartialSliceValues - 1) / kPartialSliceValues
                                  : weight_slices_.size();
    if (!partials) batch_rows_.reserve(batch.ids.size(), embedding_.rows());
    // Task 0 sorts the batch's ids into unique rows, which both tables' gradients need (the
    // pass did that beside the partials), while the other threads start on the dense layers:
    // task 1 is the first-order head, task k + 2 the MLP's slice k (of its partials, or of its
    // weight gradients).
    parallel_for(tasks + 2, 1, [&](std::size_t begin, std::size_t end) {
      for (std::size_t k = begin; k < end; ++k) {
        if (k == 0) {
          if (!partials) batch_rows_.build(batch.ids, embedding_.rows());
        } else if (k == 1) {
          first_order_.backward_head(ws.first_order, diff_logits);
        } else if (partials) {
          const std::size_t at = (k - 2) * kPartialSliceValues;
          const std::size_t n = std::min(kPartialSliceValues, mlp_values - at);
          const T* partial = ws.weight_partials.data() + at;
          std::copy_n(partial, n, mlp_gradients + at);
          for (std::size_t c = 1; c < chunks; ++c)
            kernels::axpy(n, T(1), partial + c * mlp_values, mlp_gradients + at);
        } else {
          mlp_->backward_weights(embedded, diff_logits, ws.mlp, weight_slices_[k - 2]);
        }
      }
    });
    first_order_.table().backward(batch_rows_, ws.first_order.gathered.data(), out.first_order);
    embedding_.backward(batch_rows_, ws.diff_embedded.data(), out.embedding);
  }

  double compute_gradients_unchecked(const Batch& batch, const PassContext& ctx,
                                     Gradients<T>& out) {
    if (out.dense.size() != dense_.size() || out.embedding.dim() != factors_ ||
        out.embedding.table_rows() != embedding_.rows())
      throw InvalidArgument(
          "compute_gradients: the Gradients were not made for this model "
          "(use make_gradients())");
    // Lazy-exact Adam: the batch's rows must hold their current (dense-mode) values before
    // the forward pass reads them.
    optimizer_.catch_up_rows(parameters(), batch.ids, step_);
    out.dense.fill(T(0));
    out.embedding.clear();
    out.first_order.clear();
    bind_layers(out.dense.data());
    Workspace& ws = workspace_;
    const std::size_t rows = batch.rows();
    prepare(rows, ws, true);
    const T scale = T(1) / static_cast<T>(rows);
    if (weight_gradients_in_tiles()) {
      pass_with_weight_partials(ctx, batch, ws, scale);
    } else {
      for_each_tile(rows, [&](std::size_t begin, std::size_t end) {
        forward_rows(ctx, batch.ids, ws, begin, end);
        backward_rows(ctx, batch, ws, scale, begin, end);
      });
    }
    // The mean of the rows' losses, summed in row order (bce_with_logits_mean's bits).
    double loss_sum = 0;
    for (std::size_t r = 0; r < rows; ++r) loss_sum += ws.losses[r];
    sum_gradients(batch, ws, out);
    return loss_sum / static_cast<double>(rows);
  }

  CtrParameters<T> parameters() noexcept {
    return {dense_.values(), embedding_.weights(), first_order_.table().weights()};
  }

  /// Names the first non-finite gradient value and throws (only called when there is one).
  [[noreturn]] void report_non_finite_gradient(const Gradients<T>& gradients,
                                               std::uint64_t t) const {
    const char* unapplied = "; parameters left as they were before the step";
    check_finite_dense(gradients.dense.span(), t, "the gradient of", unapplied);
    check_finite_rows(gradients.embedding, t, "the gradient of embedding", unapplied);
    check_finite_rows(gradients.first_order, t, "the gradient of first_order", unapplied);
    throw InternalError("a gradient was flagged non-finite, but no non-finite value was found");
  }

  /// After step t the optimizer flagged a non-finite value it wrote: finite gradients can
  /// still overflow a parameter (a learning rate far too high), and a finite but huge
  /// gradient can overflow the optimizer's squared-gradient state (Adam's v, Adagrad's sum),
  /// after which the updates round to 0 and the parameter stops learning for good, silently.
  /// Names the first culprit (the dense layers, then the rows the step touched) and throws.
  [[noreturn]] void report_non_finite_step(const Gradients<T>& gradients, std::uint64_t t) {
    check_applied_step(gradients, t);
    // Dense Adam also steps the untouched rows; one of them was non-finite already.
    check_tables_finite(t, "; found after the step: the table held a non-finite row already");
    throw InternalError("step " + std::to_string(t) +
                        " was flagged non-finite, but no non-finite value was found");
  }

  void check_applied_step(const Gradients<T>& gradients, std::uint64_t t) const {
    const char* advice = "; the step has been applied: lower the learning rate";
    check_finite_dense(dense_.values(), t, "parameter", advice);
    check_finite_table_rows(embedding_.weights(), gradients.embedding.rows(), factors_, t,
                            "parameter embedding", advice);
    check_finite_table_rows(first_order_.table().weights(), gradients.first_order.rows(), 1, t,
                            "parameter first_order", advice);
    const char* state_advice =
        "; the gradients are too large for this precision: lower the "
        "learning rate, or train in double";
    check_finite_dense(optimizer_.dense().first_moment(), t, "optimizer state 1 of", state_advice);
    check_finite_dense(optimizer_.dense().second_moment(), t, "optimizer state 2 of", state_advice);
    check_finite_table_rows(optimizer_.embedding().first_moment(), gradients.embedding.rows(),
                            factors_, t, "optimizer state 1 of embedding", state_advice);
    check_finite_table_rows(optimizer_.embedding().second_moment(), gradients.embedding.rows(),
                            factors_, t, "optimizer state 2 of embedding", state_advice);
    check_finite_table_rows(optimizer_.first_order().first_moment(), gradients.first_order.rows(),
                            1, t, "optimizer state 1 of first_order", state_advice);
    check_finite_table_rows(optimizer_.first_order().second_moment(), gradients.first_order.rows(),
                            1, t, "optimizer state 2 of first_order", state_advice);
  }

  [[noreturn]] static void numeric_failure(std::uint64_t t, const std::string& what, T value,
                                           const char* tail) {
    throw NumericError("step " + std::to_string(t) + ": " + what + " is " + value_text(value) +
                       tail);
  }

  void check_finite_dense(std::span<const T> values, std::uint64_t t, const char* what,
                          const char* tail) const {
    const std::optional<std::size_t> bad = first_non_finite(values);
    if (!bad) return;
    const std::size_t i = *bad;
    for (const ParameterSlice& slice : dense_.layout())
      if (i >= slice.offset && i < slice.offset + slice.size())
        numeric_failure(
            t, std::string(what) + " " + slice.name + "[" + std::to_string(i - slice.offset) + "]",
            values[i], tail);
    numeric_failure(t, std::string(what) + " dense[" + std::to_string(i) + "]", values[i], tail);
  }

  /// Every row of both tables and of their optimizer state (empty state is skipped).
  void check_tables_finite(std::uint64_t t, const char* tail) {
    const auto check = [&](std::span<const T> values, std::size_t width, const char* what) {
      if (const std::optional<std::size_t> bad = first_non_finite(values))
        numeric_failure(t, std::string(what) + " row " + std::to_string(*bad / width), values[*bad],
                        tail);
    };
    check(embedding_.weights(), factors_, "parameter embedding");
    check(optimizer_.embedding().first_moment(), factors_, "optimizer state 1 of embedding");
    check(optimizer_.embedding().second_moment(), factors_, "optimizer state 2 of embedding");
    check(first_order_.table().weights(), 1, "parameter first_order");
    check(optimizer_.first_order().first_moment(), 1, "optimizer state 1 of first_order");
    check(optimizer_.first_order().second_moment(), 1, "optimizer state 2 of first_order");
  }

  static void check_finite_rows(const SparseRowGradient<T>& gradient, std::uint64_t t,
                                const char* what, const char* tail) {
    for (std::size_t k = 0; k < gradient.rows().size(); ++k)
      for (const T value : gradient.row_gradient(k))
        if (!std::isfinite(value))
          numeric_failure(t, std::string(what) + " row " + std::to_string(gradient.rows()[k]),
                          value, tail);
  }

  /// Rows `rows` of a table of `width` columns (none when `values` is empty: an optimizer
  /// without that state).
  static void check_finite_table_rows(std::span<const T> values, std::span<const FeatureId> rows,
                                      std::size_t width, std::uint64_t t, const char* what,
                                      const char* tail) {
    if (values.empty()) return;
    for (const FeatureId row : rows)
      for (std::size_t j = 0; j < width; ++j) {
        const T value = values[std::size_t{row} * width + j];
        if (!std::isfinite(value))
          numeric_failure(t, std::string(what) + " row " + std::to_string(row), value, tail);
      }
  }

  std::vector<std::size_t> field_dims_;
  std::vector<FeatureId> offsets_;
  std::size_t factors_;
  std::uint64_t seed_;
  EmbeddingTable<T> embedding_;
  FirstOrderTerm<T> first_order_;
  FMInteraction<T> fm_;
  std::optional<MLP<T>> mlp_;
  DenseParameters<T> dense_;
  CtrOptimizer<T> optimizer_;
  Gradients<T> gradients_;  ///< what train_step and compute_gradients(batch) fill
  BatchRows batch_rows_;    ///< the last batch's ids as sorted unique rows
  std::vector<typename MLP<T>::WeightSlice> weight_slices_;  ///< sum_gradients' work list
  Workspace workspace_;
  BatchOrderPosition batch_order_;  ///< where fit's batch order stands
  std::uint64_t step_ = 0;
  std::uint64_t epochs_trained_ = 0;
};

}  // namespace deepfm
