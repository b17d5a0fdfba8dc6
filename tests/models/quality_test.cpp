// Model quality on data with a planted non-linear signal: DeepFM must learn what FM cannot.
#include <catch2/catch.hpp>

#include <cstdio>
#include <deepfm/deepfm.hpp>

namespace {

// 6 fields of 10 values: two third-order triples that no FM can represent (see
// data/synthetic.hpp), a first-order and a pairwise part. 64k training rows, 16k held out.
deepfm::SyntheticData planted_data() {
  deepfm::SyntheticConfig config;
  config.rows = 80000;
  config.field_dims = std::vector<std::size_t>(6, 10);
  config.latent_factors = 4;
  config.first_order_scale = 0.5;
  config.interaction_scale = 0.3;
  config.nonlinear_scale = 1.5;
  config.seed = 7;
  return deepfm::generate_synthetic(config);
}

}  // namespace

TEMPLATE_TEST_CASE("DeepFM learns the planted non-linear signal that FM cannot",
                   "[models][quality]", float, double) {
  const deepfm::SyntheticData data = planted_data();
  const std::size_t train_rows = 64000;
  const deepfm::Batch train = data.slice(0, train_rows);
  const deepfm::Batch held_out = data.slice(train_rows, data.rows());
  const std::vector<double> true_logits(data.true_logits.begin() + train_rows,
                                        data.true_logits.end());
  const double bayes_auc = deepfm::roc_auc<double>(true_logits, held_out.labels).value();

  // 5 epochs of 125 batches of 512: 625 optimiser steps, d2l's other settings.
  const deepfm::FitOptions options{.epochs = 5, .batch_size = 512};
  deepfm::DeepFM<TestType> deep(data.field_dims, {.seed = 3});
  deepfm::FM<TestType> fm(data.field_dims, {.seed = 3});
  deepfm::fit(deep, train, options);
  deepfm::fit(fm, train, options);
  const double deep_auc = deep.evaluate(held_out).auc.value();
  const double fm_auc = fm.evaluate(held_out).auc.value();

  std::printf("quality (%s): held-out AUC DeepFM %.4f, FM %.4f, Bayes-optimal %.4f\n",
              sizeof(TestType) == 4 ? "float" : "double", deep_auc, fm_auc, bayes_auc);
  CHECK(deep_auc >= fm_auc + 0.02);
  CHECK(deep_auc >= bayes_auc - 0.03);
  CHECK(deep_auc <= bayes_auc + 0.01);  // nothing beats the true model by more than noise
}
