// The scalar reference kernels (kernels/ref.hpp) against naive formulas, hand-written loops
// and finite differences.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <deepfm/kernels/ref.hpp>
#include <limits>
#include <vector>

#include "support/gradient_check.hpp"
#include "support/random_values.hpp"

namespace {

namespace ref = deepfm::kernels::ref;

using deepfm::test::random_values;

/// Σ_{f<g} <e_f, e_g> for one sample, the definition the O(F·k) kernel must reproduce.
double naive_pairwise(const double* e, std::size_t fields, std::size_t factors) {
  double total = 0;
  for (std::size_t f = 0; f < fields; ++f)
    for (std::size_t g = f + 1; g < fields; ++g)
      for (std::size_t j = 0; j < factors; ++j) total += e[f * factors + j] * e[g * factors + j];
  return total;
}

struct FmShape {
  std::size_t rows, fields, factors;
};

// Awkward and realistic shapes: one field (no pairs), one factor, 34 fields × 10 factors.
const FmShape kFmShapes[] = {{3, 1, 4}, {2, 2, 1}, {4, 1, 1}, {1, 3, 1}, {5, 34, 10}, {3, 7, 5}};

}  // namespace

TEMPLATE_TEST_CASE("ref::gather_rows copies the addressed rows, repeats included", "[kernels]",
                   float, double) {
  const std::size_t rows = 7, dim = 3;
  const auto table = random_values<TestType>(rows * dim, 1);
  const std::vector<std::uint32_t> ids = {6, 0, 3, 3, 6, 1};
  std::vector<TestType> out(ids.size() * dim, TestType(-99));
  ref::gather_rows(table.data(), dim, ids.data(), ids.size(), out.data());
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (std::size_t j = 0; j < dim; ++j) CHECK(out[i * dim + j] == table[ids[i] * dim + j]);

  SECTION("dim 1") {
    std::vector<TestType> column(ids.size());
    ref::gather_rows(table.data(), 1, ids.data(), ids.size(), column.data());
    for (std::size_t i = 0; i < ids.size(); ++i) CHECK(column[i] == table[ids[i]]);
  }
  SECTION("n = 0 writes nothing") {
    std::vector<TestType> untouched(dim, TestType(-7));
    ref::gather_rows(table.data(), dim, ids.data(), 0, untouched.data());
    for (const TestType v : untouched) CHECK(v == TestType(-7));
  }
}

TEMPLATE_TEST_CASE("ref::row_sums sums each row", "[kernels]", float, double) {
  // Small integers: every partial sum is exact, so the comparison can be exact.
  const std::size_t rows = 4, cols = 5;
  std::vector<TestType> x(rows * cols);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<TestType>(int(i % 7) - 3);
  std::vector<TestType> out(rows, TestType(-99));
  ref::row_sums(x.data(), rows, cols, out.data());
  for (std::size_t r = 0; r < rows; ++r) {
    TestType expected = 0;
    for (std::size_t c = 0; c < cols; ++c) expected += x[r * cols + c];
    CHECK(out[r] == expected);
  }

  SECTION("zero columns give zero sums") {
    std::vector<TestType> zero(3, TestType(5));
    ref::row_sums(x.data(), 3, 0, zero.data());
    for (const TestType v : zero) CHECK(v == TestType(0));
  }
  SECTION("one column copies it") {
    std::vector<TestType> copy(x.size());
    ref::row_sums(x.data(), x.size(), 1, copy.data());
    CHECK(copy == x);
  }
  SECTION("random values agree with a double sum") {
    const auto values = random_values<TestType>(6 * 34, 2);
    std::vector<TestType> sums(6);
    ref::row_sums(values.data(), 6, 34, sums.data());
    for (std::size_t r = 0; r < 6; ++r) {
      double expected = 0;
      for (std::size_t c = 0; c < 34; ++c) expected += static_cast<double>(values[r * 34 + c]);
      CHECK(static_cast<double>(sums[r]) == Approx(expected).margin(1e-5));
    }
  }
}

