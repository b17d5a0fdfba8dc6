// models/ctr_model.hpp: the API contract shared by FM and DeepFM: typed, named errors for
// invalid use, NumericError without side effects on parameters, bit-for-bit reproducibility,
// lazy-exact Adam's sync contract, and fit()'s epochs, steps and validation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deepfm/core/parallel_for.hpp>
#include <deepfm/data/rollover_sampler.hpp>
#include <deepfm/data/synthetic.hpp>
#include <deepfm/models/deepfm.hpp>
#include <deepfm/models/fm.hpp>
#include <deepfm/train/fit.hpp>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace {

using Catch::Contains;
using deepfm::AdamMode;
using deepfm::Batch;
using deepfm::DeepFM;
using deepfm::DeepFMConfig;
using deepfm::FeatureId;
using deepfm::FitOptions;
using deepfm::FM;
using deepfm::InvalidArgument;
using deepfm::NumericError;

// Field dims {3, 4, 5}: global ids 0-2, 3-6, 7-11.
const std::vector<std::size_t> kFieldDims = {3, 4, 5};
const std::vector<FeatureId> kIds = {0, 3, 7, 1, 5, 8, 2, 6, 11, 0, 4, 9};
const std::vector<float> kLabels = {1, 0, 1, 0};

template <typename T>
DeepFM<T> small_deepfm(std::uint64_t seed = 7, AdamMode mode = AdamMode::dense) {
  return DeepFM<T>(kFieldDims, {.factors = 3,
                                .mlp = {5, 4},
                                .dropout = 0.2,
                                .optimizer = {.lr = 0.02, .adam_mode = mode},
                                .seed = seed});
}

Batch good_batch() { return Batch{kIds, kLabels, 3}; }

/// A copy of every parameter of a model, to compare before and after.
template <typename T>
struct Snapshot {
  std::vector<T> embedding, first_order, dense;

  template <typename Model>
  explicit Snapshot(const Model& model)
      : embedding(model.embedding_weights().begin(), model.embedding_weights().end()),
        first_order(model.first_order_weights().begin(), model.first_order_weights().end()),
        dense(model.dense_parameters().begin(), model.dense_parameters().end()) {}

  /// Bitwise equality (NaN payloads included, which == would not call equal).
  static bool same(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
  }
  bool operator==(const Snapshot& other) const {
    return same(embedding, other.embedding) && same(first_order, other.first_order) &&
           same(dense, other.dense);
  }
};

/// Every entry point that validates a batch must reject `batch` with InvalidArgument whose
/// message contains `needle`.
template <typename T>
void check_all_reject(DeepFM<T>& model, const Batch& batch, const std::string& needle) {
  INFO("expected InvalidArgument containing \"" << needle << "\"");
  const Snapshot<T> before(model);
  CHECK_THROWS_AS(model.train_step(batch), InvalidArgument);
  CHECK_THROWS_WITH(model.train_step(batch), Contains(needle));
  CHECK_THROWS_WITH(model.compute_gradients(batch), Contains(needle));
  CHECK_THROWS_WITH(model.loss(batch), Contains(needle));
  CHECK_THROWS_WITH(model.evaluate(batch), Contains(needle));
  CHECK_THROWS_WITH(deepfm::fit(model, batch, {.epochs = 1, .batch_size = 2}), Contains(needle));
  // As validation data of an otherwise good fit, too.
  FitOptions options{.epochs = 1, .batch_size = 2};
  options.validation = batch;
  CHECK_THROWS_WITH(deepfm::fit(model, good_batch(), options), Contains(needle));
  // Nothing moved.
  CHECK(model.step() == 0);
  CHECK(Snapshot<T>(model) == before);
}

template <typename T>
T nan() {
  return std::numeric_limits<T>::quiet_NaN();
}
template <typename T>
T inf() {
  return std::numeric_limits<T>::infinity();
}

}  // namespace

