// The `deepfm` command-line tool: `train` trains DeepFM or FM and saves a .dfm model file;
// `predict` and `eval` score files with one; `generate` writes synthetic d2l-format data;
// `encode` reads CTR files into the binary dataset cache (a second run with the same input and
// options finds the entry and parses nothing).
// Exit codes: 0 success, 1 a data or I/O error, 2 a usage error (bad flags or options).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <deepfm/data/synthetic_writer.hpp>
#include <deepfm/deepfm.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "deepfm_cli/data_sets.hpp"
#include "deepfm_cli/predict_command.hpp"
#include "deepfm_cli/train_command.hpp"

namespace {

struct GenerateOptions {
  std::size_t rows = 100000;
  std::uint64_t seed = 1;
  std::size_t fields = 9;
  std::size_t values_per_field = 10;
  std::string out;
};

int run_generate(const GenerateOptions& options) {
  deepfm::SyntheticConfig config;
  config.rows = options.rows;
  config.seed = options.seed;
  config.field_dims = std::vector<std::size_t>(options.fields, options.values_per_field);
  const deepfm::SyntheticData data = deepfm::generate_synthetic(config);
  deepfm::write_synthetic_d2l(data, options.out);
  std::printf("wrote %zu rows x %zu fields to %s (seed %llu)\n", data.rows(), data.fields(),
              options.out.c_str(), static_cast<unsigned long long>(options.seed));
  std::printf("Bayes-optimal AUC on these rows: %.4f\n", data.bayes_auc);
  return 0;
}

struct EncodeCommand {
  std::string train;
  std::string test;
  deepfm_cli::ReaderFlags flags;
  bool json = false;
};

int run_encode(const EncodeCommand& command) {
  using deepfm_cli::json_list;
  const auto start = std::chrono::steady_clock::now();
  deepfm_cli::TrainingFiles files(command.flags.options(), command.train,
                                  command.flags.cache_folder());
  const deepfm_cli::FileSummary train = files.train().summary;
  std::optional<deepfm_cli::FileSummary> test;
  if (!command.test.empty()) test = files.other(command.test).summary;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double megabytes =
      static_cast<double>(std::filesystem::file_size(command.train) +
                          (command.test.empty() ? 0 : std::filesystem::file_size(command.test))) /
      1e6;

  std::size_t table_rows = 0;
  for (std::size_t dim : train.field_dims) table_rows += dim;
  std::printf("train: %zu rows, %zu fields, %zu ids in all, %zu lines skipped (%s %s)\n",
              train.rows, train.field_dims.size(), table_rows, train.skipped_lines,
              train.cache_hit ? "cache hit" : "encoded into", train.entry.c_str());
  std::printf("field_dims: %s\n", json_list(train.field_dims).c_str());
  if (test)
    std::printf("test: %zu rows, %zu of %zu values out of vocabulary, %zu lines skipped (%s %s)\n",
                test->rows, test->oov_cells, test->total_cells, test->skipped_lines,
                test->cache_hit ? "cache hit" : "encoded into", test->entry.c_str());
  std::printf("time: %.3f s (%.1f MB/s of input)\n", seconds, megabytes / std::max(seconds, 1e-9));
  if (command.json) {
    std::printf(
        "{\"rows\":%zu,\"fields\":%zu,\"field_dims\":%s,\"skipped_lines\":%zu,\"test_rows\":%s,"
        "\"test_oov\":%s,\"cache_hit\":%s,\"seconds\":%.6f}\n",
        train.rows, train.field_dims.size(), json_list(train.field_dims).c_str(),
        train.skipped_lines, test ? std::to_string(test->rows).c_str() : "null",
        test ? std::to_string(test->oov_cells).c_str() : "null",
        train.cache_hit && (!test || test->cache_hit) ? "true" : "false", seconds);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"deepfm: DeepFM and FM click-through-rate models"};
  app.require_subcommand(1);

  GenerateOptions generate;
  CLI::App* generate_command =
      app.add_subcommand("generate", "write synthetic d2l-format CTR data with a known model");
  generate_command->add_option("--rows", generate.rows, "rows to write")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32));
  generate_command->add_option("--seed", generate.seed, "seed of the generating model and rows");
  generate_command->add_option("--fields", generate.fields, "categorical fields")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}));
  generate_command
      ->add_option("--values-per-field", generate.values_per_field, "distinct values per field")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  generate_command->add_option("--out", generate.out, "output file")->required();

  EncodeCommand encode;
  CLI::App* encode_command =
      app.add_subcommand("encode", "encode CTR text files into the binary dataset cache");
  encode_command->add_option("--train", encode.train, "training file (its vocabulary is used)")
      ->required();
  encode_command->add_option("--test", encode.test,
                             "test file, encoded with the training vocabulary");
  deepfm_cli::add_reader_flags(encode_command, encode.flags);
  encode_command->add_flag("--json", encode.json, "end with one JSON line of the figures");

  deepfm_cli::TrainCommand train;
  CLI::App* train_command = deepfm_cli::add_train_command(app, train);
  deepfm_cli::PredictCommand predict;
  CLI::App* predict_command = deepfm_cli::add_predict_command(app, predict);
  deepfm_cli::EvalCommand eval;
  CLI::App* eval_command = deepfm_cli::add_eval_command(app, eval);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*generate_command) return run_generate(generate);
    if (*encode_command) return run_encode(encode);
    if (*train_command) return deepfm_cli::run_train(train);
    if (*predict_command) return deepfm_cli::run_predict(predict);
    if (*eval_command) return deepfm_cli::run_eval(eval);
    return 2;
  } catch (const deepfm::InvalidArgument& e) {  // options that cannot go together
    std::fprintf(stderr, "deepfm: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {  // data, I/O and everything else
    std::fprintf(stderr, "deepfm: error: %s\n", e.what());
    return 1;
  }
}
