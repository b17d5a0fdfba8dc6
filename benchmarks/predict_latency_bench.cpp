// Online serving latency at the d2l configuration (34 fields, k 10, MLP 30-20-10): one row,
// and small batches (and one row of the Criteo-like configuration of train_step_bench), scored from
// global ids (CtrModel::predict_logits) and from raw strings (Predictor, through the training
// vocabulary), each in a caller-owned workspace warmed up first, as a server keeps one per thread.
// Every call is timed on its own, so the p50 and p99 counters are per-call latencies (steady_clock;
// its own cost, some 20 ns, is included).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deepfm/data/vocabulary.hpp>
#include <deepfm/io/model_file.hpp>
#include <deepfm/models/deepfm.hpp>
#include <deepfm/models/model_spec.hpp>
#include <deepfm/serve/predictor.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "d2l_shapes.hpp"
#include "machine_peak.hpp"

namespace {

using deepfm_bench::kD2lFieldDims;

/// Records each call's latency and reports the percentiles as counters.
class LatencyRecorder {
 public:
  explicit LatencyRecorder(benchmark::State& state) : state_(state) {
    nanoseconds_.reserve(1 << 20);
  }

  template <typename Call>
  void time(Call&& call) {
    const auto start = std::chrono::steady_clock::now();
    call();
    const auto end = std::chrono::steady_clock::now();
    if (nanoseconds_.size() < nanoseconds_.capacity())
      nanoseconds_.push_back(static_cast<double>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()));
  }

  void report(std::size_t rows_per_call) {
    if (nanoseconds_.empty()) return;
    std::sort(nanoseconds_.begin(), nanoseconds_.end());
    const auto at = [&](double q) {
      return nanoseconds_[static_cast<std::size_t>(q *
                                                   static_cast<double>(nanoseconds_.size() - 1))];
    };
    state_.counters["p50_us"] = at(0.50) / 1e3;
    state_.counters["p99_us"] = at(0.99) / 1e3;
    state_.SetItemsProcessed(static_cast<std::int64_t>(state_.iterations()) *
                             static_cast<std::int64_t>(rows_per_call));
    state_.SetLabel("target_isa=" + std::string(deepfm::kernels::isa_name(deepfm::kernels::kIsa)));
  }

 private:
  benchmark::State& state_;
  std::vector<double> nanoseconds_;
};

/// A DeepFM at the d2l shapes saved with a vocabulary whose kept values are "0", "1", ...
/// (field f keeps dims[f] - 1 of them; the last id is the field's default), and rows of
/// raw values drawn from them.
struct SavedD2lModel {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / "deepfm_predict_latency_bench.dfm";
  std::vector<std::string> values;  ///< rows x fields raw values

  explicit SavedD2lModel(std::size_t rows) {
    std::vector<std::vector<std::string>> kept(kD2lFieldDims.size());
    for (std::size_t f = 0; f < kD2lFieldDims.size(); ++f)
      for (std::size_t v = 0; v + 1 < kD2lFieldDims[f]; ++v) kept[f].push_back(std::to_string(v));
    const deepfm::Vocabulary vocabulary = deepfm::Vocabulary::from_kept_values(kept, 1);
    deepfm::ModelSpec spec = deepfm::ModelSpec::defaults(deepfm::ModelKind::deepfm);
    spec.field_dims = vocabulary.field_dims();
    auto model = deepfm::make_model<float>(spec);
    deepfm::save_model_file<float>(path, *model, spec, deepfm::ReaderOptions{}, vocabulary);
    const deepfm::RandomStream stream(7, deepfm::RngStream::synthetic);
    for (std::size_t i = 0; i < rows * kD2lFieldDims.size(); ++i)
      values.push_back(std::to_string(stream.below(i, kD2lFieldDims[i % kD2lFieldDims.size()])));
  }
  ~SavedD2lModel() { std::filesystem::remove(path); }
};

constexpr std::size_t kRowPool = 4096;  ///< rows cycled through, so calls do not repeat a row

