#pragma once
/// @file
/// Reading a text file's records on every core, with the results of reading it on one.
///
/// The file is read in blocks of whole lines (EncodeOptions::block_bytes each; LineReader's rules:
/// gzip, LF or CRLF, line length, NUL bytes). A batch of blocks is parsed in parallel, a block
/// per task, by copies of the file's parser (RecordParser::clone, taken once the first record
/// has settled a header or an inferred width); a pass then works on the whole batch (its own
/// split across threads: by field, or by block); and last the blocks' records, skipped lines
/// and errors are taken in file order on the calling thread. Every outcome (counts, ids, the
/// report, the first error) is therefore the one a single thread reading line by line gets,
/// whatever the thread count or the block size.

#include <algorithm>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/data/encode_options.hpp"
#include "deepfm/data/encode_report.hpp"
#include "deepfm/data/line_reader.hpp"
#include "deepfm/data/record.hpp"
#include "deepfm/data/value_map.hpp"

namespace deepfm {

/// Consecutive lines of a file, each followed by '\n' in `text` (line endings removed).
struct LineBlock {
  std::string text;
  std::vector<std::size_t> line_ends;  ///< where each line ends in text (its '\n')
  std::size_t first_line = 0;          ///< 1-based number of the first line
  std::exception_ptr read_error;       ///< what reading the next line threw, if it did

  std::size_t lines() const noexcept { return line_ends.size(); }
  std::string_view line(std::size_t i) const noexcept {
    const std::size_t begin = i == 0 ? 0 : line_ends[i - 1] + 1;
    return std::string_view(text).substr(begin, line_ends[i] - begin);
  }
};

/// Cuts a file into LineBlocks, in order.
class LineBlockReader {
 public:
  /// Blocks of at least `block_bytes` (1 or more) of lines.
  LineBlockReader(const std::string& path, std::size_t max_line_bytes, std::size_t block_bytes)
      : reader_(path, max_line_bytes), block_bytes_(std::max<std::size_t>(block_bytes, 1)) {}

  /// The next block into `block` (its buffers reused); false once the file is done. An error
  /// reading a line ends the block before it, kept in read_error, and ends the file.
  bool next(LineBlock& block) {
    block.text.clear();
    block.line_ends.clear();
    block.read_error = nullptr;
    block.first_line = reader_.line_number() + 1;
    if (done_) return false;
    std::string_view line;
    try {
      while (block.text.size() < block_bytes_ && reader_.next(line)) {
        block.text.append(line);
        block.line_ends.push_back(block.text.size());
        block.text.push_back('\n');
      }
      if (block.text.size() < block_bytes_) done_ = true;
    } catch (const DataError&) {
      block.read_error = std::current_exception();
      done_ = true;
    }
    return !block.line_ends.empty() || block.read_error;
  }

  const std::string& path() const noexcept { return reader_.path(); }

 private:
  LineReader reader_;
  std::size_t block_bytes_;
  bool done_ = false;
};

/// One block's records, a column of keys per field, with its skipped lines and the first
/// error in it, in the order the lines came. A pass reads a field's keys back to back, each
/// holding its value (or, past 15 bytes, viewing lines.text or `kept`).
struct ParsedBlock {
  LineBlock lines;
  std::size_t records = 0;
  std::vector<std::vector<ValueKey>> columns;  ///< [fields][records]; empty without records
  std::vector<float> labels;
  std::size_t first_record_line = 0;  ///< of the block's first record
  struct Skipped {
    std::size_t records_before;  ///< records of the block before this line
    std::size_t line;
    std::size_t field_count;
    std::string message;
  };
  std::vector<Skipped> skipped;
  /// A line that ends the file's reading: a bad line not skipped (line, message).
  std::optional<std::pair<std::size_t, std::string>> fatal;
  StringArena kept;  ///< values a parser built in its own storage (Criteo's integer categories)
  std::vector<FeatureId> ids;  ///< a pass's output for the records, [fields x records]

