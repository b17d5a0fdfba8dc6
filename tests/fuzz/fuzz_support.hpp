#pragma once
/// @file
/// What every fuzz target shares: the scratch file its bytes are written to, the rule for
/// exceptions (deepfm::Error is the expected answer to bad input; anything else is a finding),
/// oracle checks, and the checksum repair that lets mutations reach past a file's checksum.
/// Not a public header: it serves tests/fuzz/*_fuzz.cpp only.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deepfm/core/error.hpp>
#include <deepfm/core/parallel_for.hpp>
#include <deepfm/data/content_hash.hpp>
#include <deepfm/data/encoded_dataset.hpp>
#include <deepfm/data/encoder.hpp>
#include <deepfm/data/line_reader.hpp>
#include <deepfm/data/reader_options.hpp>
#include <deepfm/data/record.hpp>
#include <deepfm/data/vocabulary.hpp>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace deepfm::fuzz {

/// Stops the process with a message: an oracle found deepfm doing something wrong. abort()
/// is what libFuzzer and the replay tests both report as a crash.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "deepfm fuzz finding: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

/// An oracle: `condition` must hold for every input.
inline void check(bool condition, const std::string& what) {
  if (!condition) finding(what);
}

/// Runs `body`, accepting deepfm::Error (the documented answer to bad input) and nothing
/// else: an InternalError is a failed DEEPFM_ASSERT, a bug, and any other exception escapes
/// to std::terminate, which the fuzzer reports.
template <typename Body>
void expect_errors(Body&& body) {
  try {
    body();
  } catch (const InternalError& e) {
    finding(std::string("internal error: ") + e.what());
  } catch (const Error&) {
    // bad input, reported as such
  }
}

/// One file per process and name, rewritten for every input: in /dev/shm where there is one
/// (no disk traffic at thousands of inputs a second), else in the temporary folder. The pid
/// in the name keeps libFuzzer's parallel jobs apart. Removed when the process exits.
class ScratchFile {
 public:
  explicit ScratchFile(std::string_view name) {
    std::string file = "deepfm-fuzz-";
    file += name;
    file += '-';
    file += std::to_string(::getpid());
    path_ = (std::filesystem::path("/dev/shm") / file).string();
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
    } else {  // no writable /dev/shm (some containers): the temporary folder then
      path_ = (std::filesystem::temp_directory_path() / file).string();
    }
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  ~ScratchFile() { ::unlink(path_.c_str()); }

  /// Replaces the file's contents with `size` bytes at `data`; returns the path.
  const std::string& write(const void* data, std::size_t size) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail("open");
    const auto* at = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t wrote = ::write(fd, at, size);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) {
        ::close(fd);
        fail("write");
      }
      at += wrote;
      size -= static_cast<std::size_t>(wrote);
    }
    if (::close(fd) != 0) fail("close");
    return path_;
  }

  const std::string& path() const noexcept { return path_; }

 private:
  // The harness cannot go on without its file: not a finding in deepfm.
  [[noreturn]] void fail(const char* step) const {
    std::fprintf(stderr, "fuzz harness: cannot %s %s: %s\n", step, path_.c_str(),
                 std::strerror(errno));
    std::exit(3);
  }

  std::string path_;
};

/// `bytes` with its last 8 bytes replaced by the content hash of the bytes before them: the
/// checksum rule of section files (model files, checkpoints), so that a mutated file is
/// checked past its checksum. Inputs shorter than 8 bytes come back unchanged.
inline std::vector<unsigned char> with_trailing_checksum(const std::uint8_t* data,
                                                         std::size_t size) {
  std::vector<unsigned char> bytes(data, data + size);
  if (size < 8) return bytes;
  const std::uint64_t checksum = content_hash(bytes.data(), size - 8);
  std::memcpy(bytes.data() + size - 8, &checksum, 8);
  return bytes;
}

/// Parses every line of `path` with `parser`, through a LineReader as the encoder does, and
/// checks each record: one value per field, a label of 0 or 1 (0 without a label column), and
/// every value readable (ASan sees a view into freed memory). A BadLine skips its line.
template <typename Parser>
void parse_every_line(const std::string& path, Parser&& parser) {
  expect_errors([&] {
    LineReader reader(path);
    RawRecord record;
    std::string_view line;
    while (reader.next(line)) {
      try {
        if (!parser.parse(line, record)) continue;
      } catch (const BadLine&) {
        continue;
      }
      if (record.values.size() != parser.fields())  // the message only on failure: per record
        finding("a record has " + std::to_string(record.values.size()) +
                " values, the parser says " + std::to_string(parser.fields()) + " fields");
      check(record.label == 0.0f || (record.has_label && record.label == 1.0f),
            "a record's label is not 0 or 1");
      std::size_t bytes = 0;
      for (const std::string_view value : record.values)
        for (const char c : value) bytes += static_cast<unsigned char>(c) != 0 ? 1 : 0;
      check(bytes <= line.size() + 32 * record.values.size(), "values hold more than the line");
    }
  });
}