TEMPLATE_TEST_CASE("ref::axpy adds alpha times x to y", "[kernels]", float, double) {
  // Dyadic values: alpha * x + y is exact with or without a fused multiply-add.
  const std::size_t n = 9;
  std::vector<TestType> x(n), y(n), expected(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<TestType>(int(i) - 4);
    y[i] = static_cast<TestType>(0.25 * double(i));
    expected[i] = y[i] + TestType(0.5) * x[i];
  }
  ref::axpy(n, TestType(0.5), x.data(), y.data());
  CHECK(y == expected);

  ref::axpy(0, TestType(3), x.data(), y.data());  // n = 0 leaves y alone
  CHECK(y == expected);
  ref::axpy(n, TestType(0), x.data(), y.data());  // alpha = 0 leaves y alone
  CHECK(y == expected);
}

TEMPLATE_TEST_CASE("ref::fm_forward equals the naive pairwise sum", "[kernels]", float, double) {
  std::uint16_t stream = 10;
  for (const FmShape& s : kFmShapes) {
    CAPTURE(s.rows, s.fields, s.factors);
    const auto e = random_values<double>(s.rows * s.fields * s.factors, stream++);
    std::vector<TestType> et(e.begin(), e.end());
    std::vector<TestType> out(s.rows, TestType(-99));
    ref::fm_forward(et.data(), s.rows, s.fields, s.factors, out.data());
    const double tolerance = sizeof(TestType) == 8 ? 1e-12 : 2e-5;
    for (std::size_t r = 0; r < s.rows; ++r) {
      // Naive sum over the values the kernel saw (rounded to T).
      const std::vector<double> seen(
          et.begin() + static_cast<std::ptrdiff_t>(r * s.fields * s.factors),
          et.begin() + static_cast<std::ptrdiff_t>((r + 1) * s.fields * s.factors));
      const double expected = naive_pairwise(seen.data(), s.fields, s.factors);
      CHECK(static_cast<double>(out[r]) == Approx(expected).margin(tolerance * (1 + s.fields)));
      if (s.fields == 1) {
        // No pairs at all: (Σe)² − Σe² cancels, exactly without FMA contraction, to within
        // one rounding of e² with it (GCC contracts by default under -march=native).
        double squares = 0;
        for (const double v : seen) squares += v * v;
        CHECK(std::abs(static_cast<double>(out[r])) <=
              squares * std::numeric_limits<TestType>::epsilon());
      }
    }
  }
}

TEMPLATE_TEST_CASE("ref::fm_forward on hand-computed values", "[kernels]", float, double) {
  // Two samples of 3 fields × 2 factors with small integers: the result is exact.
  const std::vector<TestType> e = {1,  2, 3, 4,  5, 6,   // sample 0
                                   -1, 0, 2, -3, 1, 1};  // sample 1
  std::vector<TestType> out(2);
  ref::fm_forward(e.data(), 2, 3, 2, out.data());
  // sample 0: <e0,e1> + <e0,e2> + <e1,e2> = (3+8) + (5+12) + (15+24) = 67
  // sample 1: (-2+0) + (-1+0) + (2-3) = -4
  CHECK(out[0] == TestType(67));
  CHECK(out[1] == TestType(-4));

  std::vector<TestType> none(1, TestType(5));
  ref::fm_forward(e.data(), 0, 3, 2, none.data());  // zero rows write nothing
  CHECK(none[0] == TestType(5));
}

TEST_CASE("ref::fm_backward matches finite differences (double)", "[kernels][gradient]") {
  std::uint16_t stream = 30;
  for (const FmShape& s : kFmShapes) {
    CAPTURE(s.rows, s.fields, s.factors);
    auto e = random_values<double>(s.rows * s.fields * s.factors, stream++);
    const auto weights = random_values<double>(s.rows, stream++, 0.5, 1.5);
    std::vector<double> out(s.rows);
    auto loss = [&] {
      ref::fm_forward(e.data(), s.rows, s.fields, s.factors, out.data());
      double total = 0;
      for (std::size_t r = 0; r < s.rows; ++r) total += weights[r] * out[r];
      return total;
    };
    std::vector<double> analytic(e.size(), -99.0);  // must be overwritten
    ref::fm_backward(e.data(), weights.data(), s.rows, s.fields, s.factors, analytic.data());
    // The loss is quadratic in each element, where the fourth-order stencil is exact: a
    // large step costs no truncation error and divides the rounding error.
    const auto result = deepfm::test::check_gradient(e, analytic, loss, {.step = 1e-3});
    INFO(result);
    CHECK(result.worst_relative_error < 1e-6);
    if (s.fields == 1)
      for (const double g : analytic) CHECK(g == 0.0);
  }
}

