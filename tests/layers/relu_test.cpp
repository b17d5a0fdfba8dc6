// ReLU layer (layers/relu.hpp).
#include <catch2/catch.hpp>

#include <deepfm/layers/relu.hpp>
#include <vector>

#include "support/gradient_check.hpp"
#include "support/random_values.hpp"

using deepfm::MatrixView;
using deepfm::PassContext;
using deepfm::ReLU;

TEMPLATE_TEST_CASE("ReLU layer forward clamps at 0 and backward passes only positive inputs",
                   "[layers]", float, double) {
  ReLU<TestType> relu;
  CHECK(relu.parameter_count() == 0);
  relu.bind(nullptr, nullptr);  // nothing to bind
  const std::vector<TestType> x = {-1, 0, 2, -0.5, 0.5, 3};
  const std::vector<TestType> dy = {10, 20, 30, 40, 50, 60};
  std::vector<TestType> y(6), dx(6, TestType(-1));
  const MatrixView<const TestType> src{x.data(), 2, 3};
  relu.forward(PassContext{}, src, MatrixView<TestType>{y.data(), 2, 3});
  CHECK(y == std::vector<TestType>{0, 0, 2, 0, 0.5, 3});
  relu.backward(PassContext{}, src, MatrixView<const TestType>{dy.data(), 2, 3},
                MatrixView<TestType>{dx.data(), 2, 3});
  CHECK(dx == std::vector<TestType>{0, 0, 30, 0, 50, 60});  // x == 0 gets gradient 0

  // Training mode changes nothing for ReLU.
  std::vector<TestType> y_train(6);
  relu.forward(PassContext{true, 3}, src, MatrixView<TestType>{y_train.data(), 2, 3});
  CHECK(y_train == y);
}

TEST_CASE("ReLU layer gradient matches finite differences (double)", "[layers][gradient]") {
  ReLU<double> relu;
  const std::size_t rows = 4, cols = 7;
  auto x = deepfm::test::random_values<double>(rows * cols, 1);
  for (double& v : x) v += v >= 0 ? 0.05 : -0.05;  // away from the kink
  const auto c = deepfm::test::random_values<double>(rows * cols, 2);
  std::vector<double> y(x.size()), dx(x.size());
  const MatrixView<const double> src{x.data(), rows, cols};
  auto loss = [&] {
    relu.forward(PassContext{}, src, MatrixView<double>{y.data(), rows, cols});
    return deepfm::test::weighted_sum(y.data(), c);
  };
  relu.backward(PassContext{}, src, MatrixView<const double>{c.data(), rows, cols},
                MatrixView<double>{dx.data(), rows, cols});
  const auto result = deepfm::test::check_gradient(x, dx, loss);
  INFO(result);
  CHECK(result.worst_relative_error < 1e-6);
}
