// DeepFM (models/deepfm.hpp): whole-model gradient checks in double, dropout included.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <deepfm/models/deepfm.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/model_gradient_check.hpp"
#include "support/random_values.hpp"

namespace {

using deepfm::Batch;
using deepfm::DeepFM;
using deepfm::FeatureId;

// Field dims {3, 4, 5}: global ids 0-2, 3-6, 7-11. Rows 2, 4, 6, 9 and 11 are never used.
const std::vector<FeatureId> kIds = {0, 3, 7,   //
                                     1, 5, 8,   //
                                     0, 5, 10,  //
                                     1, 3, 7,   //
                                     0, 3, 8,   //
                                     1, 5, 10};
const std::vector<float> kLabels = {1, 0, 0, 1, 1, 0};

Batch small_batch() { return Batch{kIds, kLabels, 3}; }

std::string describe(const deepfm::test::ModelGradientReport& r) {
  std::ostringstream os;
  os << "dense: " << r.dense << "\nembedding: " << r.embedding
     << "\nfirst order: " << r.first_order;
  for (const auto& [name, worst] : r.dense_slices) os << "\n  " << name << ": " << worst;
  os << "\nuntouched rows " << r.untouched_rows << ", non-zero numeric entries there "
     << r.untouched_nonzero << ", slot mismatches " << r.slot_mismatches;
  return os.str();
}

/// Gives every bias a small non-zero value. With the initial zero biases, a sample whose hidden
/// inputs are all zero (every unit dead or dropped: likely with 5 units and dropout 0.3) puts
/// the next layer's pre-activations exactly on the ReLU kink, where a finite difference sees
/// half the one-sided slope and the analytic subgradient is 0.
template <typename Model>
void randomize_biases(Model& model, std::uint16_t stream) {
  const auto noise =
      deepfm::test::random_values<double>(model.dense_parameters().size(), stream, 0.05, 0.2);
  for (const auto& slice : model.dense_layout())
    if (slice.name.ends_with(".bias") && slice.name != "first_order.bias")
      for (std::size_t i = slice.offset; i < slice.offset + slice.size(); ++i)
        model.dense_parameters()[i] = (i % 2 == 0 ? 1 : -1) * noise[i];
}

void check_report(const deepfm::test::ModelGradientReport& report) {
  INFO(describe(report));
  CHECK(report.dense.worst_relative_error < 1e-6);
  CHECK(report.embedding.worst_relative_error < 1e-6);
  CHECK(report.first_order.worst_relative_error < 1e-6);
  for (const auto& slice : report.dense_slices) CHECK(slice.second < 1e-6);
  CHECK(report.untouched_rows == 5);
  CHECK(report.untouched_nonzero == 0);
  CHECK(report.slot_mismatches == 0);
}

}  // namespace

TEST_CASE("DeepFM gradients match finite differences, dropout on (double)", "[models][gradient]") {
  DeepFM<double> model({3, 4, 5}, {.factors = 3, .mlp = {5, 4}, .dropout = 0.3, .seed = 11});
  randomize_biases(model, 1);
  const Batch batch = small_batch();
  // Dropout is really on: training and evaluation losses differ; the training loss is fixed.
  CHECK(model.loss(batch, true) != model.loss(batch, false));
  CHECK(model.loss(batch, true) == model.loss(batch, true));
  CHECK(model.compute_gradients(batch) == model.loss(batch, true));

  const auto report = deepfm::test::check_model_gradients(model, batch, true);
  check_report(report);
  REQUIRE(report.dense_slices.size() == 2 + 3 * 2);
}

TEST_CASE("DeepFM gradients match finite differences in evaluation mode (double)",
          "[models][gradient]") {
  DeepFM<double> model({3, 4, 5}, {.factors = 3, .mlp = {5, 4}, .dropout = 0.3, .seed = 12});
  randomize_biases(model, 2);
  check_report(deepfm::test::check_model_gradients(model, small_batch(), false));
}

