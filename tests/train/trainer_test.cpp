// train/trainer.hpp: rollover epochs, metrics, early stopping, and checkpoints from which a
// resumed run ends bit-identical to an uninterrupted one.
#include <catch2/catch.hpp>

#include <cstring>
#include <deepfm/data/synthetic.hpp>
#include <deepfm/train/fit.hpp>
#include <deepfm/train/trainer.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/scratch_dir.hpp"

namespace {

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

/// Generated data, its vocabulary ("0".."9" kept per field: the dims are 11, the default id
/// never used) and a spec for it.
struct Fixture {
  deepfm::SyntheticData data;
  deepfm::Vocabulary vocabulary;
  deepfm::ModelSpec spec;

  explicit Fixture(deepfm::ModelKind kind, std::size_t rows = 1500) {
    deepfm::SyntheticConfig config;
    config.rows = rows;
    config.field_dims = std::vector<std::size_t>(5, 11);
    config.seed = 5;
    data = deepfm::generate_synthetic(config);
    std::vector<std::vector<std::string>> kept(5);
    for (auto& values : kept)
      for (int v = 0; v < 10; ++v) values.push_back(std::to_string(v));
    vocabulary = deepfm::Vocabulary::from_kept_values(kept, 4);
    spec = deepfm::ModelSpec::defaults(kind);
    spec.factors = 4;
    if (kind == deepfm::ModelKind::deepfm) spec.mlp = {8, 4};
    spec.seed = 11;
    spec.field_dims = config.field_dims;
  }

  deepfm::TrainerData sets() const {
    deepfm::TrainerData sets;
    sets.train = data.slice(0, 1000);
    sets.validation = data.slice(1000, 1250);
    sets.test = data.slice(1250, data.rows());
    return sets;
  }
};

template <typename T>
std::vector<std::vector<T>> parameters_of(deepfm::CtrModel<T>& model, bool optimizer_state) {
  std::vector<std::vector<T>> out;
  model.visit_state([&](std::string_view, std::span<T> values,
                        bool) { out.emplace_back(values.begin(), values.end()); },
                    optimizer_state);
  return out;
}

template <typename T>
bool bit_identical(const std::vector<std::vector<T>>& a, const std::vector<std::vector<T>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() ||
        (!a[i].empty() && std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(T)) != 0))
      return false;
  return true;
}

/// Trains `options.epochs` epochs; with `interrupt_at_step` > 0, throws from inside that step's
/// callback (a crash), then resumes from the last checkpoint in a fresh model and finishes.
template <typename T>
std::pair<std::vector<std::vector<T>>, deepfm::TrainResult> train_with_crash(
    const Fixture& f, deepfm::TrainerOptions options, std::uint64_t interrupt_at_step) {
  const deepfm::ReaderOptions reader;
  auto model = deepfm::make_model<T>(f.spec);
  deepfm::TrainerCallbacks callbacks;
  if (interrupt_at_step > 0)
    callbacks.on_step = [&](std::size_t, double, double) {
      if (model->step() == interrupt_at_step) throw Interrupted();
    };
  {
    deepfm::Trainer<T> trainer(*model, f.spec, reader, f.vocabulary, options, "data-1");
    try {
      const deepfm::TrainResult result = trainer.run(f.sets(), callbacks);
      return {parameters_of(*model, true), result};
    } catch (const Interrupted&) {
    }
  }
  deepfm::LoadedModel<T> loaded = deepfm::load_model_file<T>(options.checkpoint_file);
  REQUIRE(loaded.progress.has_value());
  deepfm::Trainer<T> trainer(*loaded.model, f.spec, reader, f.vocabulary, options, "data-1");
  trainer.resume(std::move(*loaded.progress), std::move(loaded.best_parameters));
  const deepfm::TrainResult result = trainer.run(f.sets());
  return {parameters_of(*loaded.model, true), result};
}

}  // namespace

