// FM (models/fm.hpp): the logit against a hand computation, whole-model gradient checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <deepfm/models/fm.hpp>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "support/model_gradient_check.hpp"

namespace {

using deepfm::Batch;
using deepfm::FeatureId;
using deepfm::FM;

// Field dims {3, 4, 5}: global ids 0-2, 3-6, 7-11; rows 1, 4, 5, 8 and 11 are never used.
const std::vector<FeatureId> kFmIds = {0, 3, 7,   //
                                       2, 6, 9,   //
                                       0, 6, 10,  //
                                       2, 3, 9,   //
                                       0, 6, 7};
const std::vector<float> kFmLabels = {0, 1, 1, 0, 1};

double dense_value(const FM<double>& model, const std::string& name) {
  for (const auto& slice : model.dense_layout())
    if (slice.name == name) return model.dense_parameters()[slice.offset];
  FAIL("no dense slice named " << name);
  return 0;
}

}  // namespace

TEMPLATE_TEST_CASE("FM logit is first order plus the naive pairwise sum", "[models]", float,
                   double) {
  FM<TestType> model({3, 4, 5}, {.factors = 4, .seed = 8});
  // Layout of an FM: only the first-order head.
  REQUIRE(model.dense_layout().size() == 2);
  CHECK(model.dense_layout()[0].name == "first_order.weight");
  CHECK(model.dense_layout()[1].name == "first_order.bias");
  model.dense_parameters()[1] = TestType(0.125);  // a non-zero bias, so b is exercised
  const TestType a = model.dense_parameters()[0];
  const TestType b = model.dense_parameters()[1];
  const auto E = model.embedding_weights();
  const auto w = model.first_order_weights();
  const std::size_t k = model.factors();
  REQUIRE(E.size() == 12 * k);
  REQUIRE(w.size() == 12);

  std::vector<TestType> logits(5);
  model.predict_logits(kFmIds, logits);
  for (std::size_t r = 0; r < 5; ++r) {
    const FeatureId* x = kFmIds.data() + r * 3;
    double first = 0;
    for (std::size_t f = 0; f < 3; ++f) first += double(w[x[f]]);
    double pairs = 0;
    for (std::size_t f = 0; f < 3; ++f)
      for (std::size_t g = f + 1; g < 3; ++g)
        for (std::size_t j = 0; j < k; ++j)
          pairs += double(E[x[f] * k + j]) * double(E[x[g] * k + j]);
    const double expected = double(a) * first + double(b) + pairs;
    CAPTURE(r);
    CHECK(double(logits[r]) == Approx(expected).margin(sizeof(TestType) == 8 ? 1e-14 : 1e-6));
    // predict() is the sigmoid of the logit.
    const double p = 1 / (1 + std::exp(-expected));
    CHECK(double(model.predict(std::span<const FeatureId>(x, 3))[0]) ==
          Approx(p).margin(sizeof(TestType) == 8 ? 1e-14 : 1e-6));
  }
}

TEST_CASE("FM gradients match finite differences (double)", "[models][gradient]") {
  FM<double> model({3, 4, 5}, {.factors = 3, .seed = 4});
  model.dense_parameters()[1] = -0.3;
  const Batch batch{kFmIds, kFmLabels, 3};
  // FM has no dropout: training and evaluation are one function.
  CHECK(model.loss(batch, true) == model.loss(batch, false));
  CHECK(model.compute_gradients(batch) == model.loss(batch, true));
  CHECK(dense_value(model, "first_order.bias") == -0.3);

  const auto report = deepfm::test::check_model_gradients(model, batch, true);
  std::ostringstream os;
  os << "dense: " << report.dense << "\nembedding: " << report.embedding
     << "\nfirst order: " << report.first_order;
  INFO(os.str());
  CHECK(report.dense.worst_relative_error < 1e-6);
  CHECK(report.embedding.worst_relative_error < 1e-6);
  CHECK(report.first_order.worst_relative_error < 1e-6);
  CHECK(report.untouched_rows == 5);
  CHECK(report.untouched_nonzero == 0);
  CHECK(report.slot_mismatches == 0);
  for (const FeatureId row : {1u, 4u, 5u, 8u, 11u}) {
    CHECK(model.embedding_gradient().slot(row) == deepfm::SparseRowGradient<double>::kNoSlot);
    CHECK(model.first_order_gradient().slot(row) == deepfm::SparseRowGradient<double>::kNoSlot);
  }
}

TEST_CASE("FM with one field has no second-order term", "[models]") {
  FM<double> model({6}, {.factors = 3, .seed = 1});
  const std::vector<FeatureId> ids = {0, 4, 4, 5};
  std::vector<double> logits(4);
  model.predict_logits(ids, logits);
  const double a = model.dense_parameters()[0], b = model.dense_parameters()[1];
  for (std::size_t r = 0; r < 4; ++r)
    CHECK(logits[r] == Approx(a * model.first_order_weights()[ids[r]] + b).margin(1e-15));
  const std::vector<float> labels = {1, 0, 1, 0};
  const Batch batch{ids, labels, 1};
  model.compute_gradients(batch);
  // The factor table only feeds the (empty) pairwise sum: its gradient is exactly zero.
  const auto& g = model.embedding_gradient();
  for (std::size_t k = 0; k < g.rows().size(); ++k)
    for (const double v : g.row_gradient(k)) CHECK(v == 0.0);
  const auto report = deepfm::test::check_model_gradients(model, batch, true);
  INFO("dense: " << report.dense << "\nfirst order: " << report.first_order);
  CHECK(report.worst() < 1e-6);
}