TEMPLATE_TEST_CASE("CtrModel rejects feature ids outside their field's range", "[models][api]",
                   float, double) {
  auto model = small_deepfm<TestType>();
  struct Case {
    std::size_t position;  // index into kIds
    FeatureId id;
    const char* needle;
  };
  const Case cases[] = {
      {2, 12, "feature id 12 at row 0, field 2"},  // above the table
      {0, 3, "feature id 3 at row 0, field 0"},    // field 1's id in field 0
      {4, 2, "feature id 2 at row 1, field 1"},    // field 0's id in field 1 (below its range)
      {4, 7, "feature id 7 at row 1, field 1"},    // field 2's id in field 1 (above its range)
      {10, 100000, "feature id 100000 at row 3, field 1"},
  };
  for (const Case& c : cases) {
    std::vector<FeatureId> ids = kIds;
    ids[c.position] = c.id;
    const Batch batch{ids, kLabels, 3};
    check_all_reject(model, batch, c.needle);
    CHECK_THROWS_WITH(model.train_step(batch), Contains("outside the field's range"));
    CHECK_THROWS_AS(model.predict(ids), InvalidArgument);
    CHECK_THROWS_WITH(model.predict(ids), Contains(c.needle));
  }
  // The range is named: field 1 holds [3, 7).
  std::vector<FeatureId> ids = kIds;
  ids[1] = 7;
  CHECK_THROWS_WITH(model.predict(ids), Contains("[3, 7)"));
}

TEMPLATE_TEST_CASE("CtrModel rejects batches of the wrong shape", "[models][api]", float, double) {
  auto model = small_deepfm<TestType>();
  // Wrong number of fields.
  const std::vector<FeatureId> two_fields = {0, 3, 1, 4, 2, 5, 0, 6};
  check_all_reject(model, Batch{two_fields, kLabels, 2}, "batch has 2 fields; the model has 3");
  check_all_reject(model, Batch{kIds, kLabels, 4}, "batch has 4 fields");
  // Ids not rows x fields.
  const std::vector<FeatureId> short_ids(kIds.begin(), kIds.end() - 3);
  check_all_reject(model, Batch{short_ids, kLabels, 3},
                   "batch holds 9 ids for 4 labels x 3 fields");
  // An empty batch.
  check_all_reject(model, Batch{{}, {}, 3}, "batch is empty");
  // predict: ids not a multiple of the fields, or an output of the wrong size.
  const std::vector<FeatureId> seven(kIds.begin(), kIds.begin() + 7);
  CHECK_THROWS_AS(model.predict(seven), InvalidArgument);
  CHECK_THROWS_WITH(model.predict(seven), Contains("not a multiple of the model's 3 fields"));
  std::vector<TestType> logits(3);
  CHECK_THROWS_AS(model.predict_logits(kIds, logits), InvalidArgument);
  CHECK_THROWS_WITH(model.predict_logits(kIds, logits),
                    Contains("output holds 3 values for 4 rows"));
  // predict of zero rows is valid and empty.
  CHECK(model.predict(std::span<const FeatureId>{}).empty());
}

TEMPLATE_TEST_CASE("CtrModel rejects labels other than 0 and 1", "[models][api]", float, double) {
  auto model = small_deepfm<TestType>();
  for (const float bad : {2.0f, std::numeric_limits<float>::quiet_NaN(), -1.0f, 0.5f}) {
    INFO("label " << bad);
    std::vector<float> labels = kLabels;
    labels[1] = bad;
    check_all_reject(model, Batch{kIds, labels, 3}, "label at row 1");
    CHECK_THROWS_WITH(model.train_step(Batch{kIds, labels, 3}), Contains("labels must be 0 or 1"));
  }
}

