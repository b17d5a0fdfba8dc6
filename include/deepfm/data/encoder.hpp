#pragma once
/// @file
/// The streaming two-pass encoder over any RecordParser: pass 1 counts the training file's
/// values into a Vocabulary, pass 2 turns each record of any file (training, test) into
/// global feature ids with that vocabulary. Both read the file on every core in blocks of
/// lines (record_blocks.hpp) with the results of a one-thread read. Memory: pass 1 holds the
/// counts (bounded by the distinct values), pass 2 a batch of blocks (encode_rows) or the ids
/// (encode_file).
///
/// Bad lines: a parser's BadLine gets the file and line. A skippable one (a wrong field
/// count, which d2l skips) is counted in EncodeReport::skipped_lines, the first few kept as
/// "file:line: message", unless `strict`, and handed to an optional SkippedLineCallback in
/// file order (so a caller can keep one output per input row); any other, or any in strict
/// mode, is a DataError with file:line. A file with no record at all (empty, only empty lines,
/// only bad lines) is DataError(file, 0, "no records"), quoting the first skipped line when
/// there is one.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/data/encode_options.hpp"
#include "deepfm/data/encode_report.hpp"
#include "deepfm/data/encoded_dataset.hpp"
#include "deepfm/data/line_reader.hpp"
#include "deepfm/data/record.hpp"
#include "deepfm/data/record_blocks.hpp"
#include "deepfm/data/spill_file.hpp"
#include "deepfm/data/vocabulary.hpp"
#include "deepfm/report/human_format.hpp"