  void clear() noexcept {
    records = 0;
    for (std::vector<ValueKey>& column : columns) column.clear();
    labels.clear();
    first_record_line = 0;
    skipped.clear();
    fatal.reset();
    kept = StringArena();
    ids.clear();
  }
};

/// Blocks a batch of read_record_blocks holds at least.
inline constexpr std::size_t kMinBatchBlocks = 8;
/// Bytes of lines below which a batch is parsed on the calling thread alone.
inline constexpr std::size_t kParallelParseBytes = std::size_t{64} << 10;

/// The grain of a pass's loop over fields for a batch of `records`: a lookup costs about 64
/// operations (parallel_for's unit), so a small batch's fields run on the calling thread.
inline std::size_t field_grain(std::size_t records) noexcept { return grain_for(records * 64); }

namespace detail {

/// The width check of every pass: a record with another count than the file's first (or the
/// training file's) is a skippable bad line.
inline BadLine wrong_width(std::size_t expected, std::size_t found, const char* as_in) {
  return BadLine("expected " + std::to_string(expected) + " fields as in " + as_in + ", found " +
                     std::to_string(found),
                 true, found);
}

/// Parses `block.lines` with `parser` into `block` (cleared first). `fields` is the width
/// every record must have (0: the first record's, which then sets it); `strict` makes every
/// bad line fatal. Stops at the first fatal line.
inline void parse_block(RecordParser& parser, ParsedBlock& block, std::size_t& fields,
                        const char* width_source, bool strict) {
  block.clear();
  RawRecord record;
  const std::string_view text = block.lines.text;
  const auto in_text = [&](std::string_view value) {
    return value.data() >= text.data() && value.data() + value.size() <= text.data() + text.size();
  };
  for (std::size_t i = 0; i < block.lines.lines(); ++i) {
    const std::size_t line_number = block.lines.first_line + i;
    try {
      if (!parser.parse(block.lines.line(i), record)) continue;
      if (fields == 0) fields = record.values.size();
      if (record.values.size() != fields)
        throw wrong_width(fields, record.values.size(), width_source);
    } catch (const BadLine& bad) {
      if (strict || !bad.skippable()) {
        block.fatal.emplace(line_number, bad.what());
        return;
      }
      block.skipped.push_back({block.records, line_number, bad.field_count(), bad.what()});
      continue;
    }
    if (block.records == 0) block.first_record_line = line_number;
    if (block.columns.size() != fields) block.columns.resize(fields);
    for (std::size_t f = 0; f < fields; ++f) {
      const std::string_view value = record.values[f];
      // A long value's key views it: where the parser built it, the view needs a copy.
      const bool viewable = value.size() <= ValueKey::kInlineBytes || in_text(value);
      block.columns[f].emplace_back(viewable ? value : block.kept.keep(value));
    }
    block.labels.push_back(record.label);
    ++block.records;
  }
}

/// Counts a skipped line into `report` and tells `on_skipped`, as every pass does.
inline void report_skipped(const std::string& path, const ParsedBlock::Skipped& skipped,
                           std::size_t max_reported_lines, EncodeReport& report,
                           const SkippedLineCallback& on_skipped) {
  ++report.skipped_lines;
  report.count_skipped_width(skipped.field_count);
  if (report.skipped_examples.size() < max_reported_lines)
    report.skipped_examples.push_back(path + ":" + std::to_string(skipped.line) + ": " +
                                      skipped.message);
  if (on_skipped) on_skipped(skipped.line, skipped.message);
}

/// DataError(path, 0, "no records ..."), quoting the first skipped line when there is one.
[[noreturn]] inline void no_records(const std::string& path, const EncodeReport& report) {
  std::string message = "no records";
  if (report.skipped_lines > 0) {
    // Every line was skipped: say why, or a file of another width (a model trained on other
    // data) reads as if it were empty.
    message += " (" + std::to_string(report.skipped_lines) + " bad lines skipped";
    if (!report.skipped_examples.empty()) message += "; the first: " + report.skipped_examples[0];
    message += ")";
  }
  throw DataError(path, 0, message);
}

}  // namespace detail

/// Reads every record of `path`: parses batches of blocks in parallel, calls
/// `process(batch, fields)` on each batch (a span of ParsedBlocks, in file order; it may use
/// threads), then, on the calling thread and in file order, `on_record(block, r)` for each
/// record while applying the bad-line policy (EncodeOptions: strict, reported lines) to the
/// skipped lines between them, and throws the first error a one-thread read would. `fields`:
/// the width records must have, or 0 for the first record's. Returns the width. Throws
/// DataError when the file holds no record.
template <typename Process, typename OnRecord>
std::size_t read_record_blocks(const std::string& path, const ParserFactory& factory,
                               const EncodeOptions& options, std::size_t fields,
                               const char* width_source, EncodeReport& report, Process&& process,
                               OnRecord&& on_record, const SkippedLineCallback& on_skipped = {}) {
  const std::unique_ptr<RecordParser> first_parser = factory();
  DEEPFM_ASSERT(first_parser != nullptr);
  LineBlockReader reader(path, options.max_line_bytes, options.block_bytes);
  const std::size_t threads = static_cast<std::size_t>(std::max(1, max_threads()));
  // Blocks a batch: every thread parses one or two while another is slow, and a pass that
  // works field by field finds a field's table in cache for tens of thousands of rows.
  const std::size_t batch_size = std::max<std::size_t>(kMinBatchBlocks, 2 * threads);
  std::vector<ParsedBlock> batch(batch_size);
  std::vector<std::unique_ptr<RecordParser>> parsers;  // one a block, once the first is settled
  bool settled = false;  // the first parser has returned a record (or cannot be cloned)

  const auto consume = [&](const ParsedBlock& block) {
    std::size_t next_skip = 0;
    const auto skips_before = [&](std::size_t r) {
      for (; next_skip < block.skipped.size() && block.skipped[next_skip].records_before == r;
           ++next_skip)
        detail::report_skipped(path, block.skipped[next_skip], options.max_reported_lines, report,
                               on_skipped);
    };
    for (std::size_t r = 0; r < block.records; ++r) {
      skips_before(r);
      if (report.rows++ == 0) report.first_record_line = block.first_record_line;
      on_record(block, r);
    }
    skips_before(block.records);
    if (block.fatal) throw DataError(path, block.fatal->first, block.fatal->second);
    if (block.lines.read_error) std::rethrow_exception(block.lines.read_error);
  };

  for (;;) {
    std::size_t filled = 0;
    while (filled < batch_size && reader.next(batch[filled].lines)) ++filled;
    if (filled == 0) break;
    std::size_t parsed = 0;
    // Until the first record is in, one parser reads on (a header, an inferred width);
    // then its copies parse the rest of the batch in parallel.
    while (parsed < filled && !settled) {
      ParsedBlock& block = batch[parsed++];
      detail::parse_block(*first_parser, block, fields, width_source, options.strict);
      if (block.records > 0 || block.fatal) {
        settled = true;
        if (std::unique_ptr<RecordParser> copy = first_parser->clone()) {
          parsers.push_back(std::move(copy));
          for (std::size_t b = 1; b < batch_size; ++b) parsers.push_back(first_parser->clone());
        }
      }
      if (block.fatal || block.lines.read_error) filled = parsed;  // the file ends here
    }
    std::size_t batch_bytes = 0;
    for (std::size_t b = parsed; b < filled; ++b) batch_bytes += batch[b].lines.text.size();
    if (parsed < filled) {
      // A parser that cannot be copied reads everything itself, and so does the calling
      // thread where the batch is too small to pay for waking the others.
      if (parsers.empty() || batch_bytes < kParallelParseBytes) {
        RecordParser& parser = parsers.empty() ? *first_parser : *parsers[parsed];
        for (std::size_t b = parsed; b < filled; ++b)
          detail::parse_block(parser, batch[b], fields, width_source, options.strict);
      } else {
        parallel_for(filled - parsed, 1, [&](std::size_t begin, std::size_t end) {
          for (std::size_t b = parsed + begin; b < parsed + end; ++b)
            detail::parse_block(*parsers[b], batch[b], fields, width_source, options.strict);
        });
      }
    }
    // A fatal line ends the file there: later blocks are not processed or consumed.
    std::size_t usable = filled;
    for (std::size_t b = 0; b < filled; ++b)
      if (batch[b].fatal || batch[b].lines.read_error) {
        usable = b + 1;
        break;
      }
    process(std::span<ParsedBlock>(batch.data(), usable), fields);
    for (std::size_t b = 0; b < usable; ++b) consume(batch[b]);
    if (usable < filled) break;
  }
  if (report.rows == 0) detail::no_records(path, report);
  return fields;
}

}  // namespace deepfm