TEMPLATE_TEST_CASE("CtrModel constructors reject bad shapes and configurations", "[models][api]",
                   float, double) {
  using T = TestType;
  CHECK_THROWS_AS(DeepFM<T>(kFieldDims, {.factors = 0}), InvalidArgument);
  CHECK_THROWS_WITH(DeepFM<T>(kFieldDims, {.factors = 0}), Contains("factors"));
  CHECK_THROWS_AS(FM<T>(kFieldDims, {.factors = 0}), InvalidArgument);
  CHECK_THROWS_WITH(FM<T>(kFieldDims, {.factors = 0}), Contains("factors"));
  CHECK_THROWS_AS(DeepFM<T>({3, 0, 5}), InvalidArgument);
  CHECK_THROWS_WITH(DeepFM<T>({3, 0, 5}), Contains("field 1 has dimension 0"));
  CHECK_THROWS_WITH(FM<T>({0}), Contains("field 0 has dimension 0"));
  CHECK_THROWS_AS(DeepFM<T>(std::vector<std::size_t>{}), InvalidArgument);
  CHECK_THROWS_WITH(DeepFM<T>(std::vector<std::size_t>{}), Contains("field_dims is empty"));
  CHECK_THROWS_WITH(FM<T>(std::vector<std::size_t>{}), Contains("field_dims is empty"));
  CHECK_THROWS_WITH(DeepFM<T>(kFieldDims, {.mlp = {4, 0}}), Contains("mlp layer 1 has width 0"));
  CHECK_THROWS_WITH(DeepFM<T>(kFieldDims, {.dropout = 1.0}), Contains("dropout"));
  CHECK_THROWS_WITH(DeepFM<T>(kFieldDims, {.optimizer = {.lr = 0.0}}), Contains("lr"));
  CHECK_THROWS_WITH(FM<T>(kFieldDims, {.optimizer = {.beta2 = 1.0}}), Contains("beta2"));
  // Too many feature ids for 32-bit global ids.
  CHECK_THROWS_WITH(FM<T>({std::size_t{1} << 31, std::size_t{1} << 31}), Contains("32-bit"));
  // Every exception here is a deepfm::Error.
  CHECK_THROWS_AS(DeepFM<T>({3, 0, 5}), deepfm::Error);
}

TEMPLATE_TEST_CASE(
    "CtrModel train_step throws NumericError on a non-finite loss and changes nothing",
    "[models][api]", float, double) {
  using T = TestType;
  enum class Where { dense_bias, dense_mlp_bias, embedding, first_order };
  for (const Where where :
       {Where::dense_bias, Where::dense_mlp_bias, Where::embedding, Where::first_order}) {
    for (const T bad : {nan<T>(), inf<T>(), -inf<T>()}) {
      INFO("where " << static_cast<int>(where) << ", value " << bad);
      auto model = small_deepfm<T>();
      model.train_step(good_batch());  // moments and step are non-trivial
      switch (where) {
        case Where::dense_bias:
          model.dense_parameters()[1] = bad;  // first_order.bias
          break;
        case Where::dense_mlp_bias:
          // The MLP output layer's bias: it reaches the logit whatever dropout drops.
          model.dense_parameters()[model.dense_parameters().size() - 1] = bad;
          break;
        case Where::embedding:
          model.embedding_weights()[7 * 3 + 1] = bad;  // row 7, used by row 0 of the batch
          break;
        case Where::first_order:
          model.first_order_weights()[5] = bad;  // used by row 1
          break;
      }
      const Snapshot<T> before(model);
      CHECK_THROWS_AS(model.train_step(good_batch()), NumericError);
      CHECK_THROWS_WITH(model.train_step(good_batch()),
                        Contains("training loss is") && Contains("at step 2"));
      CHECK(model.step() == 1);
      CHECK(Snapshot<T>(model) == before);
      // fit() stops the same way, with nothing applied.
      CHECK_THROWS_AS(deepfm::fit(model, good_batch(), {.epochs = 1, .batch_size = 4}),
                      NumericError);
      CHECK(model.step() == 1);
      CHECK(Snapshot<T>(model) == before);
    }
  }
}

TEMPLATE_TEST_CASE("CtrModel NumericError leaves the optimiser state usable", "[models][api]",
                   float, double) {
  // After a failed step, restoring the bad value and training again gives exactly what an
  // uninterrupted model gives: the failed step applied nothing, moments included.
  using T = TestType;
  auto interrupted = small_deepfm<T>();
  auto reference = small_deepfm<T>();
  interrupted.train_step(good_batch());
  reference.train_step(good_batch());
  const T saved = interrupted.dense_parameters()[1];
  interrupted.dense_parameters()[1] = nan<T>();
  CHECK_THROWS_AS(interrupted.train_step(good_batch()), NumericError);
  interrupted.dense_parameters()[1] = saved;
  for (int i = 0; i < 3; ++i) {
    CHECK(interrupted.train_step(good_batch()) == reference.train_step(good_batch()));
  }
  CHECK(interrupted.step() == 4);
  CHECK(Snapshot<T>(interrupted) == Snapshot<T>(reference));
}

