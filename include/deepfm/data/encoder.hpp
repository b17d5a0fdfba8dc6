#pragma once
/// @file
/// The streaming two-pass encoder over any RecordParser: pass 1 counts the training file's
/// values into a Vocabulary, pass 2 turns each record of any file (training, test) into
/// global feature ids with that vocabulary. Memory: pass 1 holds the counts (bounded by the
/// distinct values), pass 2 one row at a time (encode_rows) or the ids (encode_file).
///
/// Bad lines: a parser's BadLine gets the file and line. A skippable one (a wrong field
/// count, which d2l skips) is counted in EncodeReport::skipped_lines, the first few kept as
/// "file:line: message", unless `strict`, and handed to an optional SkippedLineCallback in
/// file order (so a caller can keep one output per input row); any other, or any in strict
/// mode, is a DataError with file:line. A file with no record at all (empty, only empty lines,
/// only bad lines) is DataError(file, 0, "no records"), quoting the first skipped line when
/// there is one.

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/data/encode_report.hpp"
#include "deepfm/data/encoded_dataset.hpp"
#include "deepfm/data/line_reader.hpp"
#include "deepfm/data/record.hpp"
#include "deepfm/data/vocabulary.hpp"

namespace deepfm {

/// How files are read and encoded.
struct EncodeOptions {
  std::size_t min_count = 4;     ///< values seen fewer times in training map to the default id
  std::size_t hash_buckets = 0;  ///< > 0: hash each field into this many ids, no vocabulary
  bool strict = false;           ///< a skippable bad line is an error too
  std::size_t max_line_bytes = kDefaultMaxLineBytes;  ///< longer lines are a DataError
  std::size_t max_reported_lines = 5;                 ///< skipped lines quoted in the report
};

/// Makes a fresh parser; every pass over every file gets its own. A parser for a test or
/// prediction file should be told the training field count (for d2l: D2lParser(fields)).
using ParserFactory = std::function<std::unique_ptr<RecordParser>()>;

/// Receives one encoded row: its global ids (valid during the call only) and its label
/// (0 for files without labels).
using RowCallback = std::function<void(std::span<const FeatureId> ids, float label)>;

/// Receives one skipped line: its 1-based line number and why it was skipped (the BadLine's
/// message, without the file and line). Called between the rows, in file order.
using SkippedLineCallback = std::function<void(std::size_t line, const std::string& message)>;

namespace detail {

/// A record whose width is not the expected one, as a skippable bad line.
inline BadLine wrong_width(std::size_t expected, std::size_t found, const char* as_in) {
  return BadLine("expected " + std::to_string(expected) + " fields as in " + as_in + ", found " +
                     std::to_string(found),
                 true, found);
}

/// Reads `path` record by record with a fresh parser and calls `on_record(record)` for each,
/// applying the bad-line policy to BadLines from the parser and from `on_record` alike, and
/// calling `on_skipped` (when set) for each line skipped. Returns after the last line, or
/// early when `on_record` returns false. Throws DataError when the file holds no record.
template <typename OnRecord>
void for_each_record(const std::string& path, const ParserFactory& factory,
                     const EncodeOptions& options, EncodeReport& report, OnRecord&& on_record,
                     const SkippedLineCallback& on_skipped = {}) {
  const std::unique_ptr<RecordParser> parser = factory();
  DEEPFM_ASSERT(parser != nullptr);
  LineReader reader(path, options.max_line_bytes);
  RawRecord record;
  std::string_view line;
  while (reader.next(line)) {
    bool more = true;
    try {
      if (!parser->parse(line, record)) continue;
      more = on_record(record);
    } catch (const BadLine& bad) {
      if (options.strict || !bad.skippable())
        throw DataError(path, reader.line_number(), bad.what());
      ++report.skipped_lines;
      report.count_skipped_width(bad.field_count());
      if (report.skipped_examples.size() < options.max_reported_lines)
        report.skipped_examples.push_back(path + ":" + std::to_string(reader.line_number()) + ": " +
                                          bad.what());
      if (on_skipped) on_skipped(reader.line_number(), bad.what());
      continue;
    }
    if (report.rows++ == 0) report.first_record_line = reader.line_number();
    if (!more) return;
  }
  if (report.rows == 0) {
    std::string message = "no records";
    if (report.skipped_lines > 0) {
      // Every line was skipped: say why, or a file of another width (a model trained on
      // other data) reads as if it were empty.
      message += " (" + std::to_string(report.skipped_lines) + " bad lines skipped";
      if (!report.skipped_examples.empty()) message += "; the first: " + report.skipped_examples[0];
      message += ")";
    }
    throw DataError(path, 0, message);
  }
}

}  // namespace detail

/// Pass 1: the vocabulary of the training file `path`. When hashing (options.hash_buckets >
/// 0) nothing is counted: only the first record is read, to learn the field count, and the
/// report covers that record alone.
inline Vocabulary build_vocabulary(const std::string& path, const ParserFactory& factory,
                                   const EncodeOptions& options, EncodeReport& report) {
  report = {};
  if (options.hash_buckets > 0) {
    std::size_t fields = 0;
    detail::for_each_record(path, factory, options, report, [&](const RawRecord& record) {
      fields = record.values.size();
      return false;
    });
    return Vocabulary::hashing(fields, options.hash_buckets);
  }
  std::unique_ptr<VocabularyCounter> counter;
  detail::for_each_record(path, factory, options, report, [&](const RawRecord& record) {
    if (!counter) counter = std::make_unique<VocabularyCounter>(record.values.size());
    if (record.values.size() != counter->fields())
      throw detail::wrong_width(counter->fields(), record.values.size(), "the first record");
    counter->add(record.values);
    return true;
  });
  return counter->build(options.min_count);
}

/// Pass 2, streaming: encodes every record of `path` with `vocabulary` and hands each row to
/// `on_row`; nothing but the current row is held. Values the vocabulary does not keep take
/// their field's default id and count in report.oov_cells. A record whose field count is not
/// the vocabulary's is a skippable bad line (parsers told the count catch it first).
/// `on_skipped`, when set, hears of each skipped line between the rows around it.
inline void encode_rows(const std::string& path, const Vocabulary& vocabulary,
                        const ParserFactory& factory, const EncodeOptions& options,
                        EncodeReport& report, const RowCallback& on_row,
                        const SkippedLineCallback& on_skipped = {}) {
  report = {};
  const std::size_t fields = vocabulary.fields();
  std::vector<FeatureId> ids(fields);
  std::size_t rows = 0;
  std::size_t oov = 0;
  detail::for_each_record(
      path, factory, options, report,
      [&](const RawRecord& record) {
        if (record.values.size() != fields)
          throw detail::wrong_width(fields, record.values.size(), "training");
        for (std::size_t f = 0; f < fields; ++f) {
          bool out_of_vocabulary = false;
          ids[f] = vocabulary.encode(f, record.values[f], out_of_vocabulary);
          oov += out_of_vocabulary ? 1 : 0;
        }
        ++rows;
        on_row(ids, record.label);
        return true;
      },
      on_skipped);
  report.oov_cells = oov;
  report.total_cells = rows * fields;
}

/// Pass 2 into memory: encode_rows collecting the ids and labels.
inline EncodedDataset encode_file(const std::string& path, const Vocabulary& vocabulary,
                                  const ParserFactory& factory, const EncodeOptions& options,
                                  EncodeReport& report) {
  EncodedDataset dataset;
  dataset.field_dims = vocabulary.field_dims();
  encode_rows(path, vocabulary, factory, options, report,
              [&](std::span<const FeatureId> ids, float label) {
                dataset.ids.insert(dataset.ids.end(), ids.begin(), ids.end());
                dataset.labels.push_back(label);
              });
  return dataset;
}

}  // namespace deepfm
