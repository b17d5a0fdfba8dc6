// The fully connected products (kernels/dense_products.hpp): the path of the ISA this file is
// compiled for against the scalar twins in ref.hpp, on awkward sizes and unaligned pointers,
// and the invariants training relies on: a row's result does not depend on its batch, and the
// weight gradient does not depend on how the outputs are split. The suite compiles it for its
// own target; deepfm_add_isa_test (tests/CMakeLists.txt) once more per SIMD ISA.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deepfm/kernels/dense_products.hpp>
#include <deepfm/kernels/isa.hpp>
#include <deepfm/kernels/ref.hpp>
#include <iostream>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "support/random_values.hpp"

namespace {

namespace kernels = deepfm::kernels;
using deepfm::test::random_values;

template <typename T>
constexpr std::size_t kLanes = kernels::simd::Vec<T>::lanes;

/// 0, 1, lanes - 1, lanes, lanes + 1, 2 lanes + 3 (deduplicated by the caller's loops only
/// in cost), plus a width past the register blocks (3 vectors, 4 rows).
template <typename T>
std::vector<std::size_t> awkward_sizes() {
  const std::size_t l = kLanes<T>;
  return {0, 1, l > 1 ? l - 1 : 2, l, l + 1, 2 * l + 3, 5 * l + 1};
}

/// A value at offset 1 of its buffer: every pointer the kernels see is misaligned for vectors.
template <typename T>
struct Unaligned {
  std::vector<T> storage;
  explicit Unaligned(const std::vector<T>& values) : storage(values.size() + 1) {
    std::copy(values.begin(), values.end(), storage.begin() + 1);
  }
  explicit Unaligned(std::size_t n, T fill = T(0)) : storage(n + 1, fill) {}
  T* data() { return storage.data() + 1; }
  T& operator[](std::size_t i) { return storage[i + 1]; }
};

/// A dot product of n terms summed in any order, each product rounded or fused, differs from
/// the exact sum by at most gamma_n * sum |terms| with gamma_n = n u / (1 - n u) (Higham,
/// "Accuracy and Stability of Numerical Algorithms", 3.1); twice that covers both results.
template <typename T>
double dot_bound(std::size_t n, double sum_of_magnitudes) {
  const double u = std::numeric_limits<T>::epsilon() / 2;
  const double terms = static_cast<double>(n + 1);
  return 2 * terms * u / (1 - terms * u) * sum_of_magnitudes + std::numeric_limits<T>::min();
}

/// awkward_sizes plus a width past kWideBlockMinimumInputs, where dense_forward changes its
/// register block on AVX-512.
template <typename T>
std::vector<std::size_t> awkward_inputs() {
  std::vector<std::size_t> sizes = awkward_sizes<T>();
  sizes.push_back(kernels::simd::kWideBlockMinimumInputs + kLanes<T> + 3);
  return sizes;
}

}  // namespace

TEST_CASE("dense product kernels report the ISA they run", "[kernels]") {
  std::cout << "dense_products: kIsa = " << kernels::isa_name(kernels::kIsa) << "\n";
#if defined(DEEPFM_TEST_EXPECTED_ISA)
  CHECK(kernels::isa_name(kernels::kIsa) == std::string_view(DEEPFM_TEST_EXPECTED_ISA));
#endif
}

