// data/synthetic.hpp: the synthetic generator is deterministic, in range, and its Bayes AUC
// is the AUC of its true logits.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <deepfm/data/synthetic.hpp>
#include <deepfm/metrics/auc.hpp>
#include <span>
#include <vector>

namespace {

deepfm::SyntheticConfig small_config(std::uint64_t seed) {
  return {.rows = 4000, .field_dims = {5, 3, 8, 2, 6, 4}, .latent_factors = 3, .seed = seed};
}

}  // namespace

TEST_CASE("Synthetic data is deterministic for a seed and differs between seeds", "[data]") {
  const auto a = deepfm::generate_synthetic(small_config(3));
  const auto b = deepfm::generate_synthetic(small_config(3));
  const auto c = deepfm::generate_synthetic(small_config(4));
  CHECK(a.ids == b.ids);
  CHECK(a.labels == b.labels);
  CHECK(a.true_logits == b.true_logits);
  CHECK(a.bayes_auc == b.bayes_auc);
  CHECK(a.ids != c.ids);
  CHECK(a.labels != c.labels);
  CHECK(a.true_logits != c.true_logits);
}

TEST_CASE("Synthetic ids lie in their field's global range, labels are 0 or 1", "[data]") {
  const auto config = small_config(8);
  const auto data = deepfm::generate_synthetic(config);
  const std::size_t fields = config.field_dims.size();
  REQUIRE(data.fields() == fields);
  REQUIRE(data.rows() == config.rows);
  REQUIRE(data.ids.size() == config.rows * fields);
  REQUIRE(data.true_logits.size() == config.rows);
  CHECK(data.field_dims == config.field_dims);
  std::vector<std::size_t> offsets(fields, 0);
  for (std::size_t f = 1; f < fields; ++f) offsets[f] = offsets[f - 1] + config.field_dims[f - 1];
  std::vector<std::vector<std::size_t>> counts(fields);
  for (std::size_t f = 0; f < fields; ++f) counts[f].assign(config.field_dims[f], 0);
  for (std::size_t r = 0; r < data.rows(); ++r) {
    for (std::size_t f = 0; f < fields; ++f) {
      const std::size_t id = data.ids[r * fields + f];
      REQUIRE(id >= offsets[f]);
      REQUIRE(id < offsets[f] + config.field_dims[f]);
      ++counts[f][id - offsets[f]];
    }
    REQUIRE((data.labels[r] == 0.0f || data.labels[r] == 1.0f));
    REQUIRE(std::isfinite(data.true_logits[r]));
  }
  // Every value of every field occurs; the popularity skew makes value 0 the most common.
  for (std::size_t f = 0; f < fields; ++f) {
    INFO("field " << f);
    for (const std::size_t count : counts[f]) CHECK(count > 0);
    CHECK(counts[f][0] > counts[f].back());
  }
  // The batch and slice views cover the same memory.
  const deepfm::Batch all = data.batch();
  CHECK(all.rows() == data.rows());
  CHECK(all.fields == fields);
  const deepfm::Batch part = data.slice(10, 25);
  CHECK(part.rows() == 15);
  CHECK(part.ids.data() == data.ids.data() + 10 * fields);
  CHECK(part.labels.data() == data.labels.data() + 10);
}

TEST_CASE("Synthetic bayes_auc is the AUC of the true logits, with a plausible positive rate",
          "[data]") {
  const auto data = deepfm::generate_synthetic(small_config(5));
  const auto auc = deepfm::roc_auc<double>(data.true_logits, data.labels);
  REQUIRE(auc.has_value());
  CHECK(data.bayes_auc == *auc);
  // The true logit is informative: well above chance.
  CHECK(data.bayes_auc > 0.65);
  CHECK(data.bayes_auc < 1.0);
  double positives = 0, expected = 0;
  for (std::size_t r = 0; r < data.rows(); ++r) {
    positives += data.labels[r];
    expected += 1.0 / (1.0 + std::exp(-data.true_logits[r]));
  }
  const double n = static_cast<double>(data.rows());
  const double rate = positives / n;
  CHECK(rate > 0.2);
  CHECK(rate < 0.8);
  // Labels are Bernoulli(sigmoid(true logit)): the rate is within 5 sd of the mean probability.
  CHECK(std::abs(rate - expected / n) < 5 * std::sqrt(0.25 / n));
  // A bias shifts the positive rate.
  auto biased = small_config(5);
  biased.bias = 2.0;
  const auto shifted = deepfm::generate_synthetic(biased);
  double shifted_positives = 0;
  for (const float y : shifted.labels) shifted_positives += y;
  CHECK(shifted_positives / n > rate + 0.1);
}

TEST_CASE("Synthetic generator rejects empty shapes", "[data]") {
  using deepfm::InvalidArgument;
  auto no_fields = small_config(1);
  no_fields.field_dims.clear();
  CHECK_THROWS_AS(deepfm::generate_synthetic(no_fields), InvalidArgument);
  CHECK_THROWS_WITH(deepfm::generate_synthetic(no_fields), Catch::Contains("field_dims"));
  auto zero_dim = small_config(1);
  zero_dim.field_dims[2] = 0;
  CHECK_THROWS_AS(deepfm::generate_synthetic(zero_dim), InvalidArgument);
  CHECK_THROWS_WITH(deepfm::generate_synthetic(zero_dim), Catch::Contains("dimension 0"));
  auto no_rows = small_config(1);
  no_rows.rows = 0;
  CHECK_THROWS_AS(deepfm::generate_synthetic(no_rows), InvalidArgument);
  CHECK_THROWS_WITH(deepfm::generate_synthetic(no_rows), Catch::Contains("rows"));
  auto no_factors = small_config(1);
  no_factors.latent_factors = 0;
  CHECK_THROWS_AS(deepfm::generate_synthetic(no_factors), InvalidArgument);
  CHECK_THROWS_WITH(deepfm::generate_synthetic(no_factors), Catch::Contains("latent_factors"));
}