TEST_CASE("ref::fm_backward in float agrees with double", "[kernels]") {
  const std::size_t rows = 5, fields = 34, factors = 10;
  const auto e = random_values<double>(rows * fields * factors, 40);
  const auto diff = random_values<double>(rows, 41);
  const std::vector<float> ef(e.begin(), e.end()), difff(diff.begin(), diff.end());
  std::vector<double> gd(e.size());
  std::vector<float> gf(e.size());
  ref::fm_backward(e.data(), diff.data(), rows, fields, factors, gd.data());
  ref::fm_backward(ef.data(), difff.data(), rows, fields, factors, gf.data());
  for (std::size_t i = 0; i < e.size(); ++i)
    CHECK(static_cast<double>(gf[i]) == Approx(gd[i]).margin(1e-5));
}

TEMPLATE_TEST_CASE("ref::relu_forward and relu_backward", "[kernels]", float, double) {
  const std::vector<TestType> x = {-2,
                                   -0.5,
                                   0,
                                   -0.0,
                                   0.25,
                                   3,
                                   std::numeric_limits<TestType>::min(),
                                   -std::numeric_limits<TestType>::min()};
  const std::vector<TestType> dy = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<TestType> y(x.size()), dx(x.size());
  ref::relu_forward(x.data(), x.size(), y.data());
  ref::relu_backward(x.data(), dy.data(), x.size(), dx.data());
  const std::vector<TestType> expected_y = {
      0, 0, 0, 0, 0.25, 3, std::numeric_limits<TestType>::min(), 0};
  const std::vector<TestType> expected_dx = {0, 0, 0, 0, 5, 6, 7, 0};  // 0 maps to gradient 0
  CHECK(y == expected_y);
  CHECK(dx == expected_dx);
  for (const TestType v : y) CHECK_FALSE(std::signbit(v));  // -0 comes out as +0

  SECTION("in place") {
    std::vector<TestType> inplace = x;
    ref::relu_forward(inplace.data(), inplace.size(), inplace.data());
    CHECK(inplace == expected_y);
  }
}

TEST_CASE("ref::relu_backward matches finite differences away from the kink",
          "[kernels][gradient]") {
  auto x = random_values<double>(50, 50);
  for (double& v : x) v += v >= 0 ? 0.05 : -0.05;  // keep clear of 0
  const auto c = random_values<double>(x.size(), 51);
  std::vector<double> y(x.size());
  auto loss = [&] {
    ref::relu_forward(x.data(), x.size(), y.data());
    double total = 0;
    for (std::size_t i = 0; i < y.size(); ++i) total += c[i] * y[i];
    return total;
  };
  std::vector<double> analytic(x.size());
  ref::relu_backward(x.data(), c.data(), x.size(), analytic.data());
  const auto result = deepfm::test::check_gradient(x, analytic, loss);
  INFO(result);
  CHECK(result.worst_relative_error < 1e-6);
}

TEMPLATE_TEST_CASE("ref::multiply is element-wise", "[kernels]", float, double) {
  const std::vector<TestType> x = {1, -2, 3.5, 0, 7};
  const std::vector<TestType> scale = {0, 1.25, 1.25, 1.25, 0};
  std::vector<TestType> y(x.size(), TestType(-1));
  ref::multiply(x.data(), scale.data(), x.size(), y.data());
  CHECK(y == std::vector<TestType>{0, -2.5, 4.375, 0, 0});
  std::vector<TestType> inplace = x;
  ref::multiply(inplace.data(), scale.data(), inplace.size(), inplace.data());
  CHECK(inplace == y);
}

