// Dropout layer (layers/dropout.hpp): a regenerable mask keyed by (seed, layer, step, element).
#include <catch2/catch.hpp>

#include <cmath>
#include <deepfm/core/error.hpp>
#include <deepfm/layers/dropout.hpp>
#include <limits>
#include <vector>

#include "support/gradient_check.hpp"
#include "support/random_values.hpp"

namespace {

using deepfm::Dropout;
using deepfm::MatrixView;
using deepfm::PassContext;

template <typename T>
std::vector<T> run_forward(const Dropout<T>& layer, const PassContext& ctx, const std::vector<T>& x,
                           std::size_t cols) {
  std::vector<T> y(x.size());
  layer.forward(ctx, MatrixView<const T>{x.data(), x.size() / cols, cols},
                MatrixView<T>{y.data(), x.size() / cols, cols});
  return y;
}

}  // namespace

TEMPLATE_TEST_CASE("Dropout keeps or zeroes each element with scale 1/(1-rate)", "[layers]", float,
                   double) {
  const double rate = 0.3;
  Dropout<TestType> layer(rate, 11, 2);
  CHECK(layer.parameter_count() == 0);
  CHECK(layer.rate() == static_cast<TestType>(rate));
  const std::size_t rows = 5, cols = 7;  // 35 elements: not a multiple of 4 words per block
  const auto x = deepfm::test::random_values<TestType>(rows * cols, 1, 0.5, 1.5);  // never 0
  const PassContext ctx{true, 4};
  const auto y = run_forward(layer, ctx, x, cols);
  const TestType keep = TestType(1) / (TestType(1) - static_cast<TestType>(rate));
  std::size_t kept = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const TestType s = layer.scale(ctx.step, i);
    CHECK((s == TestType(0) || s == keep));
    CHECK(y[i] == x[i] * s);  // forward uses exactly the mask scale() reports
    kept += s != TestType(0);
  }
  CHECK(kept > 0);
  CHECK(kept < x.size());

  SECTION("the same step gives the same mask") {
    CHECK(run_forward(layer, ctx, x, cols) == y);
    Dropout<TestType> twin(rate, 11, 2);
    CHECK(run_forward(twin, ctx, x, cols) == y);
  }
  SECTION("another step, layer or seed gives another mask") {
    CHECK(run_forward(layer, PassContext{true, 5}, x, cols) != y);
    CHECK(run_forward(Dropout<TestType>(rate, 11, 3), ctx, x, cols) != y);
    CHECK(run_forward(Dropout<TestType>(rate, 12, 2), ctx, x, cols) != y);
  }
  SECTION("backward applies the forward mask to diff_dst") {
    const auto dy = deepfm::test::random_values<TestType>(x.size(), 2);
    std::vector<TestType> dx(x.size(), TestType(-1));
    layer.backward(ctx, MatrixView<const TestType>{x.data(), rows, cols},
                   MatrixView<const TestType>{dy.data(), rows, cols},
                   MatrixView<TestType>{dx.data(), rows, cols});
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(dx[i] == dy[i] * layer.scale(ctx.step, i));
  }
  SECTION("in place gives the same result") {
    std::vector<TestType> inplace = x;
    layer.forward(ctx, MatrixView<const TestType>{inplace.data(), rows, cols},
                  MatrixView<TestType>{inplace.data(), rows, cols});
    CHECK(inplace == y);
  }
  SECTION("evaluation is the identity") {
    CHECK(run_forward(layer, PassContext{false, 4}, x, cols) == x);
    std::vector<TestType> dx(x.size());
    layer.backward(PassContext{false, 4}, MatrixView<const TestType>{x.data(), rows, cols},
                   MatrixView<const TestType>{x.data(), rows, cols},
                   MatrixView<TestType>{dx.data(), rows, cols});
    CHECK(dx == x);
  }
  SECTION("rate 0 is the identity in training too") {
    Dropout<TestType> none(0.0, 11, 2);
    CHECK(run_forward(none, ctx, x, cols) == x);
  }
}

TEMPLATE_TEST_CASE("Dropout keeps about 1 - rate of many elements", "[layers]", float, double) {
  for (const double rate : {0.1, 0.5, 0.9}) {
    CAPTURE(rate);
    const Dropout<TestType> layer(rate, 3, 0);
    const std::size_t n = 100000;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) kept += layer.scale(7, i) != TestType(0);
    const double fraction = static_cast<double>(kept) / static_cast<double>(n);
    // 6 standard deviations of a binomial proportion: sqrt(rate (1 - rate) / n) <= 0.0016.
    CHECK(fraction == Approx(1 - rate).margin(6 * std::sqrt(rate * (1 - rate) / double(n))));
  }
}

TEST_CASE("Dropout masks are shared by float and double", "[layers]") {
  const Dropout<float> f(0.4, 9, 1);
  const Dropout<double> d(0.4, 9, 1);
  for (std::size_t i = 0; i < 1000; ++i) CHECK((f.scale(2, i) == 0.0f) == (d.scale(2, i) == 0.0));
}

TEST_CASE("Dropout rejects rates outside 0 to 1", "[layers]") {
  CHECK_THROWS_AS(Dropout<float>(1.0, 0, 0), deepfm::InvalidArgument);
  CHECK_THROWS_AS(Dropout<float>(-0.1, 0, 0), deepfm::InvalidArgument);
  CHECK_THROWS_AS(Dropout<double>(std::numeric_limits<double>::quiet_NaN(), 0, 0),
                  deepfm::InvalidArgument);
  CHECK_NOTHROW(Dropout<double>(0.0, 0, 0));
}

TEST_CASE("Dropout gradient with a fixed mask matches finite differences (double)",
          "[layers][gradient]") {
  const Dropout<double> layer(0.3, 5, 1);
  Dropout<double> backward_layer = layer;
  const std::size_t rows = 3, cols = 9;
  auto x = deepfm::test::random_values<double>(rows * cols, 3);
  const auto c = deepfm::test::random_values<double>(rows * cols, 4);
  const PassContext ctx{true, 17};
  std::vector<double> y(x.size()), dx(x.size());
  const MatrixView<const double> src{x.data(), rows, cols};
  auto loss = [&] {
    layer.forward(ctx, src, MatrixView<double>{y.data(), rows, cols});
    return deepfm::test::weighted_sum(y.data(), c);
  };
  backward_layer.backward(ctx, src, MatrixView<const double>{c.data(), rows, cols},
                          MatrixView<double>{dx.data(), rows, cols});
  const auto result = deepfm::test::check_gradient(x, dx, loss);
  INFO(result);
  CHECK(result.worst_relative_error < 1e-6);
}
