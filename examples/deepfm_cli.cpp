// The `deepfm` command-line tool: `generate` writes synthetic d2l-format data; `encode` reads
// CTR files into the binary dataset cache (a second run with the same input and options
// finds the entry and parses nothing). (The trainer issue adds train, predict and eval.)
// Exit codes: 0 success, 1 a data or I/O error, 2 a usage error (bad flags or options).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <deepfm/data/dataset_cache.hpp>
#include <deepfm/data/reader_options.hpp>
#include <deepfm/data/synthetic_writer.hpp>
#include <deepfm/deepfm.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
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

struct EncodeCommand {
  std::string train;
  std::string test;
  std::string format = "d2l";
  std::string cache_dir;
  std::vector<std::string> drop_columns;
  deepfm::ReaderOptions reader;
  bool json = false;
};

/// What encoding one file produced; saved beside its cache entry so a hit reports it too.
struct FileSummary {
  std::size_t rows = 0;
  std::size_t skipped_lines = 0;
  std::size_t oov_cells = 0;
  std::size_t total_cells = 0;
  std::vector<std::size_t> field_dims;
  bool cache_hit = false;
  std::filesystem::path entry;
};

std::filesystem::path report_path(const std::filesystem::path& entry) {
  return std::filesystem::path(entry).concat(".report");
}

void save_report(const std::filesystem::path& entry, const deepfm::EncodeReport& report) {
  std::ofstream(report_path(entry))
      << report.skipped_lines << ' ' << report.oov_cells << ' ' << report.total_cells << '\n';
}

bool load_report(const std::filesystem::path& entry, FileSummary& summary) {
  std::ifstream in(report_path(entry));
  return static_cast<bool>(in >> summary.skipped_lines >> summary.oov_cells >> summary.total_cells);
}

/// Encodes `input` into the cache (or finds it there). `vocabulary` is built on demand from
/// the training file: a run whose entries all hit parses nothing.
FileSummary encode_into_cache(const EncodeCommand& command, const std::string& input,
                              const std::string& key_options,
                              const std::function<const deepfm::Vocabulary&()>& vocabulary,
                              const std::filesystem::path& cache_dir) {
  deepfm::EncodeReport report;
  bool encoded = false;
  const auto encode = [&](deepfm::BinaryDatasetWriter& writer) {
    const deepfm::Vocabulary& vocab = vocabulary();
    writer.set_field_dims(vocab.field_dims());
    deepfm::encode_rows(input, vocab, deepfm::make_parser_factory(command.reader, vocab.fields()),
                        command.reader.encode, report,
                        [&](std::span<const deepfm::FeatureId> ids, float label) {
                          writer.append_row(ids, label);
                        });
    encoded = true;
  };
  deepfm::CachedDataset cached = deepfm::encode_cached(input, key_options, cache_dir, encode);
  FileSummary summary;
  if (encoded) {
    save_report(cached.path, report);
  } else if (!load_report(cached.path, summary)) {
    // An entry without its report (written by an interrupted run): encode it again.
    std::filesystem::remove(cached.path);
    cached = deepfm::encode_cached(input, key_options, cache_dir, encode);
    save_report(cached.path, report);
  }
  if (encoded) {
    summary.skipped_lines = report.skipped_lines;
    summary.oov_cells = report.oov_cells;
    summary.total_cells = report.total_cells;
    for (const std::string& example : report.skipped_examples)
      std::fprintf(stderr, "deepfm: skipped %s\n", example.c_str());
  }
  summary.rows = cached.dataset.rows();
  const auto dims = cached.dataset.field_dims();
  summary.field_dims.assign(dims.begin(), dims.end());
  summary.cache_hit = !encoded;
  summary.entry = cached.path;
  return summary;
}

std::string json_list(const std::vector<std::size_t>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    text += (i ? "," : "") + std::to_string(values[i]);
  return text + "]";
}

int run_encode(EncodeCommand command) {
  const auto start = std::chrono::steady_clock::now();
  command.reader.format = deepfm::parse_format(command.format);
  command.reader.drop_columns = command.drop_columns;
  const std::filesystem::path cache_dir = command.cache_dir.empty()
                                              ? deepfm::default_cache_dir()
                                              : std::filesystem::path(command.cache_dir);
  const std::string options = deepfm::canonical_string(command.reader);

  std::optional<deepfm::Vocabulary> vocabulary;
  const auto training_vocabulary = [&]() -> const deepfm::Vocabulary& {
    if (!vocabulary) {
      deepfm::EncodeReport pass1;
      vocabulary = deepfm::build_vocabulary(
          command.train, deepfm::make_parser_factory(command.reader), command.reader.encode, pass1);
    }
    return *vocabulary;
  };
  const FileSummary train =
      encode_into_cache(command, command.train, "train;" + options, training_vocabulary, cache_dir);
  std::optional<FileSummary> test;
  if (!command.test.empty()) {
    // The test encoding depends on the training vocabulary, so its key holds the training
    // file's content hash.
    const deepfm::FileDigest train_digest = deepfm::hash_file(command.train);
    test = encode_into_cache(command, command.test,
                             "test;" + options + ";train=" + std::to_string(train_digest.hash) +
                                 ":" + std::to_string(train_digest.bytes),
                             training_vocabulary, cache_dir);
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
  encode_command->add_option("--format", encode.format, "input format")
      ->check(CLI::IsMember({"d2l", "criteo", "csv", "libsvm", "libffm"}));
  encode_command->add_option("--fields", encode.reader.fields,
                             "categorical fields (0: from the first record)");
  encode_command->add_option("--min-count", encode.reader.encode.min_count,
                             "values seen fewer times in training map to the field's default id");
  encode_command->add_option("--hash-buckets", encode.reader.encode.hash_buckets,
                             "hash each field into N ids instead of a vocabulary (0: vocabulary)");
  encode_command->add_flag("--strict", encode.reader.encode.strict,
                           "any bad line is an error (default: lines with a wrong field count are "
                           "skipped and reported)");
  encode_command
      ->add_option("--max-line-bytes", encode.reader.encode.max_line_bytes, "longest line accepted")
      ->check(CLI::Range(std::size_t{16}, std::size_t{1} << 30));
  encode_command->add_option("--label-column", encode.reader.label_column, "csv: label column");
  encode_command->add_option("--drop-columns", encode.drop_columns, "csv: columns to ignore")
      ->delimiter(',');
  encode_command->add_option("--cache-dir", encode.cache_dir,
                             "cache folder (default: $XDG_CACHE_HOME/deepfm or ~/.cache/deepfm)");
  encode_command->add_flag("--json", encode.json, "end with one JSON line of the figures");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*generate_command) return run_generate(generate);
    if (*encode_command) return run_encode(encode);
    return 2;
  } catch (const deepfm::InvalidArgument& e) {  // options that cannot go together
    std::fprintf(stderr, "deepfm: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {  // data, I/O and everything else
    std::fprintf(stderr, "deepfm: error: %s\n", e.what());
    return 1;
  }
}
