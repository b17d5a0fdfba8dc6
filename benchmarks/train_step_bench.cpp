// Whole training steps and inference at the d2l configuration: the baseline the SIMD/OpenMP
// kernels will be measured against. items_per_second = samples per second. The benchmarks
// without `/threads:N` in their name run on one thread, as the README's baseline table was
// measured.
//
// The `.../threads:N` benchmarks (issue 15) run a whole train step or inference of batch 2048
// at 1 thread and at all threads (deepfm::set_max_threads) in two configurations:
//   d2l:         34 fields (the d2l data's dims), k 10, MLP 30-20-10, dropout 0.1, dense Adam
//   criteo-like: 39 fields x 10,000 values, k 16, MLP 400-400-400, dropout 0.1, dense Adam
// and report, besides samples/s, the FLOP/s reached and `bound_frac`, that over the machine's
// FLOP bound for the cores the threads can use (machine_peak.hpp; the bound and its formula
// are printed in the context above the results). FLOPs counted: the MLP's products only,
// 2 * sum(in * out) per sample forward over the layers (fields*k)-h1-...-1, and 3 times that
// for a training step (forward, input gradient, weight gradient). The FM term, the first-order
// sum, the gather, the loss and the optimiser add O(fields * k) per sample (d2l: ~1.4k FLOP
// against the MLP's 22k forward, criteo-like: ~2.5k against 1.14M) plus the table update,
// which is memory-bound: not counted. These benchmarks time wall-clock (UseRealTime).
#include <benchmark/benchmark.h>

#include <chrono>
#include <deepfm/core/parallel_for.hpp>
#include <deepfm/deepfm.hpp>
#include <string>
#include <vector>

#include "d2l_shapes.hpp"
#include "machine_peak.hpp"

namespace {

using deepfm_bench::kD2lFieldDims;

// A Criteo-like table: 39 fields of 25,600 values (~1M rows), where dense Adam's O(table)
// step shows against the lazy modes' O(batch).
const std::vector<std::size_t> kLargeFieldDims(39, 25600);
// The same 39 fields with 105 values each (4,095 rows) and with 256,411 (10.0 M rows): with lazy
// Adam the step's cost should follow the batch, not the table (issue 15: the large one at
// >= 80% of the small one's speed).
const std::vector<std::size_t> kTable4KFieldDims(39, 105);
const std::vector<std::size_t> kTable10MFieldDims(39, 256411);

constexpr std::size_t kBatch = 2048;

/// A batch of uniformly drawn global ids and 0/1 labels for `field_dims`.
struct RandomBatch {
  std::vector<deepfm::FeatureId> ids;
  std::vector<float> labels;
  deepfm::Batch batch;

