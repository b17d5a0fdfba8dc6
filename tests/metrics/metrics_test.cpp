// metrics/metrics.hpp: AUC, logloss, accuracy and row count from logits.
#include <catch2/catch.hpp>

#include <cmath>
#include <deepfm/metrics/metrics.hpp>
#include <span>
#include <vector>

namespace {

template <typename T>
deepfm::Metrics metrics_of(const std::vector<T>& logits, const std::vector<float>& labels) {
  return deepfm::compute_metrics<T>(logits, labels);
}

}  // namespace

TEMPLATE_TEST_CASE("compute_metrics on hand-computed logits", "[metrics]", float, double) {
  using T = TestType;
  // Logit 0 is probability 0.5: counted as a 0 prediction (probability > 0.5 means 1).
  const std::vector<T> logits = {2, -1, 0, 3, -4};
  const std::vector<float> labels = {1, 0, 1, 0, 0};
  const auto m = metrics_of(logits, labels);
  CHECK(m.rows == 5);
  CHECK(m.accuracy == Approx(3.0 / 5.0));  // right: rows 0, 1, 4
  // log-loss: mean of log(1 + e^{-z}) for y = 1 and log(1 + e^{z}) for y = 0.
  const double expected = (std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0)) + std::log(2.0) +
                           std::log1p(std::exp(3.0)) + std::log1p(std::exp(-4.0))) /
                          5.0;
  CHECK(m.logloss == Approx(expected).epsilon(1e-12));
  REQUIRE(m.auc.has_value());
  // Positives {2, 0}, negatives {-1, 3, -4}: 2 beats -1, -4; 0 beats -1, -4 → 4 of 6.
  CHECK(*m.auc == Approx(4.0 / 6.0).epsilon(1e-15));
}

TEMPLATE_TEST_CASE("compute_metrics log-loss is finite for huge logits", "[metrics]", float,
                   double) {
  using T = TestType;
  // Right with huge confidence: loss ~ 0. Wrong with huge confidence: loss ~ |z|.
  const auto right = metrics_of<T>({T(1e4), T(-1e4)}, {1, 0});
  CHECK(std::isfinite(right.logloss));
  CHECK(right.logloss == Approx(0.0).margin(1e-300));
  CHECK(right.accuracy == 1.0);
  const auto wrong = metrics_of<T>({T(-1e4), T(1e4)}, {1, 0});
  CHECK(std::isfinite(wrong.logloss));
  CHECK(wrong.logloss == Approx(1e4).epsilon(1e-12));
  CHECK(wrong.accuracy == 0.0);
  REQUIRE(wrong.auc.has_value());
  CHECK(*wrong.auc == 0.0);
  // The float maximum stays finite too.
  const auto extreme = metrics_of<T>({std::numeric_limits<T>::max()}, {0});
  CHECK(std::isfinite(extreme.logloss));
}

TEMPLATE_TEST_CASE("compute_metrics with one class has no AUC but the rest", "[metrics]", float,
                   double) {
  const auto m = metrics_of<TestType>({1, 2, -1}, {1, 1, 1});
  CHECK_FALSE(m.auc.has_value());
  CHECK(m.rows == 3);
  CHECK(m.accuracy == Approx(2.0 / 3.0));
  CHECK(std::isfinite(m.logloss));
}

TEMPLATE_TEST_CASE("compute_metrics rejects empty and mismatched inputs", "[metrics]", float,
                   double) {
  using deepfm::InvalidArgument;
  CHECK_THROWS_AS(metrics_of<TestType>({}, {}), InvalidArgument);
  CHECK_THROWS_AS(metrics_of<TestType>({1, 2}, {1}), InvalidArgument);
  CHECK_THROWS_WITH(metrics_of<TestType>({1, 2}, {1}), Catch::Contains("logits"));
}

TEMPLATE_TEST_CASE("compute_metrics calibration and normalized entropy", "[metrics]", float,
                   double) {
  using T = TestType;
  // Logits 0 predict 0.5 everywhere; the observed rate is 1/4.
  const auto m = metrics_of<T>({0, 0, 0, 0}, {1, 0, 0, 0});
  REQUIRE(m.calibration.has_value());
  CHECK(*m.calibration == Approx(0.5 / 0.25).epsilon(1e-12));
  REQUIRE(m.ne.has_value());
  const double base_entropy = -(0.25 * std::log(0.25) + 0.75 * std::log(0.75));
  CHECK(*m.ne == Approx(std::log(2.0) / base_entropy).epsilon(1e-12));
  // Predicting the base rate exactly gives NE 1 and calibration 1.
  const T base_logit = static_cast<T>(std::log(0.25 / 0.75));
  const auto at_rate =
      metrics_of<T>({base_logit, base_logit, base_logit, base_logit}, {1, 0, 0, 0});
  CHECK(*at_rate.ne == Approx(1.0).epsilon(1e-6));
  CHECK(*at_rate.calibration == Approx(1.0).epsilon(1e-6));
  // One class only: no NE; no positive: no calibration either.
  const auto negatives = metrics_of<T>({1, -1}, {0, 0});
  CHECK_FALSE(negatives.ne.has_value());
  CHECK_FALSE(negatives.calibration.has_value());
  const auto positives = metrics_of<T>({1, -1}, {1, 1});
  CHECK_FALSE(positives.ne.has_value());
  CHECK(positives.calibration.has_value());
}
