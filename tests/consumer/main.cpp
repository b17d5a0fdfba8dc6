// Trains a small DeepFM through the installed package; exits non-zero if it learned nothing.
#include <cstdio>
#include <deepfm/deepfm.hpp>

int main() {
  const deepfm::SyntheticData data = deepfm::generate_synthetic({.rows = 20000, .seed = 5});
  const deepfm::Batch train = data.slice(0, 16000);
  const deepfm::Batch test = data.slice(16000, 20000);
  deepfm::DeepFM<float> model(data.field_dims, {.seed = 5});
  deepfm::fit(model, train, {.epochs = 4, .batch_size = 512});
  const double auc = model.evaluate(test).auc.value_or(0.0);
  std::printf("consumer: deepfm %s, test AUC %.4f\n", deepfm::kVersionString, auc);
  return auc > 0.6 ? 0 : 1;
}
