// The table-row kernels (kernels/rows.hpp): the path of the ISA this file is compiled for equals
// the scalar twins bit for bit (copies, and sums in the same order), on awkward row widths and
// misaligned rows, writing nothing outside their output.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <deepfm/kernels/isa.hpp>
#include <deepfm/kernels/ref.hpp>
#include <deepfm/kernels/rows.hpp>
#include <iostream>
#include <string_view>
#include <vector>

#include "support/random_values.hpp"

namespace {

namespace kernels = deepfm::kernels;
using deepfm::test::random_values;

template <typename T>
std::vector<std::size_t> widths() {
  const std::size_t l = kernels::simd::Vec<T>::lanes;
  return {1, l > 1 ? l - 1 : 2, l, l + 1, 2 * l + 3, 10, 16};
}

}  // namespace

TEST_CASE("row kernels report the ISA they run", "[kernels]") {
  std::cout << "rows: kIsa = " << kernels::isa_name(kernels::kIsa) << "\n";
#if defined(DEEPFM_TEST_EXPECTED_ISA)
  CHECK(kernels::isa_name(kernels::kIsa) == std::string_view(DEEPFM_TEST_EXPECTED_ISA));
#endif
}

TEMPLATE_TEST_CASE("simd gather_rows and sum_rows_at equal ref bit for bit", "[kernels]", float,
                   double) {
  using T = TestType;
  std::uint16_t stream = 60;
  const std::vector<std::uint32_t> ids = {3, 0, 5, 3, 3, 1, 6, 0};
  for (const std::size_t dim : widths<T>()) {
    CAPTURE(dim);
    const std::size_t table_rows = 7;
    const auto values = random_values<T>(table_rows * dim + 1, ++stream);
    const T* table = values.data() + 1;  // misaligned rows
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, ids.size()}) {
      CAPTURE(n);
      std::vector<T> out(n * dim + 2, T(9)), out_ref(n * dim);
      kernels::simd::gather_rows(table, dim, ids.data(), n, out.data() + 1);
      kernels::ref::gather_rows(table, dim, ids.data(), n, out_ref.data());
      CHECK(std::equal(out_ref.begin(), out_ref.end(), out.begin() + 1));
      CHECK(out.front() == T(9));
      CHECK(out.back() == T(9));

      std::vector<T> sum(dim + 2, T(9)), sum_ref(dim);
      kernels::simd::sum_rows_at(table, dim, ids.data(), n, sum.data() + 1);
      kernels::ref::sum_rows_at(table, dim, ids.data(), n, sum_ref.data());
      CHECK(std::equal(sum_ref.begin(), sum_ref.end(), sum.begin() + 1));
      CHECK(sum.front() == T(9));
      CHECK(sum.back() == T(9));
    }
  }
}