TEMPLATE_TEST_CASE("CtrModel fit is bit-for-bit reproducible for a seed", "[models][api]", float,
                   double) {
  using T = TestType;
  const auto data = deepfm::generate_synthetic(
      {.rows = 300, .field_dims = kFieldDims, .latent_factors = 2, .seed = 3});
  const FitOptions options{.epochs = 3, .batch_size = 64};
  struct ThreadGuard {
    int saved = deepfm::max_threads();
    ~ThreadGuard() { deepfm::set_max_threads(saved); }
  } guard;
  for (const int threads : {1, guard.saved}) {
    INFO("threads " << threads);
    deepfm::set_max_threads(threads);
    for (const AdamMode mode : {AdamMode::dense, AdamMode::lazy, AdamMode::lazy_exact}) {
      auto a = small_deepfm<T>(21, mode);
      auto b = small_deepfm<T>(21, mode);
      CHECK(Snapshot<T>(a) == Snapshot<T>(b));  // the same initialisation
      const auto ha = deepfm::fit(a, data.batch(), options);
      const auto hb = deepfm::fit(b, data.batch(), options);
      CHECK(Snapshot<T>(a) == Snapshot<T>(b));
      REQUIRE(ha.size() == hb.size());
      for (std::size_t e = 0; e < ha.size(); ++e) CHECK(ha[e].train_loss == hb[e].train_loss);
      // A different seed gives a different model.
      auto c = small_deepfm<T>(22, mode);
      deepfm::fit(c, data.batch(), options);
      CHECK_FALSE(Snapshot<T>(a) == Snapshot<T>(c));
    }
    // FM as well.
    FM<T> fa(kFieldDims, {.factors = 4, .seed = 5}), fb(kFieldDims, {.factors = 4, .seed = 5});
    deepfm::fit(fa, data.batch(), options);
    deepfm::fit(fb, data.batch(), options);
    CHECK(Snapshot<T>(fa) == Snapshot<T>(fb));
  }
}

TEMPLATE_TEST_CASE("CtrModel lazy_exact predict needs sync, fit and evaluate sync", "[models][api]",
                   float, double) {
  using T = TestType;
  auto model = small_deepfm<T>(4, AdamMode::lazy_exact);
  CHECK_FALSE(model.needs_sync());
  CHECK_NOTHROW(model.predict(kIds));
  // The batch leaves rows 10 and others untouched: after a step they are behind.
  const std::vector<FeatureId> ids = {0, 3, 7, 1, 4, 8};
  const std::vector<float> labels = {1, 0};
  model.train_step(Batch{ids, labels, 3});
  CHECK(model.needs_sync());
  CHECK_THROWS_AS(model.predict(kIds), InvalidArgument);
  CHECK_THROWS_WITH(model.predict(kIds), Contains("sync()"));
  std::vector<T> logits(4);
  CHECK_THROWS_AS(model.predict_logits(kIds, logits), InvalidArgument);
  CHECK_THROWS_AS(model.loss(good_batch()), InvalidArgument);
  CHECK_THROWS_WITH(model.loss(good_batch()), Contains("sync()"));
  model.sync();
  CHECK_FALSE(model.needs_sync());
  CHECK_NOTHROW(model.predict_logits(kIds, logits));
  for (const T z : logits) CHECK(std::isfinite(z));

  // evaluate() syncs by itself.
  model.train_step(Batch{ids, labels, 3});
  CHECK(model.needs_sync());
  const auto metrics = model.evaluate(good_batch());
  CHECK(metrics.rows == 4);
  CHECK_FALSE(model.needs_sync());

  // fit() leaves the model synced.
  model.train_step(Batch{ids, labels, 3});
  CHECK(model.needs_sync());
  deepfm::fit(model, good_batch(), {.epochs = 2, .batch_size = 3});
  CHECK_FALSE(model.needs_sync());
  CHECK_NOTHROW(model.predict(kIds));

  // Dense and lazy modes never need a sync.
  for (const AdamMode mode : {AdamMode::dense, AdamMode::lazy}) {
    auto other = small_deepfm<T>(4, mode);
    other.train_step(Batch{ids, labels, 3});
    CHECK_FALSE(other.needs_sync());
    CHECK_NOTHROW(other.predict(kIds));
  }
}

