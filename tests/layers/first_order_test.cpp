// FirstOrderTerm (layers/first_order.hpp): a · Σ_f w[x_f] + b with a sparse table gradient.
#include <catch2/catch.hpp>

#include <deepfm/layers/first_order.hpp>
#include <vector>

#include "support/gradient_check.hpp"
#include "support/random_values.hpp"

namespace {

using deepfm::FeatureId;
using deepfm::FirstOrderTerm;
using deepfm::MatrixView;
using deepfm::PassContext;

}  // namespace

TEMPLATE_TEST_CASE("FirstOrderTerm forward is a times the summed weights plus b", "[layers]", float,
                   double) {
  const std::size_t table_rows = 8, fields = 3, rows = 3;
  FirstOrderTerm<TestType> term(table_rows, fields);
  REQUIRE(term.parameter_count() == 2);
  std::vector<TestType> params(2), grads(2);
  term.bind(params.data(), grads.data());
  term.initialize(1, 1, 2);
  CHECK(params[1] == TestType(0));  // zero bias
  params = {TestType(0.5), TestType(-0.25)};
  auto w = term.table().weights();
  REQUIRE(w.size() == table_rows);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<TestType>(i);  // exact sums
  const std::vector<FeatureId> ids = {0, 3, 5, 1, 3, 7, 2, 2, 6};
  typename FirstOrderTerm<TestType>::Workspace ws;
  std::vector<TestType> y(rows);
  term.forward(PassContext{}, ids, ws, MatrixView<TestType>{y.data(), rows, 1});
  CHECK(y[0] == TestType(0.5 * 8 - 0.25));
  CHECK(y[1] == TestType(0.5 * 11 - 0.25));
  CHECK(y[2] == TestType(0.5 * 10 - 0.25));

  // Backward: da = Σ_r dy_r · s_r, db = Σ_r dy_r, dw[x] = a · Σ over occurrences of dy_r.
  const std::vector<TestType> dy = {1, 2, -1};
  term.backward(PassContext{}, ids, ws, MatrixView<const TestType>{dy.data(), rows, 1});
  CHECK(grads[0] == TestType(8 + 22 - 10));
  CHECK(grads[1] == TestType(2));
  const auto& g = term.table().gradient();
  CHECK(std::vector<FeatureId>(g.rows().begin(), g.rows().end()) ==
        std::vector<FeatureId>{0, 1, 2, 3, 5, 6, 7});  // sorted unique
  CHECK(g.row_gradient(g.slot(3))[0] == TestType(0.5 * (1 + 2)));
  CHECK(g.row_gradient(g.slot(2))[0] == TestType(0.5 * (-1 - 1)));  // twice in one sample
  CHECK(g.row_gradient(g.slot(7))[0] == TestType(0.5 * 2));
  CHECK(g.slot(4) == g.kNoSlot);
}

TEST_CASE("FirstOrderTerm gradients of a, b and the table match finite differences (double)",
          "[layers][gradient]") {
  const std::size_t table_rows = 10, fields = 3, rows = 4;
  FirstOrderTerm<double> term(table_rows, fields);
  std::vector<double> params(2), grads(2);
  term.bind(params.data(), grads.data());
  term.initialize(4, 1, 2);
  params[1] = 0.3;
  const std::vector<FeatureId> ids = {0, 3, 6, 1, 3, 7, 2, 5, 8, 0, 4, 8};  // all rows but 9
  const auto c = deepfm::test::random_values<double>(rows, 9);
  typename FirstOrderTerm<double>::Workspace ws;
  std::vector<double> y(rows);
  auto loss = [&] {
    typename FirstOrderTerm<double>::Workspace scratch;
    term.forward(PassContext{}, ids, scratch, MatrixView<double>{y.data(), rows, 1});
    double total = 0;
    for (std::size_t r = 0; r < rows; ++r) total += c[r] * y[r] * y[r];  // non-linear in a, b, w
    return total;
  };
  term.forward(PassContext{}, ids, ws, MatrixView<double>{y.data(), rows, 1});
  std::vector<double> dy(rows);
  for (std::size_t r = 0; r < rows; ++r) dy[r] = 2 * c[r] * y[r];
  term.backward(PassContext{}, ids, ws, MatrixView<const double>{dy.data(), rows, 1});

  const std::vector<double> analytic_head = grads;
  const auto head = deepfm::test::check_gradient(params, analytic_head, loss);
  std::vector<double> analytic_table(table_rows, 0.0);
  const auto& g = term.table().gradient();
  for (std::size_t k = 0; k < g.rows().size(); ++k)
    analytic_table[g.rows()[k]] = g.row_gradient(k)[0];
  const auto table = deepfm::test::check_gradient(term.table().weights(), analytic_table, loss);
  INFO("head [a b]: " << head << "\ntable: " << table);
  CHECK(head.worst_relative_error < 1e-6);
  CHECK(table.worst_relative_error < 1e-6);
  CHECK(g.rows().size() == table_rows - 1);
  CHECK(g.slot(9) == g.kNoSlot);
  CHECK(table.numeric_gradient[9] == 0.0);
}
