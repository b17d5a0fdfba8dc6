// No heap allocation after warm-up: a training step (each Adam mode, DeepFM with dropout and
// FM) reuses the model's gradients and workspace; predict_logits, loss and a Predictor reuse
// the caller's workspace. Counted by the replaced operator new of
// this binary (allocation_counter.cpp).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <deepfm/data/synthetic.hpp>
#include <deepfm/io/model_file.hpp>
#include <deepfm/models/deepfm.hpp>
#include <deepfm/models/fm.hpp>
#include <deepfm/models/model_spec.hpp>
#include <deepfm/serve/predictor.hpp>
#include <deepfm/train/fit.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "allocation_count.hpp"

using deepfm::test::allocations_during;

TEST_CASE("A warm training step allocates nothing", "[alloc]") {
  const deepfm::SyntheticData data =
      deepfm::generate_synthetic({.rows = 512, .field_dims = {30, 40, 50, 60}, .seed = 3});
  const deepfm::Batch first = data.slice(0, 256);
  const deepfm::Batch second = data.slice(256, 512);
  for (const deepfm::AdamMode mode :
       {deepfm::AdamMode::dense, deepfm::AdamMode::lazy, deepfm::AdamMode::lazy_exact}) {
    CAPTURE(static_cast<int>(mode));
    deepfm::DeepFM<float> model(data.field_dims, {.factors = 8,
                                                  .mlp = {16, 8},
                                                  .dropout = 0.1,
                                                  .optimizer = {.adam_mode = mode},
                                                  .seed = 1});
    model.train_step(first);  // warm-up: buffers grow to the batch
    model.train_step(second);
    CHECK(allocations_during([&] {
            for (int s = 0; s < 5; ++s) model.train_step(s % 2 ? first : second);
          }) == 0);
  }
  deepfm::FM<double> fm(data.field_dims, {.factors = 4, .seed = 2});
  fm.train_step(first);
  fm.train_step(second);
  CHECK(allocations_during([&] { fm.train_step(first); }) == 0);
}

TEST_CASE("Warm inference allocates nothing: predict_logits, loss and Predictor", "[alloc]") {
  const deepfm::SyntheticData data =
      deepfm::generate_synthetic({.rows = 300, .field_dims = {3, 4, 5}, .seed = 5});
  deepfm::ModelSpec spec = deepfm::ModelSpec::defaults(deepfm::ModelKind::deepfm);
  spec.field_dims = data.field_dims;
  spec.factors = 4;
  auto model = deepfm::make_model<float>(spec);
  deepfm::fit(*model, data.batch(), {.epochs = 1, .batch_size = 64});

  deepfm::CtrModel<float>::Workspace ws;
  std::vector<float> logits(data.rows());
  model->predict_logits(data.ids, logits, ws);  // warm-up
  CHECK(allocations_during([&] { model->predict_logits(data.ids, logits, ws); }) == 0);
  (void)model->loss(data.batch(), false, ws);
  CHECK(allocations_during([&] { (void)model->loss(data.batch(), false, ws); }) == 0);

  // A served model: raw values through the training vocabulary.
  std::vector<std::vector<std::string>> kept(3);
  for (std::size_t f = 0; f < 3; ++f)
    for (std::size_t v = 0; v + 1 < data.field_dims[f]; ++v) kept[f].push_back(std::to_string(v));
  const deepfm::Vocabulary vocabulary = deepfm::Vocabulary::from_kept_values(kept, 4);
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("deepfm_alloc_" + std::to_string(::getpid()));
  deepfm::save_model_file<float>(file, *model, spec, {}, vocabulary);
  const deepfm::Predictor<float> predictor(file);
  std::filesystem::remove(file);
  const std::vector<std::string_view> row = {"1", "2", "unseen"};
  const std::vector<std::string_view> rows = {"0", "3", "4", "2", "0", "1"};
  deepfm::Predictor<float>::Workspace scratch;
  std::vector<float> probabilities(2);
  (void)predictor.predict(row, scratch);
  predictor.predict_rows(rows, probabilities, scratch);
  float p = 0;
  CHECK(allocations_during([&] {
          p = predictor.predict(row, scratch);
          predictor.predict_rows(rows, probabilities, scratch);
        }) == 0);
  CHECK(p == predictor.predict({"1", "2", "unseen"}));
  CHECK(probabilities == predictor.predict_rows(rows));
}