TEMPLATE_TEST_CASE("Trainer resumed after a crash ends bit-identical to an uninterrupted run",
                   "[train][resume]", float, double) {
  using T = TestType;
  const auto [kind, optimizer, mode] = GENERATE(
      std::tuple{deepfm::ModelKind::deepfm, deepfm::Optimizer::adam, deepfm::AdamMode::dense},
      std::tuple{deepfm::ModelKind::deepfm, deepfm::Optimizer::adam, deepfm::AdamMode::lazy_exact},
      std::tuple{deepfm::ModelKind::deepfm, deepfm::Optimizer::adam, deepfm::AdamMode::lazy},
      std::tuple{deepfm::ModelKind::fm, deepfm::Optimizer::adagrad, deepfm::AdamMode::dense});
  Fixture f(kind);
  f.spec.optimizer.kind = optimizer;
  f.spec.optimizer.adam_mode = mode;
  deepfm::test::ScratchDir dir("trainer_resume");
  deepfm::TrainerOptions options{.epochs = 4, .batch_size = 96, .checkpoint_every = 4};
  options.checkpoint_file = dir.path / "uninterrupted.dfm";
  const auto [reference, reference_result] = train_with_crash<T>(f, options, 0);
  // 1000 rows in batches of 96: epochs of 10 or 11 batches, rows rolling over. A crash at step
  // 23 redoes three steps after the step-20 checkpoint; 21 crashes just after an epoch-end
  // checkpoint; 5 just after the first checkpoint.
  for (const std::uint64_t crash_step : {std::uint64_t{23}, std::uint64_t{21}, std::uint64_t{5}}) {
    CAPTURE(crash_step);
    options.checkpoint_file = dir.path / ("crash" + std::to_string(crash_step) + ".dfm");
    const auto [resumed, resumed_result] = train_with_crash<T>(f, options, crash_step);
    CHECK(bit_identical(reference, resumed));
    REQUIRE(resumed_result.history.size() == reference_result.history.size());
    for (std::size_t e = 0; e < reference_result.history.size(); ++e) {
      CHECK(resumed_result.history[e].train_loss == reference_result.history[e].train_loss);
      CHECK(resumed_result.history[e].test->logloss == reference_result.history[e].test->logloss);
    }
  }
}

TEST_CASE("Trainer stopped by a request checkpoints that step and resumes bit-identical",
          "[train][resume]") {
  Fixture f(deepfm::ModelKind::deepfm);
  f.spec.optimizer.adam_mode = deepfm::AdamMode::lazy_exact;
  deepfm::test::ScratchDir dir("trainer_stop_request");
  deepfm::TrainerOptions options{.epochs = 3, .batch_size = 96};
  options.checkpoint_file = dir.path / "uninterrupted.dfm";
  const auto [reference, reference_result] = train_with_crash<float>(f, options, 0);
  // Mid-epoch (step 13 of epoch 2, no periodic checkpoint there), and at an epoch's last step
  // (10 batches of 96 in the first epoch), where the run stops after the epoch's checkpoint.
  for (const std::uint64_t stop_step : {std::uint64_t{13}, std::uint64_t{10}}) {
    CAPTURE(stop_step);
    options.checkpoint_file = dir.path / ("stop" + std::to_string(stop_step) + ".dfm");
    auto model = deepfm::make_model<float>(f.spec);
    deepfm::TrainerCallbacks callbacks;
    callbacks.stop_requested = [&] { return model->step() >= stop_step; };
    deepfm::Trainer<float> trainer(*model, f.spec, {}, f.vocabulary, options, "data-1");
    const deepfm::TrainResult stopped = trainer.run(f.sets(), callbacks);
    CHECK(stopped.interrupted);
    CHECK(model->step() == stop_step);
    CHECK(stopped.history.size() < options.epochs);
    deepfm::LoadedModel<float> loaded = deepfm::load_model_file<float>(options.checkpoint_file);
    REQUIRE(loaded.progress.has_value());
    CHECK(loaded.model->step() == stop_step);
    deepfm::Trainer<float> resumed(*loaded.model, f.spec, {}, f.vocabulary, options, "data-1");
    resumed.resume(std::move(*loaded.progress), std::move(loaded.best_parameters));
    const deepfm::TrainResult finished = resumed.run(f.sets());
    CHECK_FALSE(finished.interrupted);
    CHECK(bit_identical(reference, parameters_of(*loaded.model, true)));
  }
}

TEST_CASE("Trainer refuses to resume on other data", "[train][resume]") {
  Fixture f(deepfm::ModelKind::fm);
  deepfm::test::ScratchDir dir("trainer_other_data");
  deepfm::TrainerOptions options{.epochs = 1, .batch_size = 100};
  options.checkpoint_file = dir.path / "c.dfm";
  auto model = deepfm::make_model<float>(f.spec);
  deepfm::Trainer<float> first(*model, f.spec, {}, f.vocabulary, options, "data-1");
  first.run(f.sets());
  deepfm::LoadedModel<float> loaded = deepfm::load_model_file<float>(options.checkpoint_file);
  deepfm::Trainer<float> second(*loaded.model, f.spec, {}, f.vocabulary, options, "data-2");
  CHECK_THROWS_WITH(second.resume(std::move(*loaded.progress), {}), Catch::Contains("other data"));
}