TEMPLATE_TEST_CASE("dense_forward and dense_backward_data equal ref within the dot-product bound",
                   "[kernels]", float, double) {
  using T = TestType;
  std::uint16_t seed = 1;
  for (const std::size_t rows : awkward_sizes<T>())
    for (const std::size_t in : awkward_inputs<T>())
      for (const std::size_t out : awkward_sizes<T>()) {
        if (in == 0 || out == 0) continue;
        CAPTURE(rows, in, out);
        const auto x = random_values<T>(rows * in, ++seed);
        const auto w = random_values<T>(out * in, ++seed);
        const auto bias = random_values<T>(out, ++seed);
        const auto dy = random_values<T>(rows * out, ++seed);

        Unaligned<T> ux(x), uw(w), ub(bias), udy(dy), y(rows * out), dx(rows * in);
        kernels::simd::dense_forward(ux.data(), rows, in, uw.data(), ub.data(), out, y.data());
        kernels::simd::dense_backward_data(udy.data(), rows, out, uw.data(), in, dx.data());
        std::vector<T> y_ref(rows * out), dx_ref(rows * in);
        kernels::ref::dense_forward(x.data(), rows, in, w.data(), bias.data(), out, y_ref.data());
        kernels::ref::dense_backward_data(dy.data(), rows, out, w.data(), in, dx_ref.data());

        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t o = 0; o < out; ++o) {
            double magnitude = std::abs(double(bias[o]));
            for (std::size_t i = 0; i < in; ++i)
              magnitude += std::abs(double(x[r * in + i]) * double(w[o * in + i]));
            CHECK(std::abs(double(y[r * out + o]) - double(y_ref[r * out + o])) <=
                  dot_bound<T>(in, magnitude));
          }
        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t i = 0; i < in; ++i) {
            double magnitude = 0;
            for (std::size_t o = 0; o < out; ++o)
              magnitude += std::abs(double(dy[r * out + o]) * double(w[o * in + i]));
            CHECK(std::abs(double(dx[r * in + i]) - double(dx_ref[r * in + i])) <=
                  dot_bound<T>(out, magnitude));
          }
        // Nothing past the outputs is written (the storage's guard element included).
        CHECK(y.storage[0] == T(0));
        CHECK(dx.storage[0] == T(0));

        // dense_backward_data_add: the same sums started from what dx holds.
        const auto start = random_values<T>(rows * in, ++seed);
        Unaligned<T> dx_add(rows * in);
        for (std::size_t i = 0; i < start.size(); ++i) dx_add[i] = start[i];
        std::vector<T> dx_add_ref = start;
        kernels::simd::dense_backward_data_add(udy.data(), rows, out, uw.data(), in, dx_add.data());
        kernels::ref::dense_backward_data_add(dy.data(), rows, out, w.data(), in,
                                              dx_add_ref.data());
        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t i = 0; i < in; ++i) {
            double magnitude = std::abs(double(start[r * in + i]));
            for (std::size_t o = 0; o < out; ++o)
              magnitude += std::abs(double(dy[r * out + o]) * double(w[o * in + i]));
            CHECK(std::abs(double(dx_add[r * in + i]) - double(dx_add_ref[r * in + i])) <=
                  dot_bound<T>(out + 1, magnitude));
          }
      }
}

TEMPLATE_TEST_CASE("dense_backward_weights equals ref and adds to what dW and db hold", "[kernels]",
                   float, double) {
  using T = TestType;
  std::uint16_t seed = 100;
  for (const std::size_t rows : awkward_sizes<T>())
    for (const std::size_t in : awkward_sizes<T>())
      for (const std::size_t out : awkward_sizes<T>()) {
        if (in == 0 || out == 0) continue;
        CAPTURE(rows, in, out);
        const auto x = random_values<T>(rows * in, ++seed);
        const auto dy = random_values<T>(rows * out, ++seed);
        const auto dw0 = random_values<T>(out * in, ++seed);
        const auto db0 = random_values<T>(out, ++seed);
        Unaligned<T> ux(x), udy(dy), dw(dw0), db(db0);
        kernels::simd::dense_backward_weights(ux.data(), udy.data(), rows, in, out, 0, out,
                                              dw.data(), db.data());
        std::vector<T> dw_ref = dw0, db_ref = db0;
        kernels::ref::dense_backward_weights(x.data(), dy.data(), rows, in, out, 0, out,
                                             dw_ref.data(), db_ref.data());
        for (std::size_t o = 0; o < out; ++o) {
          for (std::size_t i = 0; i < in; ++i) {
            double magnitude = std::abs(double(dw0[o * in + i]));
            for (std::size_t r = 0; r < rows; ++r)
              magnitude += std::abs(double(dy[r * out + o]) * double(x[r * in + i]));
            CHECK(std::abs(double(dw[o * in + i]) - double(dw_ref[o * in + i])) <=
                  dot_bound<T>(rows, magnitude));
          }
          // db is a plain sum in row order in both: the same bits.
          CHECK(db[o] == db_ref[o]);
        }
      }
}