// Found in review: the step checks read only the rows a batch touched, but lazy_exact's
// catch-up rewrites every row before evaluation and saving; nothing read those rows.
TEMPLATE_TEST_CASE("CtrModel lazy_exact sync names a non-finite row it brought up to date",
                   "[models][api][numerics]", float, double) {
  using T = TestType;
  auto model = small_deepfm<T>(4, AdamMode::lazy_exact);
  const std::vector<FeatureId> ids = {0, 3, 7, 1, 4, 8};  // row 10 is left behind
  const std::vector<float> labels = {1, 0};
  model.train_step(Batch{ids, labels, 3});
  REQUIRE(model.needs_sync());
  model.embedding_weights()[10 * 3 + 1] = nan<T>();
  CHECK_THROWS_WITH(model.evaluate(good_batch()),
                    Contains("step 1: parameter embedding row 10 is nan") &&
                        Contains("bringing every row up to date"));
  // (The replay carries a non-finite weight into its moments, and an infinity becomes NaN.)

  auto other = small_deepfm<T>(4, AdamMode::lazy_exact);
  other.train_step(Batch{ids, labels, 3});
  other.first_order_weights()[11] = inf<T>();
  CHECK_THROWS_WITH(other.sync(), Contains("step 1: parameter first_order row 11 is "));

  auto healthy = small_deepfm<T>(4, AdamMode::lazy_exact);
  healthy.train_step(Batch{ids, labels, 3});
  CHECK_NOTHROW(healthy.sync());
  CHECK_FALSE(healthy.needs_sync());
}

TEMPLATE_TEST_CASE("CtrModel lazy_exact Adam trains exactly as dense Adam", "[models][api]", float,
                   double) {
  // Brief: equal within 1e-6 relative in double; in fact bit-identical (asserted, float too).
  using T = TestType;
  const auto data = deepfm::generate_synthetic(
      {.rows = 120, .field_dims = {6, 5, 7, 4}, .latent_factors = 2, .seed = 9});
  const std::vector<std::size_t> dims = {6, 5, 7, 4};
  // With l2 > 0 untouched rows move every dense step; with l2 = 0 only rows with momentum do.
  // Either way a batch must read its rows at their dense-mode values: the model brings them
  // up to date before the forward pass, not only before the update.
  const double l2 = GENERATE(0.0, 1e-3);
  INFO("l2 " << l2);
  const DeepFMConfig base{
      .factors = 3, .mlp = {6}, .dropout = 0.1, .optimizer = {.lr = 0.05, .l2 = l2}, .seed = 13};
  DeepFMConfig exact_config = base;
  exact_config.optimizer.adam_mode = AdamMode::lazy_exact;
  DeepFMConfig lazy_config = base;
  lazy_config.optimizer.adam_mode = AdamMode::lazy;
  DeepFM<T> dense(dims, base), exact(dims, exact_config), lazy(dims, lazy_config);
  const std::size_t rows_per_batch = 5;  // 5 samples of 4 fields: most rows skipped each step
  const std::size_t steps = 12;
  for (std::size_t s = 0; s < steps; ++s) {
    const Batch batch = data.slice(s * rows_per_batch, (s + 1) * rows_per_batch);
    const double ld = dense.train_step(batch);
    const double le = exact.train_step(batch);
    lazy.train_step(batch);
    CHECK(ld == le);  // touched rows are exact, so every loss agrees too
  }
  CHECK(exact.needs_sync());
  const Snapshot<T> before_sync(exact);
  CHECK_FALSE(before_sync == Snapshot<T>(dense));  // some rows are behind
  exact.sync();
  const Snapshot<T> d(dense), e(exact);
  CHECK(Snapshot<T>::same(e.dense, d.dense));
  CHECK(Snapshot<T>::same(e.embedding, d.embedding));
  CHECK(Snapshot<T>::same(e.first_order, d.first_order));
  for (std::size_t i = 0; i < d.embedding.size(); ++i)
    REQUIRE(static_cast<double>(e.embedding[i]) ==
            Approx(static_cast<double>(d.embedding[i])).epsilon(1e-6));
  // Lazy mode really is different (so the comparison above has teeth).
  CHECK_FALSE(Snapshot<T>::same(Snapshot<T>(lazy).embedding, d.embedding));
  // And the synced model predicts what the dense one predicts.
  CHECK(exact.predict(data.ids) == dense.predict(data.ids));
}