void BM_PredictFromIds(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const SavedD2lModel saved(kRowPool);
  const deepfm::Predictor<float> predictor(saved.path);
  const std::size_t fields = kD2lFieldDims.size();
  std::vector<deepfm::FeatureId> ids(kRowPool * fields);
  const std::vector<std::string_view> views(saved.values.begin(), saved.values.end());
  for (std::size_t r = 0; r < kRowPool; ++r)
    predictor.encode(std::span(views).subspan(r * fields, fields),
                     std::span(ids).subspan(r * fields, fields));
  std::vector<float> logits(rows);
  deepfm::CtrModel<float>::Workspace ws;
  const auto call = [&](std::size_t first) {
    predictor.model().predict_logits(std::span(ids).subspan(first * fields, rows * fields), logits,
                                     ws);
  };
  call(0);  // warm-up: the workspace grows once
  LatencyRecorder recorder(state);
  std::size_t first = 0;
  for (auto _ : state) {
    recorder.time([&] { call(first); });
    benchmark::DoNotOptimize(logits.data());
    first = (first + rows) % (kRowPool - rows + 1);
  }
  recorder.report(rows);
}

void BM_PredictFromStrings(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const SavedD2lModel saved(kRowPool);
  const deepfm::Predictor<float> predictor(saved.path);
  const std::size_t fields = kD2lFieldDims.size();
  const std::vector<std::string_view> views(saved.values.begin(), saved.values.end());
  std::vector<float> probabilities(rows);
  deepfm::Predictor<float>::Workspace ws;
  const auto call = [&](std::size_t first) {
    predictor.predict_rows(std::span(views).subspan(first * fields, rows * fields), probabilities,
                           ws);
  };
  call(0);
  LatencyRecorder recorder(state);
  std::size_t first = 0;
  for (auto _ : state) {
    recorder.time([&] { call(first); });
    benchmark::DoNotOptimize(probabilities.data());
    first = (first + rows) % (kRowPool - rows + 1);
  }
  recorder.report(rows);
}

/// One row (or a few) of the Criteo-like configuration of train_step_bench (39 fields x 10,000
/// values, k 16, MLP 400-400-400) from global ids, straight on the model (no model file).
void BM_PredictCriteoFromIds(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const std::vector<std::size_t> field_dims(39, 10000);
  const deepfm::DeepFM<float> model(field_dims, {.factors = 16, .mlp = {400, 400, 400}, .seed = 1});
  const std::size_t fields = field_dims.size();
  const deepfm::RandomStream stream(7, deepfm::RngStream::synthetic);
  std::vector<deepfm::FeatureId> ids(kRowPool * fields);
  for (std::size_t i = 0; i < ids.size(); ++i)
    ids[i] = static_cast<deepfm::FeatureId>((i % fields) * 10000 + stream.below(i, 10000));
  std::vector<float> logits(rows);
  deepfm::CtrModel<float>::Workspace ws;
  const auto call = [&](std::size_t first) {
    model.predict_logits(std::span(ids).subspan(first * fields, rows * fields), logits, ws);
  };
  call(0);
  LatencyRecorder recorder(state);
  std::size_t first = 0;
  for (auto _ : state) {
    recorder.time([&] { call(first); });
    benchmark::DoNotOptimize(logits.data());
    first = (first + rows) % (kRowPool - rows + 1);
  }
  recorder.report(rows);
}

}  // namespace

BENCHMARK(BM_PredictCriteoFromIds)
    ->Name("PredictLatency<float>/criteo39x10k_k16_mlp400x3/from_ids")
    ->Arg(1)
    ->Arg(16);
BENCHMARK(BM_PredictFromIds)
    ->Name("PredictLatency<float>/d2l_k10/from_ids")
    ->Arg(1)
    ->Arg(16)
    ->Arg(256);
BENCHMARK(BM_PredictFromStrings)
    ->Name("PredictLatency<float>/d2l_k10/from_strings")
    ->Arg(1)
    ->Arg(16)
    ->Arg(256);

// BENCHMARK_MAIN, plus the machine in the context: ISA, threads, CPU model, FLOP bound.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  deepfm_bench::add_benchmark_context(deepfm_bench::read_machine_peak());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