TEMPLATE_TEST_CASE("a row's dense outputs and input gradient do not depend on its batch",
                   "[kernels]", float, double) {
  using T = TestType;
  const std::size_t rows = 2 * kLanes<T> + 3;
  // Both of dense_forward's register blocks.
  const std::size_t in = GENERATE(3 * kLanes<T> + 5, kernels::simd::kWideBlockMinimumInputs + 5);
  CAPTURE(in);
  const std::size_t out = 7;
  const auto x = random_values<T>(rows * in, 11);
  const auto w = random_values<T>(out * in, 12);
  const auto bias = random_values<T>(out, 13);
  const auto dy = random_values<T>(rows * out, 14);
  std::vector<T> y(rows * out), dx(rows * in);
  kernels::simd::dense_forward(x.data(), rows, in, w.data(), bias.data(), out, y.data());
  kernels::simd::dense_backward_data(dy.data(), rows, out, w.data(), in, dx.data());
  for (std::size_t r = 0; r < rows; ++r) {
    CAPTURE(r);
    std::vector<T> y_one(out), dx_one(in);
    kernels::simd::dense_forward(x.data() + r * in, 1, in, w.data(), bias.data(), out,
                                 y_one.data());
    kernels::simd::dense_backward_data(dy.data() + r * out, 1, out, w.data(), in, dx_one.data());
    CHECK(std::equal(y_one.begin(), y_one.end(), y.begin() + static_cast<std::ptrdiff_t>(r * out)));
    CHECK(
        std::equal(dx_one.begin(), dx_one.end(), dx.begin() + static_cast<std::ptrdiff_t>(r * in)));
  }
}

TEMPLATE_TEST_CASE("dense_backward_weights gives the same bits for any split of the outputs",
                   "[kernels]", float, double) {
  using T = TestType;
  const std::size_t rows = 300;  // past one block of rows, so a sum crosses blocks
  const std::size_t in = 2 * kLanes<T> + 3;
  const std::size_t out = 11;
  const auto x = random_values<T>(rows * in, 21);
  const auto dy = random_values<T>(rows * out, 22);
  std::vector<T> dw_whole(out * in), db_whole(out);
  kernels::simd::dense_backward_weights(x.data(), dy.data(), rows, in, out, 0, out, dw_whole.data(),
                                        db_whole.data());
  for (const std::size_t split : {1, 2, 3, 5, 10}) {
    CAPTURE(split);
    std::vector<T> dw(out * in), db(out);
    kernels::simd::dense_backward_weights(x.data(), dy.data(), rows, in, out, 0, split, dw.data(),
                                          db.data());
    kernels::simd::dense_backward_weights(x.data(), dy.data(), rows, in, out, split, out, dw.data(),
                                          db.data());
    CHECK(dw == dw_whole);
    CHECK(db == db_whole);
  }
}

TEMPLATE_TEST_CASE(
    "dense_backward_weight_columns and dense_backward_bias give the bits of "
    "dense_backward_weights for any split of the inputs",
    "[kernels]", float, double) {
  using T = TestType;
  constexpr std::size_t block = kernels::simd::kWeightColumnBlock<T>;
  const std::size_t rows = 300;  // past one block of rows, so a sum crosses blocks
  const std::size_t out = 7;
  for (const std::size_t in : {std::size_t{1}, block - 1, block, 3 * block + 5}) {
    CAPTURE(in);
    const auto x = random_values<T>(rows * in, 31);
    const auto dy = random_values<T>(rows * out, 32);
    const auto start = random_values<T>(out * in + out, 33);  // they add to what dW, db hold
    std::vector<T> dw_whole(start.begin(), start.begin() + static_cast<std::ptrdiff_t>(out * in));
    std::vector<T> db_whole(start.begin() + static_cast<std::ptrdiff_t>(out * in), start.end());
    std::vector<T> dw = dw_whole, db = db_whole;
    kernels::simd::dense_backward_weights(x.data(), dy.data(), rows, in, out, 0, out,
                                          dw_whole.data(), db_whole.data());
    // Slices of one, two and three blocks, in an order other than left to right.
    std::vector<std::pair<std::size_t, std::size_t>> slices;
    for (std::size_t i = 0, width = 1; i < in; i += width * block, width = width % 3 + 1)
      slices.emplace_back(i, std::min(in, i + width * block));
    std::reverse(slices.begin(), slices.end());
    for (const auto& [begin, end] : slices)
      kernels::simd::dense_backward_weight_columns(x.data(), dy.data(), rows, in, out, begin, end,
                                                   dw.data());
    kernels::simd::dense_backward_bias(dy.data(), rows, out, db.data());
    CHECK(dw == dw_whole);
    CHECK(db == db_whole);
  }
}