  RandomBatch(const std::vector<std::size_t>& field_dims, std::size_t rows, std::uint64_t seed) {
    const deepfm::RandomStream stream(seed, deepfm::RngStream::synthetic);
    ids.resize(rows * field_dims.size());
    labels.resize(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      std::size_t offset = 0;
      for (std::size_t f = 0; f < field_dims.size(); ++f) {
        const std::size_t i = r * field_dims.size() + f;
        ids[i] = static_cast<deepfm::FeatureId>(offset + stream.below(i, field_dims[f]));
        offset += field_dims[f];
      }
      labels[r] = stream.unit<float>(ids.size() + r) < 0.5f ? 1.0f : 0.0f;
    }
    batch = {ids, labels, field_dims.size()};
  }
};

/// One step on a batch checked once, as the trainer runs it (its ids and labels are checked
/// when the data set is loaded, not every step).
template <typename Model>
double train_step(Model& model, const deepfm::Batch& batch) {
  return model.train_step(batch, deepfm::IdentityReducer{}, Model::BatchCheck::trusted);
}

/// Sets deepfm's thread count for one benchmark and restores it after.
class ThreadScope {
 public:
  explicit ThreadScope(int threads) : before_(deepfm::max_threads()) {
    deepfm::set_max_threads(threads);
  }
  ~ThreadScope() { deepfm::set_max_threads(before_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int before_;
};

void label(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kBatch));
  // target_isa: the instruction set the kernels were compiled for (deepfm::kernels::kIsa).
  state.SetLabel(std::string("target_isa=") +
                 std::string(deepfm::kernels::isa_name(deepfm::kernels::kIsa)));
}

template <typename T>
void BM_DeepFMTrainStep(benchmark::State& state, std::vector<std::size_t> field_dims,
                        std::size_t factors, deepfm::AdamMode mode) {
  const ThreadScope one_thread(1);
  const RandomBatch data(field_dims, kBatch, 1);
  deepfm::DeepFM<T> model(field_dims,
                          {.factors = factors, .optimizer = {.adam_mode = mode}, .seed = 1});
  model.check_batch(data.batch);
  for (auto _ : state) benchmark::DoNotOptimize(train_step(model, data.batch));
  label(state);
}

template <typename T>
void BM_FMTrainStep(benchmark::State& state, std::vector<std::size_t> field_dims,
                    std::size_t factors) {
  const ThreadScope one_thread(1);
  const RandomBatch data(field_dims, kBatch, 1);
  deepfm::FM<T> model(field_dims, {.factors = factors, .seed = 1});
  model.check_batch(data.batch);
  for (auto _ : state) benchmark::DoNotOptimize(train_step(model, data.batch));
  label(state);
}

// ---- the threaded train-step and inference benchmarks with FLOP counters (issue 15) ----

/// A model configuration of the threaded benchmarks.
struct Shape {
  std::vector<std::size_t> field_dims;
  std::size_t factors;
  std::vector<std::size_t> mlp;
};

const Shape kD2lShape{kD2lFieldDims, 10, {30, 20, 10}};
const Shape kCriteoShape{std::vector<std::size_t>(39, 10000), 16, {400, 400, 400}};

/// FLOPs of the MLP's forward products per sample: 2 * sum(in * out) over (fields*k)-mlp-1.
double mlp_forward_flops(const Shape& shape) {
  double flops = 0;
  std::size_t in = shape.field_dims.size() * shape.factors;
  for (const std::size_t out : shape.mlp) {
    flops += 2.0 * static_cast<double>(in * out);
    in = out;
  }
  return flops + 2.0 * static_cast<double>(in);  // the output layer, in x 1
}

const deepfm_bench::MachinePeak& machine() {
  static const deepfm_bench::MachinePeak peak = deepfm_bench::read_machine_peak();
  return peak;
}

/// Runs `call` in the benchmark loop and reports samples/s, FLOP/s and the bound fraction.
template <typename Call>
void run_counted(benchmark::State& state, int threads, double flops_per_sample, Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) call();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double samples = static_cast<double>(state.iterations()) * static_cast<double>(kBatch);
  state.SetItemsProcessed(static_cast<std::int64_t>(samples));
  state.counters["FLOP/s"] =
      benchmark::Counter(samples * flops_per_sample, benchmark::Counter::kIsRate);
  const double bound = machine().bound_flops(threads);
  state.counters["bound_frac"] =
      seconds > 0 && bound > 0 ? samples * flops_per_sample / seconds / bound : 0.0;
  state.counters["threads"] = deepfm::max_threads();
  state.SetLabel(std::string("isa=") +
                 std::string(deepfm::kernels::isa_name(deepfm::kernels::kIsa)));
}

void BM_ThreadedTrainStep(benchmark::State& state, Shape shape) {
  const int threads = static_cast<int>(state.range(0));
  const ThreadScope scope(threads);
  const RandomBatch data(shape.field_dims, kBatch, 1);
  deepfm::DeepFM<float> model(shape.field_dims,
                              {.factors = shape.factors,
                               .mlp = shape.mlp,
                               .dropout = 0.1,
                               .optimizer = {.adam_mode = deepfm::AdamMode::dense},
                               .seed = 1});
  model.check_batch(data.batch);
  run_counted(state, threads, 3.0 * mlp_forward_flops(shape),
              [&] { benchmark::DoNotOptimize(train_step(model, data.batch)); });
}

/// FM's step at 1 thread and all threads (no MLP, so no FLOP bound: samples/s only).
void BM_ThreadedFMTrainStep(benchmark::State& state, Shape shape) {
  const ThreadScope scope(static_cast<int>(state.range(0)));
  const RandomBatch data(shape.field_dims, kBatch, 1);
  deepfm::FM<float> model(shape.field_dims, {.factors = shape.factors, .seed = 1});
  model.check_batch(data.batch);
  for (auto _ : state) benchmark::DoNotOptimize(train_step(model, data.batch));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kBatch));
  state.counters["threads"] = deepfm::max_threads();
}

void BM_ThreadedInference(benchmark::State& state, Shape shape) {
  const int threads = static_cast<int>(state.range(0));
  const ThreadScope scope(threads);
  const RandomBatch data(shape.field_dims, kBatch, 2);
  const deepfm::DeepFM<float> model(
      shape.field_dims, {.factors = shape.factors, .mlp = shape.mlp, .dropout = 0.1, .seed = 1});
  std::vector<float> logits(kBatch);
  // A warm workspace of the caller's, as a server keeps one per thread: the call then
  // allocates (and zero-fills) nothing.
  deepfm::DeepFM<float>::Workspace workspace;
  run_counted(state, threads, mlp_forward_flops(shape), [&] {
    model.predict_logits(data.batch.ids, logits, workspace);
    benchmark::DoNotOptimize(logits.data());
  });
}

