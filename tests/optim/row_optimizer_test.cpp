// optim/row_optimizer.hpp: SGD, Adagrad and the three Adam modes of an embedding table against
// a plain double loop of PyTorch's formulas, over six steps on a 6 x 3 table where row 1 is
// touched at steps 1 and 5 only and row 5 never.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deepfm/layers/embedding_table.hpp>
#include <deepfm/optim/row_optimizer.hpp>
#include <span>
#include <vector>

#include "support/optimizer_reference.hpp"
#include "support/random_values.hpp"

namespace {

using deepfm::AdamMode;
using deepfm::EmbeddingTable;
using deepfm::FeatureId;
using deepfm::Optimizer;
using deepfm::OptimizerConfig;
using deepfm::RowOptimizer;
using deepfm::test::ReferenceState;

constexpr std::size_t kRows = 6;
constexpr std::size_t kDim = 3;
constexpr std::uint64_t kSteps = 6;

/// The ids of each step's batch. Row 0 every step; row 1 at steps 1 (twice) and 5 only;
/// rows 2-4 now and then; row 5 never.
const std::vector<std::vector<FeatureId>> kStepIds = {{0, 1, 2, 1}, {0, 2, 3}, {0, 3},
                                                      {4, 0, 2},    {1, 0, 4}, {0, 3}};

/// The row-gradient diffs of step t (1-based): one kDim vector per id, of either sign.
template <typename T>
std::vector<T> step_diffs(std::uint64_t t) {
  return deepfm::test::random_values<T>(kStepIds[t - 1].size() * kDim,
                                        static_cast<std::uint16_t>(100 + t), -2.0, 2.0);
}

template <typename T>
EmbeddingTable<T> make_table() {
  EmbeddingTable<T> table(kRows, kDim);
  table.initialize(17, 0);
  return table;
}

/// Sets the table's sparse gradient to step t's.
template <typename T>
void set_gradient(EmbeddingTable<T>& table, std::uint64_t t) {
  const auto diffs = step_diffs<T>(t);
  table.gradient().clear();
  table.backward(kStepIds[t - 1], diffs.data());
}

/// Reference: summed per-row gradients of step t in double (zero for untouched rows).
template <typename T>
std::vector<double> dense_gradient(std::uint64_t t) {
  const auto diffs = step_diffs<T>(t);
  std::vector<double> g(kRows * kDim, 0.0);
  const auto& ids = kStepIds[t - 1];
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (std::size_t j = 0; j < kDim; ++j)
      g[ids[i] * kDim + j] += static_cast<double>(diffs[i * kDim + j]);
  return g;
}

bool touched(FeatureId row, std::uint64_t t) {
  for (const FeatureId id : kStepIds[t - 1])
    if (id == row) return true;
  return false;
}

/// Reference step t: every row (`every_row`, Adam dense) or only the rows touched at t.
template <typename T>
void reference_table_step(ReferenceState& state, std::uint64_t t, const OptimizerConfig& config,
                          bool every_row) {
  const auto g = dense_gradient<T>(t);
  for (FeatureId row = 0; row < kRows; ++row)
    if (every_row || touched(row, t))
      deepfm::test::reference_step(state, row * kDim, kDim, g.data() + row * kDim, t, config);
}

template <typename T>
std::vector<double> as_double(std::span<const T> values) {
  return {values.begin(), values.end()};
}

/// Relative tolerance against the double reference, and an absolute margin for values near 0:
/// float rounds every operation, and a weight that crosses zero cannot meet a relative bound.
template <typename T>
double tolerance() {
  return std::is_same_v<T, float> ? 2e-5 : 1e-12;
}
template <typename T>
double margin() {
  return std::is_same_v<T, float> ? 5e-7 : 1e-14;
}

template <typename T>
void check_close(std::span<const T> actual, const std::vector<double>& expected, const char* what) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO(what << " element " << i << " (row " << i / kDim << ")");
    CHECK(static_cast<double>(actual[i]) ==
          Approx(expected[i]).epsilon(tolerance<T>()).margin(margin<T>()));
  }
}