TEST_CASE("Trainer reports every epoch with validation and test metrics", "[train]") {
  Fixture f(deepfm::ModelKind::deepfm);
  auto model = deepfm::make_model<float>(f.spec);
  deepfm::Trainer<float> trainer(*model, f.spec, {}, f.vocabulary, {.epochs = 3, .batch_size = 128},
                                 "d");
  std::vector<std::size_t> begun;
  std::size_t steps = 0;
  deepfm::TrainerCallbacks callbacks;
  callbacks.on_epoch_begin = [&](std::size_t epoch, std::size_t total, std::size_t batches,
                                 std::size_t done) {
    begun.push_back(epoch);
    CHECK(total == 3);
    // 1000 rows: 7 batches and 104 rows over; then 1104 and 1080 rows: 8 batches each.
    CHECK(batches == (epoch == 1 ? 7u : 8u));
    CHECK(done == 0);
  };
  callbacks.on_step = [&](std::size_t, double loss, double) {
    ++steps;
    CHECK(std::isfinite(loss));
  };
  const deepfm::TrainResult result = trainer.run(f.sets(), callbacks);
  CHECK(begun == std::vector<std::size_t>{1, 2, 3});
  CHECK(steps == model->step());
  REQUIRE(result.history.size() == 3);
  for (const auto& stats : result.history) {
    REQUIRE(stats.validation.has_value());
    REQUIRE(stats.test.has_value());
    CHECK(stats.validation->rows == 250);
    CHECK(stats.test->rows == 250);
  }
  CHECK(result.history.back().test->logloss < result.history.front().test->logloss + 0.05);
  CHECK_FALSE(result.stopped_early);
}

TEST_CASE("Trainer early stopping restores the best validation epoch", "[train]") {
  Fixture f(deepfm::ModelKind::deepfm);
  f.spec.optimizer.lr = 0.05;  // overfits 1000 rows quickly, so validation AUC peaks early
  f.spec.factors = 16;
  f.spec.mlp = {64, 64};
  f.spec.dropout = 0;
  deepfm::TrainerOptions options{.epochs = 40, .batch_size = 64, .early_stop = 2};
  auto model = deepfm::make_model<float>(f.spec);
  deepfm::Trainer<float> trainer(*model, f.spec, {}, f.vocabulary, options, "d");
  const deepfm::TrainResult result = trainer.run(f.sets());
  REQUIRE(result.best_epoch > 0);
  double best = -1;
  std::size_t best_epoch = 0;
  for (const auto& stats : result.history)
    if (*stats.validation->auc > best) {
      best = *stats.validation->auc;
      best_epoch = stats.epoch;
    }
  CHECK(result.best_epoch == best_epoch);
  CHECK(result.stopped_early);
  CHECK(result.history.size() == best_epoch + 2);
  // The model now is the best epoch's: equal to a run of exactly that many epochs.
  auto reference = deepfm::make_model<float>(f.spec);
  options.epochs = best_epoch;
  options.early_stop = 0;
  deepfm::Trainer<float>(*reference, f.spec, {}, f.vocabulary, options, "d").run(f.sets());
  CHECK(bit_identical(parameters_of(*model, false), parameters_of(*reference, false)));
  CHECK(model->evaluate(*f.sets().validation).auc == best);
}

TEST_CASE("Trainer early stopping needs a validation set", "[train]") {
  Fixture f(deepfm::ModelKind::fm);
  auto model = deepfm::make_model<float>(f.spec);
  deepfm::Trainer<float> trainer(*model, f.spec, {}, f.vocabulary,
                                 {.epochs = 2, .batch_size = 100, .early_stop = 1}, "d");
  deepfm::TrainerData sets = f.sets();
  sets.validation.reset();
  CHECK_THROWS_AS(trainer.run(sets), deepfm::InvalidArgument);
}