TEMPLATE_TEST_CASE("ref::sigmoid is stable and exact at the limits", "[kernels]", float, double) {
  CHECK(ref::sigmoid(TestType(0)) == TestType(0.5));
  CHECK(ref::sigmoid(TestType(1000)) == TestType(1));
  CHECK(ref::sigmoid(TestType(-1000)) == TestType(0));
  CHECK(ref::sigmoid(std::numeric_limits<TestType>::max()) == TestType(1));
  CHECK(ref::sigmoid(std::numeric_limits<TestType>::lowest()) == TestType(0));
  CHECK(ref::sigmoid(std::numeric_limits<TestType>::infinity()) == TestType(1));
  CHECK(ref::sigmoid(-std::numeric_limits<TestType>::infinity()) == TestType(0));
  for (const TestType z : {TestType(-1000), TestType(-100), TestType(-30), TestType(30),
                           TestType(100), TestType(1000)}) {
    const TestType s = ref::sigmoid(z);
    CHECK(std::isfinite(s));
    CHECK(s >= TestType(0));
    CHECK(s <= TestType(1));
  }
  // Tiny but non-zero probabilities survive on the negative side (no 1 - (1 - p) cancellation).
  CHECK(ref::sigmoid(TestType(-30)) > TestType(0));
  CHECK(static_cast<double>(ref::sigmoid(TestType(-30))) == Approx(std::exp(-30.0)).epsilon(1e-5));

  TestType previous = 0;
  for (int i = -60; i <= 60; ++i) {
    const TestType z = static_cast<TestType>(i) / TestType(4);
    const TestType s = ref::sigmoid(z);
    const double expected = 1.0 / (1.0 + std::exp(-static_cast<double>(z)));
    CHECK(static_cast<double>(s) == Approx(expected).epsilon(sizeof(TestType) == 8 ? 1e-15 : 1e-6));
    CHECK(s >= previous);  // monotone
    previous = s;
    CHECK(static_cast<double>(ref::sigmoid(-z)) ==
          Approx(1.0 - static_cast<double>(s)).margin(sizeof(TestType) == 8 ? 1e-15 : 1e-7));
  }
}

TEMPLATE_TEST_CASE("ref::bce_with_logit is finite everywhere and equals the naive formula",
                   "[kernels]", float, double) {
  // Far logits: the exact limits, never inf or NaN.
  CHECK(ref::bce_with_logit(TestType(1e4), TestType(1)) == 0.0);
  CHECK(ref::bce_with_logit(TestType(1e4), TestType(0)) == 1e4);
  CHECK(ref::bce_with_logit(TestType(-1e4), TestType(0)) == 0.0);
  CHECK(ref::bce_with_logit(TestType(-1e4), TestType(1)) == 1e4);
  CHECK(ref::bce_with_logit(TestType(0), TestType(0)) == Approx(std::log(2.0)).epsilon(1e-15));
  CHECK(ref::bce_with_logit(TestType(0), TestType(1)) == Approx(std::log(2.0)).epsilon(1e-15));

  // Where the naive -[y log σ + (1-y) log(1-σ)] is itself accurate.
  for (int i = -40; i <= 40; ++i) {
    const TestType z = static_cast<TestType>(i) / TestType(8);
    const double zd = static_cast<double>(z);
    const double p = 1.0 / (1.0 + std::exp(-zd));
    for (const TestType y : {TestType(0), TestType(1)}) {
      const double yd = static_cast<double>(y);
      const double naive = -(yd * std::log(p) + (1 - yd) * std::log(1 - p));
      CHECK(ref::bce_with_logit(z, y) == Approx(naive).epsilon(1e-12).margin(1e-14));
    }
  }
  // Large logits: equals the asymptote |z| (wrong side) to double precision.
  CHECK(ref::bce_with_logit(TestType(50), TestType(0)) == Approx(50.0).epsilon(1e-15));
  CHECK(ref::bce_with_logit(TestType(-50), TestType(1)) == Approx(50.0).epsilon(1e-15));
  CHECK(ref::bce_with_logit(TestType(50), TestType(1)) == Approx(std::exp(-50.0)).epsilon(1e-12));
}

