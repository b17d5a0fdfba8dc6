// The FM kernels (kernels/fm.hpp): the path of the ISA this file is compiled for against
// ref::fm_forward and ref::fm_backward, on awkward factor counts (around the lane count and past
// the four vectors kept in registers) and field counts, and per row independent of the batch.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deepfm/kernels/fm.hpp>
#include <deepfm/kernels/isa.hpp>
#include <deepfm/kernels/ref.hpp>
#include <iostream>
#include <limits>
#include <string_view>
#include <vector>

#include "support/random_values.hpp"

namespace {

namespace kernels = deepfm::kernels;
using deepfm::test::random_values;

template <typename T>
std::vector<std::size_t> factor_counts() {
  const std::size_t l = kernels::simd::Vec<T>::lanes;
  return {1, l > 1 ? l - 1 : 2, l, l + 1, 2 * l + 3, 4 * l, 4 * l + 1, 10, 16};
}

/// Sums of n terms in another order differ by at most 2 gamma_n times the sum of magnitudes
/// (Higham, 3.1); `terms` counts every rounding on the path.
template <typename T>
double sum_bound(std::size_t terms, double magnitude) {
  const double u = std::numeric_limits<T>::epsilon() / 2;
  const double n = static_cast<double>(terms);
  return 2 * n * u / (1 - n * u) * magnitude + std::numeric_limits<T>::min();
}

}  // namespace

TEST_CASE("FM kernels report the ISA they run", "[kernels]") {
  std::cout << "fm: kIsa = " << kernels::isa_name(kernels::kIsa) << "\n";
#if defined(DEEPFM_TEST_EXPECTED_ISA)
  CHECK(kernels::isa_name(kernels::kIsa) == std::string_view(DEEPFM_TEST_EXPECTED_ISA));
#endif
}

TEMPLATE_TEST_CASE("simd fm_forward and fm_backward equal ref within the summation bound",
                   "[kernels]", float, double) {
  using T = TestType;
  std::uint16_t stream = 1;
  for (const std::size_t factors : factor_counts<T>())
    for (const std::size_t fields : {1, 2, 7, 34}) {
      const std::size_t rows = 5;
      CAPTURE(factors, fields);
      const std::size_t width = fields * factors;
      // Offset by one element: every row start is misaligned for vectors.
      const auto values = random_values<T>(rows * width + 1, ++stream);
      const T* e = values.data() + 1;
      const auto diff_out = random_values<T>(rows, ++stream);
      std::vector<T> out(rows), out_ref(rows), diff(rows * width + 2, T(7)), diff_ref(rows * width);
      kernels::simd::fm_forward(e, rows, fields, factors, out.data());
      kernels::ref::fm_forward(e, rows, fields, factors, out_ref.data());
      kernels::simd::fm_backward(e, diff_out.data(), rows, fields, factors, diff.data() + 1);
      kernels::ref::fm_backward(e, diff_out.data(), rows, fields, factors, diff_ref.data());
      for (std::size_t r = 0; r < rows; ++r) {
        // forward: the field sums, their squares and the total over factors.
        double magnitude = 0;
        for (std::size_t j = 0; j < factors; ++j) {
          double abs_sum = 0;
          for (std::size_t f = 0; f < fields; ++f)
            abs_sum += std::abs(double(e[r * width + f * factors + j]));
          magnitude += abs_sum * abs_sum;
        }
        CHECK(std::abs(double(out[r]) - double(out_ref[r])) <=
              sum_bound<T>(2 * (fields + factors) + 2, magnitude));
        for (std::size_t f = 0; f < fields; ++f)
          for (std::size_t j = 0; j < factors; ++j) {
            double abs_sum = 0;
            for (std::size_t g = 0; g < fields; ++g)
              abs_sum += std::abs(double(e[r * width + g * factors + j]));
            const std::size_t at = r * width + f * factors + j;
            CHECK(std::abs(double(diff[at + 1]) - double(diff_ref[at])) <=
                  sum_bound<T>(fields + 2, std::abs(double(diff_out[r])) * 2 * abs_sum));
          }
      }
      // Nothing written outside the output.
      CHECK(diff.front() == T(7));
      CHECK(diff.back() == T(7));
    }
}

TEMPLATE_TEST_CASE("a row's FM term and gradient do not depend on its batch", "[kernels]", float,
                   double) {
  using T = TestType;
  const std::size_t rows = 9, fields = 13, factors = 10, width = fields * factors;
  const auto e = random_values<T>(rows * width, 40);
  const auto diff_out = random_values<T>(rows, 41);
  std::vector<T> out(rows), diff(rows * width);
  kernels::simd::fm_forward(e.data(), rows, fields, factors, out.data());
  kernels::simd::fm_backward(e.data(), diff_out.data(), rows, fields, factors, diff.data());
  for (std::size_t r = 0; r < rows; ++r) {
    T one = 0;
    std::vector<T> diff_one(width);
    kernels::simd::fm_forward(e.data() + r * width, 1, fields, factors, &one);
    kernels::simd::fm_backward(e.data() + r * width, &diff_out[r], 1, fields, factors,
                               diff_one.data());
    CHECK(one == out[r]);
    CHECK(std::equal(diff_one.begin(), diff_one.end(),
                     diff.begin() + static_cast<std::ptrdiff_t>(r * width)));
  }
}
