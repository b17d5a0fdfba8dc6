// core/matrix_view.hpp: a row-major view and its view-as-const conversion.
#include <catch2/catch.hpp>

#include <deepfm/core/matrix_view.hpp>
#include <type_traits>
#include <vector>

TEMPLATE_TEST_CASE("MatrixView addresses rows of a row-major block", "[core][matrix_view]", float,
                   double) {
  std::vector<TestType> storage = {1, 2, 3, 4, 5, 6};  // 2 x 3
  const deepfm::MatrixView<TestType> view{storage.data(), 2, 3};
  CHECK(view.size() == 6);
  CHECK(view.row(0) == storage.data());
  CHECK(view.row(1) == storage.data() + 3);
  CHECK(view.row(1)[2] == TestType(6));
  CHECK(view.span().size() == 6);
  CHECK(view.span().data() == storage.data());
  view.row(1)[0] = TestType(40);  // writes through
  CHECK(storage[3] == TestType(40));

  // A mutable view converts to a const one over the same memory; not the other way round.
  const deepfm::MatrixView<const TestType> as_const = view;
  CHECK(as_const.data == storage.data());
  CHECK(as_const.rows == 2);
  CHECK(as_const.cols == 3);
  CHECK(as_const.row(1)[0] == TestType(40));
  STATIC_REQUIRE(
      std::is_convertible_v<deepfm::MatrixView<TestType>, deepfm::MatrixView<const TestType>>);
  STATIC_REQUIRE_FALSE(
      std::is_convertible_v<deepfm::MatrixView<const TestType>, deepfm::MatrixView<TestType>>);

  const deepfm::MatrixView<TestType> empty{};
  CHECK(empty.size() == 0);
  CHECK(empty.span().empty());
  // A 3 x 0 view has rows but no elements.
  const deepfm::MatrixView<TestType> no_cols{storage.data(), 3, 0};
  CHECK(no_cols.size() == 0);
  CHECK(no_cols.row(2) == storage.data());
}