template <typename T>
bool bit_equal(std::span<const T> a, std::span<const T> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

/// Runs `config` for kSteps steps and compares weights (and moments) with the reference
/// after every step; `every_row` says whether the reference updates untouched rows.
template <typename T>
void run_against_reference(const OptimizerConfig& config, bool every_row) {
  EmbeddingTable<T> table = make_table<T>();
  RowOptimizer<T> optimizer(config, kRows, kDim);
  ReferenceState reference(as_double<T>(table.weights()));
  for (std::uint64_t t = 1; t <= kSteps; ++t) {
    INFO("step " << t);
    set_gradient(table, t);
    optimizer.step(table.weights(), table.gradient(), t);
    reference_table_step<T>(reference, t, config, every_row);
    check_close<T>(table.weights(), reference.p, "weight");
    if (config.kind != Optimizer::sgd) check_close<T>(optimizer.first_moment(), reference.m, "m");
    if (config.kind == Optimizer::adam) check_close<T>(optimizer.second_moment(), reference.v, "v");
  }
}

OptimizerConfig adam(AdamMode mode, double l2 = 0.0) {
  return OptimizerConfig{.kind = Optimizer::adam, .lr = 0.05, .l2 = l2, .adam_mode = mode};
}

}  // namespace

TEMPLATE_TEST_CASE("RowOptimizer SGD follows torch.optim.SGD on touched rows", "[optim]", float,
                   double) {
  for (const double l2 : {0.0, 0.1}) {
    INFO("l2 " << l2);
    // Untouched rows do not move, l2 or not: the table's gradient is sparse.
    run_against_reference<TestType>({.kind = Optimizer::sgd, .lr = 0.1, .l2 = l2}, false);
  }
}

TEMPLATE_TEST_CASE("RowOptimizer Adagrad follows torch.optim.Adagrad on touched rows", "[optim]",
                   float, double) {
  for (const double l2 : {0.0, 0.1}) {
    INFO("l2 " << l2);
    run_against_reference<TestType>({.kind = Optimizer::adagrad, .lr = 0.1, .l2 = l2}, false);
  }
}

TEMPLATE_TEST_CASE("RowOptimizer Adam dense mode updates every row as torch.optim.Adam", "[optim]",
                   float, double) {
  for (const double l2 : {0.0, 0.1}) {
    INFO("l2 " << l2);
    run_against_reference<TestType>(adam(AdamMode::dense, l2), true);
  }
}

TEMPLATE_TEST_CASE("RowOptimizer Adam lazy mode updates only touched rows", "[optim]", float,
                   double) {
  for (const double l2 : {0.0, 0.1}) {
    INFO("l2 " << l2);
    run_against_reference<TestType>(adam(AdamMode::lazy, l2), false);
  }
}

TEMPLATE_TEST_CASE("RowOptimizer lazy and dense Adam differ on skipped rows", "[optim]", float,
                   double) {
  for (const double l2 : {0.0, 0.1}) {
    INFO("l2 " << l2);
    EmbeddingTable<TestType> dense_table = make_table<TestType>();
    EmbeddingTable<TestType> lazy_table = make_table<TestType>();
    const auto initial = as_double<TestType>(dense_table.weights());
    RowOptimizer<TestType> dense(adam(AdamMode::dense, l2), kRows, kDim);
    RowOptimizer<TestType> lazy(adam(AdamMode::lazy, l2), kRows, kDim);
    for (std::uint64_t t = 1; t <= kSteps; ++t) {
      set_gradient(dense_table, t);
      set_gradient(lazy_table, t);
      dense.step(dense_table.weights(), dense_table.gradient(), t);
      lazy.step(lazy_table.weights(), lazy_table.gradient(), t);
      CHECK_FALSE(dense.needs_catch_up());
      CHECK_FALSE(lazy.needs_catch_up());
    }
    // Row 0, touched every step, is updated identically by both.
    for (std::size_t j = 0; j < kDim; ++j) CHECK(dense_table.row(0)[j] == lazy_table.row(0)[j]);
    // Row 1 (skipped at steps 2-4, 6) differs in every element: dense moved it with its
    // decaying momentum while lazy left it alone.
    for (std::size_t j = 0; j < kDim; ++j) CHECK(dense_table.row(1)[j] != lazy_table.row(1)[j]);
    // Row 5 (never touched): lazy leaves it at its initial value; dense moves it only
    // through l2 (with l2 = 0 its m stays 0, so p -= step_size * 0 / eps = 0).
    for (std::size_t j = 0; j < kDim; ++j) {
      CHECK(static_cast<double>(lazy_table.row(5)[j]) == initial[5 * kDim + j]);
      if (l2 == 0.0)
        CHECK(static_cast<double>(dense_table.row(5)[j]) == initial[5 * kDim + j]);
      else
        CHECK(static_cast<double>(dense_table.row(5)[j]) != initial[5 * kDim + j]);
    }
    // Lazy's moments of never-touched rows are still zero; dense's second moment of row 1 has
    // decayed below lazy's.
    for (std::size_t j = 0; j < kDim; ++j) {
      CHECK(lazy.first_moment()[5 * kDim + j] == TestType(0));
      CHECK(dense.second_moment()[1 * kDim + j] < lazy.second_moment()[1 * kDim + j]);
    }
  }
}

