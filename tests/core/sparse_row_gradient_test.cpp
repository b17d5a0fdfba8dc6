// SparseRowGradient (core/sparse_row_gradient.hpp): sorted unique rows, each summed in batch
// order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deepfm/core/sparse_row_gradient.hpp>
#include <limits>
#include <vector>

namespace {

using deepfm::FeatureId;
using deepfm::SparseRowGradient;

template <typename T>
std::vector<T> row_of(const SparseRowGradient<T>& g, std::size_t k) {
  return {g.row_gradient(k).begin(), g.row_gradient(k).end()};
}

}  // namespace

TEMPLATE_TEST_CASE("SparseRowGradient holds the touched rows sorted and unique", "[core]", float,
                   double) {
  SparseRowGradient<TestType> g(10, 2);
  CHECK(g.dim() == 2);
  CHECK(g.table_rows() == 10);
  CHECK(g.rows().empty());
  for (FeatureId r = 0; r < 10; ++r) CHECK(g.slot(r) == g.kNoSlot);

  const std::vector<FeatureId> ids = {7, 3, 7, 9, 3, 0};
  const std::vector<TestType> diff = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6};
  g.accumulate(ids.data(), diff.data(), ids.size());
  CHECK(std::vector<FeatureId>(g.rows().begin(), g.rows().end()) ==
        std::vector<FeatureId>{0, 3, 7, 9});
  CHECK(g.slot(0) == 0);
  CHECK(g.slot(3) == 1);
  CHECK(g.slot(7) == 2);
  CHECK(g.slot(9) == 3);
  CHECK(g.slot(1) == g.kNoSlot);
  CHECK(g.slot(10) == g.kNoSlot);
  CHECK(row_of(g, 0) == std::vector<TestType>{6, 6});
  CHECK(row_of(g, 1) == std::vector<TestType>{7, 7});  // 2 + 5
  CHECK(row_of(g, 2) == std::vector<TestType>{4, 4});  // 1 + 3
  CHECK(row_of(g, 3) == std::vector<TestType>{4, 4});

  // A second batch before clear() merges: rows stay sorted, old sums first.
  const std::vector<FeatureId> more = {1, 7};
  const std::vector<TestType> more_diff = {10, 20, 30, 40};
  g.accumulate(more.data(), more_diff.data(), more.size());
  CHECK(std::vector<FeatureId>(g.rows().begin(), g.rows().end()) ==
        std::vector<FeatureId>{0, 1, 3, 7, 9});
  CHECK(row_of(g, 1) == std::vector<TestType>{10, 20});
  CHECK(row_of(g, 3) == std::vector<TestType>{34, 44});

  SECTION("clear() forgets every row") {
    g.clear();
    CHECK(g.rows().empty());
    for (FeatureId r = 0; r < 10; ++r) CHECK(g.slot(r) == g.kNoSlot);
    const std::vector<FeatureId> again = {9, 7};
    g.accumulate(again.data(), diff.data(), again.size());
    CHECK(std::vector<FeatureId>(g.rows().begin(), g.rows().end()) == std::vector<FeatureId>{7, 9});
    CHECK(row_of(g, 0) == std::vector<TestType>{2, 2});
    CHECK(row_of(g, 1) == std::vector<TestType>{1, 1});
  }
  SECTION("n = 0 changes nothing") {
    g.accumulate(ids.data(), diff.data(), 0);
    CHECK(g.rows().size() == 5);
  }
}

TEMPLATE_TEST_CASE("SparseRowGradient sorts ids like a stable sort, by radix and by counting",
                   "[core]", float, double) {
  // Ids spread over all four bytes (and ids sharing their low bytes) against std::stable_sort.
  std::vector<FeatureId> ids;
  std::uint64_t state = 12345;
  for (int i = 0; i < 5000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto draw = static_cast<FeatureId>(state >> 33);
    ids.push_back(i % 3 == 0 ? draw : draw % 700 + (i % 5 == 0 ? (FeatureId{1} << 24) : 0));
  }
  std::vector<TestType> diff(ids.size());
  for (std::size_t i = 0; i < diff.size(); ++i) diff[i] = TestType(1) / TestType(i + 1);
  // A huge table: the radix sort; ids below 4 times the batch: the counting sort.
  const std::size_t table_rows = GENERATE(std::size_t{std::numeric_limits<FeatureId>::max()}, 0);
  std::vector<FeatureId> used = ids;
  if (table_rows == 0)
    for (FeatureId& id : used) id %= 4 * 5000;
  CAPTURE(table_rows);
  SparseRowGradient<TestType> g(table_rows == 0 ? 4 * 5000 : table_rows, 1);
  g.accumulate(used.data(), diff.data(), used.size());
  ids = used;
  std::vector<std::size_t> order(ids.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return ids[a] < ids[b]; });
  std::vector<FeatureId> rows;
  std::vector<TestType> sums;
  for (const std::size_t i : order) {
    if (rows.empty() || rows.back() != ids[i]) {
      rows.push_back(ids[i]);
      sums.push_back(0);
    }
    sums.back() += diff[i];  // in batch order within the row
  }
  REQUIRE(std::vector<FeatureId>(g.rows().begin(), g.rows().end()) == rows);
  for (std::size_t k = 0; k < rows.size(); ++k)
    CHECK(std::memcmp(&sums[k], g.row_gradient(k).data(), sizeof(TestType)) == 0);
}

TEMPLATE_TEST_CASE("SparseRowGradient sums each row in batch order", "[core]", float, double) {
  // Floating-point addition is not associative: 2^60 + 1 - 2^60 is 0 in batch order and 1
  // in any order that adds the 1 last, so only the documented order gives exactly 0.
  const TestType big = TestType(1152921504606846976.0);  // 2^60
  SparseRowGradient<TestType> g(4, 1);
  const std::vector<FeatureId> ids = {2, 1, 2, 2};
  const std::vector<TestType> diff = {big, TestType(5), TestType(1), -big};
  g.accumulate(ids.data(), diff.data(), ids.size());
  REQUIRE(g.slot(2) == 1);
  CHECK(g.row_gradient(1)[0] == ((TestType(0) + big) + TestType(1)) - big);
  CHECK(g.row_gradient(1)[0] == TestType(0));
  CHECK(g.row_gradient(0)[0] == TestType(5));

  // The same input gives the same bits every time.
  SparseRowGradient<TestType> twin(4, 1);
  twin.accumulate(ids.data(), diff.data(), ids.size());
  CHECK(std::memcmp(g.row_gradient(1).data(), twin.row_gradient(1).data(), sizeof(TestType)) == 0);
}
