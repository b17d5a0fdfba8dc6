// The `deepfm` command-line tool: `generate` writes synthetic d2l-format data; `encode` reads
// CTR files into the binary dataset cache. (The trainer issue adds train, predict and eval.)
// Exit codes: 0 success, 1 a data or I/O error, 2 a usage error.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <deepfm/data/synthetic_writer.hpp>
#include <deepfm/deepfm.hpp>
#include <exception>
#include <string>

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*generate_command) return run_generate(generate);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "deepfm: error: %s\n", e.what());
    return 1;
  }
}
