// metrics/auc.hpp: exact ROC AUC with ties averaged.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <deepfm/core/random.hpp>
#include <deepfm/metrics/auc.hpp>
#include <optional>
#include <span>
#include <vector>

namespace {

/// Brute force over all (positive, negative) pairs: 1 when the positive scores higher, 1/2 on
/// a tie (the Mann–Whitney U statistic over P · N).
template <typename S>
std::optional<double> pair_count_auc(const std::vector<S>& scores,
                                     const std::vector<float>& labels) {
  double wins = 0;
  std::size_t pairs = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 1.0f) continue;
    for (std::size_t j = 0; j < scores.size(); ++j) {
      if (labels[j] != 0.0f) continue;
      ++pairs;
      if (scores[i] > scores[j]) wins += 1;
      if (scores[i] == scores[j]) wins += 0.5;
    }
  }
  if (pairs == 0) return std::nullopt;
  return wins / static_cast<double>(pairs);
}

template <typename S>
std::optional<double> auc(const std::vector<S>& scores, const std::vector<float>& labels) {
  return deepfm::roc_auc<S>(scores, labels);
}

}  // namespace

TEMPLATE_TEST_CASE("roc_auc on hand-computed cases", "[metrics][auc]", float, double) {
  using S = TestType;
  // Perfect, reversed.
  CHECK(auc<S>({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}) == 1.0);
  CHECK(auc<S>({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}) == 0.0);
  // All scores equal: every pair a tie.
  CHECK(auc<S>({0.5, 0.5, 0.5, 0.5, 0.5}, {1, 0, 0, 1, 0}) == 0.5);
  // sklearn's doc example: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75.
  CHECK(auc<S>({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}) == 0.75);
  // One tie between a positive and a negative: pairs (p=0.5 vs n=0.5) count half.
  // Positives {0.5, 0.9}, negatives {0.5, 0.1}: wins 1 (0.5>0.1) + 0.5 + 1 + 1 = 3.5 of 4.
  CHECK(auc<S>({0.5, 0.9, 0.5, 0.1}, {1, 1, 0, 0}) == 0.875);
  // Ties among one class only do not matter: positives {2, 2}, negatives {1, 3}: 2 of 4.
  CHECK(auc<S>({2, 2, 1, 3}, {1, 1, 0, 0}) == 0.5);
  // Order of the input does not matter; negative and large scores (logits) are fine.
  CHECK(auc<S>({-30, 7, 0, -2, 1e5}, {0, 1, 0, 1, 1}) == Approx(5.0 / 6.0).epsilon(1e-15));
  // Two samples.
  CHECK(auc<S>({1, 2}, {0, 1}) == 1.0);
  CHECK(auc<S>({1, 1}, {0, 1}) == 0.5);
}

TEMPLATE_TEST_CASE("roc_auc is undefined for one class and rejects length mismatches",
                   "[metrics][auc]", float, double) {
  using S = TestType;
  CHECK_FALSE(auc<S>({0.1, 0.5, 0.9}, {1, 1, 1}).has_value());
  CHECK_FALSE(auc<S>({0.1, 0.5, 0.9}, {0, 0, 0}).has_value());
  CHECK_FALSE(auc<S>({0.3}, {1}).has_value());
  CHECK_FALSE(auc<S>({}, {}).has_value());
  const std::vector<S> scores = {0.1, 0.2};
  const std::vector<float> labels = {1};
  CHECK_THROWS_AS(deepfm::roc_auc<S>(scores, labels), deepfm::InvalidArgument);
  CHECK_THROWS_WITH(deepfm::roc_auc<S>(scores, labels), Catch::Contains("length"));
}

TEMPLATE_TEST_CASE("roc_auc equals the brute-force pair count on random data with ties",
                   "[metrics][auc]", float, double) {
  const deepfm::RandomStream rng(77, deepfm::RngStream::synthetic, 12);
  for (std::uint64_t trial = 0; trial < 20; ++trial) {
    const std::size_t n = 1 + rng.below(1000 + trial, 300);
    // Scores from a small set of values, so ties are everywhere; labels correlated with them.
    const std::uint64_t levels = 1 + rng.below(2000 + trial, 12);
    std::vector<TestType> scores(n);
    std::vector<float> labels(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t level = rng.below(10000 * (trial + 1) + 2 * i, levels);
      scores[i] = static_cast<TestType>(level) * TestType(0.25) - TestType(1);
      labels[i] = rng.unit<double>(10000 * (trial + 1) + 2 * i + 1) <
                          0.3 + 0.4 * static_cast<double>(level) / static_cast<double>(levels)
                      ? 1.0f
                      : 0.0f;
    }
    INFO("trial " << trial << ", n " << n << ", levels " << levels);
    const auto expected = pair_count_auc(scores, labels);
    const auto actual = auc(scores, labels);
    REQUIRE(expected.has_value() == actual.has_value());
    if (expected) CHECK(*actual == Approx(*expected).epsilon(1e-12));
  }
}
