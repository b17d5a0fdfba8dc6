// FMInteraction layer (layers/fm_interaction.hpp).
#include <catch2/catch.hpp>

#include <deepfm/layers/fm_interaction.hpp>
#include <vector>

#include "support/gradient_check.hpp"
#include "support/random_values.hpp"

namespace {

using deepfm::FMInteraction;
using deepfm::MatrixView;
using deepfm::PassContext;

struct FmLayerShape {
  std::size_t rows, fields, factors;
};
const FmLayerShape kFmLayerShapes[] = {{3, 1, 3}, {2, 2, 1}, {4, 3, 3}, {2, 34, 10}};

}  // namespace

TEMPLATE_TEST_CASE("FMInteraction forward is the pairwise inner-product sum", "[layers]", float,
                   double) {
  for (const FmLayerShape& s : kFmLayerShapes) {
    CAPTURE(s.rows, s.fields, s.factors);
    FMInteraction<TestType> fm(s.fields, s.factors);
    CHECK(fm.parameter_count() == 0);
    const std::size_t width = s.fields * s.factors;
    const auto e = deepfm::test::random_values<TestType>(s.rows * width, 1);
    std::vector<TestType> y(s.rows);
    fm.forward(PassContext{}, MatrixView<const TestType>{e.data(), s.rows, width},
               MatrixView<TestType>{y.data(), s.rows, 1});
    for (std::size_t r = 0; r < s.rows; ++r) {
      double expected = 0;
      for (std::size_t f = 0; f < s.fields; ++f)
        for (std::size_t g = f + 1; g < s.fields; ++g)
          for (std::size_t j = 0; j < s.factors; ++j)
            expected +=
                double(e[r * width + f * s.factors + j]) * double(e[r * width + g * s.factors + j]);
      CHECK(double(y[r]) == Approx(expected).margin(sizeof(TestType) == 8 ? 1e-12 : 1e-4));
    }
  }
}

TEST_CASE("FMInteraction gradient matches finite differences (double)", "[layers][gradient]") {
  for (const FmLayerShape& s : kFmLayerShapes) {
    CAPTURE(s.rows, s.fields, s.factors);
    FMInteraction<double> fm(s.fields, s.factors);
    const std::size_t width = s.fields * s.factors;
    auto e = deepfm::test::random_values<double>(s.rows * width, 2);
    const auto c = deepfm::test::random_values<double>(s.rows, 3);
    std::vector<double> y(s.rows), de(e.size(), -99.0);
    const MatrixView<const double> src{e.data(), s.rows, width};
    auto loss = [&] {
      fm.forward(PassContext{}, src, MatrixView<double>{y.data(), s.rows, 1});
      return deepfm::test::weighted_sum(y.data(), c);
    };
    fm.backward(PassContext{}, src, MatrixView<const double>{c.data(), s.rows, 1},
                MatrixView<double>{de.data(), s.rows, width});
    // Quadratic in each element: the fourth-order stencil is exact, so a large step is free.
    const auto result = deepfm::test::check_gradient(e, de, loss, {.step = 1e-3});
    INFO(result);
    CHECK(result.worst_relative_error < 1e-6);
  }
}