/// Oracle over an encoded data set: the shapes agree, labels are 0 or 1 (0 without a label
/// column), and every id lies in its field's range of the vocabulary.
inline void check_encoded(const EncodedDataset& data, const Vocabulary& vocabulary,
                          bool has_label) {
  const std::size_t fields = vocabulary.fields();
  check(data.fields() == fields, "encoded field count differs from the vocabulary's");
  check(data.ids.size() == data.rows() * fields, "encoded ids are not rows x fields");
  for (const float label : data.labels)
    check(label == 0.0f || (has_label && label == 1.0f), "encoded label is not 0 or 1");
  for (std::size_t r = 0; r < data.rows(); ++r)
    for (std::size_t f = 0; f < fields; ++f) {
      // The message is built only on failure: a wide input has millions of ids, and building
      // it for each made the oracle, not the reader, the cost (a 13 s unit under UBSan).
      const FeatureId id = data.ids[r * fields + f];
      if (id < vocabulary.offsets()[f] ||
          id - vocabulary.offsets()[f] >= vocabulary.field_dims()[f])
        finding("encoded id " + std::to_string(id) + " outside field " + std::to_string(f));
    }
}

/// The vocabulary (pass 1) and the ids (pass 2, its parser told the width) of `path`.
struct TwoPasses {
  Vocabulary vocabulary;
  EncodedDataset data;
  EncodeReport report;  ///< pass 2's
};
inline TwoPasses encode_two_passes(const std::string& path, const ReaderOptions& options) {
  TwoPasses passes;
  EncodeReport counted;
  passes.vocabulary = build_vocabulary(path, make_parser_factory(options), options.encode, counted);
  passes.data =
      encode_file(path, passes.vocabulary, make_parser_factory(options, passes.vocabulary.fields()),
                  options.encode, passes.report);
  return passes;
}

/// The figures of an encode, without the skipped lines' messages (a one-read encode words a width
/// error after the first record, pass 2 after the training vocabulary): the values kept, the ids,
/// the labels and the counts.
inline std::string outcome_figures(const Vocabulary& vocabulary, const std::vector<FeatureId>& ids,
                                   const std::vector<float>& labels, const EncodeReport& report) {
  std::string outcome;
  for (std::size_t f = 0; f < vocabulary.fields(); ++f)
    for (const std::string& value : vocabulary.kept_values(f)) outcome += value + '\x1f';
  for (const FeatureId id : ids) outcome += std::to_string(id) + ',';
  for (const float label : labels) outcome += label != 0 ? '1' : '0';
  outcome += ';' + std::to_string(report.rows) + ';' + std::to_string(report.skipped_lines) + ';' +
             std::to_string(report.first_record_line) + ';' + std::to_string(report.oov_cells);
  return outcome;
}

/// Reads the text file at `path` the ways deepfm does, with `options` for the format:
///   1. as a training file: vocabulary at min_count 1, then the same file encoded with it.
///      Every value was seen, so nothing may be out of vocabulary, and both passes must agree
///      on rows and skipped lines;
///   2. strictly, hashed into a few buckets, with a short line bound (other error paths);
///   3. as a prediction file (no label column) of the width pass 1 found.
/// Everything the two passes over a file give (or the error they end in), as text.
inline std::string encode_outcome(const std::string& path, const ReaderOptions& options) {
  std::string outcome;
  try {
    const TwoPasses passes = encode_two_passes(path, options);
    outcome =
        outcome_figures(passes.vocabulary, passes.data.ids, passes.data.labels, passes.report);
    for (const std::string& example : passes.report.skipped_examples) outcome += ';' + example;
  } catch (const InternalError& e) {
    finding(std::string("internal error: ") + e.what());
  } catch (const Error& e) {
    outcome = std::string("error: ") + e.what();
  }
  return outcome;
}

