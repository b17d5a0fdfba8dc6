// The `deepfm` tool's data plumbing, shared by encode and train: the reader flags every
// command takes, and encoding a file into the dataset cache (or finding it there) together
// with the training vocabulary, which is kept beside its entry so a cache hit reads no text.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <deepfm/data/binary_dataset.hpp>
#include <deepfm/data/content_hash.hpp>
#include <deepfm/data/dataset_cache.hpp>
#include <deepfm/data/encoder.hpp>
#include <deepfm/data/line_reader.hpp>
#include <deepfm/data/reader_options.hpp>
#include <deepfm/train/model_file.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace deepfm_cli {

/// The reader flags of `encode` and `train` (the options that say how to read a text file).
struct ReaderFlags {
  std::string format = "d2l";
  std::vector<std::string> drop_columns;
  std::string cache_dir;
  deepfm::ReaderOptions reader;

  deepfm::ReaderOptions options() const {
    deepfm::ReaderOptions options = reader;
    options.format = deepfm::parse_format(format);
    options.drop_columns = drop_columns;
    return options;
  }
  std::filesystem::path cache_folder() const {
    return cache_dir.empty() ? deepfm::default_cache_dir() : std::filesystem::path(cache_dir);
  }
};

inline void add_reader_flags(CLI::App* command, ReaderFlags& flags) {
  command->add_option("--format", flags.format, "input format")
      ->check(CLI::IsMember({"d2l", "criteo", "csv", "libsvm", "libffm"}));
  command->add_option("--fields", flags.reader.fields,
                      "categorical fields (0: from the first record)");
  command->add_option("--min-count", flags.reader.encode.min_count,
                      "values seen fewer times in training map to the field's default id");
  command->add_option("--hash-buckets", flags.reader.encode.hash_buckets,
                      "hash each field into N ids instead of a vocabulary (0: vocabulary)");
  command->add_flag("--strict", flags.reader.encode.strict,
                    "any bad line is an error (default: lines with a wrong field count are "
                    "skipped and reported)");
  command
      ->add_option("--max-line-bytes", flags.reader.encode.max_line_bytes, "longest line accepted")
      ->check(CLI::Range(std::size_t{16}, deepfm::kMaxLineBytesLimit));
  command->add_option("--label-column", flags.reader.label_column, "csv: label column");
  command->add_option("--drop-columns", flags.drop_columns, "csv: columns to ignore")
      ->delimiter(',');
  command->add_option("--cache-dir", flags.cache_dir,
                      "cache folder (default: $XDG_CACHE_HOME/deepfm or ~/.cache/deepfm)");
}

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

/// An encoded file, memory-mapped from the cache.
struct EncodedFile {
  FileSummary summary;
  deepfm::MappedDataset dataset;
};

inline std::filesystem::path sidecar(const std::filesystem::path& entry, const char* suffix) {
  return std::filesystem::path(entry).concat(suffix);
}

inline void save_report(const std::filesystem::path& entry, const deepfm::EncodeReport& report) {
  std::ofstream(sidecar(entry, ".report"))
      << report.skipped_lines << ' ' << report.oov_cells << ' ' << report.total_cells << '\n';
}

inline bool load_report(const std::filesystem::path& entry, FileSummary& summary) {
  std::ifstream in(sidecar(entry, ".report"));
  return static_cast<bool>(in >> summary.skipped_lines >> summary.oov_cells >> summary.total_cells);
}

