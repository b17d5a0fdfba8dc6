// Training is bit-identical for any thread count: every parallel loop splits work whose result
// does not depend on the split (per row, per output, per table row), and no reduction is split.
// Trains the same model at 1, 2 and 3 threads and compares every byte of its state.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <deepfm/core/parallel_for.hpp>
#include <deepfm/data/synthetic.hpp>
#include <deepfm/models/deepfm.hpp>
#include <deepfm/models/fm.hpp>
#include <deepfm/train/fit.hpp>
#include <string>
#include <vector>

namespace {

using deepfm::AdamMode;
using deepfm::Optimizer;

/// Data wide and long enough that every parallel loop of a step splits across 3 threads.
const deepfm::SyntheticData& data() {
  static const deepfm::SyntheticData generated = [] {
    deepfm::SyntheticConfig config;
    config.rows = 3000;
    config.field_dims = std::vector<std::size_t>(24, 40);
    config.seed = 3;
    return deepfm::generate_synthetic(config);
  }();
  return generated;
}

/// Every byte of the model's parameters and optimizer state after two epochs.
template <typename Model>
std::vector<unsigned char> train_and_dump(Model& model, int threads) {
  const int before = deepfm::max_threads();
  deepfm::FitOptions options;
  options.epochs = 2;
  options.batch_size = 1024;  // the last batch rolls over, as in d2l
  options.threads = threads;
  deepfm::fit(model, data().batch(), options);
  CHECK(deepfm::max_threads() == before);  // fit's thread count lasts for the call only
  std::vector<unsigned char> bytes;
  model.visit_state(
      [&](const std::string&, auto values, bool) {
        const auto* first = reinterpret_cast<const unsigned char*>(values.data());
        bytes.insert(bytes.end(), first, first + values.size_bytes());
      },
      true);
  return bytes;
}

deepfm::OptimizerConfig optimizer(Optimizer kind, AdamMode mode) {
  deepfm::OptimizerConfig config;
  config.kind = kind;
  config.adam_mode = mode;
  return config;
}

struct Case {
  const char* name;
  Optimizer kind;
  AdamMode mode;
};
const Case kCases[] = {{"adam dense", Optimizer::adam, AdamMode::dense},
                       {"adam lazy", Optimizer::adam, AdamMode::lazy},
                       {"adam lazy-exact", Optimizer::adam, AdamMode::lazy_exact},
                       {"adagrad", Optimizer::adagrad, AdamMode::dense},
                       {"sgd", Optimizer::sgd, AdamMode::dense}};

}  // namespace

TEMPLATE_TEST_CASE("DeepFM trains to the same bytes at 1, 2 and 3 threads", "[models][threads]",
                   float, double) {
  for (const Case& c : kCases) {
    CAPTURE(c.name);
    std::vector<unsigned char> reference;
    for (const int threads : {1, 2, 3}) {
      CAPTURE(threads);
      deepfm::DeepFM<TestType> model(data().field_dims, {.factors = 10,
                                                         .mlp = {30, 20, 10},
                                                         .dropout = 0.1,
                                                         .optimizer = optimizer(c.kind, c.mode),
                                                         .seed = 7});
      const std::vector<unsigned char> bytes = train_and_dump(model, threads);
      if (threads == 1) {
        reference = bytes;
      } else {
        REQUIRE(bytes.size() == reference.size());
        CHECK(std::memcmp(bytes.data(), reference.data(), bytes.size()) == 0);
      }
    }
  }
}

TEMPLATE_TEST_CASE("FM trains to the same bytes at 1, 2 and 3 threads", "[models][threads]", float,
                   double) {
  for (const Case& c : kCases) {
    CAPTURE(c.name);
    std::vector<unsigned char> reference;
    for (const int threads : {1, 2, 3}) {
      CAPTURE(threads);
      deepfm::FM<TestType> model(
          data().field_dims, {.factors = 16, .optimizer = optimizer(c.kind, c.mode), .seed = 7});
      const std::vector<unsigned char> bytes = train_and_dump(model, threads);
      if (threads == 1) {
        reference = bytes;
      } else {
        REQUIRE(bytes.size() == reference.size());
        CHECK(std::memcmp(bytes.data(), reference.data(), bytes.size()) == 0);
      }
    }
  }
}