/// The training-file encode of the dataset cache (encode_training_rows: one read, first-seen
/// indices spilled beside `path`) must give the two passes' figures, or fail where they fail.
inline void check_one_read_matches(const std::string& path, const ReaderOptions& options) {
  std::string two_passes;
  try {
    const TwoPasses passes = encode_two_passes(path, options);
    two_passes =
        outcome_figures(passes.vocabulary, passes.data.ids, passes.data.labels, passes.report);
  } catch (const Error&) {
    two_passes = "error";
  }
  std::string one_read;
  try {
    std::vector<FeatureId> ids;
    std::vector<float> labels;
    EncodeReport report;
    const Vocabulary vocabulary = encode_training_rows(
        path, make_parser_factory(options), options.encode,
        std::filesystem::path(path).parent_path(), report, [](const Vocabulary&) {},
        [&](std::span<const FeatureId> row_ids, std::span<const float> row_labels) {
          ids.insert(ids.end(), row_ids.begin(), row_ids.end());
          labels.insert(labels.end(), row_labels.begin(), row_labels.end());
        });
    one_read = outcome_figures(vocabulary, ids, labels, report);
  } catch (const InternalError& e) {
    finding(std::string("internal error in one read: ") + e.what());
  } catch (const Error&) {
    one_read = "error";
  }
  check(one_read == two_passes, "the one-read training encode differs from the two passes");
}

/// The encoder's parallel read (data/record_blocks.hpp) must give a one-block read's outcome
/// in blocks of a line or two and of a few hundred bytes, on 1 and 2 threads. Larger (or
/// wider) inputs get the 300-byte blocks on one thread only: a block a few lines long costs a
/// batch's handover, and two threads on a busy machine (a fuzzing job beside others) wait long for
/// it.
inline void check_blocks_change_nothing(const std::string& path, ReaderOptions options) {
  const std::string whole = encode_outcome(path, options);
  std::error_code error;
  // Small files get one-line blocks too, unless their records are wide: a libffm line can name
  // field 65 535, and one-line blocks then cost a pass over every field per line (tens of
  // seconds under the fuzzer's instrumentation for a 1.3 kB input of 67 lines). An outcome
  // of over 1 MB holds over about 150 000 ids.
  const bool small =
      std::filesystem::file_size(path, error) <= 4096 && !error && whole.size() <= (1u << 20);
  struct Variant {
    int threads;
    std::size_t block_bytes;
  };
  for (const Variant variant : {Variant{1, 300}, Variant{1, 7}, Variant{2, 7}}) {
    if (!small && variant.block_bytes < 300) continue;
    const ThreadCountScope scope(variant.threads);
    options.encode.block_bytes = variant.block_bytes;
    check(encode_outcome(path, options) == whole,
          "blocks of " + std::to_string(variant.block_bytes) + " bytes on " +
              std::to_string(variant.threads) + " threads changed the encoding");
  }
}

inline void encode_every_way(const std::string& path, ReaderOptions options) {
  std::size_t fields = 0;
  options.encode.min_count = 1;
  check_blocks_change_nothing(path, options);
  check_one_read_matches(path, options);
  expect_errors([&] {
    EncodeReport counted;
    const Vocabulary vocabulary =
        build_vocabulary(path, make_parser_factory(options), options.encode, counted);
    fields = vocabulary.fields();
    EncodeReport encoded;
    const EncodedDataset data = encode_file(path, vocabulary, make_parser_factory(options, fields),
                                            options.encode, encoded);
    check_encoded(data, vocabulary, true);
    check(encoded.rows == counted.rows && encoded.skipped_lines == counted.skipped_lines,
          "the encoding pass read other records than the counting pass");
    check(encoded.oov_cells == 0, "a training value is out of its own min-count-1 vocabulary");
  });

  ReaderOptions strict = options;
  strict.encode.strict = true;
  strict.encode.hash_buckets = 7;
  strict.encode.max_line_bytes = 256;
  expect_errors([&] {
    EncodeReport report;
    const Vocabulary vocabulary =
        build_vocabulary(path, make_parser_factory(strict), strict.encode, report);
    const EncodedDataset data = encode_file(
        path, vocabulary, make_parser_factory(strict, vocabulary.fields()), strict.encode, report);
    check_encoded(data, vocabulary, true);
    check(report.skipped_lines == 0, "strict mode skipped a line");
  });

  if (fields == 0) return;
  expect_errors([&] {
    const Vocabulary vocabulary = Vocabulary::hashing(fields, 5);
    EncodeReport report;
    EncodedDataset data;
    data.field_dims = vocabulary.field_dims();
    encode_rows(path, vocabulary, make_parser_factory(options, fields, false), options.encode,
                report, [&](std::span<const FeatureId> ids, float label) {
                  data.ids.insert(data.ids.end(), ids.begin(), ids.end());
                  data.labels.push_back(label);
                });
    check_encoded(data, vocabulary, false);
  });
}

}  // namespace deepfm::fuzz
