// Fuzz target: deepfm::load_model_file (model files and checkpoints) and the Predictor on a
// file holding the input bytes, as they are and with the trailing checksum repaired so that
// mutations reach the spec, reader options, vocabulary, parameters and training progress.
// A model that loads must hold only finite values and score a row, and a checkpoint must
// take a training step.
#include <algorithm>
#include <cstdint>
#include <deepfm/core/finite.hpp>
#include <deepfm/core/parallel_for.hpp>
#include <deepfm/io/model_file.hpp>
#include <deepfm/serve/predictor.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

/// One row of every field's first id, and the same row with the labels 0 and 1 twice.
template <typename T>
void use(deepfm::LoadedModel<T>& loaded) {
  deepfm::CtrModel<T>& model = *loaded.model;
  deepfm::fuzz::check(model.fields() == loaded.spec.field_dims.size(),
                      "the model's fields differ from its spec's");
  deepfm::fuzz::check(loaded.vocabulary.fields() == model.fields(),
                      "the vocabulary's fields differ from the model's");
  deepfm::fuzz::check(
      std::equal(loaded.vocabulary.field_dims().begin(), loaded.vocabulary.field_dims().end(),
                 loaded.spec.field_dims.begin()),
      "the vocabulary's field dims differ from the spec's");
  model.visit_state(
      [](std::string_view, std::span<T> values, bool) {
        deepfm::fuzz::check(!deepfm::first_non_finite(std::span<const T>(values)),
                            "a loaded model holds a NaN or an infinity");
      },
      loaded.progress.has_value());
  for (const std::vector<T>& best : loaded.best_parameters)
    deepfm::fuzz::check(!deepfm::first_non_finite(std::span<const T>(best)),
                        "a loaded checkpoint's best parameters hold a NaN or an infinity");
  std::vector<deepfm::FeatureId> ids(model.offsets().begin(), model.offsets().end());
  deepfm::fuzz::expect_errors([&] {
    const std::vector<T> p = model.predict(ids);
    deepfm::fuzz::check(p.size() == 1, "one row gave other than one prediction");
  });
  if (!loaded.progress) return;
  ids.insert(ids.end(), model.offsets().begin(), model.offsets().end());
  const std::vector<float> labels = {0.0f, 1.0f};
  deepfm::fuzz::expect_errors([&] {
    (void)model.train_step(deepfm::Batch{ids, labels, model.fields()});
  });
}

void load(const std::string& path) {
  deepfm::fuzz::expect_errors([&] {
    deepfm::LoadedModel<float> loaded = deepfm::load_model_file<float>(path);
    use(loaded);
  });
  deepfm::fuzz::expect_errors([&] {
    deepfm::LoadedModel<double> loaded = deepfm::load_model_file<double>(path);
    use(loaded);
  });
  deepfm::fuzz::expect_errors([&] {
    const deepfm::Predictor<float> predictor(path);
    const std::vector<std::string_view> row(predictor.fields(), std::string_view("1"));
    (void)predictor.predict(row);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static deepfm::fuzz::ScratchFile file("model_file");
  static const bool one_thread = (deepfm::set_max_threads(1), true);  // small models, no team
  (void)one_thread;
  load(file.write(data, size));
  const std::vector<unsigned char> repaired = deepfm::fuzz::with_trailing_checksum(data, size);
  load(file.write(repaired.data(), repaired.size()));
  return 0;
}
