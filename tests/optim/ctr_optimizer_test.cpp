// optim/ctr_optimizer.hpp: one apply equals the three optimizers stepped one by one, and it
// reports a non-finite value it wrote, in every mode.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deepfm/optim/ctr_optimizer.hpp>
#include <limits>
#include <span>
#include <vector>

#include "support/random_values.hpp"

namespace {

using deepfm::AdamMode;
using deepfm::CtrOptimizer;
using deepfm::CtrParameters;
using deepfm::FeatureId;
using deepfm::Gradients;
using deepfm::Optimizer;
using deepfm::OptimizerConfig;

constexpr std::size_t kDense = 5;
constexpr std::size_t kRows = 7;
constexpr std::size_t kFactors = 3;

struct Buffers {
  std::vector<double> dense = deepfm::test::random_values<double>(kDense, 1);
  std::vector<double> embedding = deepfm::test::random_values<double>(kRows * kFactors, 2);
  std::vector<double> first_order = deepfm::test::random_values<double>(kRows, 3);
  CtrParameters<double> spans() { return {dense, embedding, first_order}; }
};

Gradients<double> gradients_for(std::uint64_t t) {
  Gradients<double> g;
  g.dense.resize(kDense);
  const std::vector<double> dense =
      deepfm::test::random_values<double>(kDense, static_cast<std::uint16_t>(10 + t));
  std::copy(dense.begin(), dense.end(), g.dense.data());
  const std::vector<FeatureId> ids = {FeatureId(t % kRows), 4, FeatureId(t % kRows)};
  g.embedding = deepfm::SparseRowGradient<double>(kRows, kFactors);
  g.first_order = deepfm::SparseRowGradient<double>(kRows, 1);
  const std::vector<double> diffs =
      deepfm::test::random_values<double>(ids.size() * kFactors, static_cast<std::uint16_t>(t));
  g.embedding.accumulate(ids.data(), diffs.data(), ids.size());
  g.first_order.accumulate(ids.data(), diffs.data(), ids.size());
  return g;
}

}  // namespace

TEST_CASE("CtrOptimizer applies what its three optimizers would, bit for bit", "[optim]") {
  for (const Optimizer kind : {Optimizer::sgd, Optimizer::adagrad, Optimizer::adam})
    for (const AdamMode mode : {AdamMode::dense, AdamMode::lazy, AdamMode::lazy_exact}) {
      if (kind != Optimizer::adam && mode != AdamMode::dense) continue;
      const OptimizerConfig config{.kind = kind, .lr = 0.05, .adam_mode = mode};
      CtrOptimizer<double> together(config, kDense, kRows, kFactors);
      deepfm::DenseOptimizer<double> dense(config, kDense);
      deepfm::RowOptimizer<double> embedding(config, kRows, kFactors);
      deepfm::RowOptimizer<double> first_order(config, kRows, 1);
      Buffers a;
      Buffers b;
      for (std::uint64_t t = 1; t <= 4; ++t) {
        const Gradients<double> g = gradients_for(t);
        CHECK(together.apply(a.spans(), g, t));
        dense.step(b.dense, g.dense.span(), t);
        embedding.step(b.embedding, g.embedding, t);
        first_order.step(b.first_order, g.first_order, t);
      }
      together.catch_up(a.spans(), 4);
      embedding.catch_up(b.embedding, 4);
      first_order.catch_up(b.first_order, 4);
      CHECK_FALSE(together.needs_catch_up());
      CHECK(std::memcmp(a.dense.data(), b.dense.data(), kDense * sizeof(double)) == 0);
      CHECK(std::memcmp(a.embedding.data(), b.embedding.data(), a.embedding.size() * 8) == 0);
      CHECK(std::memcmp(a.first_order.data(), b.first_order.data(), kRows * 8) == 0);
    }
}

TEST_CASE("CtrOptimizer reports a non-finite value it wrote", "[optim]") {
  const double huge = std::numeric_limits<double>::max();
  for (const Optimizer kind : {Optimizer::sgd, Optimizer::adagrad, Optimizer::adam}) {
    CAPTURE(static_cast<int>(kind));
    const OptimizerConfig config{.kind = kind, .lr = 4};
    {  // an overflowing dense gradient
      CtrOptimizer<double> optimizer(config, kDense, kRows, kFactors);
      Buffers buffers;
      Gradients<double> g = gradients_for(1);
      g.dense.data()[2] = huge;
      buffers.dense[2] = huge;
      CHECK_FALSE(optimizer.apply(buffers.spans(), g, 1));
    }
    {  // an overflowing row of the factor table
      CtrOptimizer<double> optimizer(config, kDense, kRows, kFactors);
      Buffers buffers;
      const std::vector<FeatureId> ids = {2};
      const std::vector<double> diff = {0, -huge, 0};
      Gradients<double> g = gradients_for(1);
      g.embedding = deepfm::SparseRowGradient<double>(kRows, kFactors);
      g.embedding.accumulate(ids.data(), diff.data(), 1);
      buffers.embedding[2 * kFactors + 1] = huge;
      CHECK_FALSE(optimizer.apply(buffers.spans(), g, 1));
    }
  }
}
