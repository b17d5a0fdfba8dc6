// The `deepfm` tool's data flags, shared by encode and train, and how it reports a file's
// skipped lines. The files of a run in the dataset cache are the library's
// (train/training_files.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <deepfm/core/key_value_text.hpp>
#include <deepfm/core/printable_text.hpp>
#include <deepfm/data/dataset_cache.hpp>
#include <deepfm/data/encode_report.hpp>
#include <deepfm/data/line_reader.hpp>
#include <deepfm/data/reader_options.hpp>
#include <deepfm/report/progress.hpp>
#include <deepfm/train/training_files.hpp>
#include <filesystem>
#include <limits>
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

/// Prints the skipped lines of one file on stderr (every command that reads data): the first
/// few, then the total, escaped.
/// While alive, a terminal bar of each file `files` reads (deepfm::FileProgress on stdout).
/// Call done() before printing about a file: it clears the bar.
class EncodeProgress {
 public:
  explicit EncodeProgress(deepfm::TrainingFiles& files) : files_(files), progress_(stdout) {
    files_.set_progress([this](const std::string& path, std::uint64_t done, std::uint64_t total) {
      progress_.update(deepfm::printable_text(path), done, total);
    });
  }
  EncodeProgress(const EncodeProgress&) = delete;
  EncodeProgress& operator=(const EncodeProgress&) = delete;
  ~EncodeProgress() { files_.set_progress({}); }

  void done() { progress_.finish(); }

 private:
  deepfm::TrainingFiles& files_;
  deepfm::FileProgress progress_;
};

inline void print_skipped_lines(const deepfm::EncodeReport& report) {
  if (report.skipped_lines == 0) return;
  for (const std::string& example : report.skipped_examples)
    std::fprintf(stderr, "deepfm: skipped %s\n", deepfm::printable_text(example).c_str());
  std::fprintf(stderr, "deepfm: %s\n",
               deepfm::printable_text(deepfm::skipped_lines_summary(report)).c_str());
}

/// `values` as a JSON array of integers: "[11,11,3]".
inline std::string json_list(const std::vector<std::size_t>& values) {
  return "[" + deepfm::detail::list_text(values) + "]";
}

}  // namespace deepfm_cli
