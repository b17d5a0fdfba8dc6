// EmbeddingTable (layers/embedding_table.hpp): gather forward, scatter-add backward.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <deepfm/layers/embedding_table.hpp>
#include <span>
#include <vector>

#include "support/gradient_check.hpp"
#include "support/random_values.hpp"

namespace {

using deepfm::EmbeddingTable;
using deepfm::FeatureId;

/// The sparse gradient spread over the whole table, zero for untouched rows.
template <typename T>
std::vector<double> dense_gradient(const EmbeddingTable<T>& table) {
  std::vector<double> out(table.rows() * table.dim(), 0.0);
  const auto& g = table.gradient();
  for (std::size_t k = 0; k < g.rows().size(); ++k) {
    const auto row = g.row_gradient(k);
    for (std::size_t j = 0; j < table.dim(); ++j)
      out[std::size_t{g.rows()[k]} * table.dim() + j] = double(row[j]);
  }
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("EmbeddingTable initialises deterministically within the Xavier bound",
                   "[layers]", float, double) {
  EmbeddingTable<TestType> table(12, 4);
  CHECK(table.rows() == 12);
  CHECK(table.dim() == 4);
  REQUIRE(table.weights().size() == 48);
  for (const TestType v : table.weights()) CHECK(v == TestType(0));  // zeroed before initialize
  table.initialize(3, 0);
  const double bound = std::sqrt(6.0 / (4 + 12));
  bool any_nonzero = false;
  for (const TestType v : table.weights()) {
    CHECK(std::abs(double(v)) <= bound);
    any_nonzero = any_nonzero || v != TestType(0);
  }
  CHECK(any_nonzero);
  EmbeddingTable<TestType> same(12, 4), other(12, 4);
  same.initialize(3, 0);
  other.initialize(3, 1);
  CHECK(std::equal(table.weights().begin(), table.weights().end(), same.weights().begin()));
  CHECK_FALSE(std::equal(table.weights().begin(), table.weights().end(), other.weights().begin()));
  // row(id) views row id of weights().
  CHECK(table.row(5).data() == table.weights().data() + 20);
  CHECK(table.row(5).size() == 4);
}

TEMPLATE_TEST_CASE("EmbeddingTable gathers rows and scatter-adds repeated ids", "[layers]", float,
                   double) {
  EmbeddingTable<TestType> table(6, 2);
  for (std::size_t i = 0; i < table.weights().size(); ++i)
    table.weights()[i] = static_cast<TestType>(i);
  const std::vector<FeatureId> ids = {4, 1, 4, 0, 4};
  std::vector<TestType> out(ids.size() * 2);
  table.forward(ids, out.data());
  CHECK(out == std::vector<TestType>{8, 9, 2, 3, 8, 9, 0, 1, 8, 9});

  // Small integers: sums are exact.
  const std::vector<TestType> diff = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  table.backward(ids, diff.data());
  const auto& g = table.gradient();
  REQUIRE(g.rows().size() == 3);
  // Sorted unique rows (core/sparse_row_gradient.hpp).
  CHECK(g.rows()[0] == 0);
  CHECK(g.rows()[1] == 1);
  CHECK(g.rows()[2] == 4);
  CHECK(std::vector<TestType>(g.row_gradient(2).begin(), g.row_gradient(2).end()) ==
        std::vector<TestType>{1 + 5 + 9, 2 + 6 + 10});
  CHECK(std::vector<TestType>(g.row_gradient(1).begin(), g.row_gradient(1).end()) ==
        std::vector<TestType>{3, 4});
  CHECK(std::vector<TestType>(g.row_gradient(0).begin(), g.row_gradient(0).end()) ==
        std::vector<TestType>{7, 8});
  for (const FeatureId untouched : {2u, 3u, 5u}) CHECK(g.slot(untouched) == g.kNoSlot);

  // A second backward without clear() keeps accumulating.
  table.backward(std::span<const FeatureId>(ids).first(1), diff.data());
  CHECK(std::vector<TestType>(g.row_gradient(2).begin(), g.row_gradient(2).end()) ==
        std::vector<TestType>{16, 20});
}

TEST_CASE("EmbeddingTable gradient matches finite differences through gather (double)",
          "[layers][gradient]") {
  const std::size_t rows = 10, dim = 3;
  EmbeddingTable<double> table(rows, dim);
  table.initialize(1, 0);
  const std::vector<FeatureId> ids = {2, 7, 2, 9, 0, 7, 7, 2};  // rows 1, 3..6, 8 untouched
  const auto c = deepfm::test::random_values<double>(ids.size() * dim, 5);
  std::vector<double> out(ids.size() * dim);
  auto loss = [&] {
    table.forward(ids, out.data());
    double total = 0;
    for (std::size_t i = 0; i < out.size(); ++i) total += c[i] * out[i] * out[i];  // non-linear
    return total;
  };
  // d loss / d out = 2 c ⊙ out.
  table.forward(ids, out.data());
  std::vector<double> diff(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) diff[i] = 2 * c[i] * out[i];
  table.backward(ids, diff.data());
  const std::vector<double> analytic = dense_gradient(table);
  const auto result = deepfm::test::check_gradient(table.weights(), analytic, loss);
  INFO(result);
  CHECK(result.worst_relative_error < 1e-6);
  for (const FeatureId row : {1u, 3u, 4u, 5u, 6u, 8u}) {
    CHECK(table.gradient().slot(row) == table.gradient().kNoSlot);
    for (std::size_t j = 0; j < dim; ++j) CHECK(result.numeric_gradient[row * dim + j] == 0.0);
  }
}