TEST_CASE("Trainer stops a diverging run and names the learning rate", "[train][numerics]") {
  // Epochs 1 and 2 train normally; as epoch 3 begins the bias jumps to 50, so every row is
  // predicted 1 with certainty and the loss is far above 10 times the first epoch's. Batches of
  // 50 rows make 20 steps an epoch: epoch 3 is steps 41 to 60.
  const std::uint64_t every = GENERATE(0u, 3u);
  Fixture f(deepfm::ModelKind::fm);
  deepfm::test::ScratchDir dir("trainer_diverge");
  deepfm::TrainerOptions options{.epochs = 5, .batch_size = 50, .checkpoint_every = every};
  options.checkpoint_file = dir.path / "c.dfm";
  auto model = deepfm::make_model<float>(f.spec);
  deepfm::TrainerCallbacks callbacks;
  callbacks.on_epoch_begin = [&](std::size_t epoch, std::size_t, std::size_t, std::size_t) {
    if (epoch != 3) return;
    for (const auto& slice : model->dense_layout())
      if (slice.name == "first_order.bias") model->dense_parameters()[slice.offset] = 50;
  };
  deepfm::Trainer<float> trainer(*model, f.spec, {}, f.vocabulary, options, "d");
  try {
    trainer.run(f.sets(), callbacks);
    FAIL("no divergence detected");
  } catch (const deepfm::NumericError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("diverged in epoch 3") != std::string::npos);
    CHECK(what.find("lower learning rate (now 0.02)") != std::string::npos);
  }
  const auto saved = deepfm::load_model_file<float>(options.checkpoint_file);
  REQUIRE(saved.progress.has_value());
  CHECK(saved.progress->history.size() == 2);
  if (every == 0) {
    CHECK(saved.progress->epoch.batches_done == 0);  // epoch 2's: epoch 3 stopped before its own
  } else {
    // The running mean is judged from the 8th batch on: the checkpoint due at step 48 (8
    // batches into epoch 3) is refused, so the last one is step 45's. Without the mid-epoch
    // check the run would have gone on to step 57's.
    CHECK(saved.progress->epoch.batches_done == 5);
  }
}

TEST_CASE("Trainer does not call a rising test loss divergence", "[train][numerics]") {
  // The test set is the training rows with every label flipped: the better the model fits
  // its training data, the worse it scores there, so the test loss climbs far past the
  // divergence bound while the training loss falls. The run must go on.
  Fixture f(deepfm::ModelKind::deepfm);
  f.spec.optimizer.lr = 0.05;
  f.spec.factors = 16;
  f.spec.mlp = {64, 64};
  f.spec.dropout = 0;
  deepfm::TrainerData sets = f.sets();
  std::vector<float> flipped(sets.train.labels.begin(), sets.train.labels.end());
  for (float& label : flipped) label = 1.0f - label;
  sets.test = deepfm::Batch{sets.train.ids, flipped, sets.train.fields};
  auto model = deepfm::make_model<float>(f.spec);
  deepfm::Trainer<float> trainer(*model, f.spec, {}, f.vocabulary,
                                 {.epochs = 100, .batch_size = 64}, "d");
  const deepfm::TrainResult result = trainer.run(sets);
  REQUIRE(result.history.size() == 100);
  const double first = result.history.front().test->logloss;
  const double last = result.history.back().test->logloss;
  INFO("test loss: first epoch " << first << ", last " << last);
  CHECK(last > deepfm::Trainer<float>::kDivergenceFactor * first);
  CHECK(result.history.back().train_loss < result.history.front().train_loss);
}

TEMPLATE_TEST_CASE("fit and Trainer run one epoch loop: the same model from the same seed",
                   "[train][fit]", float, double) {
  Fixture f(deepfm::ModelKind::deepfm);
  const deepfm::TrainerData sets = f.sets();
  auto by_trainer = deepfm::make_model<TestType>(f.spec);
  deepfm::Trainer<TestType> trainer(*by_trainer, f.spec, {}, f.vocabulary,
                                    {.epochs = 3, .batch_size = 128}, "d");
  const deepfm::TrainResult result = trainer.run({.train = sets.train});
  auto by_fit = deepfm::make_model<TestType>(f.spec);
  const std::vector<deepfm::EpochStats> history =
      deepfm::fit(*by_fit, sets.train, {.epochs = 3, .batch_size = 128});
  by_trainer->sync();
  CHECK(by_fit->step() == by_trainer->step());
  CHECK(bit_identical(parameters_of(*by_fit, true), parameters_of(*by_trainer, true)));
  REQUIRE(history.size() == result.history.size());
  for (std::size_t e = 0; e < history.size(); ++e) {
    CHECK(history[e].epoch == result.history[e].epoch);
    CHECK(history[e].train_loss == result.history[e].train_loss);
  }
}