namespace deepfm {

namespace detail {

/// Reads `path` record by record with a fresh parser and calls `on_record(record)` for each
/// until it returns false (the first record alone, when hashing: its width is all pass 1
/// needs). The bad-line policy is read_record_blocks'.
template <typename OnRecord>
void read_first_records(const std::string& path, const ParserFactory& factory,
                        const EncodeOptions& options, EncodeReport& report, OnRecord&& on_record) {
  const std::unique_ptr<RecordParser> parser = factory();
  DEEPFM_ASSERT(parser != nullptr);
  LineReader reader(path, options.max_line_bytes);
  RawRecord record;
  std::string_view line;
  while (reader.next(line)) {
    try {
      if (!parser->parse(line, record)) continue;
    } catch (const BadLine& bad) {
      if (options.strict || !bad.skippable())
        throw DataError(path, reader.line_number(), bad.what());
      report_skipped(path, {0, reader.line_number(), bad.field_count(), bad.what()},
                     options.max_reported_lines, report, {});
      continue;
    }
    if (report.rows++ == 0) report.first_record_line = reader.line_number();
    if (!on_record(record)) return;
  }
  if (report.rows == 0) no_records(path, report);
}

/// Counts a batch's values on every thread, a field's on one (its map is its own), and with
/// `first_seen` writes each value's first-seen index into its block's ids ([fields x
/// records]); then, on the same thread, calls `field_counted(f)` (while the field's indices
/// are still in its cache). Returns the batch's records.
template <typename FieldCounted = void (*)(std::size_t)>
std::size_t count_batch(
    VocabularyCounter& counter, std::span<ParsedBlock> batch, bool first_seen,
    FieldCounted&& field_counted = [](std::size_t) {}) {
  const std::size_t fields = counter.fields();
  std::size_t records = 0;
  for (ParsedBlock& block : batch) {
    if (first_seen) block.ids.resize(block.records * fields);
    records += block.records;
  }
  parallel_for(fields, field_grain(records), [&](std::size_t begin, std::size_t end) {
    for (std::size_t f = begin; f < end; ++f) {
      for (ParsedBlock& block : batch)
        if (block.records > 0)
          counter.add_column(f, block.columns[f].data(), block.records,
                             first_seen ? block.ids.data() + f * block.records : nullptr);
      field_counted(f);
    }
  });
  return records;
}

/// Bytes a first-seen index takes in a spill when its field has `distinct` values: 1, 2 or 4.
inline unsigned char index_bytes(std::size_t distinct) noexcept {
  return distinct <= 256 ? 1 : distinct <= 65536 ? 2 : 4;
}

/// Narrows a column of `rows` first-seen indices to `width` bytes each (each fits), in place:
/// its first rows * width bytes then hold them, little-endian, as a spill keeps them.
inline void narrow_column(FeatureId* column, std::size_t rows, unsigned char width) noexcept {
  auto* bytes = reinterpret_cast<unsigned char*>(column);  // writes trail the reads
  if (width == 1) {
    for (std::size_t r = 0; r < rows; ++r) bytes[r] = static_cast<unsigned char>(column[r]);
  } else if (width == 2) {
    for (std::size_t r = 0; r < rows; ++r) {
      const auto index = static_cast<std::uint16_t>(column[r]);
      std::memcpy(bytes + 2 * r, &index, 2);
    }
  }
}

/// The index at `r` of a column narrowed to `width` bytes.
inline FeatureId narrowed_index(const unsigned char* column, std::size_t r,
                                unsigned char width) noexcept {
  if (width == 1) return column[r];
  if (width == 2) {
    std::uint16_t index = 0;
    std::memcpy(&index, column + 2 * r, 2);
    return index;
  }
  FeatureId index = 0;
  std::memcpy(&index, column + 4 * r, 4);
  return index;
}

/// Rows [begin, end) of `columns` ([fields x rows]) into `rows_out`, row by row ([rows x
/// fields]), in tiles of rows so that each column's stretch is read in one go.
inline void transpose_rows(const FeatureId* columns, std::size_t fields, std::size_t rows,
                           std::size_t begin, std::size_t end, FeatureId* rows_out) noexcept {
  constexpr std::size_t kTile = 64;
  for (std::size_t tile = begin; tile < end; tile += kTile) {
    const std::size_t tile_end = std::min(end, tile + kTile);
    for (std::size_t f = 0; f < fields; ++f) {
      const FeatureId* column = columns + f * rows;
      for (std::size_t r = tile; r < tile_end; ++r) rows_out[r * fields + f] = column[r];
    }
  }
}

/// Stops a count that will need more memory than options.max_memory allows (its vocabulary at
/// the peak of building it, from what is counted so far, and the pass's buffers), before it
/// grows further: a DataError saying how far it got and what to do instead.
inline void check_vocabulary_memory(const std::string& path, const VocabularyCounter& counter,
                                    const EncodeOptions& options, std::size_t records_counted) {
  if (options.max_memory == 0) return;
  const auto threads = static_cast<std::size_t>(std::max(1, max_threads()));
  const std::uint64_t needed = counter.peak_bytes() + batch_memory_bytes(options, threads);
  if (needed <= options.max_memory) return;
  std::size_t distinct = 0;
  for (std::size_t f = 0; f < counter.fields(); ++f) distinct += counter.distinct(f);
  throw DataError(path, 0,
                  "the vocabulary outgrows the memory limit of " + human_bytes(options.max_memory) +
                      " (--max-memory): " + std::to_string(distinct) +
                      " distinct values in the first " + std::to_string(records_counted) +
                      " records need about " + human_bytes(needed) +
                      "; encode with --hash-buckets N (no vocabulary), or raise --max-memory");
}

/// Encodes a batch's records with `vocabulary` into each block's ids ([fields x records]),
/// field by field, as pass 1 counts: each thread's fields' tables stay in its cache, and a
/// block's ids are [fields x records], so threads write apart. Returns the values that took
/// their field's default id.
inline std::size_t encode_batch(const Vocabulary& vocabulary, std::span<ParsedBlock> batch) {
  const std::size_t fields = vocabulary.fields();
  std::size_t records = 0;
  for (ParsedBlock& block : batch) {
    block.ids.resize(block.records * fields);
    records += block.records;
  }
  std::vector<std::size_t> oov_per_field(fields, 0);
  parallel_for(fields, field_grain(records), [&](std::size_t begin, std::size_t end) {
    for (std::size_t f = begin; f < end; ++f)
      for (ParsedBlock& block : batch)
        if (block.records > 0)
          oov_per_field[f] += vocabulary.encode_column(f, block.columns[f].data(), block.records,
                                                       block.ids.data() + f * block.records);
  });
  std::size_t oov = 0;
  for (const std::size_t count : oov_per_field) oov += count;
  return oov;
}

/// Pass 1's counting over a read: the counter, made once the first record has set the width,
/// and the records counted so far, checked against the memory limit after each batch.
class BatchCounter {
 public:
  BatchCounter(const std::string& path, const EncodeOptions& options)
      : path_(path), options_(options) {}

  /// Counts `batch` (writing first-seen indices when asked, then calling `field_counted(f)`
  /// as count_batch does); false while no record has set the width (a header, bad lines), when
  /// there is nothing to count.
  template <typename FieldCounted = void (*)(std::size_t)>
  bool count(
      std::span<ParsedBlock> batch, std::size_t width, bool first_seen,
      FieldCounted&& field_counted = [](std::size_t) {}) {
    if (width == 0) return false;
    if (!counter_) counter_ = std::make_unique<VocabularyCounter>(width);
    counted_ += count_batch(*counter_, batch, first_seen, field_counted);
    check_vocabulary_memory(path_, *counter_, options_, counted_);
    return true;
  }

  /// The counts; only after a count() that returned true (a read finds a record or throws).
  VocabularyCounter& counter() const noexcept { return *counter_; }

