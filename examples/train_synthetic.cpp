// Trains DeepFM and FM on generated data with a planted non-linear signal and compares their
// held-out AUC with the Bayes-optimal AUC of the generator. The quick start's main job until
// the `deepfm` trainer lands.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <deepfm/deepfm.hpp>
#include <exception>
#include <string>

namespace {

struct Options {
  std::size_t rows = 100000;
  std::size_t epochs = 20;
  std::size_t batch = 2048;
  std::uint64_t seed = 1;
  std::string model = "both";
  int threads = 0;
};

template <typename Model>
deepfm::Metrics train_and_report(Model& model, const char* name, const deepfm::Batch& train,
                                 const deepfm::Batch& test, const Options& options) {
  std::printf("\n%s: %zu dense parameters, %zu x %zu embedding table\n", name,
              model.dense_parameters().size(), model.table_rows(), model.factors());
  const auto report = [](const deepfm::EpochStats& stats) {
    std::printf("  epoch %3zu  train loss %.4f  test loss %.4f  test auc %.4f  %8.0f samples/s\n",
                stats.epoch, stats.train_loss, stats.validation->logloss,
                stats.validation->auc.value_or(0.5), stats.samples_per_second);
    std::fflush(stdout);
  };
  deepfm::fit(model, train,
              {.epochs = options.epochs,
               .batch_size = options.batch,
               .validation = test,
               .on_epoch = report});
  return model.evaluate(test);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"Train DeepFM and FM on generated CTR data and compare with the Bayes-optimal AUC"};
  app.add_option("--rows", options.rows, "rows to generate (80% train, 20% test)")
      ->check(CLI::Range(std::size_t{10}, std::size_t{1} << 30));
  app.add_option("--epochs", options.epochs, "training epochs");
  app.add_option("--batch", options.batch, "batch size")->check(CLI::PositiveNumber);
  app.add_option("--seed", options.seed, "seed of the data and the models");
  app.add_option("--model", options.model, "deepfm, fm or both")
      ->check(CLI::IsMember({"deepfm", "fm", "both"}));
  app.add_option("--threads", options.threads, "threads (0: all)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    if (options.threads > 0) deepfm::set_max_threads(options.threads);
    deepfm::SyntheticConfig config;
    config.rows = options.rows;
    config.seed = options.seed;
    const deepfm::SyntheticData data = deepfm::generate_synthetic(config);
    const std::size_t train_rows = data.rows() * 4 / 5;
    const deepfm::Batch train = data.slice(0, train_rows);
    const deepfm::Batch test = data.slice(train_rows, data.rows());
    const std::vector<double> test_logits(
        data.true_logits.begin() + static_cast<std::ptrdiff_t>(train_rows), data.true_logits.end());
    const double bayes_auc = deepfm::roc_auc<double>(test_logits, test.labels).value_or(0.5);
    std::printf("deepfm %s (scalar reference kernels, compiled for %s)\n", deepfm::kVersionString,
                std::string(deepfm::kernels::isa_name(deepfm::kernels::kIsa)).c_str());
    std::printf("generated data: %zu rows (%zu train, %zu test), %zu fields, seed %llu\n",
                data.rows(), train.rows(), test.rows(), data.fields(),
                static_cast<unsigned long long>(options.seed));
    std::printf("Bayes-optimal test AUC (the generator's true logits): %.4f\n", bayes_auc);

    std::optional<double> deep_auc, fm_auc;
    if (options.model != "fm") {
      deepfm::DeepFM<float> deep(data.field_dims, {.seed = options.seed});
      deep_auc = train_and_report(deep, "DeepFM (k 10, MLP 30-20-10, dropout 0.1, Adam 0.01)",
                                  train, test, options)
                     .auc;
    }
    if (options.model != "deepfm") {
      deepfm::FM<float> fm(data.field_dims, {.seed = options.seed});
      fm_auc = train_and_report(fm, "FM (k 20, Adam 0.02)", train, test, options).auc;
    }
    std::printf("\nresult: test AUC");
    if (deep_auc) std::printf("  DeepFM %.4f", *deep_auc);
    if (fm_auc) std::printf("  FM %.4f", *fm_auc);
    std::printf("  Bayes-optimal %.4f\n", bayes_auc);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "deepfm: error: %s\n", e.what());
    return 1;
  }
}