TEMPLATE_TEST_CASE("ref::bce_with_logits_sum adds the per-sample losses in double", "[kernels]",
                   float, double) {
  const auto logits = random_values<TestType>(37, 60, -6, 6);
  std::vector<float> labels(logits.size());
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = (i * 7 % 3 == 0) ? 1.0f : 0.0f;
  double expected = 0;
  for (std::size_t i = 0; i < logits.size(); ++i)
    expected += ref::bce_with_logit(logits[i], static_cast<TestType>(labels[i]));
  CHECK(ref::bce_with_logits_sum(logits.data(), labels.data(), logits.size()) == expected);
  CHECK(ref::bce_with_logits_sum(logits.data(), labels.data(), 0) == 0.0);
  const TestType far[] = {TestType(1e4), TestType(-1e4)};
  const float far_labels[] = {0.0f, 1.0f};
  CHECK(ref::bce_with_logits_sum(far, far_labels, 2) == 2e4);
}

TEST_CASE("ref::bce_with_logits_backward matches finite differences (double)",
          "[kernels][gradient]") {
  const double scale = 0.37;
  for (int i = -24; i <= 24; ++i) {
    double z = i / 3.0;
    for (const float label : {0.0f, 1.0f}) {
      double analytic = 0;
      ref::bce_with_logits_backward(&z, &label, 1, scale, &analytic);
      const double numeric = deepfm::test::numeric_derivative(
          &z, [&] { return scale * ref::bce_with_logit(z, static_cast<double>(label)); });
      CAPTURE(z, label, analytic, numeric);
      CHECK(deepfm::test::relative_error(analytic, numeric) < 1e-6);
    }
  }
}

TEMPLATE_TEST_CASE("ref::bce_with_logits_backward is scale times sigmoid minus label", "[kernels]",
                   float, double) {
  const std::vector<TestType> logits = {TestType(-1e4), TestType(1e4), TestType(-1e4),
                                        TestType(1e4),  TestType(0),   TestType(0)};
  const std::vector<float> labels = {0, 0, 1, 1, 0, 1};
  std::vector<TestType> diff(logits.size());
  ref::bce_with_logits_backward(logits.data(), labels.data(), logits.size(), TestType(0.5),
                                diff.data());
  CHECK(diff == std::vector<TestType>{0, TestType(0.5), TestType(-0.5), 0, TestType(0.25),
                                      TestType(-0.25)});
}

namespace {

/// torch.optim.Adam written out in double, one step at t (1-based).
void torch_adam_step(std::vector<double>& p, const std::vector<double>& grad,
                     std::vector<double>& m, std::vector<double>& v, int t, double lr, double beta1,
                     double beta2, double eps, double weight_decay) {
  const double bias_correction1 = 1 - std::pow(beta1, t);
  const double bias_correction2 = 1 - std::pow(beta2, t);
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double g = grad[i] + weight_decay * p[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const double denom = std::sqrt(v[i]) / std::sqrt(bias_correction2) + eps;
    p[i] -= (lr / bias_correction1) * m[i] / denom;
  }
}

template <typename T>
ref::AdamStep<T> adam_step(int t, double lr, double beta1, double beta2, double eps, double l2) {
  return {static_cast<T>(lr / (1 - std::pow(beta1, t))),
          static_cast<T>(std::sqrt(1 - std::pow(beta2, t))),
          static_cast<T>(beta1),
          static_cast<T>(beta2),
          static_cast<T>(1 - beta1),
          static_cast<T>(1 - beta2),
          static_cast<T>(eps),
          static_cast<T>(l2)};
}

}  // namespace

