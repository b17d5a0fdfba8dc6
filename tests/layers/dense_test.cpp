// Dense (layers/dense.hpp): forward against a naive loop, gradients against finite differences.
#include <catch2/catch.hpp>

#include <cmath>
#include <deepfm/layers/dense.hpp>
#include <vector>

#include "support/gradient_check.hpp"
#include "support/random_values.hpp"

namespace {

using deepfm::Dense;
using deepfm::MatrixView;
using deepfm::PassContext;
using deepfm::test::random_values;

struct DenseShape {
  std::size_t rows, in, out;
};
const DenseShape kDenseShapes[] = {{4, 5, 3}, {3, 1, 1}, {2, 1, 4}, {3, 6, 1}, {1, 3, 2}};

}  // namespace

TEMPLATE_TEST_CASE("Dense forward is src · Wᵀ + b", "[layers]", float, double) {
  for (const DenseShape& s : kDenseShapes) {
    CAPTURE(s.rows, s.in, s.out);
    Dense<TestType> layer(s.in, s.out);
    REQUIRE(layer.parameter_count() == s.out * s.in + s.out);
    CHECK(layer.in() == s.in);
    CHECK(layer.out() == s.out);
    std::vector<TestType> params(layer.parameter_count()), grads(layer.parameter_count());
    layer.bind(params.data(), grads.data());
    layer.initialize(5, 0);
    // Xavier bound, zero bias.
    const double bound = std::sqrt(6.0 / static_cast<double>(s.in + s.out));
    for (std::size_t i = 0; i < s.out * s.in; ++i) CHECK(std::abs(double(params[i])) <= bound);
    for (std::size_t i = s.out * s.in; i < params.size(); ++i) CHECK(params[i] == TestType(0));
    const auto bias = random_values<TestType>(s.out, 1);
    std::copy(bias.begin(), bias.end(), params.begin() + static_cast<std::ptrdiff_t>(s.out * s.in));

    const auto x = random_values<TestType>(s.rows * s.in, 2);
    std::vector<TestType> y(s.rows * s.out);
    layer.forward(PassContext{}, MatrixView<const TestType>{x.data(), s.rows, s.in},
                  MatrixView<TestType>{y.data(), s.rows, s.out});
    for (std::size_t r = 0; r < s.rows; ++r)
      for (std::size_t o = 0; o < s.out; ++o) {
        double expected = double(params[s.out * s.in + o]);
        for (std::size_t i = 0; i < s.in; ++i)
          expected += double(x[r * s.in + i]) * double(params[o * s.in + i]);
        CHECK(double(y[r * s.out + o]) ==
              Approx(expected).margin(sizeof(TestType) == 8 ? 1e-14 : 1e-6));
      }
  }
}

TEST_CASE("Dense gradients dW, db and dX match finite differences (double)", "[layers][gradient]") {
  for (const DenseShape& s : kDenseShapes) {
    CAPTURE(s.rows, s.in, s.out);
    Dense<double> layer(s.in, s.out);
    std::vector<double> params(layer.parameter_count()), grads(layer.parameter_count());
    layer.bind(params.data(), grads.data());
    layer.initialize(7, 3);
    const auto bias = random_values<double>(s.out, 10);
    std::copy(bias.begin(), bias.end(), params.begin() + static_cast<std::ptrdiff_t>(s.out * s.in));
    auto x = random_values<double>(s.rows * s.in, 11);
    const auto c = random_values<double>(s.rows * s.out, 12);  // loss = Σ c ⊙ y
    std::vector<double> y(s.rows * s.out);
    const MatrixView<const double> src{x.data(), s.rows, s.in};
    auto loss = [&] {
      layer.forward(PassContext{}, src, MatrixView<double>{y.data(), s.rows, s.out});
      return deepfm::test::weighted_sum(y.data(), c);
    };
    std::vector<double> dx(x.size(), -99.0);
    layer.backward(PassContext{}, src, MatrixView<const double>{c.data(), s.rows, s.out},
                   MatrixView<double>{dx.data(), s.rows, s.in});

    const std::vector<double> analytic_params = grads;
    const auto dw =
        deepfm::test::check_gradient(std::span(params).first(s.out * s.in),
                                     std::span(analytic_params).first(s.out * s.in), loss);
    const auto db =
        deepfm::test::check_gradient(std::span(params).subspan(s.out * s.in),
                                     std::span(analytic_params).subspan(s.out * s.in), loss);
    const auto dsrc = deepfm::test::check_gradient(x, dx, loss);
    INFO("dW: " << dw << "\ndb: " << db << "\ndX: " << dsrc);
    CHECK(dw.worst_relative_error < 1e-6);
    CHECK(db.worst_relative_error < 1e-6);
    CHECK(dsrc.worst_relative_error < 1e-6);

    // backward accumulates (+=) parameter gradients, and an empty diff_src skips dX.
    layer.backward(PassContext{}, src, MatrixView<const double>{c.data(), s.rows, s.out},
                   MatrixView<double>{});
    for (std::size_t i = 0; i < grads.size(); ++i)
      CHECK(grads[i] == Approx(2 * analytic_params[i]).margin(1e-15));
  }
}
