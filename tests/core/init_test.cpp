// core/init.hpp: Xavier-uniform initialisation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deepfm/core/init.hpp>
#include <span>
#include <vector>

TEMPLATE_TEST_CASE("xavier_uniform draws inside sqrt(6 / (fan_in + fan_out))", "[core][init]",
                   float, double) {
  const std::size_t fan_in = 30, fan_out = 20;
  std::vector<TestType> values(fan_in * fan_out * 10);
  deepfm::xavier_uniform(std::span<TestType>(values), fan_in, fan_out, 42, 3);
  const double bound = std::sqrt(6.0 / 50.0);
  double sum = 0, lowest = 1, highest = -1;
  for (const TestType v : values) {
    REQUIRE(std::abs(static_cast<double>(v)) <= bound);
    sum += static_cast<double>(v);
    lowest = std::min(lowest, static_cast<double>(v));
    highest = std::max(highest, static_cast<double>(v));
  }
  const double n = static_cast<double>(values.size());
  // Mean of U(-b, b) over 6000 draws: sd = b / sqrt(3 n) ~ 0.0026; 5 sd is 0.013.
  CHECK(std::abs(sum / n) < 5 * bound / std::sqrt(3 * n));
  // The draws really spread over the interval.
  CHECK(lowest < -0.95 * bound);
  CHECK(highest > 0.95 * bound);

  // Element i is -b + 2b * unit(i) of the init stream `tensor_id`.
  const deepfm::RandomStream stream(42, deepfm::RngStream::init, 3);
  const auto b = static_cast<TestType>(bound);
  for (std::size_t i = 0; i < 16; ++i) CHECK(values[i] == stream.uniform<TestType>(i, -b, b));
}

TEMPLATE_TEST_CASE("xavier_uniform is deterministic by seed and tensor id", "[core][init]", float,
                   double) {
  auto draw = [](std::uint64_t seed, std::uint16_t tensor, std::size_t n = 64) {
    std::vector<TestType> values(n);
    deepfm::xavier_uniform(std::span<TestType>(values), 4, 8, seed, tensor);
    return values;
  };
  CHECK(draw(1, 0) == draw(1, 0));
  CHECK(draw(1, 0) != draw(2, 0));
  CHECK(draw(1, 0) != draw(1, 1));
  // A prefix does not depend on the length drawn.
  const auto longer = draw(1, 0, 100);
  const auto shorter = draw(1, 0, 64);
  CHECK(std::equal(shorter.begin(), shorter.end(), longer.begin()));
  // Nothing written past an empty span.
  std::vector<TestType> none;
  deepfm::xavier_uniform(std::span<TestType>(none), 1, 1, 1, 0);
  CHECK(none.empty());
}
