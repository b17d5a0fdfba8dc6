// Every kernel of include/deepfm/kernels/ beside its scalar twin in kernels::ref, one thread, at
// the shapes training and serving run them. `NAME/isa/...` is the entry kernels.hpp (or
// dropout_mask.hpp) selects for this build's ISA, printed in the context as deepfm_isa;
// `NAME/ref/...` is the twin in kernels::ref. Where kernels.hpp still selects the ref twin
// (ReLU and the loss today), both rows time the same code and their ratio is 1 within noise.
//
// Shapes: fields 34 (the d2l data's field dims, an 891-row table) and 39 (Criteo-like, 39 x
// 10,000 rows); factors 10 (d2l) and 16; batches of 1, 256, 2048 and 16384 rows. The Dense
// products run d2l's MLP layers (340->30, 30->20, 20->10, 10->1) and the Criteo-like ones
// (624->400, 400->400, 400->1), dense_backward_data_add the first layer of each (the only one
// that adds to its input gradient); the Criteo-like shapes stop at 2048 rows, since one ref
// call at 16384 rows takes seconds. The optimizer updates run one embedding row (10, 16: the
// lazy modes update row by row), d2l's MLP parameters (11,071), the Criteo-like MLP's
// (410,801) and the Criteo-like table's (6.24 M, dense Adam).
//
// Counters: items_per_second counts rows (batch rows, or gathered/summed table rows) or
// elements, as each benchmark's comment says; bytes_per_second the bytes each call reads plus
// those it writes, every array counted once; the Dense products add FLOP/s (2 * rows * in *
// out per call; the bias and db sums are left out) and bound_frac, that over one core's FLOP
// bound (machine_peak.hpp).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deepfm/core/aligned_buffer.hpp>
#include <deepfm/core/config.hpp>
#include <deepfm/core/random.hpp>
#include <deepfm/core/sparse_row_gradient.hpp>
#include <deepfm/kernels/dropout_mask.hpp>
#include <deepfm/kernels/kernels.hpp>
#include <deepfm/optim/adam_schedule.hpp>
#include <string>
#include <vector>

#include "d2l_shapes.hpp"
#include "machine_peak.hpp"

namespace {

namespace k = deepfm::kernels;
using deepfm_bench::kD2lFieldDims;

// ---- inputs ----

// Every array is an AlignedBuffer (64-byte aligned), as the library's tensors are: a SIMD row
// load that straddles two cache lines costs more than an aligned one.
using Buffer = deepfm::AlignedBuffer<float>;

/// Uniform values in [low, high), repeatable (the library's counter-based generator).
Buffer random_values(std::size_t n, std::uint64_t seed, float low = -0.5f, float high = 0.5f) {
  const deepfm::RandomStream stream(seed, deepfm::RngStream::synthetic);
  Buffer values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = stream.uniform(i, low, high);
  return values;
}

/// The table a field count stands for: 34 is d2l's (891 rows), 39 Criteo-like (39 x 10,000).
const std::vector<std::size_t>& field_dims_for(std::size_t fields) {
  static const std::vector<std::size_t> criteo_like(39, 10000);
  return fields == kD2lFieldDims.size() ? kD2lFieldDims : criteo_like;
}

std::size_t table_rows(const std::vector<std::size_t>& field_dims) {
  std::size_t rows = 0;
  for (const std::size_t dim : field_dims) rows += dim;
  return rows;
}

/// Global ids [rows x fields]: each field's id uniform over its own range, offset as a model's.
std::vector<std::uint32_t> random_ids(const std::vector<std::size_t>& field_dims, std::size_t rows,
                                      std::uint64_t seed) {
  const deepfm::RandomStream stream(seed, deepfm::RngStream::synthetic);
  std::vector<std::uint32_t> ids(rows * field_dims.size());
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t offset = 0;
    for (std::size_t f = 0; f < field_dims.size(); ++f) {
      const std::size_t i = r * field_dims.size() + f;
      ids[i] = static_cast<std::uint32_t>(offset + stream.below(i, field_dims[f]));
      offset += field_dims[f];
    }
  }
  return ids;
}

// ---- counters ----

std::size_t rows_of(const benchmark::State& state) {
  return static_cast<std::size_t>(state.range(0));
}

/// items_per_second and bytes_per_second from the items and bytes of one call.
void set_processed(benchmark::State& state, double items, double bytes) {
  const auto iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(iterations * items));
  state.SetBytesProcessed(static_cast<std::int64_t>(iterations * bytes));
}

