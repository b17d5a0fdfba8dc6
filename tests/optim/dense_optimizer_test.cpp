// optim/dense_optimizer.hpp: SGD, Adagrad and Adam over a flat span against a plain double
// loop of PyTorch's formulas (support/optimizer_reference.hpp), over several steps.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deepfm/layers/embedding_table.hpp>
#include <deepfm/optim/dense_optimizer.hpp>
#include <deepfm/optim/row_optimizer.hpp>
#include <span>
#include <type_traits>
#include <vector>

#include "support/optimizer_reference.hpp"
#include "support/random_values.hpp"

namespace {

using deepfm::DenseOptimizer;
using deepfm::Optimizer;
using deepfm::OptimizerConfig;

constexpr std::size_t kSize = 11;
constexpr std::uint64_t kSteps = 7;

/// Float rounds every operation; the absolute margin covers weights that cross zero.
template <typename T>
void check_close(std::span<const T> actual, const std::vector<double>& expected, const char* what) {
  const double epsilon = std::is_same_v<T, float> ? 2e-5 : 1e-12;
  const double margin = std::is_same_v<T, float> ? 5e-7 : 1e-14;
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO(what << " element " << i);
    CHECK(static_cast<double>(actual[i]) == Approx(expected[i]).epsilon(epsilon).margin(margin));
  }
}

template <typename T>
void run_against_reference(const OptimizerConfig& config) {
  std::vector<T> parameters = deepfm::test::random_values<T>(kSize, 7, -1.0, 1.0);
  deepfm::test::ReferenceState reference({parameters.begin(), parameters.end()});
  DenseOptimizer<T> optimizer(config, kSize);
  for (std::uint64_t t = 1; t <= kSteps; ++t) {
    INFO("step " << t);
    std::vector<T> gradients =
        deepfm::test::random_values<T>(kSize, static_cast<std::uint16_t>(200 + t), -3.0, 3.0);
    gradients[3] = T(0);  // an element without gradient still decays under Adam's momentum
    if (t >= 3) gradients[5] = T(0);
    const std::vector<double> g(gradients.begin(), gradients.end());
    optimizer.step(parameters, gradients, t);
    deepfm::test::reference_step(reference, 0, kSize, g.data(), t, config);
    check_close<T>(parameters, reference.p, "parameter");
    if (config.kind != Optimizer::sgd) check_close<T>(optimizer.first_moment(), reference.m, "m");
    if (config.kind == Optimizer::adam) check_close<T>(optimizer.second_moment(), reference.v, "v");
  }
}

}  // namespace

TEMPLATE_TEST_CASE("DenseOptimizer SGD follows torch.optim.SGD", "[optim]", float, double) {
  for (const double l2 : {0.0, 0.05}) {
    INFO("l2 " << l2);
    run_against_reference<TestType>({.kind = Optimizer::sgd, .lr = 0.1, .l2 = l2});
  }
}

TEMPLATE_TEST_CASE("DenseOptimizer Adagrad follows torch.optim.Adagrad", "[optim]", float, double) {
  for (const double l2 : {0.0, 0.05}) {
    INFO("l2 " << l2);
    run_against_reference<TestType>({.kind = Optimizer::adagrad, .lr = 0.1, .l2 = l2});
  }
}

TEMPLATE_TEST_CASE("DenseOptimizer Adam follows torch.optim.Adam", "[optim]", float, double) {
  for (const double l2 : {0.0, 0.05}) {
    INFO("l2 " << l2);
    run_against_reference<TestType>({.kind = Optimizer::adam, .lr = 0.01, .l2 = l2});
    run_against_reference<TestType>(
        {.kind = Optimizer::adam, .lr = 0.03, .beta1 = 0.5, .beta2 = 0.9, .eps = 1e-6, .l2 = l2});
  }
}

TEST_CASE("DenseOptimizer Adam first step moves every element by lr against its gradient sign",
          "[optim]") {
  // At t = 1, m̂ = g and sqrt(v̂) = |g|, so the step is lr · g / (|g| + eps): hand-computable.
  std::vector<double> parameters = {0.5, -0.25, 2.0, 0.0};
  const std::vector<double> gradients = {3.0, -0.5, 1e-3, 0.0};
  DenseOptimizer<double> optimizer({.kind = Optimizer::adam, .lr = 0.01}, 4);
  optimizer.step(parameters, gradients, 1);
  CHECK(parameters[0] == Approx(0.5 - 0.01 * 3.0 / (3.0 + 1e-8)).epsilon(1e-14));
  CHECK(parameters[1] == Approx(-0.25 + 0.01 * 0.5 / (0.5 + 1e-8)).epsilon(1e-14));
  CHECK(parameters[2] == Approx(2.0 - 0.01 * 1e-3 / (1e-3 + 1e-8)).epsilon(1e-13));
  CHECK(parameters[3] == 0.0);  // zero gradient, zero moments: 0 / eps = 0
}

TEMPLATE_TEST_CASE("DenseOptimizer keeps only the state its algorithm needs", "[optim]", float,
                   double) {
  DenseOptimizer<TestType> sgd({.kind = Optimizer::sgd}, 5);
  CHECK(sgd.first_moment().empty());
  CHECK(sgd.second_moment().empty());
  DenseOptimizer<TestType> adagrad({.kind = Optimizer::adagrad}, 5);
  CHECK(adagrad.first_moment().size() == 5);
  CHECK(adagrad.second_moment().empty());
  DenseOptimizer<TestType> adam({.kind = Optimizer::adam}, 5);
  CHECK(adam.first_moment().size() == 5);
  CHECK(adam.second_moment().size() == 5);
  for (const TestType m : adam.first_moment()) CHECK(m == TestType(0));
  // An empty span is a valid no-op.
  DenseOptimizer<TestType> none({.kind = Optimizer::adam}, 0);
  none.step({}, {}, 1);
  CHECK(none.first_moment().empty());
}

TEMPLATE_TEST_CASE("DenseOptimizer Adam and the row optimiser's dense Adam agree bit for bit",
                   "[optim]", float, double) {
  // The same formula serves the flat buffer and the table: the table's rows laid end to end
  // are one flat span with the same gradient.
  const OptimizerConfig config{.kind = Optimizer::adam, .lr = 0.02, .l2 = 0.01};
  deepfm::EmbeddingTable<TestType> table(4, 3);
  table.initialize(3, 0);
  std::vector<TestType> flat(table.weights().begin(), table.weights().end());
  DenseOptimizer<TestType> dense(config, flat.size());
  deepfm::RowOptimizer<TestType> rows(config, 4, 3);
  const std::vector<deepfm::FeatureId> ids = {0, 2, 0};
  for (std::uint64_t t = 1; t <= 5; ++t) {
    const auto diffs =
        deepfm::test::random_values<TestType>(ids.size() * 3, static_cast<std::uint16_t>(300 + t));
    table.gradient().clear();
    table.backward(ids, diffs.data());
    std::vector<TestType> g(flat.size(), TestType(0));
    for (std::size_t i = 0; i < ids.size(); ++i)
      for (std::size_t j = 0; j < 3; ++j) g[ids[i] * 3 + j] += diffs[i * 3 + j];
    dense.step(flat, g, t);
    rows.step(table.weights(), table.gradient(), t);
  }
  CHECK(std::memcmp(flat.data(), table.weights().data(), flat.size() * sizeof(TestType)) == 0);
}
