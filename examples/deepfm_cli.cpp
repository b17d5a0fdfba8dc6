// The `deepfm` command-line tool: `train` trains DeepFM or FM and saves a .dfm model file;
// `predict` and `eval` score files with one; `generate` writes synthetic d2l- or Criteo-format
// data; `encode` reads CTR files into the binary dataset cache (a second run with the same input
// and options finds the entry and parses nothing). Exit codes: 0 success, 1 a data or I/O error, 2
// a usage error (bad flags or options), 3 (predict) some rows could not be scored: their output
// lines are empty.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deepfm/data/synthetic_writer.hpp>
#include <deepfm/deepfm.hpp>
#include <deepfm/report/json_writer.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deepfm_cli/data_sets.hpp"
#include "deepfm_cli/flag_checks.hpp"
#include "deepfm_cli/predict_command.hpp"
#include "deepfm_cli/train_command.hpp"

namespace {

struct GenerateOptions {
  std::size_t rows = 100000;
  std::uint64_t seed = 1;
  std::size_t fields = 9;
  std::size_t values_per_field = 10;
  std::string format = "d2l";
  std::string out;
};

int run_generate(const GenerateOptions& options) {
  deepfm::SyntheticConfig config;
  config.rows = options.rows;
  config.seed = options.seed;
  const bool criteo = options.format == "criteo";
  config.field_dims = std::vector<std::size_t>(criteo ? deepfm::kCriteoFields : options.fields,
                                               options.values_per_field);
  const deepfm::SyntheticData data = deepfm::generate_synthetic(config);
  if (criteo) {
    deepfm::write_synthetic_criteo(data, options.out);
  } else {
    deepfm::write_synthetic_d2l(data, options.out);
  }
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
  int threads = 0;
  std::uint64_t max_memory = 0;  ///< as train's: 0 the default limit
};

/// Says, before reading, what the encode will hold and where it stops: the blocks, and the
/// vocabulary per distinct value (no file says how many it holds before it is read).
void announce_encode_memory(const deepfm::EncodeOptions& options, const std::string& source) {
  const auto threads = static_cast<std::size_t>(deepfm::max_threads());
  std::string line =
      "memory: blocks about " + deepfm::human_bytes(deepfm::batch_memory_bytes(options, threads));
  if (options.hash_buckets > 0) {
    line += ", no vocabulary (--hash-buckets)";
  } else {
    line += ", the vocabulary about " +
            std::to_string(deepfm::VocabularyCounter::peak_bytes_per_value()) +
            " bytes a distinct value";
    if (options.max_memory > 0 && options.max_memory != deepfm_cli::kNoMemoryLimit)
      line += "; stops past " + deepfm::human_bytes(options.max_memory) + " (" + source + ")";
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

int run_encode(const EncodeCommand& command) {
  using deepfm_cli::json_list;
  if (command.threads > 0) deepfm::set_max_threads(command.threads);
  const auto start = std::chrono::steady_clock::now();
  deepfm::ReaderOptions reader = command.flags.options();
  std::string limit_source;
  reader.encode.max_memory = deepfm_cli::resolved_memory_limit(command.max_memory, limit_source);
  announce_encode_memory(reader.encode, limit_source);
  deepfm::TrainingFiles files(reader, command.train, command.flags.cache_folder());
  deepfm_cli::EncodeProgress progress(files);
  const deepfm::FileSummary train = files.train().summary;
  progress.done();
  deepfm_cli::print_skipped_lines(train.report);
  std::optional<deepfm::FileSummary> test;
  if (!command.test.empty()) {
    test = files.other(command.test).summary;
    progress.done();
    deepfm_cli::print_skipped_lines(test->report);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double megabytes =
      static_cast<double>(std::filesystem::file_size(command.train) +
                          (command.test.empty() ? 0 : std::filesystem::file_size(command.test))) /
      1e6;

  std::size_t table_rows = 0;
  for (std::size_t dim : train.field_dims) table_rows += dim;
  std::printf("train: %zu rows, %zu fields, %zu ids in all, %zu lines skipped (%s %s)\n",
              train.rows, train.field_dims.size(), table_rows, train.report.skipped_lines,
              train.cache_hit ? "cache hit" : "encoded into",
              deepfm::printable_text(train.entry.string()).c_str());
  std::printf("field_dims: %s\n", json_list(train.field_dims).c_str());
  if (test)
    std::printf("test: %zu rows, %zu of %zu values out of vocabulary, %zu lines skipped (%s %s)\n",
                test->rows, test->report.oov_cells, test->report.total_cells,
                test->report.skipped_lines, test->cache_hit ? "cache hit" : "encoded into",
                deepfm::printable_text(test->entry.string()).c_str());
  std::printf("time: %.3f s (%.1f MB/s of input, %d threads)\n", seconds,
              megabytes / std::max(seconds, 1e-9), deepfm::max_threads());
  if (command.json) {
    deepfm::JsonObject json;
    json.add("rows", train.rows)
        .add("fields", train.field_dims.size())
        .add_raw("field_dims", json_list(train.field_dims))
        .add("skipped_lines", train.report.skipped_lines)
        .add("test_rows", test ? std::optional(test->rows) : std::nullopt)
        .add("test_oov", test ? std::optional(test->report.oov_cells) : std::nullopt)
        .add("cache_hit", train.cache_hit && (!test || test->cache_hit))
        .add("seconds", seconds);
    std::printf("%s\n", json.str().c_str());
  }
  return 0;
}

/// CLI11's help with each option's default at the end of its description, "(default: 30)",
/// rather than glued to the value's type and range ("UINT:1 to 1000000=30").
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_opts(const CLI::Option* option) const override {
    std::string opts = CLI::Formatter::make_option_opts(option);
    const std::string glued = "=" + option->get_default_str();
    if (const std::size_t at = opts.find(glued);
        !option->get_default_str().empty() && at != std::string::npos)
      opts.erase(at, glued.size());
    return opts;
  }

  std::string make_option_desc(const CLI::Option* option) const override {
    std::string value = option->get_default_str();
    if (value.size() >= 2 && value.front() == '[' && value.back() == ']')  // a list flag's
      value = value.substr(1, value.size() - 2);
    if (value.empty()) return option->get_description();
    return option->get_description() + " (default: " + value + ")";
  }
};

/// What `deepfm --version` prints: the version, and the compiler, SIMD target and thread
/// backend of this build (which a bug report, or a speed comparison, needs).
std::string version_text() {
#if defined(__clang__)
  const std::string compiler = "clang++ " __clang_version__;
#elif defined(__GNUC__)
  const std::string compiler = "g++ " __VERSION__;
#else
  const std::string compiler = "an unknown compiler";
#endif
  return std::string("deepfm ") + deepfm::kVersionString + "\nbuilt with " +
         compiler.substr(0, compiler.find_last_not_of(' ') + 1) +
         ", SIMD kernels: " + std::string(deepfm::kernels::isa_name(deepfm::kernels::kIsa)) +
         ", threads: " + std::string(deepfm::kThreadBackend);
}

/// What `deepfm` without a command prints: each command in one line, and where to read more.
std::string command_overview(CLI::App& app) {
  std::string text = std::string(app.get_description()) +
                     "\nusage: deepfm COMMAND [FLAGS], where COMMAND is one of\n";
  const std::vector<CLI::App*> commands = app.get_subcommands([](CLI::App*) { return true; });
  std::size_t width = 0;
  for (const CLI::App* command : commands) width = std::max(width, command->get_name().size());
  for (const CLI::App* command : commands) {
    const std::string& name = command->get_name();
    text +=
        "  " + name + std::string(width + 2 - name.size(), ' ') + command->get_description() + "\n";
  }
  return text +
         "'deepfm COMMAND --help' lists a command's flags with their defaults; "
         "'deepfm --version' names this build.\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"deepfm: DeepFM and FM click-through-rate models", "deepfm"};
  app.require_subcommand(1);
  // Before the subcommands are made: they copy the option defaults of their parent.
  app.option_defaults()->always_capture_default();
  app.formatter(std::make_shared<HelpFormatter>());
  app.set_version_flag("--version", version_text(), "print the version and the build, and exit");
  app.failure_message(
      [](const CLI::App*, const CLI::Error& e) { return deepfm_cli::usage_error_line(e); });

  deepfm_cli::TrainCommand train;
  CLI::App* train_command = deepfm_cli::add_train_command(app, train);
  deepfm_cli::PredictCommand predict;
  CLI::App* predict_command = deepfm_cli::add_predict_command(app, predict);
  deepfm_cli::EvalCommand eval;
  CLI::App* eval_command = deepfm_cli::add_eval_command(app, eval);

  EncodeCommand encode;
  CLI::App* encode_command =
      app.add_subcommand("encode", "encode CTR text files into the binary dataset cache");
  encode_command->add_option("--train", encode.train, "training file (its vocabulary is used)")
      ->required()
      ->check(deepfm_cli::file_name());
  encode_command
      ->add_option("--test", encode.test, "test file, encoded with the training vocabulary")
      ->check(deepfm_cli::file_name());
  deepfm_cli::add_reader_flags(encode_command, encode.flags);
  encode_command->add_flag("--json", encode.json, "end with one JSON line of the figures");
  encode_command
      ->add_option("--threads", encode.threads,
                   "threads (0: all cores, or OMP_NUM_THREADS); the result is the same for any")
      ->transform(deepfm_cli::whole_number(0, 4096));
  encode_command
      ->add_option("--max-memory", encode.max_memory,
                   "stop counting once the vocabulary would need more memory than this: a size "
                   "such as 8G or 512M (powers of 1024), or none for no limit (default: the "
                   "smaller of the available memory and the cgroup's memory limit)")
      ->type_name("SIZE")
      ->transform(deepfm_cli::memory_limit())
      ->default_str("");

  GenerateOptions generate;
  CLI::App* generate_command = app.add_subcommand(
      "generate", "write synthetic CTR data with a known model (d2l or Criteo format)");
  generate_command->add_option("--rows", generate.rows, "rows to write")
      ->transform(deepfm_cli::whole_number(1, std::uint64_t{1} << 32));
  generate_command->add_option("--seed", generate.seed, "seed of the generating model and rows")
      ->transform(deepfm_cli::whole_number(0, std::numeric_limits<std::uint64_t>::max()));
  generate_command->add_option("--fields", generate.fields, "categorical fields (d2l format)")
      ->transform(deepfm_cli::whole_number(1, 1000));
  generate_command
      ->add_option("--format", generate.format,
                   "d2l, or criteo (Criteo's raw format: 13 integer and 26 hashed columns, "
                   "id 0 of a field written as a missing value; --fields is then 39)")
      ->check(deepfm_cli::one_of({"d2l", "criteo"}));
  generate_command
      ->add_option("--values-per-field", generate.values_per_field, "distinct values per field")
      ->transform(deepfm_cli::whole_number(1, std::uint64_t{1} << 24));
  generate_command->add_option("--out", generate.out, "output file")
      ->required()
      ->check(deepfm_cli::file_name());

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // No command at all (`deepfm`, `deepfm --seed 3`): say which there are before the error.
    if (app.get_subcommands().empty() && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr)
      std::fputs(command_overview(app).c_str(), stderr);
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
    std::fprintf(stderr, "deepfm: error: %s\n", deepfm::printable_text(e.what()).c_str());
    return 2;
  } catch (const std::exception& e) {  // data, I/O and everything else
    std::fprintf(stderr, "deepfm: error: %s\n", deepfm::printable_text(e.what()).c_str());
    return 1;
  }
}