 private:
  const std::string& path_;
  const EncodeOptions& options_;
  std::unique_ptr<VocabularyCounter> counter_;
  std::size_t counted_ = 0;
};

}  // namespace detail

/// Pass 1: the vocabulary of the training file `path`. When hashing (options.hash_buckets >
/// 0) nothing is counted: only the first record is read, to learn the field count, and the
/// report covers that record alone. Counting runs on every thread parallel_for may use, each
/// field's counts on one thread: the vocabulary is the same for any thread count.
inline Vocabulary build_vocabulary(const std::string& path, const ParserFactory& factory,
                                   const EncodeOptions& options, EncodeReport& report) {
  report = {};
  if (options.hash_buckets > 0) {
    std::size_t fields = 0;
    detail::read_first_records(path, factory, options, report, [&](const RawRecord& record) {
      fields = record.values.size();
      return false;
    });
    return Vocabulary::hashing(fields, options.hash_buckets);
  }
  detail::BatchCounter counting(path, options);
  read_record_blocks(
      path, factory, options, 0, "the first record", report,
      [&](std::span<ParsedBlock> batch, std::size_t fields) {
        counting.count(batch, fields, false);
      },
      [](const ParsedBlock&, std::size_t) {});
  return counting.counter().build(options.min_count);
}

/// Pass 2, streaming: encodes every record of `path` with `vocabulary` and hands each row to
/// `on_row`, in file order, on the calling thread; nothing but a batch of blocks is held.
/// Values the vocabulary does not keep take their field's default id and count in
/// report.oov_cells. A record whose field count is not the vocabulary's is a skippable bad
/// line (parsers told the count catch it first). `on_skipped`, when set, hears of each
/// skipped line between the rows around it. Blocks are parsed, and their fields encoded, on
/// every thread parallel_for may use.
inline void encode_rows(const std::string& path, const Vocabulary& vocabulary,
                        const ParserFactory& factory, const EncodeOptions& options,
                        EncodeReport& report, const RowCallback& on_row,
                        const SkippedLineCallback& on_skipped = {}) {
  report = {};
  const std::size_t fields = vocabulary.fields();
  std::size_t oov = 0;
  std::vector<FeatureId> row(fields);
  read_record_blocks(
      path, factory, options, fields, "training", report,
      [&](std::span<ParsedBlock> batch, std::size_t) {
        oov += detail::encode_batch(vocabulary, batch);
      },
      [&](const ParsedBlock& block, std::size_t r) {
        for (std::size_t f = 0; f < fields; ++f) row[f] = block.ids[f * block.records + r];
        on_row(row, block.labels[r]);
      },
      on_skipped);
  report.oov_cells = oov;
  report.total_cells = report.rows * fields;
}

/// Passes 1 and 2 over a training file in one read, as the dataset cache encodes it: each
/// value is counted and, in place of its id, given its first-seen index in its field
/// (VocabularyCounter); a block's indices (1, 2 or 4 bytes each, as many as its field's
/// distinct values need) and labels go to a spill file in `spill_folder`.
/// Once the file is read the vocabulary is built and handed to `on_vocabulary`, and the
/// spilled records to `on_rows` with their ids, a block's rows at a time, in file order: the
/// rows, ids and report encode_rows gives after build_vocabulary, for half the parsing and
/// lookups, and memory that follows the vocabulary (the spill takes at most the ids' size on
/// disk). A hashing vocabulary needs no counts: its file is read once, its rows handed on a
/// batch at a time. Returns the vocabulary.
inline Vocabulary encode_training_rows(const std::string& path, const ParserFactory& factory,
                                       const EncodeOptions& options,
                                       const std::filesystem::path& spill_folder,
                                       EncodeReport& report,
                                       const std::function<void(const Vocabulary&)>& on_vocabulary,
                                       const RowsCallback& on_rows) {
  if (options.hash_buckets > 0) {
    // No counts: the ids come straight from the text, a batch at a time. A batch's rows are
    // handed on before its records are taken in file order, which may end in the read's
    // error: the caller then has rows of a file that failed, as from any read that stops.
    Vocabulary vocabulary = build_vocabulary(path, factory, options, report);
    on_vocabulary(vocabulary);
    report = {};
    const std::size_t fields = vocabulary.fields();
    std::vector<std::vector<FeatureId>> rows_out;  // a block's rows, [records x fields]
    read_record_blocks(
        path, factory, options, fields, "training", report,
        [&](std::span<ParsedBlock> batch, std::size_t) {
          detail::encode_batch(vocabulary, batch);
          rows_out.resize(std::max(rows_out.size(), batch.size()));
          std::size_t ids = 0;
          for (const ParsedBlock& block : batch) ids += block.records * fields;
          const std::size_t grain = ids >= grain_for(1) ? 1 : batch.size();  // small: inline
          parallel_for(batch.size(), grain, [&](std::size_t begin, std::size_t end) {
            for (std::size_t b = begin; b < end; ++b) {
              const std::size_t rows = batch[b].records;
              rows_out[b].resize(rows * fields);
              detail::transpose_rows(batch[b].ids.data(), fields, rows, 0, rows,
                                     rows_out[b].data());
            }
          });
          for (std::size_t b = 0; b < batch.size(); ++b)
            if (batch[b].records > 0) on_rows(rows_out[b], batch[b].labels);
        },
        [](const ParsedBlock&, std::size_t) {});
    report.total_cells = report.rows * fields;
    return vocabulary;
  }
  report = {};
  detail::BatchCounter counting(path, options);
  SpillFile spill(spill_folder);
  std::vector<unsigned char> widths;  // bytes a spilled index takes, per field
  std::span<ParsedBlock> counted;     // the batch being counted
  // A field's indices take as few bytes as its distinct values so far need: a byte a value
  // for a small field, not four (more than its text for d2l-like data). They are narrowed in
  // place as soon as the field is counted, on its thread.
  const auto narrow_field = [&](std::size_t f) {
    widths[f] = detail::index_bytes(counting.counter().distinct(f));
    for (ParsedBlock& block : counted)
      detail::narrow_column(block.ids.data() + f * block.records, block.records, widths[f]);
  };
  const std::size_t fields = read_record_blocks(
      path, factory, options, 0, "the first record", report,
      [&](std::span<ParsedBlock> batch, std::size_t width) {
        widths.resize(width);
        counted = batch;
        if (!counting.count(batch, width, true, narrow_field)) return;
        // Every block of the batch is consumed, or the read ends in an error: the spill holds
        // exactly the records the report counts.
        for (const ParsedBlock& block : batch) {
          if (block.records == 0) continue;
          const std::uint64_t records_here = block.records;
          spill.write(&records_here, sizeof records_here);
          spill.write(widths.data(), widths.size());
          for (std::size_t f = 0; f < width; ++f)
            spill.write(block.ids.data() + f * block.records, block.records * widths[f]);
          spill.write(block.labels.data(), block.records * sizeof(float));
        }
      },
      [](const ParsedBlock&, std::size_t) {});
  std::vector<std::vector<FeatureId>> ids_by_first_seen;
  Vocabulary vocabulary = counting.counter().build(options.min_count, &ids_by_first_seen);
  on_vocabulary(vocabulary);

  std::vector<unsigned char> packed;  // a block's narrowed columns, back to back
  std::vector<std::size_t> column_at(fields);
  std::vector<FeatureId> ids;       // [fields x rows]
  std::vector<FeatureId> rows_out;  // [rows x fields]
  std::vector<float> labels;
  std::vector<std::size_t> oov_per_field(fields);
  std::uint64_t records = 0;
  while (spill.read(&records, sizeof records)) {
    const auto rows = static_cast<std::size_t>(records);
    bool whole = spill.read(widths.data(), fields);
    std::size_t packed_bytes = 0;
    for (std::size_t f = 0; f < fields; ++f) {
      column_at[f] = packed_bytes;
      packed_bytes += rows * widths[f];
    }
    packed.resize(packed_bytes);
    ids.resize(rows * fields);
    rows_out.resize(rows * fields);
    labels.resize(rows);
    if (!whole || !spill.read(packed.data(), packed_bytes) ||
        !spill.read(labels.data(), rows * sizeof(float)))
      throw InternalError("the encoder's spill file ended inside a block");
    parallel_for(fields, field_grain(rows), [&](std::size_t begin, std::size_t end) {
      for (std::size_t f = begin; f < end; ++f) {
        const FeatureId* to_id = ids_by_first_seen[f].data();
        const FeatureId default_id = vocabulary.default_id(f);
        const unsigned char* narrowed = packed.data() + column_at[f];
        FeatureId* column = ids.data() + f * rows;
        std::size_t oov = 0;
        for (std::size_t r = 0; r < rows; ++r) {
          column[r] = to_id[detail::narrowed_index(narrowed, r, widths[f])];
          oov += column[r] == default_id ? 1 : 0;
        }
        oov_per_field[f] += oov;
      }
    });
    parallel_for(rows, grain_for(fields * 2), [&](std::size_t begin, std::size_t end) {
      detail::transpose_rows(ids.data(), fields, rows, begin, end, rows_out.data());
    });
    on_rows(rows_out, labels);
  }
  for (const std::size_t oov : oov_per_field) report.oov_cells += oov;
  report.total_cells = report.rows * fields;
  return vocabulary;
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