TEMPLATE_TEST_CASE("CtrModel fit runs rollover epochs, counts steps and scores validation",
                   "[models][api]", float, double) {
  using T = TestType;
  const auto data = deepfm::generate_synthetic(
      {.rows = 40, .field_dims = kFieldDims, .latent_factors = 2, .seed = 17});
  const Batch train = data.slice(0, 10);
  const Batch validation = data.slice(10, 40);
  auto model = small_deepfm<T>(8);
  std::vector<std::size_t> seen_epochs;
  FitOptions options{.epochs = 2, .batch_size = 4};
  options.validation = validation;
  options.on_epoch = [&](const deepfm::EpochStats& stats) { seen_epochs.push_back(stats.epoch); };
  const auto first = deepfm::fit(model, train, options);
  // 10 rows in batches of 4: epoch 1 trains 2 batches, epoch 2 the 2 leftovers + 10 = 3.
  CHECK(model.step() == 5);
  REQUIRE(first.size() == 2);
  CHECK(first[0].epoch == 1);
  CHECK(first[1].epoch == 2);
  for (const auto& stats : first) {
    CHECK(std::isfinite(stats.train_loss));
    CHECK(stats.train_loss > 0);
    CHECK(stats.seconds >= 0);
    REQUIRE(stats.validation.has_value());
    CHECK(stats.validation->rows == 30);
    REQUIRE(stats.validation->auc.has_value());
    CHECK(*stats.validation->auc >= 0.0);
    CHECK(*stats.validation->auc <= 1.0);
    CHECK(std::isfinite(stats.validation->logloss));
  }
  // A second fit continues the numbering and the step count (epoch 3 draws a fresh
  // permutation: the sampler starts at the epochs trained so far).
  options.epochs = 1;
  const auto second = deepfm::fit(model, train, options);
  REQUIRE(second.size() == 1);
  CHECK(second[0].epoch == 3);
  CHECK(model.step() == 7);
  CHECK(seen_epochs == std::vector<std::size_t>{1, 2, 3});
  // The last epoch's validation metrics are the model's as fit() leaves it, and those are
  // compute_metrics of its logits.
  const auto metrics = model.evaluate(validation);
  REQUIRE(second[0].validation.has_value());
  CHECK(second[0].validation->auc == metrics.auc);
  CHECK(second[0].validation->logloss == metrics.logloss);
  CHECK(second[0].validation->accuracy == metrics.accuracy);
  std::vector<T> logits(validation.rows());
  model.predict_logits(validation.ids, logits);
  const auto recomputed = deepfm::compute_metrics<T>(logits, validation.labels);
  CHECK(metrics.auc == recomputed.auc);
  CHECK(metrics.logloss == recomputed.logloss);
  // Without validation, no metrics.
  const auto third = deepfm::fit(model, train, {.epochs = 1, .batch_size = 4});
  REQUIRE(third.size() == 1);
  CHECK(third[0].epoch == 4);
  CHECK_FALSE(third[0].validation.has_value());
  // Zero epochs trains nothing.
  const std::uint64_t steps = model.step();
  CHECK(deepfm::fit(model, train, {.epochs = 0, .batch_size = 4}).empty());
  CHECK(model.step() == steps);
}

TEMPLATE_TEST_CASE("CtrModel fit equals train_step over the rollover sampler's batches",
                   "[models][api]", float, double) {
  using T = TestType;
  const auto data = deepfm::generate_synthetic(
      {.rows = 10, .field_dims = kFieldDims, .latent_factors = 2, .seed = 23});
  const std::uint64_t seed = 31;
  auto fitted = small_deepfm<T>(seed);
  auto stepped = small_deepfm<T>(seed);
  const auto history = deepfm::fit(fitted, data.batch(), {.epochs = 3, .batch_size = 4});
  // The documented order: RolloverSampler(rows, batch, model seed), batch by batch.
  deepfm::RolloverSampler sampler(10, 4, seed);
  for (std::size_t e = 0; e < 3; ++e) {
    const auto order = sampler.next_epoch();
    double loss_sum = 0;
    for (std::size_t b = 0; b < order.size() / 4; ++b) {
      std::vector<FeatureId> ids;
      std::vector<float> labels;
      for (std::size_t i = b * 4; i < b * 4 + 4; ++i) {
        for (std::size_t f = 0; f < 3; ++f) ids.push_back(data.ids[order[i] * 3 + f]);
        labels.push_back(data.labels[order[i]]);
      }
      loss_sum += stepped.train_step(Batch{ids, labels, 3});
    }
    CHECK(history[e].train_loss == loss_sum / static_cast<double>(order.size() / 4));
  }
  CHECK(fitted.step() == stepped.step());
  CHECK(Snapshot<T>(fitted) == Snapshot<T>(stepped));
}

