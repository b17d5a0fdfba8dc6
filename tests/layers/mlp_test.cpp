// MLP (layers/mlp.hpp): (Dense → ReLU → Dropout)* → Dense(1), gradients of every parameter and
// of the input against finite differences, dropout included with a fixed mask.
#include <catch2/catch.hpp>

#include <deepfm/layers/mlp.hpp>
#include <vector>

#include "support/gradient_check.hpp"
#include "support/random_values.hpp"

namespace {

using deepfm::MatrixView;
using deepfm::MLP;
using deepfm::PassContext;

}  // namespace

TEMPLATE_TEST_CASE("MLP builds its Dense layers and parameter layout", "[layers]", float, double) {
  const MLP<TestType> deep(6, {5, 4, 3}, 0.2, 1);
  CHECK(deep.in() == 6);
  CHECK(deep.hidden() == std::vector<std::size_t>{5, 4, 3});
  REQUIRE(deep.dense_layers().size() == 4);
  CHECK(deep.dense_layers()[0].in() == 6);
  CHECK(deep.dense_layers()[0].out() == 5);
  CHECK(deep.dense_layers()[3].in() == 3);
  CHECK(deep.dense_layers()[3].out() == 1);
  CHECK(deep.parameter_count() == (6 * 5 + 5) + (5 * 4 + 4) + (4 * 3 + 3) + (3 + 1));

  const MLP<TestType> shallow(6, {}, 0.2, 1);  // depth 0: one Dense to 1
  REQUIRE(shallow.dense_layers().size() == 1);
  CHECK(shallow.parameter_count() == 6 + 1);
}

TEMPLATE_TEST_CASE("MLP of depth 0 is one Dense layer", "[layers]", float, double) {
  const std::size_t rows = 3, in = 4;
  MLP<TestType> mlp(in, {}, 0.5, 2);
  std::vector<TestType> params(mlp.parameter_count()), grads(mlp.parameter_count());
  mlp.bind(params.data(), grads.data());
  mlp.initialize(2, 3);
  params.back() = TestType(0.25);
  const auto x = deepfm::test::random_values<TestType>(rows * in, 1);
  std::vector<TestType> y(rows);
  typename MLP<TestType>::Workspace ws;
  mlp.forward(PassContext{true, 1}, MatrixView<const TestType>{x.data(), rows, in},
              MatrixView<TestType>{y.data(), rows, 1}, ws);
  for (std::size_t r = 0; r < rows; ++r) {
    double expected = double(params.back());
    for (std::size_t i = 0; i < in; ++i) expected += double(params[i]) * double(x[r * in + i]);
    CHECK(double(y[r]) == Approx(expected).margin(1e-6));
  }
}

TEMPLATE_TEST_CASE("MLP evaluation ignores dropout, training applies a step-keyed mask", "[layers]",
                   float, double) {
  const std::size_t rows = 6, in = 5;
  MLP<TestType> with(in, {8, 8}, 0.5, 3), without(in, {8, 8}, 0.0, 3);
  std::vector<TestType> p1(with.parameter_count()), g1(p1.size()), p2(p1.size()), g2(p1.size());
  with.bind(p1.data(), g1.data());
  without.bind(p2.data(), g2.data());
  with.initialize(9, 3);
  without.initialize(9, 3);
  const auto x = deepfm::test::random_values<TestType>(rows * in, 2);
  const MatrixView<const TestType> src{x.data(), rows, in};
  auto run = [&](const MLP<TestType>& mlp, const PassContext& ctx) {
    std::vector<TestType> y(rows);
    typename MLP<TestType>::Workspace ws;
    mlp.forward(ctx, src, MatrixView<TestType>{y.data(), rows, 1}, ws);
    return y;
  };
  CHECK(run(with, PassContext{false, 1}) == run(without, PassContext{false, 1}));
  CHECK(run(with, PassContext{true, 1}) != run(without, PassContext{true, 1}));
  CHECK(run(with, PassContext{true, 1}) == run(with, PassContext{true, 1}));
  CHECK(run(with, PassContext{true, 1}) != run(with, PassContext{true, 2}));
  CHECK(run(without, PassContext{true, 1}) == run(without, PassContext{false, 1}));
}

TEST_CASE("MLP gradients of every parameter and the input match finite differences (double)",
          "[layers][gradient]") {
  struct Case {
    std::vector<std::size_t> hidden;
    double dropout;
    bool training;
  };
  const Case cases[] = {{{}, 0.3, true},        {{6}, 0.0, true},        {{6}, 0.3, true},
                        {{7, 5, 4}, 0.3, true}, {{7, 5, 4}, 0.3, false}, {{1}, 0.0, false}};
  const std::size_t rows = 5, in = 6;
  for (const Case& c : cases) {
    CAPTURE(c.hidden, c.dropout, c.training);
    MLP<double> mlp(in, c.hidden, c.dropout, 21);
    std::vector<double> params(mlp.parameter_count()), grads(mlp.parameter_count());
    mlp.bind(params.data(), grads.data());
    mlp.initialize(21, 3);
    // Non-zero biases so that hidden units sit at varied offsets.
    const auto bias_noise = deepfm::test::random_values<double>(params.size(), 30, -0.1, 0.1);
    for (std::size_t i = 0, at = 0; i < mlp.dense_layers().size(); ++i) {
      const auto& layer = mlp.dense_layers()[i];
      for (std::size_t o = 0; o < layer.out(); ++o)
        params[at + layer.out() * layer.in() + o] = bias_noise[at + o];
      at += layer.parameter_count();
    }
    auto x = deepfm::test::random_values<double>(rows * in, 31);
    const auto weights = deepfm::test::random_values<double>(rows, 32);
    const PassContext ctx{c.training, 9};
    const MatrixView<const double> src{x.data(), rows, in};
    std::vector<double> y(rows);
    auto loss = [&] {
      typename MLP<double>::Workspace scratch;
      mlp.forward(ctx, src, MatrixView<double>{y.data(), rows, 1}, scratch);
      double total = 0;
      for (std::size_t r = 0; r < rows; ++r) total += weights[r] * y[r] * y[r];
      return total;
    };
    typename MLP<double>::Workspace ws;
    mlp.forward(ctx, src, MatrixView<double>{y.data(), rows, 1}, ws);
    std::vector<double> dy(rows), dx(x.size(), -99.0);
    for (std::size_t r = 0; r < rows; ++r) dy[r] = 2 * weights[r] * y[r];
    mlp.backward(ctx, src, MatrixView<const double>{dy.data(), rows, 1},
                 MatrixView<double>{dx.data(), rows, in}, ws);
    const std::vector<double> analytic = grads;
    const auto parameters = deepfm::test::check_gradient(params, analytic, loss);
    const auto input = deepfm::test::check_gradient(x, dx, loss);
    INFO("parameters: " << parameters << "\ninput: " << input);
    CHECK(parameters.worst_relative_error < 1e-6);
    CHECK(input.worst_relative_error < 1e-6);
  }
}