TEMPLATE_TEST_CASE("RowOptimizer lazy_exact Adam equals dense mode bit for bit after catch_up",
                   "[optim]", float, double) {
  for (const double l2 : {0.0, 0.1}) {
    INFO("l2 " << l2);
    EmbeddingTable<TestType> dense_table = make_table<TestType>();
    EmbeddingTable<TestType> exact_table = make_table<TestType>();
    const std::vector<TestType> initial(exact_table.weights().begin(), exact_table.weights().end());
    RowOptimizer<TestType> dense(adam(AdamMode::dense, l2), kRows, kDim);
    RowOptimizer<TestType> exact(adam(AdamMode::lazy_exact, l2), kRows, kDim);
    CHECK_FALSE(exact.needs_catch_up());
    REQUIRE(exact.last_step().size() == kRows);
    std::vector<TestType> row1_after_step1;
    for (std::uint64_t t = 1; t <= kSteps; ++t) {
      INFO("step " << t);
      set_gradient(dense_table, t);
      set_gradient(exact_table, t);
      dense.step(dense_table.weights(), dense_table.gradient(), t);
      exact.step(exact_table.weights(), exact_table.gradient(), t);
      CHECK(exact.needs_catch_up());
      // Touched rows are exactly up to date after every step: dense's values and moments.
      for (FeatureId row = 0; row < kRows; ++row) {
        if (!touched(row, t)) continue;
        INFO("touched row " << row);
        CHECK(exact.last_step()[row] == t);
        CHECK(bit_equal<TestType>(exact_table.row(row), dense_table.row(row)));
        CHECK(bit_equal<TestType>(exact.first_moment().subspan(row * kDim, kDim),
                                  dense.first_moment().subspan(row * kDim, kDim)));
        CHECK(bit_equal<TestType>(exact.second_moment().subspan(row * kDim, kDim),
                                  dense.second_moment().subspan(row * kDim, kDim)));
      }
      if (t == 1) row1_after_step1.assign(exact_table.row(1).begin(), exact_table.row(1).end());
      // Before catch_up, skipped rows have not moved: row 1 through steps 2-4, row 5 ever.
      if (t >= 2 && t <= 4) {
        CHECK(exact.last_step()[1] == 1);
        CHECK(std::equal(row1_after_step1.begin(), row1_after_step1.end(),
                         exact_table.row(1).begin()));
      }
      CHECK(exact.last_step()[5] == 0);
      CHECK(std::equal(initial.begin() + 5 * kDim, initial.end(), exact_table.row(5).begin()));
    }
    // catch_up brings every row to step kSteps: bit-identical values and moments.
    exact.catch_up(exact_table.weights(), kSteps);
    CHECK_FALSE(exact.needs_catch_up());
    for (FeatureId row = 0; row < kRows; ++row) CHECK(exact.last_step()[row] == kSteps);
    CHECK(bit_equal<TestType>(exact_table.weights(), dense_table.weights()));
    CHECK(bit_equal<TestType>(exact.first_moment(), dense.first_moment()));
    CHECK(bit_equal<TestType>(exact.second_moment(), dense.second_moment()));
    // A second catch_up to the same step changes nothing.
    const std::vector<TestType> synced(exact_table.weights().begin(), exact_table.weights().end());
    exact.catch_up(exact_table.weights(), kSteps);
    CHECK(std::equal(synced.begin(), synced.end(), exact_table.weights().begin()));
  }
}