TEMPLATE_TEST_CASE("CtrModel step counts train_steps only", "[models][api]", float, double) {
  auto model = small_deepfm<TestType>();
  CHECK(model.step() == 0);
  model.compute_gradients(good_batch());
  (void)model.loss(good_batch(), true);
  (void)model.evaluate(good_batch());
  (void)model.predict(kIds);
  CHECK(model.step() == 0);
  for (std::uint64_t s = 1; s <= 3; ++s) {
    model.train_step(good_batch());
    CHECK(model.step() == s);
  }
}

TEMPLATE_TEST_CASE("Consecutive fit calls continue the rollover batch order", "[models]", float,
                   double) {
  // 1000 rows in batches of 300: each epoch rolls rows over, so restarting the sampler in
  // the second call would train on different batches.
  const deepfm::SyntheticData data = deepfm::generate_synthetic({.rows = 1000, .seed = 11});
  DeepFM<TestType> once(data.field_dims, {.seed = 4});
  DeepFM<TestType> twice(data.field_dims, {.seed = 4});
  deepfm::fit(once, data.batch(), {.epochs = 2, .batch_size = 300});
  deepfm::fit(twice, data.batch(), {.epochs = 1, .batch_size = 300});
  deepfm::fit(twice, data.batch(), {.epochs = 1, .batch_size = 300});
  CHECK(once.step() == twice.step());
  CHECK(Snapshot<TestType>(once) == Snapshot<TestType>(twice));
}

TEST_CASE("CtrModel train_step names a non-finite gradient and applies nothing",
          "[models][api][numerics]") {
  // Zero embeddings make the forward pass finite (the MLP sees zeros, its hidden unit only the
  // bias), while the backward pass multiplies two huge weights: the embedding gradient
  // overflows float.
  DeepFM<float> model({4, 5, 6}, {.factors = 3, .mlp = {1}, .dropout = 0, .seed = 3});
  for (float& w : model.embedding_weights()) w = 0;
  const auto& layout = model.dense_layout();
  const auto slice = [&](const std::string& name) {
    for (const auto& s : layout)
      if (s.name == name) return model.dense_parameters().subspan(s.offset, s.size());
    FAIL("no slice " << name);
    return std::span<float>();
  };
  for (float& w : slice("mlp.0.weight")) w = 1e20f;
  for (float& b : slice("mlp.0.bias")) b = 1;
  for (float& w : slice("mlp.1.weight")) w = 1e20f;
  const std::vector<deepfm::FeatureId> ids = {0, 4, 9, 1, 5, 10};
  const std::vector<float> labels = {1, 0};
  const deepfm::Batch batch{ids, labels, 3};
  const std::vector<float> before(model.dense_parameters().begin(), model.dense_parameters().end());
  CHECK_THROWS_WITH(model.train_step(batch), Contains("step 1: the gradient of embedding row") &&
                                                 Contains("left as they were"));
  CHECK(model.step() == 0);
  CHECK(std::equal(before.begin(), before.end(), model.dense_parameters().begin()));
}

TEST_CASE("CtrModel train_step names optimizer state that overflows", "[models][api][numerics]") {
  // As above with weights of 1e11: the embedding gradient (about 1e22) is finite, but Adam's
  // v = (1 - beta2) g^2 overflows float, after which the row's updates would round to 0.
  DeepFM<float> model({4, 5, 6}, {.factors = 3, .mlp = {1}, .dropout = 0, .seed = 3});
  for (float& w : model.embedding_weights()) w = 0;
  for (const auto& s : model.dense_layout()) {
    const float value = s.name == "mlp.0.bias" ? 1.0f : s.name.ends_with("weight") ? 1e11f : 0.0f;
    for (float& w : model.dense_parameters().subspan(s.offset, s.size())) w = value;
  }
  const std::vector<deepfm::FeatureId> ids = {0, 4, 9, 1, 5, 10};
  const std::vector<float> labels = {1, 0};
  CHECK_THROWS_WITH(model.train_step(deepfm::Batch{ids, labels, 3}),
                    Contains("step 1: optimizer state 2 of embedding row") && Contains("is inf") &&
                        Contains("train in double"));
}

