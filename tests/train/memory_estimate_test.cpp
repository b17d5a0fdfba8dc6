// train/memory_estimate.hpp: the estimate counts exactly the parameters a model allocates.
#include <catch2/catch.hpp>

#include <deepfm/train/memory_estimate.hpp>

TEST_CASE("Memory estimate counts the model's parameters and optimiser state", "[train]") {
  const auto kind = GENERATE(deepfm::ModelKind::deepfm, deepfm::ModelKind::fm);
  deepfm::ModelSpec spec = deepfm::ModelSpec::defaults(kind);
  spec.field_dims = {7, 30, 5, 1000};
  const auto model = deepfm::make_model<float>(spec);
  const std::uint64_t parameters = model->embedding_weights().size() +
                                   model->first_order_weights().size() +
                                   model->dense_parameters().size();
  const deepfm::MemoryEstimate m =
      deepfm::estimate_training_memory(spec, sizeof(float), 5000, 1000, 6000, 2048, true, 0, 0);
  CHECK(m.parameters == parameters * sizeof(float));
  CHECK(m.optimizer_state == 2 * m.parameters);  // Adam: two moments
  CHECK(m.best_copy == m.parameters);
  CHECK(m.datasets == 6000 * (4 * 4 + 4));
  CHECK(m.total() > m.parameters + m.optimizer_state + m.datasets);
  spec.optimizer.kind = deepfm::Optimizer::sgd;
  CHECK(deepfm::estimate_training_memory(spec, 4, 5000, 1000, 6000, 2048, false, 0, 0)
            .optimizer_state == 0);
}
