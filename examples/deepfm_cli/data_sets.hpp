// The `deepfm` tool's data plumbing, shared by encode and train: the reader flags every
// command takes, and encoding a file into the dataset cache (or finding it there) together
// with the training vocabulary, which is kept beside its entry so a cache hit reads no text.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <deepfm/core/atomic_file.hpp>
#include <deepfm/core/printable_text.hpp>
#include <deepfm/data/binary_dataset.hpp>
#include <deepfm/data/content_hash.hpp>
#include <deepfm/data/dataset_cache.hpp>
#include <deepfm/data/encoder.hpp>
#include <deepfm/data/line_reader.hpp>
#include <deepfm/data/reader_options.hpp>
#include <deepfm/io/model_file.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "flag_checks.hpp"

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
      ->check(one_of({"d2l", "criteo", "csv", "libsvm", "libffm"}));
  // Ids are 32-bit and every field takes at least one: 2^32 bounds fields and buckets.
  constexpr std::uint64_t kIds = std::uint64_t{1} << 32;
  command
      ->add_option("--fields", flags.reader.fields, "categorical fields (0: from the first record)")
      ->transform(whole_number(0, kIds));
  command
      ->add_option("--min-count", flags.reader.encode.min_count,
                   "values seen fewer times in training map to the field's default id")
      ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()));
  command
      ->add_option("--hash-buckets", flags.reader.encode.hash_buckets,
                   "hash each field into N ids instead of a vocabulary (0: vocabulary)")
      ->transform(whole_number(0, kIds));
  command->add_flag("--strict", flags.reader.encode.strict,
                    "any bad line is an error (default: lines with a wrong field count are "
                    "skipped and reported)");
  command
      ->add_option("--max-line-bytes", flags.reader.encode.max_line_bytes, "longest line accepted")
      ->transform(whole_number(16, deepfm::kMaxLineBytesLimit));
  command->add_option("--label-column", flags.reader.label_column, "csv: label column");
  command->add_option("--drop-columns", flags.drop_columns, "csv: columns to ignore")
      ->delimiter(',');
  command
      ->add_option("--cache-dir", flags.cache_dir,
                   "cache folder (default: $XDG_CACHE_HOME/deepfm or ~/.cache/deepfm)")
      ->check(folder_name());
}

/// What encoding one file produced; its report is saved beside the cache entry, so a hit
/// reports the same skipped lines as the encode did.
struct FileSummary {
  std::size_t rows = 0;
  deepfm::EncodeReport report;
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
  const std::string text = deepfm::encode_report_text(report);
  deepfm::AtomicFileWriter file(sidecar(entry, ".report"));
  file.write(text.data(), text.size());
  file.commit();
}

/// The report kept beside `entry`, or nothing when it is missing or unreadable (an entry of
/// an older version, or one an interrupted run left).
inline std::optional<deepfm::EncodeReport> load_report(const std::filesystem::path& entry) {
  const std::filesystem::path path = sidecar(entry, ".report");
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return deepfm::parse_encode_report(text, path.string());
  } catch (const deepfm::InvalidArgument&) {
    return std::nullopt;
  }
}

/// Prints the skipped lines of one file on stderr (every command that reads data): the first
/// few, then the total, escaped.
inline void print_skipped_lines(const deepfm::EncodeReport& report) {
  if (report.skipped_lines == 0) return;
  for (const std::string& example : report.skipped_examples)
    std::fprintf(stderr, "deepfm: skipped %s\n", deepfm::printable_text(example).c_str());
  std::fprintf(stderr, "deepfm: %s\n",
               deepfm::printable_text(deepfm::skipped_lines_summary(report)).c_str());
}

/// Encodes `input` into the cache (or finds it there) and reports its skipped lines, on a
/// hit too. `vocabulary` is built on demand from the training file: a run whose entries all
/// hit parses nothing.
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
  if (encoded) {
    save_report(cached.path, report);
  } else if (std::optional<deepfm::EncodeReport> kept = load_report(cached.path)) {
    report = std::move(*kept);
  } else {
    // An entry without its report: encode it again.
    std::filesystem::remove(cached.path);
    cached = deepfm::encode_cached(input, key_options, cache_dir, encode);
    save_report(cached.path, report);
  }
  print_skipped_lines(report);
  EncodedFile file;
  FileSummary& summary = file.summary;
  summary.report = std::move(report);
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