TEMPLATE_TEST_CASE("ref::adam_update follows torch.optim.Adam", "[kernels][optim]", float, double) {
  const double lr = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  for (const double l2 : {0.0, 0.05}) {
    CAPTURE(l2);
    const std::size_t n = 23;
    std::vector<double> p = random_values<double>(n, 70), m(n, 0.0), v(n, 0.0);
    std::vector<TestType> pt(p.begin(), p.end()), mt(n, 0), vt(n, 0);
    for (int t = 1; t <= 6; ++t) {
      std::vector<double> grad =
          random_values<double>(n, static_cast<std::uint16_t>(70 + t), -2, 2);
      if (t == 3) grad[4] = 0;  // a zero gradient element mid-run
      const std::vector<TestType> gt(grad.begin(), grad.end());
      // The reference sees the gradient the kernel sees.
      const std::vector<double> seen(gt.begin(), gt.end());
      torch_adam_step(p, seen, m, v, t, lr, beta1, beta2, eps, l2);
      ref::adam_update(pt.data(), gt.data(), mt.data(), vt.data(), n,
                       adam_step<TestType>(t, lr, beta1, beta2, eps, l2));
    }
    const double tolerance = sizeof(TestType) == 8 ? 1e-14 : 2e-6;
    for (std::size_t i = 0; i < n; ++i) {
      CHECK(static_cast<double>(pt[i]) == Approx(p[i]).epsilon(tolerance).margin(tolerance));
      CHECK(static_cast<double>(mt[i]) == Approx(m[i]).epsilon(tolerance * 10).margin(tolerance));
      CHECK(static_cast<double>(vt[i]) == Approx(v[i]).epsilon(tolerance * 10).margin(tolerance));
    }
  }
}

TEST_CASE("ref::adam_update first step moves each parameter by about lr", "[kernels][optim]") {
  // With m = v = 0, step 1 gives m̂ / sqrt(v̂) = sign(g): every parameter moves by lr (minus eps).
  std::vector<double> p = {1, -1, 0.5}, grad = {3, -0.2, 1e-3}, m(3, 0.0), v(3, 0.0);
  ref::adam_update(p.data(), grad.data(), m.data(), v.data(), 3,
                   adam_step<double>(1, 0.1, 0.9, 0.999, 1e-8, 0));
  CHECK(p[0] == Approx(0.9).epsilon(1e-7));
  CHECK(p[1] == Approx(-0.9).epsilon(1e-7));
  CHECK(p[2] == Approx(0.4).epsilon(1e-4));
}

TEMPLATE_TEST_CASE("ref::adam_update_zero_grad is bit-identical to adam_update with zeros",
                   "[kernels][optim]", float, double) {
  for (const double l2 : {0.0, 0.03}) {
    CAPTURE(l2);
    const std::size_t n = 17;
    const auto p0 = random_values<TestType>(n, 80);
    // Non-zero moments, as a row that was touched earlier has.
    const auto m0 = random_values<TestType>(n, 81, -0.1, 0.1);
    const auto v0 = random_values<TestType>(n, 82, 0, 0.01);
    std::vector<TestType> pa = p0, ma = m0, va = v0, pb = p0, mb = m0, vb = v0;
    const std::vector<TestType> zeros(n, TestType(0));
    for (int t = 1; t <= 5; ++t) {
      const auto s = adam_step<TestType>(t, 0.01, 0.9, 0.999, 1e-8, l2);
      ref::adam_update(pa.data(), zeros.data(), ma.data(), va.data(), n, s);
      ref::adam_update_zero_grad(pb.data(), mb.data(), vb.data(), n, s);
    }
    CHECK(std::memcmp(pa.data(), pb.data(), n * sizeof(TestType)) == 0);
    CHECK(std::memcmp(ma.data(), mb.data(), n * sizeof(TestType)) == 0);
    CHECK(std::memcmp(va.data(), vb.data(), n * sizeof(TestType)) == 0);
    CHECK(pa != p0);  // the moments (and l2) do move the parameters
  }
}

TEMPLATE_TEST_CASE("ref::adagrad_update follows torch.optim.Adagrad", "[kernels][optim]", float,
                   double) {
  const double lr = 0.05, eps = 1e-10;
  for (const double l2 : {0.0, 0.1}) {
    CAPTURE(l2);
    const std::size_t n = 19;
    std::vector<double> p = random_values<double>(n, 90), h(n, 0.0);
    std::vector<TestType> pt(p.begin(), p.end()), ht(n, 0);
    for (int t = 1; t <= 5; ++t) {
      const auto grad = random_values<double>(n, static_cast<std::uint16_t>(90 + t), -2, 2);
      const std::vector<TestType> gt(grad.begin(), grad.end());
      for (std::size_t i = 0; i < n; ++i) {
        const double g = static_cast<double>(gt[i]) + l2 * p[i];
        h[i] += g * g;
        p[i] -= lr * g / (std::sqrt(h[i]) + eps);
      }
      ref::adagrad_update(pt.data(), gt.data(), ht.data(), n, static_cast<TestType>(lr),
                          static_cast<TestType>(eps), static_cast<TestType>(l2));
    }
    const double tolerance = sizeof(TestType) == 8 ? 1e-14 : 2e-6;
    for (std::size_t i = 0; i < n; ++i) {
      CHECK(static_cast<double>(pt[i]) == Approx(p[i]).epsilon(tolerance).margin(tolerance));
      CHECK(static_cast<double>(ht[i]) == Approx(h[i]).epsilon(tolerance * 10));
    }
  }
}

