// SparseRowGradient (layers/sparse_row_gradient.hpp): rows in first-appearance order,
// deterministic accumulation in batch order.
#include <catch2/catch.hpp>

#include <cstring>
#include <deepfm/layers/sparse_row_gradient.hpp>
#include <vector>

namespace {

using deepfm::FeatureId;
using deepfm::SparseRowGradient;

template <typename T>
std::vector<T> row_of(const SparseRowGradient<T>& g, std::size_t k) {
  return {g.row_gradient(k).begin(), g.row_gradient(k).end()};
}

}  // namespace

TEMPLATE_TEST_CASE("SparseRowGradient numbers rows by first appearance", "[layers]", float,
                   double) {
  SparseRowGradient<TestType> g(10, 2);
  CHECK(g.dim() == 2);
  CHECK(g.table_rows() == 10);
  CHECK(g.rows().empty());
  for (FeatureId r = 0; r < 10; ++r) CHECK(g.slot(r) == g.kNoSlot);

  const std::vector<FeatureId> ids = {7, 3, 7, 9, 3, 0};
  const std::vector<TestType> diff = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6};
  g.accumulate(ids.data(), diff.data(), ids.size());
  REQUIRE(g.rows().size() == 4);
  CHECK(std::vector<FeatureId>(g.rows().begin(), g.rows().end()) ==
        std::vector<FeatureId>{7, 3, 9, 0});
  CHECK(g.slot(7) == 0);
  CHECK(g.slot(3) == 1);
  CHECK(g.slot(9) == 2);
  CHECK(g.slot(0) == 3);
  CHECK(g.slot(1) == g.kNoSlot);
  CHECK(row_of(g, 0) == std::vector<TestType>{4, 4});  // 1 + 3
  CHECK(row_of(g, 1) == std::vector<TestType>{7, 7});  // 2 + 5
  CHECK(row_of(g, 2) == std::vector<TestType>{4, 4});
  CHECK(row_of(g, 3) == std::vector<TestType>{6, 6});

  // A second batch keeps the existing slots and appends new rows.
  const std::vector<FeatureId> more = {1, 7};
  const std::vector<TestType> more_diff = {10, 20, 30, 40};
  g.accumulate(more.data(), more_diff.data(), more.size());
  CHECK(std::vector<FeatureId>(g.rows().begin(), g.rows().end()) ==
        std::vector<FeatureId>{7, 3, 9, 0, 1});
  CHECK(row_of(g, 0) == std::vector<TestType>{34, 44});
  CHECK(row_of(g, 4) == std::vector<TestType>{10, 20});

  SECTION("clear() forgets every row") {
    g.clear();
    CHECK(g.rows().empty());
    for (FeatureId r = 0; r < 10; ++r) CHECK(g.slot(r) == g.kNoSlot);
    // And starts afresh: new first-appearance order, sums from zero.
    const std::vector<FeatureId> again = {9, 7};
    g.accumulate(again.data(), diff.data(), again.size());
    CHECK(std::vector<FeatureId>(g.rows().begin(), g.rows().end()) == std::vector<FeatureId>{9, 7});
    CHECK(row_of(g, 0) == std::vector<TestType>{1, 1});
    CHECK(row_of(g, 1) == std::vector<TestType>{2, 2});
  }
  SECTION("n = 0 changes nothing") {
    g.accumulate(ids.data(), diff.data(), 0);
    CHECK(g.rows().size() == 5);
  }
}

TEMPLATE_TEST_CASE("SparseRowGradient sums each row in batch order", "[layers]", float, double) {
  // Floating-point addition is not associative: 2^60 + 1 - 2^60 is 0 in batch order and 1
  // in any order that adds the 1 last, so only the documented order gives exactly 0.
  const TestType big = TestType(1152921504606846976.0);  // 2^60
  SparseRowGradient<TestType> g(4, 1);
  const std::vector<FeatureId> ids = {2, 1, 2, 2};
  const std::vector<TestType> diff = {big, TestType(5), TestType(1), -big};
  g.accumulate(ids.data(), diff.data(), ids.size());
  REQUIRE(g.slot(2) == 0);
  CHECK(g.row_gradient(0)[0] == ((TestType(0) + big) + TestType(1)) - big);
  CHECK(g.row_gradient(0)[0] == TestType(0));
  CHECK(g.row_gradient(1)[0] == TestType(5));

  // The same input gives the same bits every time.
  SparseRowGradient<TestType> twin(4, 1);
  twin.accumulate(ids.data(), diff.data(), ids.size());
  CHECK(std::memcmp(g.row_gradient(0).data(), twin.row_gradient(0).data(), sizeof(TestType)) == 0);
}
