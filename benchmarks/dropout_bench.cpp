// The dropout mask (kernels/dropout_mask.hpp): the scalar reference against the path of this
// machine's ISA (-march=native), on one d2l DeepFM activation (batch 2048 x MLP width 30, rate
// 0.1), in place as the layer's forward and backward run it. items_per_second counts elements.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deepfm/core/random.hpp>
#include <deepfm/kernels/dropout_mask.hpp>
#include <deepfm/kernels/isa.hpp>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kBatch = 2048;
constexpr std::size_t kWidth = 30;
constexpr double kRate = 0.1;

template <typename T, bool kReference>
void BM_DropoutMask(benchmark::State& state) {
  const std::size_t n = kBatch * kWidth;
  std::vector<T> values(n, T(1));
  const auto threshold = static_cast<std::uint32_t>(std::ceil(kRate * 0x1.0p24));
  const T scale = T(1) / (T(1) - static_cast<T>(kRate));
  std::uint64_t step = 0;
  for (auto _ : state) {
    // A fresh step each time, as training does; the values drift to 0 harmlessly.
    const deepfm::RandomStream stream(7, deepfm::RngStream::dropout, 1, ++step);
    if constexpr (kReference) {
      deepfm::kernels::ref::apply_dropout_mask(stream, threshold, scale, 0, n, values.data(),
                                               values.data());
    } else {
      deepfm::kernels::apply_dropout_mask(stream, threshold, scale, 0, n, values.data(),
                                          values.data());
    }
    benchmark::DoNotOptimize(values.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetLabel(kReference ? std::string("scalar reference")
                            : std::string(deepfm::kernels::isa_name(deepfm::kernels::kIsa)));
}

BENCHMARK_TEMPLATE(BM_DropoutMask, float, true)->Name("dropout_mask/float/ref");
BENCHMARK_TEMPLATE(BM_DropoutMask, float, false)->Name("dropout_mask/float/isa");
BENCHMARK_TEMPLATE(BM_DropoutMask, double, true)->Name("dropout_mask/double/ref");
BENCHMARK_TEMPLATE(BM_DropoutMask, double, false)->Name("dropout_mask/double/isa");

}  // namespace

BENCHMARK_MAIN();