TEMPLATE_TEST_CASE("ref::sgd_update is p -= lr * (grad + l2 * p)", "[kernels][optim]", float,
                   double) {
  // Dyadic values keep every operation exact.
  std::vector<TestType> p = {1, -2, 0.5, 0};
  const std::vector<TestType> grad = {0.5, 0.25, -1, 2};
  ref::sgd_update(p.data(), grad.data(), p.size(), TestType(0.5), TestType(0));
  CHECK(p == std::vector<TestType>{0.75, -2.125, 1, -1});
  ref::sgd_update(p.data(), grad.data(), p.size(), TestType(0.5), TestType(0.5));
  // p -= 0.5 * (grad + 0.5 p)
  CHECK(p == std::vector<TestType>{0.75 - 0.5 * (0.5 + 0.375), -2.125 - 0.5 * (0.25 - 1.0625),
                                   1 - 0.5 * (-1 + 0.5), -1 - 0.5 * (2 - 0.5)});
}

TEMPLATE_TEST_CASE("ref optimizer updates flag a non-finite value they write", "[kernels][optim]",
                   float, double) {
  using T = TestType;
  const T huge = std::numeric_limits<T>::max();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const auto step = adam_step<T>(1, 0.1, 0.9, 0.999, 1e-8, 0);
  {  // finite in, finite out
    std::vector<T> p = {1, -1}, grad = {0.5, -0.5}, m(2, 0), v(2, 0);
    CHECK(ref::adam_update(p.data(), grad.data(), m.data(), v.data(), 2, step));
    CHECK(ref::adam_update_zero_grad(p.data(), m.data(), v.data(), 2, step));
    CHECK(ref::adagrad_update(p.data(), grad.data(), m.data(), 2, T(0.1), T(1e-10), T(0)));
    CHECK(ref::sgd_update(p.data(), grad.data(), 2, T(0.1), T(0)));
  }
  {  // a finite but huge gradient overflows v = g^2: the second element only
    std::vector<T> p = {1, 1}, grad = {0.5, huge}, m(2, 0), v(2, 0);
    CHECK_FALSE(ref::adam_update(p.data(), grad.data(), m.data(), v.data(), 2, step));
    CHECK(std::isfinite(p[0]));
  }
  {  // a NaN already in the state
    std::vector<T> p = {1, 1}, m = {0, nan}, v(2, 0);
    CHECK_FALSE(ref::adam_update_zero_grad(p.data(), m.data(), v.data(), 2, step));
  }
  {
    std::vector<T> p = {1, 1}, grad = {huge, 0}, h(2, 0);
    CHECK_FALSE(ref::adagrad_update(p.data(), grad.data(), h.data(), 2, T(0.1), T(1e-10), T(0)));
  }
  {
    std::vector<T> p = {huge, 1}, grad = {-huge, 0};
    CHECK_FALSE(ref::sgd_update(p.data(), grad.data(), 2, T(4), T(0)));
  }
}

TEMPLATE_TEST_CASE("ref::all_finite finds any NaN or infinity", "[kernels]", float, double) {
  using T = TestType;
  std::vector<T> x(37, T(1.5));
  CHECK(ref::all_finite(x.data(), x.size()));
  CHECK(ref::all_finite(x.data(), 0));
  for (const T bad : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                      -std::numeric_limits<T>::infinity()})
    for (const std::size_t at : {std::size_t{0}, std::size_t{17}, std::size_t{36}}) {
      std::vector<T> y = x;
      y[at] = bad;
      CHECK_FALSE(ref::all_finite(y.data(), y.size()));
    }
}