TEMPLATE_TEST_CASE("RowOptimizer catch_up_rows brings only the listed rows up to date", "[optim]",
                   float, double) {
  EmbeddingTable<TestType> dense_table = make_table<TestType>();
  EmbeddingTable<TestType> exact_table = make_table<TestType>();
  RowOptimizer<TestType> dense(adam(AdamMode::dense, 0.1), kRows, kDim);
  RowOptimizer<TestType> exact(adam(AdamMode::lazy_exact, 0.1), kRows, kDim);
  for (std::uint64_t t = 1; t <= 3; ++t) {
    set_gradient(dense_table, t);
    set_gradient(exact_table, t);
    dense.step(dense_table.weights(), dense_table.gradient(), t);
    exact.step(exact_table.weights(), exact_table.gradient(), t);
  }
  // Row 1 was last updated at step 1, row 5 never, row 4 never so far.
  const std::vector<TestType> row4(exact_table.row(4).begin(), exact_table.row(4).end());
  const std::vector<FeatureId> ids = {1, 5, 1, 0};  // repeats and an up-to-date row are fine
  exact.catch_up_rows(exact_table.weights(), ids, 3);
  for (const FeatureId row : {FeatureId{0}, FeatureId{1}, FeatureId{5}}) {
    INFO("row " << row);
    CHECK(exact.last_step()[row] == 3);
    CHECK(bit_equal<TestType>(exact_table.row(row), dense_table.row(row)));
  }
  CHECK(exact.last_step()[4] == 0);
  CHECK(std::equal(row4.begin(), row4.end(), exact_table.row(4).begin()));
  CHECK(exact.needs_catch_up());
  // Outside lazy_exact it does nothing.
  EmbeddingTable<TestType> lazy_table = make_table<TestType>();
  RowOptimizer<TestType> lazy(adam(AdamMode::lazy, 0.1), kRows, kDim);
  set_gradient(lazy_table, 1);
  lazy.step(lazy_table.weights(), lazy_table.gradient(), 1);
  const std::vector<TestType> before(lazy_table.weights().begin(), lazy_table.weights().end());
  lazy.catch_up_rows(lazy_table.weights(), ids, 4);
  CHECK(std::equal(before.begin(), before.end(), lazy_table.weights().begin()));
}

TEST_CASE("RowOptimizer lazy_exact matches the double reference within 1e-6 after catch_up",
          "[optim]") {
  // The requirement stated loosely (1e-6 relative to the dense reference), in addition to the
  // bit-for-bit comparison with dense mode above.
  for (const double l2 : {0.0, 0.1}) {
    EmbeddingTable<double> table = make_table<double>();
    RowOptimizer<double> exact(adam(AdamMode::lazy_exact, l2), kRows, kDim);
    ReferenceState reference(as_double<double>(table.weights()));
    for (std::uint64_t t = 1; t <= kSteps; ++t) {
      set_gradient(table, t);
      exact.step(table.weights(), table.gradient(), t);
      reference_table_step<double>(reference, t, adam(AdamMode::dense, l2), true);
    }
    exact.catch_up(table.weights(), kSteps);
    for (std::size_t i = 0; i < reference.p.size(); ++i)
      CHECK(table.weights()[i] == Approx(reference.p[i]).epsilon(1e-6));
  }
}

TEMPLATE_TEST_CASE("RowOptimizer catch_up is a no-op outside lazy_exact", "[optim]", float,
                   double) {
  for (const OptimizerConfig config :
       {adam(AdamMode::dense), adam(AdamMode::lazy), OptimizerConfig{.kind = Optimizer::sgd},
        OptimizerConfig{.kind = Optimizer::adagrad}}) {
    EmbeddingTable<TestType> table = make_table<TestType>();
    RowOptimizer<TestType> optimizer(config, kRows, kDim);
    set_gradient(table, 1);
    optimizer.step(table.weights(), table.gradient(), 1);
    CHECK_FALSE(optimizer.needs_catch_up());
    const std::vector<TestType> before(table.weights().begin(), table.weights().end());
    optimizer.catch_up(table.weights(), 5);
    CHECK(std::equal(before.begin(), before.end(), table.weights().begin()));
    CHECK(optimizer.last_step().empty());
  }
  // State sizes: SGD keeps none, Adagrad one accumulator, Adam two moments.
  CHECK(RowOptimizer<TestType>({.kind = Optimizer::sgd}, kRows, kDim).first_moment().empty());
  RowOptimizer<TestType> adagrad({.kind = Optimizer::adagrad}, kRows, kDim);
  CHECK(adagrad.first_moment().size() == kRows * kDim);
  CHECK(adagrad.second_moment().empty());
  RowOptimizer<TestType> adam_dense(adam(AdamMode::dense), kRows, kDim);
  CHECK(adam_dense.first_moment().size() == kRows * kDim);
  CHECK(adam_dense.second_moment().size() == kRows * kDim);
}
