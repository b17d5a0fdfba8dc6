#pragma once
/// @file
/// The files of one training run in the dataset cache: the training file encoded (or found)
/// with its vocabulary, which is kept beside its entry so a cache hit reads no text, and the
/// test and validation files encoded with that vocabulary. Each entry keeps its encode report
/// beside it too, so a cache hit reports the same skipped lines as the encode did.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "deepfm/core/atomic_file.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/data/binary_dataset.hpp"
#include "deepfm/data/content_hash.hpp"
#include "deepfm/data/dataset_cache.hpp"
#include "deepfm/data/encode_report.hpp"
#include "deepfm/data/encoder.hpp"
#include "deepfm/data/reader_options.hpp"
#include "deepfm/data/vocabulary.hpp"
#include "deepfm/io/model_file.hpp"

namespace deepfm {

/// What encoding one file produced; its report is saved beside the cache entry, so a hit
/// reports the same skipped lines as the encode did.
struct FileSummary {
  std::size_t rows = 0;
  EncodeReport report;
  std::vector<std::size_t> field_dims;
  bool cache_hit = false;
  std::filesystem::path entry;
};

/// An encoded file, memory-mapped from the cache.
struct EncodedFile {
  FileSummary summary;
  MappedDataset dataset;
};

namespace detail {

/// The file beside a cache entry that keeps something about it (".vocab", ".report").
inline std::filesystem::path sidecar(const std::filesystem::path& entry, const char* suffix) {
  return std::filesystem::path(entry).concat(suffix);
}

inline void save_report(const std::filesystem::path& entry, const EncodeReport& report) {
  const std::string text = encode_report_text(report);
  AtomicFileWriter file(sidecar(entry, ".report"));
  file.write(text.data(), text.size());
  file.commit();
}

/// The report kept beside `entry`, or nothing when it is missing or unreadable (an entry of
/// an older version, or one an interrupted run left).
inline std::optional<EncodeReport> load_report(const std::filesystem::path& entry) {
  const std::filesystem::path path = sidecar(entry, ".report");
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return parse_encode_report(text, path.string());
  } catch (const InvalidArgument&) {
    return std::nullopt;
  }
}

}  // namespace detail

/// Writes a file's rows into a cache entry's writer (field dims first) and fills its report.
using EntryEncoder = std::function<void(BinaryDatasetWriter& writer, EncodeReport& report)>;

/// Encodes `input` into the cache with `encode_entry` (or finds it there); the summary's
/// report is the encode's, on a hit too. A run whose entries all hit parses nothing.
inline EncodedFile encode_into_cache(const std::string& input, const std::string& key_options,
                                     const EntryEncoder& encode_entry,
                                     const std::filesystem::path& cache_dir) {
  EncodeReport report;
  bool encoded = false;
  const auto encode = [&](BinaryDatasetWriter& writer) {
    encode_entry(writer, report);
    encoded = true;
  };
  CachedDataset cached = encode_cached(input, key_options, cache_dir, encode);
  if (encoded) {
    detail::save_report(cached.path, report);
  } else if (std::optional<EncodeReport> kept = detail::load_report(cached.path)) {
    report = std::move(*kept);
  } else {
    // An entry without its report: encode it again.
    std::filesystem::remove(cached.path);
    cached = encode_cached(input, key_options, cache_dir, encode);
    detail::save_report(cached.path, report);
  }
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
  TrainingFiles(ReaderOptions reader, std::string train, std::filesystem::path cache_dir)
      : reader_(std::move(reader)),
        train_path_(std::move(train)),
        cache_dir_(std::move(cache_dir)),
        options_(canonical_string(reader_)) {}

  /// Encodes (or finds) the training file; its vocabulary comes from the text, in the same
  /// read (encode_training_rows), on a miss and from the entry's sidecar on a hit.
  EncodedFile train() {
    const EntryEncoder encode = [&](BinaryDatasetWriter& writer, EncodeReport& report) {
      vocabulary_ = encode_training_rows(
          train_path_, make_parser_factory(reader_), reader_.encode, cache_dir_, report,
          [&](const Vocabulary& vocabulary) { writer.set_field_dims(vocabulary.field_dims()); },
          [&](std::span<const FeatureId> ids, std::span<const float> labels) {
            writer.append_rows(ids, labels);
          });
    };
    EncodedFile file = encode_into_cache(train_path_, "train;" + options_, encode, cache_dir_);
    const std::filesystem::path vocab_path = detail::sidecar(file.summary.entry, ".vocab");
    if (!vocabulary_) {
      try {
        vocabulary_ = load_vocabulary_file(vocab_path);
      } catch (const ModelFileError&) {
        vocabulary_from_text();  // missing or damaged sidecar: count again
      }
    }
    if (vocabulary_->field_dims() != file.summary.field_dims)
      throw InternalError("cache entry " + file.summary.entry.string() +
                          " does not match its vocabulary");
    if (!std::filesystem::exists(vocab_path)) save_vocabulary_file(vocab_path, *vocabulary_);
    return file;
  }

  /// Encodes (or finds) `path` with the training vocabulary; call train() first.
  EncodedFile other(const std::string& path) {
    const FileDigest digest = train_digest();
    const EntryEncoder encode = [&](BinaryDatasetWriter& writer, EncodeReport& report) {
      const Vocabulary& vocabulary = *vocabulary_;
      writer.set_field_dims(vocabulary.field_dims());
      encode_rows(path, vocabulary, make_parser_factory(reader_, vocabulary.fields()),
                  reader_.encode, report, [&](std::span<const FeatureId> ids, float label) {
                    writer.append_row(ids, label);
                  });
    };
    return encode_into_cache(path,
                             "test;" + options_ + ";train=" + std::to_string(digest.hash) + ":" +
                                 std::to_string(digest.bytes),
                             encode, cache_dir_);
  }

  const Vocabulary& vocabulary() const { return *vocabulary_; }

  /// Where the reads of the files encoded from now on report their progress (none: {}).
  void set_progress(ProgressCallback on_progress) {
    reader_.encode.on_progress = std::move(on_progress);
  }

  /// The training file's content and the reader options: what a checkpoint must match.
  std::string fingerprint() {
    const FileDigest digest = train_digest();
    return options_ + ";train=" + std::to_string(digest.hash) + ":" + std::to_string(digest.bytes);
  }

 private:
  const Vocabulary& vocabulary_from_text() {
    EncodeReport pass1;
    vocabulary_ =
        build_vocabulary(train_path_, make_parser_factory(reader_), reader_.encode, pass1);
    return *vocabulary_;
  }

  FileDigest train_digest() {
    if (!digest_) digest_ = hash_file(train_path_);
    return *digest_;
  }

  ReaderOptions reader_;
  std::string train_path_;
  std::filesystem::path cache_dir_;
  std::string options_;
  std::optional<Vocabulary> vocabulary_;
  std::optional<FileDigest> digest_;
};

}  // namespace deepfm