TEST_CASE("CtrModel train_step names a parameter that overflows", "[models][api][numerics]") {
  // lr 1e300 is a valid double that rounds to infinity in float.
  FM<float> model({4, 5, 6},
                  {.factors = 3, .optimizer = {.kind = deepfm::Optimizer::sgd, .lr = 1e300}});
  const std::vector<deepfm::FeatureId> ids = {0, 4, 9, 1, 5, 10};
  const std::vector<float> labels = {1, 1};
  CHECK_THROWS_WITH(model.train_step(deepfm::Batch{ids, labels, 3}),
                    Contains("step 1: parameter") && Contains("lower the learning rate"));
}

TEMPLATE_TEST_CASE("CtrModel step in three parts: compute, reduce, apply equal train_step",
                   "[models][api]", float, double) {
  using T = TestType;
  for (const AdamMode mode : {AdamMode::dense, AdamMode::lazy, AdamMode::lazy_exact}) {
    CAPTURE(static_cast<int>(mode));
    auto whole = small_deepfm<T>(7, mode);
    auto parts = small_deepfm<T>(7, mode);
    deepfm::Gradients<T> gradients = parts.make_gradients();
    int reduced = 0;
    for (int s = 0; s < 4; ++s) {
      const double loss = whole.train_step(good_batch());
      CHECK(parts.compute_gradients(good_batch(), gradients) == loss);
      // What a reduce sees: the canonical sparse form, sorted unique rows.
      const auto rows = gradients.embedding.rows();
      CHECK(std::is_sorted(rows.begin(), rows.end()));
      CHECK(std::adjacent_find(rows.begin(), rows.end()) == rows.end());
      parts.apply(gradients);
      // train_step with a reducer that leaves the gradients as they are takes the same step.
      whole.sync();
      parts.sync();
      CHECK(Snapshot<T>(whole) == Snapshot<T>(parts));
      parts.train_step(good_batch(), [&](deepfm::Gradients<T>& g) {
        ++reduced;
        CHECK(g.dense.size() == parts.dense_parameters().size());
      });
      whole.train_step(good_batch());
      whole.sync();
      parts.sync();
      CHECK(Snapshot<T>(whole) == Snapshot<T>(parts));
    }
    CHECK(reduced == 4);
    CHECK(whole.step() == parts.step());
  }
}

TEST_CASE("CtrModel apply takes the reduced gradients, not the computed ones", "[models][api]") {
  // A reducer standing in for an all-reduce: it replaces the gradients by twice their value,
  // which SGD (no penalty) turns into exactly twice the move.
  const auto sgd = [] {
    return FM<double>(
        kFieldDims,
        {.factors = 3, .optimizer = {.kind = deepfm::Optimizer::sgd, .lr = 0.5}, .seed = 5});
  };
  auto once = sgd();
  auto doubled = sgd();
  const Snapshot<double> start(once);
  once.train_step(good_batch());
  doubled.train_step(good_batch(), [](deepfm::Gradients<double>& g) {
    for (double& v : g.dense.span()) v *= 2;
  });
  const Snapshot<double> after_once(once);
  const Snapshot<double> after_doubled(doubled);
  for (std::size_t i = 0; i < start.dense.size(); ++i)
    CHECK(after_doubled.dense[i] - start.dense[i] ==
          Approx(2 * (after_once.dense[i] - start.dense[i])).epsilon(1e-12));
  CHECK(Snapshot<double>::same(after_doubled.embedding, after_once.embedding));
}

TEST_CASE("CtrModel apply refuses a non-finite gradient and applies nothing",
          "[models][api][numerics]") {
  auto model = small_deepfm<float>();
  deepfm::Gradients<float> gradients = model.make_gradients();
  model.compute_gradients(good_batch(), gradients);
  gradients.dense.span()[2] = inf<float>();
  const Snapshot<float> before(model);
  CHECK_THROWS_WITH(model.apply(gradients),
                    Contains("step 1: the gradient of ") && Contains("left as they were"));
  CHECK(model.step() == 0);
  CHECK(Snapshot<float>(model) == before);
  // Gradients made for another model are refused by name.
  auto other = DeepFM<float>({3, 4, 6}, {.factors = 3, .mlp = {5, 4}});
  deepfm::Gradients<float> foreign = other.make_gradients();
  CHECK_THROWS_WITH(model.compute_gradients(good_batch(), foreign),
                    Contains("not made for this model"));
}
