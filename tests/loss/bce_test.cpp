// loss/bce.hpp: mean BCE on logits and its gradient.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <deepfm/loss/bce.hpp>
#include <limits>
#include <span>
#include <vector>

#include "support/gradient_check.hpp"
#include "support/random_values.hpp"

namespace {

/// The textbook form, -(y log σ(z) + (1 - y) log(1 - σ(z))), fine for moderate z.
double naive_bce(double z, double y) {
  const double p = 1.0 / (1.0 + std::exp(-z));
  return -(y * std::log(p) + (1 - y) * std::log(1 - p));
}

}  // namespace

TEMPLATE_TEST_CASE("bce_with_logits_mean equals the naive mean for moderate logits", "[loss]",
                   float, double) {
  using T = TestType;
  const std::vector<T> logits = {T(-3), T(-0.5), T(0), T(0.25), T(4)};
  const std::vector<float> labels = {0, 1, 1, 0, 1};
  double expected = 0;
  for (std::size_t i = 0; i < logits.size(); ++i)
    expected += naive_bce(static_cast<double>(logits[i]), labels[i]);
  expected /= static_cast<double>(logits.size());
  CHECK(deepfm::bce_with_logits_mean<T>(logits, labels) == Approx(expected).epsilon(1e-12));
  // Logit 0 costs log 2 whatever the label.
  const std::vector<T> zero = {T(0)};
  CHECK(deepfm::bce_with_logits_mean<T>(zero, std::vector<float>{1}) == Approx(std::log(2.0)));
  CHECK(deepfm::bce_with_logits_mean<T>(zero, std::vector<float>{0}) == Approx(std::log(2.0)));
}

TEMPLATE_TEST_CASE("bce_with_logits_mean and its gradient are stable at extreme logits", "[loss]",
                   float, double) {
  using T = TestType;
  // The largest float (also a double): one such wrong sample costs ~3.4e38, finite in double.
  const T big = T(std::numeric_limits<float>::max());
  const std::vector<T> logits = {T(1e4), T(-1e4), T(1e4), T(-1e4), big, -big};
  const std::vector<float> labels = {1, 0, 0, 1, 0, 1};
  const double loss = deepfm::bce_with_logits_mean<T>(logits, labels);
  CHECK(std::isfinite(loss));
  // Two right (0 each), two wrong by 1e4 each, two wrong by max each.
  CHECK(loss == Approx((2e4 + 2 * static_cast<double>(big)) / 6).epsilon(1e-12));
  std::vector<T> diff(logits.size());
  deepfm::bce_with_logits_mean_backward<T>(logits, labels, diff);
  const T n = T(6);
  CHECK(diff[0] == T(0));
  CHECK(diff[1] == T(0));
  CHECK(diff[2] == T(1) / n);
  CHECK(diff[3] == T(-1) / n);
  CHECK(diff[4] == T(1) / n);
  CHECK(diff[5] == T(-1) / n);
  for (const T d : diff) CHECK(std::isfinite(d));
}

TEST_CASE("bce_with_logits_mean_backward matches finite differences (double)", "[loss]") {
  std::vector<double> logits = deepfm::test::random_values<double>(9, 41, -6.0, 6.0);
  logits.push_back(30.0);   // saturated, label 1: gradient ~ 0
  logits.push_back(-25.0);  // saturated, label 1: gradient ~ -1/n
  const std::vector<float> labels = {1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1};
  std::vector<double> analytic(logits.size());
  deepfm::bce_with_logits_mean_backward<double>(logits, labels, analytic);
  const auto result = deepfm::test::check_gradient(
      logits, analytic, [&] { return deepfm::bce_with_logits_mean<double>(logits, labels); });
  INFO(result);
  CHECK(result.worst_relative_error < 1e-6);
  // The closed form: (σ(z) − y) / n.
  for (std::size_t i = 0; i < logits.size(); ++i)
    CHECK(analytic[i] == Approx((1.0 / (1.0 + std::exp(-logits[i])) - labels[i]) / 11.0)
                             .epsilon(1e-12)
                             .margin(1e-300));
}
