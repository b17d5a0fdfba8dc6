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

TEMPLATE_TEST_CASE("simd gather_rows and add_rows_to_slots equal ref bit for bit", "[kernels]",
                   float, double) {
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

      // The gathered rows summed by their id as slot, whole and split in two at every slot.
      const std::vector<T> rows(out.begin() + 1, out.end() - 1);
      std::vector<T> sums_ref(table_rows * dim, T(5));
      kernels::ref::add_rows_to_slots(rows.data(), dim, ids.data(), n, 0, table_rows,
                                      sums_ref.data());
      for (std::size_t split = 0; split <= table_rows; ++split) {
        CAPTURE(split);
        std::vector<T> sums(table_rows * dim + 2, T(5));
        kernels::simd::add_rows_to_slots(rows.data(), dim, ids.data(), n, 0, split,
                                         sums.data() + 1);
        kernels::simd::add_rows_to_slots(rows.data(), dim, ids.data(), n, split, table_rows,
                                         sums.data() + 1);
        CHECK(std::equal(sums_ref.begin(), sums_ref.end(), sums.begin() + 1));
        CHECK(sums.front() == T(5));
        CHECK(sums.back() == T(5));
      }
      // A slot no row names sums to 0; the others to their rows in order.
      CHECK(sums_ref[2 * dim] == T(0));
      if (n == ids.size())
        CHECK(sums_ref[3 * dim] == (table[3 * dim] + table[3 * dim]) + table[3 * dim]);
    }
  }
}
