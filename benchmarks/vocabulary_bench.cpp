// The vocabulary's hash map on the encoder's worst case: 34 fields of 100 000 uniformly drawn
// values (decimal strings, as `deepfm generate` writes them), counted (pass 1) and looked up
// (pass 2) a column at a time as the encoder does, with the next values' slots prefetched.
// Candidates: std::unordered_map (deepfm's map before Abseil), Abseil's flat_hash_map keyed by
// deepfm::ValueKey (what data/value_map.hpp uses), and Boost's unordered_flat_map with the
// same keys where Boost >= 1.81 is installed (libboost1.81-dev; Debian 12 has it, Ubuntu 22.04
// does not). Items: values counted or looked up.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <deepfm/data/value_map.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#if __has_include(<boost/unordered/unordered_flat_map.hpp>)
#include <boost/unordered/unordered_flat_map.hpp>
#define DEEPFM_BENCH_BOOST_FLAT_MAP 1
#endif

namespace {

constexpr std::size_t kFields = 34;
constexpr std::size_t kValuesPerField = 100'000;
constexpr std::size_t kRows = 200'000;  // a few blocks' worth of rows, row-major as parsed

/// kRows x kFields decimal values, uniform over kValuesPerField per field (splitmix64).
const std::vector<std::string>& values() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> out(kRows * kFields);
    std::uint64_t state = 5;
    for (std::string& value : out) {
      state += 0x9E3779B97F4A7C15ull;
      std::uint64_t z = state;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      value = std::to_string((z ^ (z >> 31)) % kValuesPerField);
    }
    return out;
  }();
  return all;
}

struct StdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view value) const noexcept {
    return std::hash<std::string_view>{}(value);
  }
};
using StdMap = std::unordered_map<std::string, std::uint64_t, StdHash, std::equal_to<>>;
using AbslMap = deepfm::ValueMap<std::uint64_t>;
#if defined(DEEPFM_BENCH_BOOST_FLAT_MAP)
using BoostMap = boost::unordered_flat_map<deepfm::ValueKey, std::uint64_t, deepfm::ValueKeyHash>;
#endif

template <typename Map>
void add(Map& map, std::string_view value) {
  if constexpr (std::is_same_v<Map, StdMap>) {
    const auto found = map.find(value);
    if (found != map.end()) {
      ++found->second;
    } else {
      map.emplace(std::string(value), 1);
    }
  } else {
    ++map[deepfm::ValueKey(value)];  // every value fits in its key: no arena needed here
  }
}

template <typename Map>
std::uint64_t find(const Map& map, std::string_view value) {
  if constexpr (std::is_same_v<Map, StdMap>) {
    return map.find(value)->second;
  } else {
    return map.find(deepfm::ValueKey(value))->second;
  }
}

template <typename Map>
void prefetch(const Map& map, std::string_view value) {
  if constexpr (std::is_same_v<Map, AbslMap>) deepfm::prefetch_value(map, deepfm::ValueKey(value));
}

/// Pass 1: every value of the rows counted, field by field.
template <typename Map>
void BM_Count(benchmark::State& state) {
  const std::vector<std::string>& all = values();
  for (auto _ : state) {
    std::vector<Map> maps(kFields);
    for (std::size_t f = 0; f < kFields; ++f)
      for (std::size_t r = 0; r < kRows; ++r) {
        if (r + deepfm::kPrefetchAhead < kRows)
          prefetch(maps[f], all[(r + deepfm::kPrefetchAhead) * kFields + f]);
        add(maps[f], all[r * kFields + f]);
      }
    benchmark::DoNotOptimize(maps.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kRows * kFields));
}

/// Pass 2: every value looked up in full tables, field by field.
template <typename Map>
void BM_Find(benchmark::State& state) {
  const std::vector<std::string>& all = values();
  std::vector<Map> maps(kFields);
  for (std::size_t f = 0; f < kFields; ++f)
    for (std::size_t v = 0; v < kValuesPerField; ++v) add(maps[f], std::to_string(v));
  std::uint64_t sum = 0;
  for (auto _ : state) {
    for (std::size_t f = 0; f < kFields; ++f)
      for (std::size_t r = 0; r < kRows; ++r) {
        if (r + deepfm::kPrefetchAhead < kRows)
          prefetch(maps[f], all[(r + deepfm::kPrefetchAhead) * kFields + f]);
        sum += find(maps[f], all[r * kFields + f]);
      }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kRows * kFields));
}

BENCHMARK(BM_Count<StdMap>)->Name("count/std_unordered_map")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Count<AbslMap>)->Name("count/absl_flat_hash_map")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Find<StdMap>)->Name("find/std_unordered_map")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Find<AbslMap>)->Name("find/absl_flat_hash_map")->Unit(benchmark::kMillisecond);
#if defined(DEEPFM_BENCH_BOOST_FLAT_MAP)
BENCHMARK(BM_Count<BoostMap>)
    ->Name("count/boost_unordered_flat_map")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Find<BoostMap>)->Name("find/boost_unordered_flat_map")->Unit(benchmark::kMillisecond);
#endif

}  // namespace

BENCHMARK_MAIN();