const deepfm_bench::MachinePeak& machine() {
  static const deepfm_bench::MachinePeak peak = deepfm_bench::read_machine_peak();
  return peak;
}

/// FLOP/s and bound_frac, the fraction of one core's FLOP bound, of a product of `flops` a
/// call whose loop took `seconds` (a plain number: a rate counter would print it as "/s").
void set_flops(benchmark::State& state, double flops, double seconds) {
  const double total = static_cast<double>(state.iterations()) * flops;
  state.counters["FLOP/s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  const double bound = machine().per_core_flops();
  state.counters["bound_frac"] = seconds > 0 && bound > 0 ? total / seconds / bound : 0.0;
}

constexpr double kFloat = sizeof(float);
constexpr double kId = sizeof(std::uint32_t);

/// Runs `call` until the benchmark has its time, keeping its writes; returns the loop's
/// seconds.
template <typename Call>
double run(benchmark::State& state, Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    call();
    benchmark::ClobberMemory();
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ---- embedding rows and the FM term: (fields, factors), batch = range(0) ----

using GatherRows = decltype(&k::ref::gather_rows<float>);
using AddRowsToSlots = decltype(&k::ref::add_rows_to_slots<float>);
using FmForward = decltype(&k::ref::fm_forward<float>);
using FmBackward = decltype(&k::ref::fm_backward<float>);

/// A batch's embedding rows gathered; items: table rows gathered (batch x fields).
void BM_GatherRows(benchmark::State& state, GatherRows gather, std::size_t fields,
                   std::size_t factors) {
  const std::vector<std::size_t>& dims = field_dims_for(fields);
  const Buffer table = random_values(table_rows(dims) * factors, 1);
  const std::vector<std::uint32_t> ids = random_ids(dims, rows_of(state), 2);
  Buffer out(ids.size() * factors);
  run(state, [&] { gather(table.data(), factors, ids.data(), ids.size(), out.data()); });
  const auto n = static_cast<double>(ids.size());
  set_processed(state, n, n * (kId + 2.0 * kFloat * static_cast<double>(factors)));
}

/// A batch's embedding gradient rows summed per touched row, slots from BatchRows as
/// SparseRowGradient::assign builds them (one thread: every slot); items: rows summed.
void BM_AddRowsToSlots(benchmark::State& state, AddRowsToSlots add, std::size_t fields,
                       std::size_t factors) {
  const std::vector<std::size_t>& dims = field_dims_for(fields);
  const std::vector<std::uint32_t> ids = random_ids(dims, rows_of(state), 3);
  deepfm::BatchRows batch;
  batch.build(ids, table_rows(dims));
  const std::size_t slots = batch.rows().size();
  const Buffer diff = random_values(ids.size() * factors, 4);
  Buffer sums(slots * factors);
  run(state, [&] {
    add(diff.data(), factors, batch.slot_of_id().data(), ids.size(), 0, slots, sums.data());
  });
  const auto n = static_cast<double>(ids.size());
  const auto width = static_cast<double>(factors);
  set_processed(state, n, n * (kId + kFloat * width) + static_cast<double>(slots) * kFloat * width);
  state.counters["slots"] = static_cast<double>(slots);
}

/// The FM second-order term; items: batch rows.
void BM_FmForward(benchmark::State& state, FmForward forward, std::size_t fields,
                  std::size_t factors) {
  const std::size_t rows = rows_of(state);
  const Buffer embedded = random_values(rows * fields * factors, 5);
  Buffer out(rows);
  run(state, [&] { forward(embedded.data(), rows, fields, factors, out.data()); });
  const auto r = static_cast<double>(rows);
  set_processed(state, r, r * kFloat * (static_cast<double>(fields * factors) + 1.0));
}

/// Its gradient; items: batch rows.
void BM_FmBackward(benchmark::State& state, FmBackward backward, std::size_t fields,
                   std::size_t factors) {
  const std::size_t rows = rows_of(state);
  const Buffer embedded = random_values(rows * fields * factors, 6);
  const Buffer diff_out = random_values(rows, 7);
  Buffer diff_embedded(embedded.size());
  run(state, [&] {
    backward(embedded.data(), diff_out.data(), rows, fields, factors, diff_embedded.data());
  });
  const auto r = static_cast<double>(rows);
  set_processed(state, r, r * kFloat * (2.0 * static_cast<double>(fields * factors) + 1.0));
}

// ---- the Dense products: (in, out), batch = range(0); items: batch rows ----

using DenseForward = decltype(&k::ref::dense_forward<float>);
using DenseBackwardData = decltype(&k::ref::dense_backward_data<float>);
using DenseBackwardWeights = decltype(&k::ref::dense_backward_weights<float>);

/// One Dense layer's operands, w [out x in] as the layer holds it.
struct DenseOperands {
  std::size_t rows, in, out;
  Buffer x, w, bias, y;
  DenseOperands(std::size_t rows_, std::size_t in_, std::size_t out_)
      : rows(rows_),
        in(in_),
        out(out_),
        x(random_values(rows * in, 8)),
        w(random_values(out * in, 9)),
        bias(random_values(out, 10)),
        y(random_values(rows * out, 11)) {}

  double products() const { return static_cast<double>(rows * in * out); }
  double matrix_bytes() const { return kFloat * static_cast<double>(rows * in + rows * out); }
};

void BM_DenseForward(benchmark::State& state, DenseForward forward, std::size_t in,
                     std::size_t out) {
  DenseOperands d(rows_of(state), in, out);
  const double seconds = run(
      state, [&] { forward(d.x.data(), d.rows, in, d.w.data(), d.bias.data(), out, d.y.data()); });
  set_processed(state, static_cast<double>(d.rows),
                d.matrix_bytes() + kFloat * static_cast<double>(out * in + out));
  set_flops(state, 2.0 * d.products(), seconds);
}

/// y holds dy, x receives dx.
void BM_DenseBackwardData(benchmark::State& state, DenseBackwardData backward, std::size_t in,
                          std::size_t out) {
  DenseOperands d(rows_of(state), in, out);
  const double seconds =
      run(state, [&] { backward(d.y.data(), d.rows, out, d.w.data(), in, d.x.data()); });
  set_processed(state, static_cast<double>(d.rows),
                d.matrix_bytes() + kFloat * static_cast<double>(out * in));
  set_flops(state, 2.0 * d.products(), seconds);
}

/// dense_backward_data adding to dx instead of overwriting it (the MLP's input gradient added
/// to the FM's): dx is read too.
void BM_DenseBackwardDataAdd(benchmark::State& state, DenseBackwardData backward, std::size_t in,
                             std::size_t out) {
  DenseOperands d(rows_of(state), in, out);
  const double seconds =
      run(state, [&] { backward(d.y.data(), d.rows, out, d.w.data(), in, d.x.data()); });
  set_processed(state, static_cast<double>(d.rows),
                d.matrix_bytes() + kFloat * static_cast<double>(out * in + d.rows * in));
  set_flops(state, 2.0 * d.products(), seconds);
}

/// y holds dy; w and bias receive dw and db (added to, as the layer does: read and written).
void BM_DenseBackwardWeights(benchmark::State& state, DenseBackwardWeights backward, std::size_t in,
                             std::size_t out) {
  DenseOperands d(rows_of(state), in, out);
  const double seconds = run(state, [&] {
    backward(d.x.data(), d.y.data(), d.rows, in, out, 0, out, d.w.data(), d.bias.data());
  });
  set_processed(state, static_cast<double>(d.rows),
                d.matrix_bytes() + 2.0 * kFloat * static_cast<double>(out * in + out));
  set_flops(state, 2.0 * d.products(), seconds);
}

// ---- the optimizer updates: n = range(0) parameters; items: parameters ----

using AdamUpdate = decltype(&k::ref::adam_update<float>);
using AdamUpdateZeroGrad = decltype(&k::ref::adam_update_zero_grad<float>);
using AdagradUpdate = decltype(&k::ref::adagrad_update<float>);
using SgdUpdate = decltype(&k::ref::sgd_update<float>);

constexpr float kLr = 0.01f;
constexpr float kL2 = 0.0f;  // d2l's: no weight decay

/// Adam's constants at step 1000 of d2l's optimizer.
k::AdamStep<float> adam_step() {
  const deepfm::OptimizerConfig config{.lr = static_cast<double>(kLr),
                                       .l2 = static_cast<double>(kL2)};
  return deepfm::AdamSchedule<float>(config).at(1000);
}

/// Parameters, a gradient and two moments (the second non-negative) of n values, and their
/// first values. Repeated updates move the state: with a zero gradient the moments decay by
/// beta each call and would reach subnormals (the FPU's slow path) within a few thousand
/// calls, so run() puts the first values back every kRestoreEvery calls, off the clock.
struct OptimizerState {
  static constexpr std::int64_t kRestoreEvery = 256;
  Buffer p, g, m, v;
  Buffer p0, m0, v0;
  explicit OptimizerState(std::size_t n)
      : p(random_values(n, 12)),
        g(random_values(n, 13, -0.01f, 0.01f)),
        m(random_values(n, 14, -0.01f, 0.01f)),
        v(random_values(n, 15, 0.0f, 1e-4f)),
        p0(p),
        m0(m),
        v0(v) {}

  template <typename Call>
  void run(benchmark::State& state, Call&& call) {
    std::int64_t calls = 0;
    for (auto _ : state) {
      call();
      benchmark::ClobberMemory();
      if (++calls % kRestoreEvery == 0) {
        state.PauseTiming();
        p = p0;
        m = m0;
        v = v0;
        state.ResumeTiming();
      }
    }
  }
};

void BM_AdamUpdate(benchmark::State& state, AdamUpdate update) {
  const std::size_t n = rows_of(state);
  OptimizerState s(n);
  const k::AdamStep<float> step = adam_step();
  s.run(state, [&] {
    benchmark::DoNotOptimize(update(s.p.data(), s.g.data(), s.m.data(), s.v.data(), n, step));
  });
  set_processed(state, static_cast<double>(n), 7.0 * kFloat * static_cast<double>(n));
}

void BM_AdamUpdateZeroGrad(benchmark::State& state, AdamUpdateZeroGrad update) {
  const std::size_t n = rows_of(state);
  OptimizerState s(n);
  const k::AdamStep<float> step = adam_step();
  s.run(state,
        [&] { benchmark::DoNotOptimize(update(s.p.data(), s.m.data(), s.v.data(), n, step)); });
  set_processed(state, static_cast<double>(n), 6.0 * kFloat * static_cast<double>(n));
}

/// v serves as Adagrad's sum of squares.
void BM_AdagradUpdate(benchmark::State& state, AdagradUpdate update) {
  const std::size_t n = rows_of(state);
  OptimizerState s(n);
  s.run(state, [&] {
    benchmark::DoNotOptimize(update(s.p.data(), s.g.data(), s.v.data(), n, kLr, 1e-10f, kL2));
  });
  set_processed(state, static_cast<double>(n), 5.0 * kFloat * static_cast<double>(n));
}

void BM_SgdUpdate(benchmark::State& state, SgdUpdate update) {
  const std::size_t n = rows_of(state);
  OptimizerState s(n);
  s.run(state, [&] { benchmark::DoNotOptimize(update(s.p.data(), s.g.data(), n, kLr, kL2)); });
  set_processed(state, static_cast<double>(n), 3.0 * kFloat * static_cast<double>(n));
}

// ---- element-wise activations: (width), batch = range(0); items: elements ----

using ReluForward = decltype(&k::ref::relu_forward<float>);
using ReluBackward = decltype(&k::ref::relu_backward<float>);
using ApplyDropoutMask = decltype(&k::ref::apply_dropout_mask<float>);

void BM_ReluForward(benchmark::State& state, ReluForward forward, std::size_t width) {
  const std::size_t n = rows_of(state) * width;
  const Buffer x = random_values(n, 16);
  Buffer y(n);
  run(state, [&] { forward(x.data(), n, y.data()); });
  set_processed(state, static_cast<double>(n), 2.0 * kFloat * static_cast<double>(n));
}

void BM_ReluBackward(benchmark::State& state, ReluBackward backward, std::size_t width) {
  const std::size_t n = rows_of(state) * width;
  const Buffer x = random_values(n, 17);
  const Buffer dy = random_values(n, 18);
  Buffer dx(n);
  run(state, [&] { backward(x.data(), dy.data(), n, dx.data()); });
  set_processed(state, static_cast<double>(n), 3.0 * kFloat * static_cast<double>(n));
}

/// d2l's rate 0.1, a fresh step's mask each call as training draws; src stays unchanged (the
/// layer's forward reads one buffer and writes another).
void BM_ApplyDropoutMask(benchmark::State& state, ApplyDropoutMask apply, std::size_t width) {
  const std::size_t n = rows_of(state) * width;
  constexpr double kRate = 0.1;
  const auto threshold = static_cast<std::uint32_t>(std::ceil(kRate * 0x1.0p24));
  const auto scale = static_cast<float>(1.0 / (1.0 - kRate));
  const Buffer src = random_values(n, 19);
  Buffer dst(n);
  std::uint64_t step = 0;
  run(state, [&] {
    const deepfm::RandomStream stream(7, deepfm::RngStream::dropout, 1, ++step);
    apply(stream, threshold, scale, 0, n, src.data(), dst.data());
  });
  set_processed(state, static_cast<double>(n), 2.0 * kFloat * static_cast<double>(n));
}

// ---- the loss: batch = range(0) logits; items: logits ----

using BceSum = decltype(&k::ref::bce_with_logits_sum<float, float>);
using BceBackward = decltype(&k::ref::bce_with_logits_backward<float, float>);

/// Logits of a half-trained model (|z| up to 4) and 0/1 labels.
struct LossInputs {
  Buffer logits, labels;
  explicit LossInputs(std::size_t n) : logits(random_values(n, 20, -4.0f, 4.0f)), labels(n) {
    const Buffer u = random_values(n, 21, 0.0f, 1.0f);
    for (std::size_t i = 0; i < n; ++i) labels[i] = u[i] < 0.5f ? 1.0f : 0.0f;
  }
};

void BM_BceSum(benchmark::State& state, BceSum sum) {
  const std::size_t n = rows_of(state);
  const LossInputs in(n);
  run(state, [&] { benchmark::DoNotOptimize(sum(in.logits.data(), in.labels.data(), n)); });
  set_processed(state, static_cast<double>(n), 2.0 * kFloat * static_cast<double>(n));
}

void BM_BceBackward(benchmark::State& state, BceBackward backward) {
  const std::size_t n = rows_of(state);
  const LossInputs in(n);
  Buffer diff(n);
  const float scale = 1.0f / static_cast<float>(n);
  run(state, [&] { backward(in.logits.data(), in.labels.data(), n, scale, diff.data()); });
  set_processed(state, static_cast<double>(n), 3.0 * kFloat * static_cast<double>(n));
}

// ---- registration ----

const std::vector<std::int64_t> kBatches = {1, 256, 2048, 16384};

/// Registers NAME/isa/SHAPE and NAME/ref/SHAPE, one after the other so that each ratio reads
/// off adjacent lines; `bench(state, kernel)` runs one of them, range(0) over `args` named
/// `arg_name`.
template <typename Kernel, typename Bench>
void add_pair(const std::string& name, const std::string& shape, Kernel isa, Kernel ref,
              const Bench& bench, const char* arg_name, const std::vector<std::int64_t>& args) {
  for (const auto& [which, kernel] : {std::pair{"isa", isa}, std::pair{"ref", ref}}) {
    const std::string full = name + "/" + which + (shape.empty() ? "" : "/" + shape);
    auto* b = benchmark::RegisterBenchmark(
        full.c_str(), [bench, chosen = kernel](benchmark::State& state) { bench(state, chosen); });
    b->ArgName(arg_name);
    for (const std::int64_t arg : args) b->Arg(arg);
  }
}

/// The per-row kernels at every (fields, factors) pair.
template <typename Kernel, typename Bench>
void add_rows_kernel(const std::string& name, Kernel isa, Kernel ref, Bench bench) {
  for (const std::size_t fields : {std::size_t{34}, std::size_t{39}})
    for (const std::size_t factors : {std::size_t{10}, std::size_t{16}}) {
      const std::string shape =
          "fields:" + std::to_string(fields) + "/factors:" + std::to_string(factors);
      add_pair(
          name, shape, isa, ref,
          [bench, fields, factors](benchmark::State& state, Kernel kernel) {
            bench(state, kernel, fields, factors);
          },
          "batch", kBatches);
    }
}

/// The Dense products at the d2l and the Criteo-like layer shapes (`first_only`: the first
/// layer's, whose input is the embeddings).
template <typename Kernel, typename Bench>
void add_dense_kernel(const std::string& name, Kernel isa, Kernel ref, Bench bench,
                      bool first_only = false) {
  struct Layer {
    std::size_t in, out;
    const char* model;
  };
  const Layer layers[] = {{340, 30, "d2l"},  {30, 20, "d2l"},      {20, 10, "d2l"},
                          {10, 1, "d2l"},    {624, 400, "criteo"}, {400, 400, "criteo"},
                          {400, 1, "criteo"}};
  for (const Layer& layer : layers) {
    if (first_only && layer.in != 340 && layer.in != 624) continue;
    const std::string shape =
        std::string(layer.model) + "_" + std::to_string(layer.in) + "x" + std::to_string(layer.out);
    const bool d2l = std::string(layer.model) == "d2l";
    const std::vector<std::int64_t> batches =
        d2l ? kBatches : std::vector<std::int64_t>{1, 256, 2048};
    add_pair(
        name, shape, isa, ref,
        [bench, layer](benchmark::State& state, Kernel kernel) {
          bench(state, kernel, layer.in, layer.out);
        },
        "batch", batches);
  }
}

/// The element-wise kernels over batch x width: d2l's first hidden layer (30) and the
/// Criteo-like one (400).
template <typename Kernel, typename Bench>
void add_elementwise_kernel(const std::string& name, Kernel isa, Kernel ref, Bench bench) {
  for (const std::size_t width : {std::size_t{30}, std::size_t{400}})
    add_pair(
        name, "width:" + std::to_string(width), isa, ref,
        [bench, width](benchmark::State& state, Kernel kernel) { bench(state, kernel, width); },
        "batch", kBatches);
}

void register_all() {
  add_rows_kernel<GatherRows>("gather_rows", &k::gather_rows<float>, &k::ref::gather_rows<float>,
                              BM_GatherRows);
  add_rows_kernel<AddRowsToSlots>("add_rows_to_slots", &k::add_rows_to_slots<float>,
                                  &k::ref::add_rows_to_slots<float>, BM_AddRowsToSlots);
  add_rows_kernel<FmForward>("fm_forward", &k::fm_forward<float>, &k::ref::fm_forward<float>,
                             BM_FmForward);
  add_rows_kernel<FmBackward>("fm_backward", &k::fm_backward<float>, &k::ref::fm_backward<float>,
                              BM_FmBackward);

  add_dense_kernel<DenseForward>("dense_forward", &k::dense_forward<float>,
                                 &k::ref::dense_forward<float>, BM_DenseForward);
  add_dense_kernel<DenseBackwardData>("dense_backward_data", &k::dense_backward_data<float>,
                                      &k::ref::dense_backward_data<float>, BM_DenseBackwardData);
  add_dense_kernel<DenseBackwardData>("dense_backward_data_add", &k::dense_backward_data_add<float>,
                                      &k::ref::dense_backward_data_add<float>,
                                      BM_DenseBackwardDataAdd, true);
  add_dense_kernel<DenseBackwardWeights>(
      "dense_backward_weights", &k::dense_backward_weights<float>,
      &k::ref::dense_backward_weights<float>, BM_DenseBackwardWeights);

  // One embedding row (k 10, 16), d2l's MLP, the Criteo-like MLP, the Criteo-like table.
  const std::vector<std::int64_t> sizes = {10, 16, 11071, 410801, 6240000};
  add_pair<AdamUpdate>("adam_update", "", &k::adam_update<float>, &k::ref::adam_update<float>,
                       BM_AdamUpdate, "n", sizes);
  add_pair<AdamUpdateZeroGrad>("adam_update_zero_grad", "", &k::adam_update_zero_grad<float>,
                               &k::ref::adam_update_zero_grad<float>, BM_AdamUpdateZeroGrad, "n",
                               sizes);
  add_pair<AdagradUpdate>("adagrad_update", "", &k::adagrad_update<float>,
                          &k::ref::adagrad_update<float>, BM_AdagradUpdate, "n", sizes);
  add_pair<SgdUpdate>("sgd_update", "", &k::sgd_update<float>, &k::ref::sgd_update<float>,
                      BM_SgdUpdate, "n", sizes);

  add_elementwise_kernel<ReluForward>("relu_forward", &k::relu_forward<float>,
                                      &k::ref::relu_forward<float>, BM_ReluForward);
  add_elementwise_kernel<ReluBackward>("relu_backward", &k::relu_backward<float>,
                                       &k::ref::relu_backward<float>, BM_ReluBackward);
  add_elementwise_kernel<ApplyDropoutMask>("apply_dropout_mask", &k::apply_dropout_mask<float>,
                                           &k::ref::apply_dropout_mask<float>, BM_ApplyDropoutMask);

  add_pair<BceSum>("bce_with_logits_sum", "", &k::bce_with_logits_sum<float, float>,
                   &k::ref::bce_with_logits_sum<float, float>, BM_BceSum, "batch", kBatches);
  add_pair<BceBackward>("bce_with_logits_backward", "", &k::bce_with_logits_backward<float, float>,
                        &k::ref::bce_with_logits_backward<float, float>, BM_BceBackward, "batch",
                        kBatches);
}

}  // namespace

// Registered by hand: BENCHMARK_CAPTURE takes no template arguments in Debian's 1.7.
int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  deepfm_bench::add_benchmark_context(machine());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
