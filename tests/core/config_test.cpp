// core/config.hpp: the d2l defaults and the validation of every configuration field.
#include <catch2/catch.hpp>

#include <cmath>
#include <deepfm/core/config.hpp>
#include <limits>
#include <vector>

using deepfm::AdamMode;
using deepfm::DeepFMConfig;
using deepfm::FMConfig;
using deepfm::InvalidArgument;
using deepfm::Optimizer;
using deepfm::OptimizerConfig;

TEST_CASE("Config defaults are the d2l DeepFM and FM setups", "[core][config]") {
  const DeepFMConfig deepfm;
  CHECK(deepfm.factors == 10);
  CHECK(deepfm.mlp == std::vector<std::size_t>{30, 20, 10});
  CHECK(deepfm.dropout == 0.1);
  CHECK(deepfm.seed == 0);
  CHECK(deepfm.optimizer.kind == Optimizer::adam);
  CHECK(deepfm.optimizer.lr == 0.01);
  CHECK(deepfm.optimizer.beta1 == 0.9);
  CHECK(deepfm.optimizer.beta2 == 0.999);
  CHECK(deepfm.optimizer.eps == 1e-8);
  CHECK(deepfm.optimizer.adagrad_eps == 1e-10);
  CHECK(deepfm.optimizer.l2 == 0.0);
  CHECK(deepfm.optimizer.adam_mode == AdamMode::dense);

  const FMConfig fm;
  CHECK(fm.factors == 20);
  CHECK(fm.optimizer.lr == 0.02);
  CHECK(fm.optimizer.kind == Optimizer::adam);
  CHECK(fm.optimizer.beta1 == 0.9);
  CHECK(fm.optimizer.beta2 == 0.999);
  CHECK(fm.optimizer.eps == 1e-8);
  CHECK(fm.optimizer.adam_mode == AdamMode::dense);

  const deepfm::FitOptions fit;
  CHECK(fit.epochs == 30);
  CHECK(fit.batch_size == 2048);
  CHECK_FALSE(fit.validation.has_value());
  CHECK_FALSE(static_cast<bool>(fit.on_epoch));

  // The defaults themselves validate.
  CHECK_NOTHROW(deepfm::detail::validate(deepfm));
  CHECK_NOTHROW(deepfm::detail::validate(fm));
  CHECK_NOTHROW(deepfm::detail::validate(OptimizerConfig{}));
}

TEST_CASE("Config validation rejects bad model shapes", "[core][config]") {
  using Catch::Contains;
  CHECK_THROWS_AS(deepfm::detail::validate(DeepFMConfig{.factors = 0}), InvalidArgument);
  CHECK_THROWS_WITH(deepfm::detail::validate(DeepFMConfig{.factors = 0}), Contains("factors"));
  CHECK_THROWS_AS(deepfm::detail::validate(FMConfig{.factors = 0}), InvalidArgument);
  CHECK_THROWS_WITH(deepfm::detail::validate(FMConfig{.factors = 0}), Contains("factors"));
  CHECK_THROWS_AS(deepfm::detail::validate(DeepFMConfig{.mlp = {30, 0, 10}}), InvalidArgument);
  CHECK_THROWS_WITH(deepfm::detail::validate(DeepFMConfig{.mlp = {30, 0, 10}}),
                    Contains("mlp layer 1") && Contains("width 0"));
  CHECK_NOTHROW(deepfm::detail::validate(DeepFMConfig{.mlp = {}}));  // no hidden layer is fine

  CHECK_NOTHROW(deepfm::detail::validate(DeepFMConfig{.dropout = 0.0}));
  CHECK_NOTHROW(deepfm::detail::validate(DeepFMConfig{.dropout = 0.99}));
  for (const double dropout : {1.0, 1.5, -0.1, std::numeric_limits<double>::quiet_NaN()}) {
    INFO("dropout " << dropout);
    CHECK_THROWS_AS(deepfm::detail::validate(DeepFMConfig{.dropout = dropout}), InvalidArgument);
    CHECK_THROWS_WITH(deepfm::detail::validate(DeepFMConfig{.dropout = dropout}),
                      Contains("dropout"));
  }
}

TEST_CASE("Config validation rejects bad optimizer settings", "[core][config]") {
  using Catch::Contains;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    OptimizerConfig config;
    const char* names;
  };
  const Case cases[] = {
      {{.lr = 0.0}, "lr"},       {{.lr = -0.01}, "lr"},     {{.lr = nan}, "lr"},
      {{.lr = inf}, "lr"},       {{.beta1 = 1.0}, "beta1"}, {{.beta1 = -0.1}, "beta1"},
      {{.beta1 = nan}, "beta1"}, {{.beta2 = 1.0}, "beta2"}, {{.beta2 = nan}, "beta2"},
      {{.eps = 0.0}, "eps"},     {{.eps = nan}, "eps"},     {{.adagrad_eps = 0.0}, "adagrad_eps"},
      {{.l2 = -1e-6}, "l2"},     {{.l2 = nan}, "l2"},       {{.l2 = inf}, "l2"},
  };
  for (const Case& c : cases) {
    INFO("expected a complaint about " << c.names);
    CHECK_THROWS_AS(deepfm::detail::validate(c.config), InvalidArgument);
    CHECK_THROWS_WITH(deepfm::detail::validate(c.config), Contains(c.names));
    // Reached through the model configurations as well.
    CHECK_THROWS_WITH(deepfm::detail::validate(DeepFMConfig{.optimizer = c.config}),
                      Contains(c.names));
    CHECK_THROWS_WITH(deepfm::detail::validate(FMConfig{.optimizer = c.config}), Contains(c.names));
  }
  CHECK_NOTHROW(deepfm::detail::validate(OptimizerConfig{.beta1 = 0.0, .beta2 = 0.0}));
  CHECK_NOTHROW(deepfm::detail::validate(OptimizerConfig{.l2 = 0.5}));
  CHECK_NOTHROW(deepfm::detail::validate(OptimizerConfig{.kind = Optimizer::sgd, .lr = 1.0}));
}