/// Encodes `input` into the cache (or finds it there). `vocabulary` is built on demand from
/// the training file: a run whose entries all hit parses nothing.
inline EncodedFile encode_into_cache(const deepfm::ReaderOptions& reader, const std::string& input,
                                     const std::string& key_options,
                                     const std::function<const deepfm::Vocabulary&()>& vocabulary,
                                     const std::filesystem::path& cache_dir) {
  deepfm::EncodeReport report;
  bool encoded = false;
  const auto encode = [&](deepfm::BinaryDatasetWriter& writer) {
    const deepfm::Vocabulary& vocab = vocabulary();
    writer.set_field_dims(vocab.field_dims());
    deepfm::encode_rows(input, vocab, deepfm::make_parser_factory(reader, vocab.fields()),
                        reader.encode, report,
                        [&](std::span<const deepfm::FeatureId> ids, float label) {
                          writer.append_row(ids, label);
                        });
    encoded = true;
  };
  deepfm::CachedDataset cached = deepfm::encode_cached(input, key_options, cache_dir, encode);
  EncodedFile file;
  FileSummary& summary = file.summary;
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
  file.dataset = std::move(cached.dataset);
  return file;
}

/// A training file and the files encoded with its vocabulary (test, validation), all from the
/// cache.
class TrainingFiles {
 public:
  TrainingFiles(deepfm::ReaderOptions reader, std::string train, std::filesystem::path cache_dir)
      : reader_(std::move(reader)),
        train_path_(std::move(train)),
        cache_dir_(std::move(cache_dir)),
        options_(deepfm::canonical_string(reader_)) {}

  /// Encodes (or finds) the training file; its vocabulary comes from the text on a miss and
  /// from the entry's sidecar on a hit.
  EncodedFile train() {
    EncodedFile file = encode_into_cache(
        reader_, train_path_, "train;" + options_,
        [&]() -> const deepfm::Vocabulary& { return vocabulary_from_text(); }, cache_dir_);
    const std::filesystem::path vocab_path = sidecar(file.summary.entry, ".vocab");
    if (!vocabulary_) {
      try {
        vocabulary_ = deepfm::load_vocabulary_file(vocab_path);
      } catch (const deepfm::ModelFileError&) {
        vocabulary_from_text();  // missing or damaged sidecar: count again
      }
    }
    if (vocabulary_->field_dims() != file.summary.field_dims)
      throw deepfm::InternalError("cache entry " + file.summary.entry.string() +
                                  " does not match its vocabulary");
    if (!std::filesystem::exists(vocab_path))
      deepfm::save_vocabulary_file(vocab_path, *vocabulary_);
    return file;
  }

  /// Encodes (or finds) `path` with the training vocabulary; call train() first.
  EncodedFile other(const std::string& path) {
    const deepfm::FileDigest digest = train_digest();
    return encode_into_cache(
        reader_, path,
        "test;" + options_ + ";train=" + std::to_string(digest.hash) + ":" +
            std::to_string(digest.bytes),
        [&]() -> const deepfm::Vocabulary& { return *vocabulary_; }, cache_dir_);
  }

  const deepfm::Vocabulary& vocabulary() const { return *vocabulary_; }

  /// The training file's content and the reader options: what a checkpoint must match.
  std::string fingerprint() {
    const deepfm::FileDigest digest = train_digest();
    return options_ + ";train=" + std::to_string(digest.hash) + ":" + std::to_string(digest.bytes);
  }

 private:
  const deepfm::Vocabulary& vocabulary_from_text() {
    deepfm::EncodeReport pass1;
    vocabulary_ = deepfm::build_vocabulary(train_path_, deepfm::make_parser_factory(reader_),
                                           reader_.encode, pass1);
    return *vocabulary_;
  }

  deepfm::FileDigest train_digest() {
    if (!digest_) digest_ = deepfm::hash_file(train_path_);
    return *digest_;
  }

  deepfm::ReaderOptions reader_;
  std::string train_path_;
  std::filesystem::path cache_dir_;
  std::string options_;
  std::optional<deepfm::Vocabulary> vocabulary_;
  std::optional<deepfm::FileDigest> digest_;
};

inline std::string json_list(const std::vector<std::size_t>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    text += (i ? "," : "") + std::to_string(values[i]);
  return text + "]";
}

}  // namespace deepfm_cli