TEST_CASE("DeepFM without hidden layers still has an output Dense", "[models]") {
  DeepFM<double> model({3, 4, 5}, {.factors = 3, .mlp = {}, .seed = 2});
  model.dense_parameters()[1] = 0.2;       // first_order.bias
  model.dense_parameters().back() = -0.1;  // mlp.0.bias
  std::vector<std::string> names;
  for (const auto& slice : model.dense_layout()) names.push_back(slice.name);
  CHECK(names == std::vector<std::string>{"first_order.weight", "first_order.bias", "mlp.0.weight",
                                          "mlp.0.bias"});
  REQUIRE(model.dense_layout().size() == 4);
  CHECK(model.dense_layout()[2].rows == 1);
  CHECK(model.dense_layout()[2].cols == 3 * 3);  // fields × factors
  CHECK(model.dense_layout()[3].size() == 1);
  CHECK(model.dense_parameters().size() == 2 + 9 + 1);
  check_report(deepfm::test::check_model_gradients(model, small_batch(), true));
}

TEST_CASE("DeepFM dense layout follows the MLP widths", "[models]") {
  const DeepFM<float> model({3, 4, 5}, {.factors = 3, .mlp = {5, 4}});
  const auto& layout = model.dense_layout();
  REQUIRE(layout.size() == 8);
  std::size_t offset = 0;
  for (const auto& slice : layout) {
    CHECK(slice.offset == offset);  // slices tile the buffer in order
    offset += slice.size();
  }
  CHECK(offset == model.dense_parameters().size());
  CHECK(layout[2].name == "mlp.0.weight");
  CHECK((layout[2].rows == 5 && layout[2].cols == 9));
  CHECK((layout[4].rows == 4 && layout[4].cols == 5));
  CHECK((layout[6].rows == 1 && layout[6].cols == 4));
  CHECK(layout[7].name == "mlp.2.bias");
}

TEST_CASE("DeepFM float gradients agree with the double model's", "[models]") {
  const deepfm::DeepFMConfig config{.factors = 3, .mlp = {5, 4}, .dropout = 0.3, .seed = 5};
  DeepFM<float> single({3, 4, 5}, config);
  DeepFM<double> twin({3, 4, 5}, config);
  // The same parameters in both (float values are exact in double).
  std::copy(single.dense_parameters().begin(), single.dense_parameters().end(),
            twin.dense_parameters().begin());
  std::copy(single.embedding_weights().begin(), single.embedding_weights().end(),
            twin.embedding_weights().begin());
  std::copy(single.first_order_weights().begin(), single.first_order_weights().end(),
            twin.first_order_weights().begin());
  const Batch batch = small_batch();
  CHECK(single.compute_gradients(batch) == Approx(twin.compute_gradients(batch)).epsilon(1e-6));
  const auto ds = single.dense_gradients();
  const auto dd = twin.dense_gradients();
  REQUIRE(ds.size() == dd.size());
  for (std::size_t i = 0; i < ds.size(); ++i)
    CHECK(double(ds[i]) == Approx(dd[i]).margin(1e-6).epsilon(1e-4));
  const auto es = deepfm::test::spread(single.embedding_gradient(), single.table_rows());
  const auto ed = deepfm::test::spread(twin.embedding_gradient(), twin.table_rows());
  for (std::size_t i = 0; i < es.size(); ++i)
    CHECK(es[i] == Approx(ed[i]).margin(1e-6).epsilon(1e-4));
  const auto fs = deepfm::test::spread(single.first_order_gradient(), single.table_rows());
  const auto fd = deepfm::test::spread(twin.first_order_gradient(), twin.table_rows());
  for (std::size_t i = 0; i < fs.size(); ++i)
    CHECK(fs[i] == Approx(fd[i]).margin(1e-6).epsilon(1e-4));
}
