// optim/adam_schedule.hpp: Adam's cached per-step constants.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <deepfm/optim/adam_schedule.hpp>

namespace {
using deepfm::AdamSchedule;
using deepfm::OptimizerConfig;
}  // namespace

TEMPLATE_TEST_CASE("AdamSchedule holds lr / (1 - beta1^t) and sqrt(1 - beta2^t)", "[optim]", float,
                   double) {
  const OptimizerConfig config{.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .l2 = 0.25};
  AdamSchedule<TestType> schedule(config);
  for (std::uint64_t t = 1; t <= 50; ++t) {
    INFO("step " << t);
    const double td = static_cast<double>(t);
    const auto& s = schedule.at(t);
    // Computed in double, rounded once to T.
    CHECK(s.step_size == static_cast<TestType>(0.01 / (1.0 - std::pow(0.9, td))));
    CHECK(s.bias2_sqrt == static_cast<TestType>(std::sqrt(1.0 - std::pow(0.999, td))));
    CHECK(s.beta1 == static_cast<TestType>(0.9));
    CHECK(s.beta2 == static_cast<TestType>(0.999));
    CHECK(s.eps == static_cast<TestType>(1e-8));
    CHECK(s.l2 == static_cast<TestType>(0.25));
  }
  // Hand values: step 1 is lr / 0.1 and sqrt(0.001); step 2 is lr / 0.19 and sqrt(0.001999).
  CHECK(static_cast<double>(schedule.at(1).step_size) == Approx(0.1).epsilon(1e-7));
  CHECK(static_cast<double>(schedule.at(1).bias2_sqrt) == Approx(0.0316227766).epsilon(1e-7));
  CHECK(static_cast<double>(schedule.at(2).step_size) == Approx(0.01 / 0.19).epsilon(1e-7));
  CHECK(static_cast<double>(schedule.at(2).bias2_sqrt) ==
        Approx(std::sqrt(0.001999)).epsilon(1e-7));
  // Late steps: the corrections vanish.
  CHECK(static_cast<double>(schedule.at(20000).step_size) == Approx(0.01).epsilon(1e-7));
  CHECK(static_cast<double>(schedule.at(20000).bias2_sqrt) == Approx(1.0).epsilon(1e-7));
}

TEMPLATE_TEST_CASE("AdamSchedule gives the same constants in any query order", "[optim]", float,
                   double) {
  const OptimizerConfig config{.lr = 0.003, .beta1 = 0.8, .beta2 = 0.99};
  AdamSchedule<TestType> in_order(config);
  AdamSchedule<TestType> jumping(config);
  const auto& far = jumping.at(40);  // fills 1..40 at once
  const TestType far_step = far.step_size;
  for (std::uint64_t t = 1; t <= 40; ++t) {
    const auto& a = in_order.at(t);
    const auto& b = jumping.at(t);
    CHECK(a.step_size == b.step_size);
    CHECK(a.bias2_sqrt == b.bias2_sqrt);
  }
  CHECK(jumping.at(40).step_size == far_step);
  // Querying an earlier step again returns the cached value.
  CHECK(in_order.at(3).step_size == jumping.at(3).step_size);
}

TEST_CASE("AdamSchedule rejects step 0", "[optim]") {
  AdamSchedule<double> schedule(OptimizerConfig{});
  CHECK_THROWS_AS(schedule.at(0), deepfm::InternalError);
}
