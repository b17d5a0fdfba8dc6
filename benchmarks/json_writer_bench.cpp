// The `--metrics` JSON lines (report/json_writer.hpp): deepfm's own JsonObject/epoch_json
// against nlohmann::json (nlohmann-json3-dev) building and dumping the same objects. Each
// iteration writes 10,000 epoch lines with validation and test metrics into one string;
// items_per_second = lines per second.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <deepfm/core/random.hpp>
#include <deepfm/report/json_writer.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kLines = 10000;

/// Epoch statistics with full-precision values (17 significant digits, as real losses have).
std::vector<deepfm::EpochStats> make_stats() {
  const deepfm::RandomStream rng(3, deepfm::RngStream::synthetic, 1);
  std::vector<deepfm::EpochStats> all(kLines);
  std::uint64_t at = 0;
  const auto unit = [&] { return rng.unit<double>(at++); };
  for (std::size_t i = 0; i < kLines; ++i) {
    deepfm::EpochStats& s = all[i];
    s.epoch = i + 1;
    s.train_loss = 0.3 + 0.2 * unit();
    s.seconds = 10 * unit();
    s.samples_per_second = 1e6 * unit();
    deepfm::Metrics m;
    m.auc = 0.7 + 0.1 * unit();
    m.logloss = 0.4 + 0.1 * unit();
    m.accuracy = 0.75 + 0.1 * unit();
    m.calibration = 0.9 + 0.2 * unit();
    m.ne = 0.8 + 0.2 * unit();
    m.rows = 100000;
    s.validation = m;
    m.auc.reset();  // an undefined metric: null
    s.test = m;
  }
  return all;
}

template <typename T>
nlohmann::ordered_json or_null(const std::optional<T>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json metrics_nlohmann(const deepfm::Metrics& m) {
  nlohmann::ordered_json j;
  j["auc"] = or_null(m.auc);
  j["logloss"] = m.logloss;
  j["accuracy"] = m.accuracy;
  j["calibration"] = or_null(m.calibration);
  j["ne"] = or_null(m.ne);
  j["rows"] = m.rows;
  return j;
}

std::string epoch_nlohmann(const deepfm::EpochStats& s) {
  nlohmann::ordered_json j;
  j["epoch"] = s.epoch;
  j["train_loss"] = s.train_loss;
  j["seconds"] = s.seconds;
  j["samples_per_second"] = s.samples_per_second;
  if (s.validation) j["valid"] = metrics_nlohmann(*s.validation);
  if (s.test) j["test"] = metrics_nlohmann(*s.test);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

template <typename Write>
void run(benchmark::State& state, Write write) {
  const std::vector<deepfm::EpochStats> stats = make_stats();
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const deepfm::EpochStats& s : stats) {
      out += write(s);
      out += '\n';
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kLines));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}

void BM_EpochJson_Deepfm(benchmark::State& state) {
  run(state, [](const deepfm::EpochStats& s) { return deepfm::epoch_json(s); });
}

void BM_EpochJson_Nlohmann(benchmark::State& state) {
  run(state, [](const deepfm::EpochStats& s) { return epoch_nlohmann(s); });
}

}  // namespace

BENCHMARK(BM_EpochJson_Deepfm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EpochJson_Nlohmann)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
