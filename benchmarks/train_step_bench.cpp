// Whole training steps and inference at the d2l configuration: the baseline the SIMD/OpenMP
// kernels will be measured against. items_per_second = samples per second.
#include <benchmark/benchmark.h>

#include <deepfm/deepfm.hpp>
#include <string>
#include <vector>

#include "d2l_shapes.hpp"

namespace {

using deepfm_bench::kD2lFieldDims;

// A Criteo-like table: 39 fields of 25,600 values (~1M rows), where dense Adam's O(table)
// step shows against the lazy modes' O(batch).
const std::vector<std::size_t> kLargeFieldDims(39, 25600);

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

void label(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kBatch));
  // The kernels are still the scalar reference; target_isa is what the compiler may use.
  state.SetLabel(std::string("target_isa=") +
                 std::string(deepfm::kernels::isa_name(deepfm::kernels::kIsa)));
}

template <typename T>
void BM_DeepFMTrainStep(benchmark::State& state, std::vector<std::size_t> field_dims,
                        std::size_t factors, deepfm::AdamMode mode) {
  const RandomBatch data(field_dims, kBatch, 1);
  deepfm::DeepFM<T> model(field_dims,
                          {.factors = factors, .optimizer = {.adam_mode = mode}, .seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize(model.train_step(data.batch));
  label(state);
}

template <typename T>
void BM_FMTrainStep(benchmark::State& state, std::vector<std::size_t> field_dims,
                    std::size_t factors) {
  const RandomBatch data(field_dims, kBatch, 1);
  deepfm::FM<T> model(field_dims, {.factors = factors, .seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize(model.train_step(data.batch));
  label(state);
}

template <typename Model>
void run_inference(benchmark::State& state, const Model& model, const RandomBatch& data) {
  std::vector<typename Model::value_type> logits(kBatch);
  for (auto _ : state) {
    model.predict_logits(data.batch.ids, logits);
    benchmark::DoNotOptimize(logits.data());
  }
  label(state);
}

template <typename T>
void BM_DeepFMInference(benchmark::State& state) {
  const RandomBatch data(kD2lFieldDims, kBatch, 2);
  const deepfm::DeepFM<T> model(kD2lFieldDims, {.seed = 1});
  run_inference(state, model, data);
}

template <typename T>
void BM_FMInference(benchmark::State& state) {
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
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