template <typename Model>
void run_inference(benchmark::State& state, const Model& model, const RandomBatch& data) {
  std::vector<typename Model::value_type> logits(kBatch);
  typename Model::Workspace workspace;  // warm, as in BM_ThreadedInference
  for (auto _ : state) {
    model.predict_logits(data.batch.ids, logits, workspace);
    benchmark::DoNotOptimize(logits.data());
  }
  label(state);
}

template <typename T>
void BM_DeepFMInference(benchmark::State& state) {
  const ThreadScope one_thread(1);
  const RandomBatch data(kD2lFieldDims, kBatch, 2);
  const deepfm::DeepFM<T> model(kD2lFieldDims, {.seed = 1});
  run_inference(state, model, data);
}

template <typename T>
void BM_FMInference(benchmark::State& state) {
  const ThreadScope one_thread(1);
  const RandomBatch data(kD2lFieldDims, kBatch, 2);
  const deepfm::FM<T> model(kD2lFieldDims, {.factors = 10, .seed = 1});
  run_inference(state, model, data);
}

}  // namespace

// Registered by hand: BENCHMARK_CAPTURE takes no template arguments in Debian's 1.7.
int main(int argc, char** argv) {
  using deepfm::AdamMode;
  const auto add = [](const std::string& name, auto&& function, auto&&... args) {
    benchmark::RegisterBenchmark(name.c_str(), function, args...)->Unit(benchmark::kMillisecond);
  };
  add("DeepFMTrainStep<float>/d2l_k10_adam_dense", BM_DeepFMTrainStep<float>, kD2lFieldDims,
      std::size_t{10}, AdamMode::dense);
  add("DeepFMTrainStep<float>/d2l_k10_adam_lazy", BM_DeepFMTrainStep<float>, kD2lFieldDims,
      std::size_t{10}, AdamMode::lazy);
  add("DeepFMTrainStep<float>/d2l_k10_adam_lazy_exact", BM_DeepFMTrainStep<float>, kD2lFieldDims,
      std::size_t{10}, AdamMode::lazy_exact);
  add("DeepFMTrainStep<double>/d2l_k10_adam_dense", BM_DeepFMTrainStep<double>, kD2lFieldDims,
      std::size_t{10}, AdamMode::dense);
  add("FMTrainStep<float>/d2l_k10", BM_FMTrainStep<float>, kD2lFieldDims, std::size_t{10});
  add("DeepFMInference<float>/d2l_k10", BM_DeepFMInference<float>);
  add("FMInference<float>/d2l_k10", BM_FMInference<float>);
  add("DeepFMTrainStep<float>/large1M_k16_adam_dense", BM_DeepFMTrainStep<float>, kLargeFieldDims,
      std::size_t{16}, AdamMode::dense);
  add("DeepFMTrainStep<float>/large1M_k16_adam_lazy", BM_DeepFMTrainStep<float>, kLargeFieldDims,
      std::size_t{16}, AdamMode::lazy);
  add("DeepFMTrainStep<float>/table4K_k16_adam_lazy", BM_DeepFMTrainStep<float>, kTable4KFieldDims,
      std::size_t{16}, AdamMode::lazy);
  add("DeepFMTrainStep<float>/table10M_k16_adam_lazy", BM_DeepFMTrainStep<float>,
      kTable10MFieldDims, std::size_t{16}, AdamMode::lazy);

  // 1 thread and all threads (OpenMP's default: OMP_NUM_THREADS or every CPU), wall-clock.
  const int all_threads = deepfm::max_threads();
  const auto add_threaded = [&](const std::string& name, auto&& function, const Shape& shape) {
    auto* b = benchmark::RegisterBenchmark(name.c_str(), function, shape);
    b->ArgName("threads")->Arg(1);
    if (all_threads > 1) b->Arg(all_threads);
    b->UseRealTime()->Unit(benchmark::kMillisecond);
  };
  add_threaded("DeepFMTrainStep<float>/d2l_k10_adam_dense", BM_ThreadedTrainStep, kD2lShape);
  add_threaded("DeepFMInference<float>/d2l_k10", BM_ThreadedInference, kD2lShape);
  add_threaded("FMTrainStep<float>/d2l_k10", BM_ThreadedFMTrainStep, kD2lShape);
  add_threaded("FMTrainStep<float>/d2l_k20", BM_ThreadedFMTrainStep, Shape{kD2lFieldDims, 20, {}});
  add_threaded("DeepFMTrainStep<float>/criteo39x10k_k16_mlp400x3_adam_dense", BM_ThreadedTrainStep,
               kCriteoShape);
  add_threaded("DeepFMInference<float>/criteo39x10k_k16_mlp400x3", BM_ThreadedInference,
               kCriteoShape);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  deepfm_bench::add_benchmark_context(machine());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
