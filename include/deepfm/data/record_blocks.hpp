#pragma once
/// @file
/// Reading a text file's records on every core, with the results of reading it on one.
///
/// The file is read in blocks of whole lines (EncodeOptions::block_bytes each), by one thread
/// that only copies bytes and counts lines. A batch of blocks is parsed in parallel, a block
/// per task: the lines split and checked by LineReader's rules (gzip, LF or CRLF, line length,
/// NUL bytes), by copies of the file's parser (RecordParser::clone, taken once the first record
/// has settled a header or an inferred width); a pass then works on the whole batch (its own
/// split across threads: by field, or by block); and last the blocks' records, skipped lines
/// and errors are taken in file order on the calling thread. Every outcome (counts, ids, the
/// report, the first error) is therefore the one a single thread reading line by line gets,
/// whatever the thread count or the block size.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
#include "deepfm/kernels/byte_masks.hpp"

namespace deepfm {

/// Consecutive whole lines of a file as they are in it: each ends in '\n', but for the
/// file's last when that has none. The lines are split, and checked by LineReader's rules
/// (check_line), by whoever parses the block: on every thread.
struct LineBlock {
  std::string text;
  std::size_t first_line = 0;     ///< 1-based number of the first line
  std::size_t line_count = 0;     ///< lines in `text` (the reader counted them)
  std::exception_ptr read_error;  ///< what reading the next line threw, if it did
};

/// Cuts a file into LineBlocks, in order, on the calling thread: it copies bytes and counts
/// newlines, and leaves finding each line's end to the threads that parse.
class LineBlockReader {
 public:
  /// Blocks of at least `block_bytes` (1 or more) of lines.
  LineBlockReader(const std::string& path, std::size_t max_line_bytes, std::size_t block_bytes)
      : reader_(path, max_line_bytes), block_bytes_(std::max<std::size_t>(block_bytes, 1)) {}

  /// The next block into `block` (its buffers reused); false once the file is done. An error
  /// reading a line ends the block before it, kept in read_error, and ends the file.
  bool next(LineBlock& block) {
    block.text.clear();
    block.read_error = nullptr;
    block.first_line = reader_.line_number() + 1;
    block.line_count = 0;
    if (done_) return false;
    try {
      if (!reader_.read_lines(block.text, block_bytes_) || block.text.size() < block_bytes_)
        done_ = true;
    } catch (const DataError&) {
      block.read_error = std::current_exception();
      done_ = true;
    }
    block.line_count = reader_.line_number() + 1 - block.first_line;
    return !block.text.empty() || block.read_error;
  }

  const std::string& path() const noexcept { return reader_.path(); }
  /// The file's stored size, and how much of it has been read (LineReader's).
  std::uint64_t input_bytes() const noexcept { return reader_.input_bytes(); }
  std::uint64_t input_offset() const noexcept { return reader_.input_offset(); }

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
  /// [fields][at least records]: a column's first `records` keys are the block's.
  std::vector<std::vector<ValueKey>> columns;
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
    labels.clear();
    first_record_line = 0;
    skipped.clear();
    fatal.reset();
    kept = StringArena();
    ids.clear();
  }

  /// Room in `fields` columns for `rows` records; columns only grow, so a block's buffers
  /// are set up once. The columns are always of one size (new ones are added empty, at the
  /// back), so the last tells whether any must grow: a record's check is one comparison, not
  /// a walk over tens of thousands of libffm fields.
  void reserve_records(std::size_t fields, std::size_t rows) {
    if (columns.size() != fields) columns.resize(fields);
    if (columns.empty() || columns.back().size() >= rows) return;
    for (std::vector<ValueKey>& column : columns)
      if (column.size() < rows) column.resize(std::max(rows, 2 * column.size()));
  }
};

/// Blocks a batch of read_record_blocks holds at least.
inline constexpr std::size_t kMinBatchBlocks = 8;
/// Blocks in a batch of read_record_blocks on `threads` threads: every thread parses one or
/// two while another is slow, and a pass that works field by field finds a field's table in
/// cache for tens of thousands of rows.
inline std::size_t batch_blocks(std::size_t threads) noexcept {
  return std::max<std::size_t>(kMinBatchBlocks, 2 * threads);
}

/// About what a read_record_blocks pass holds besides what its `process` keeps: a batch of
/// blocks, their text and their keys (16 bytes for a value of at least 2 bytes of text, its
/// separator included), and the reader's buffer and a spill's (1 MiB each). A block passes
/// its size by up to a line: files of long lines take more.
inline std::uint64_t batch_memory_bytes(const EncodeOptions& options, std::size_t threads) {
  return batch_blocks(threads) * std::uint64_t{options.block_bytes} * (1 + 16 / 2) +
         (std::uint64_t{2} << 20);
}

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

/// Parses one line (its '\n' removed) into `block`'s next record, or its skipped lines, or
/// its fatal error; false once the line ends the file. `fields` is the width every record
/// must have (0: the first record's, which then sets it); `only_line`: the file's first line,
/// without a '\n' after it.
inline bool parse_line(RecordParser& parser, ParsedBlock& block, std::string_view line,
                       std::size_t line_number, bool only_line, std::size_t& fields,
                       const char* width_source, const EncodeOptions& options, RawRecord& record) {
  if (LineFault fault = check_line(line, options.max_line_bytes, only_line);
      fault != LineFault::none) {
    // A long first line holding a CR that ends no CRLF is most likely a whole CR-only file.
    if (fault == LineFault::too_long && line_number == 1 && holds_lone_cr(line))
      fault = LineFault::cr_endings;
    block.fatal.emplace(line_number, line_fault_message(fault, options.max_line_bytes));
    return false;
  }
  try {
    if (!parser.parse(line, record)) return true;
    if (fields == 0) fields = record.values.size();
    if (record.values.size() != fields)
      throw wrong_width(fields, record.values.size(), width_source);
  } catch (const BadLine& bad) {
    if (options.strict || !bad.skippable()) {
      block.fatal.emplace(line_number, bad.what());
      return false;
    }
    block.skipped.push_back({block.records, line_number, bad.field_count(), bad.what()});
    return true;
  }
  if (block.records == 0) block.first_record_line = line_number;
  block.reserve_records(fields, block.records + 1);
  const std::string_view text = block.lines.text;
  for (std::size_t f = 0; f < fields; ++f) {
    const std::string_view value = record.values[f];
    // A long value's key views it: where the parser built it, the view needs a copy.
    const bool viewable =
        value.size() <= ValueKey::kInlineBytes ||
        (value.data() >= text.data() && value.data() + value.size() <= text.data() + text.size());
    block.columns[f][block.records] = ValueKey(viewable ? value : block.kept.keep(value));
  }
  block.labels.push_back(record.label);
  ++block.records;
  return true;
}

/// parse_block for a parser whose lines are plain separated values (`layout`) of `fields`
/// (known) fields: finds every separator and line end of the block with byte masks and makes
/// the keys of each well-formed line straight from the text; any other line goes to
/// parse_line. False once a line ends the file.
inline bool scan_separated_block(RecordParser& parser, ParsedBlock& block, SeparatedLayout layout,
                                 std::size_t& fields, const char* width_source,
                                 const EncodeOptions& options, RawRecord& record) {
  const std::string_view text = block.lines.text;
  const char* const data = text.data();
  const std::size_t size = text.size();
  const std::size_t label_columns = layout.label_first ? 1 : 0;
  const std::size_t columns = fields + label_columns;
  // Room for every line's keys up front, so each column's keys stay where they are; the loop
  // keeps its state in locals (a key's bytes may alias anything the block holds).
  block.reserve_records(fields, block.lines.line_count);
  std::vector<ValueKey*> keys(fields);
  for (std::size_t f = 0; f < fields; ++f) keys[f] = block.columns[f].data();
  std::size_t records = block.records;
  std::size_t line_number = block.lines.first_line;
  std::size_t line_begin = 0;
  std::size_t value_begin = 0;
  std::size_t column = 0;     // of the value that ends at the next separator
  bool label_is_one = false;  // the label column reads "1"
  bool label_ok = !layout.label_first;
  const auto key_of = [&](std::size_t end) {
    const std::size_t length = end - value_begin;
    return length <= ValueKey::kInlineBytes && value_begin + 16 <= size
               ? ValueKey::from_padded(data + value_begin, length)
               : ValueKey(std::string_view(data + value_begin, length));  // a long value views
  };
  const auto read_label = [&](std::size_t end) {
    label_ok = end - value_begin == 1 && (data[value_begin] == '0' || data[value_begin] == '1');
    label_is_one = label_ok && data[value_begin] == '1';
  };
  for (std::size_t base = 0; base < size; base += kernels::kMaskBytes) {
    std::uint64_t mask =
        base + kernels::kMaskBytes <= size
            ? kernels::byte_mask(data + base, layout.separator, '\n')
            : kernels::byte_mask_tail(data + base, size - base, layout.separator, '\n');
    for (; mask != 0; mask &= mask - 1) {
      const std::size_t at = base + static_cast<std::size_t>(std::countr_zero(mask));
      const bool line_end_here = data[at] == '\n';
      const bool crlf = line_end_here && at > value_begin && data[at - 1] == '\r';
      const std::size_t value_end = crlf ? at - 1 : at;
      // The value that ends here: a field's key (column - label_columns < fields), the label,
      // or one too many (the line is then not well formed).
      if (const std::size_t field = column - label_columns; field < fields)
        keys[field][records] = key_of(value_end);
      else if (column < label_columns)
        read_label(value_end);
      ++column;
      value_begin = at + 1;
      if (!line_end_here) continue;
      const bool well_formed = column == columns && label_ok && value_end > line_begin &&
                               value_end - line_begin <= options.max_line_bytes;
      if (well_formed) {
        if (records == 0) block.first_record_line = line_number;
        block.labels.push_back(label_is_one ? 1.0f : 0.0f);
        ++records;
      } else {
        block.records = records;
        const bool go_on = parse_line(parser, block, text.substr(line_begin, at - line_begin),
                                      line_number, false, fields, width_source, options, record);
        records = block.records;
        if (!go_on) return false;
      }
      ++line_number;
      line_begin = at + 1;
      column = 0;
      label_ok = !layout.label_first;
    }
  }
  block.records = records;
  // The file's last line when no '\n' ends it.
  return line_begin == size || parse_line(parser, block, text.substr(line_begin), line_number,
                                          line_number == 1, fields, width_source, options, record);
}

/// Parses `block.lines` with `parser` into `block` (cleared first). `fields` is the width
/// every record must have (0: the first record's, which then sets it); strict options make
/// every bad line fatal. Stops at the first fatal line.
inline void parse_block(RecordParser& parser, ParsedBlock& block, std::size_t& fields,
                        const char* width_source, const EncodeOptions& options) {
  block.clear();
  RawRecord record;
  const std::string_view text = block.lines.text;
  // A NUL byte anywhere sends the block down the line-by-line path, which names its line.
  if (const std::optional<SeparatedLayout> layout = parser.separated_layout();
      layout && fields > 0 && parser.fields() == fields &&
      std::memchr(text.data(), '\0', text.size()) == nullptr) {
    scan_separated_block(parser, block, *layout, fields, width_source, options, record);
    return;
  }
  std::size_t line_number = block.lines.first_line;
  for (std::size_t begin = 0; begin < text.size(); ++line_number) {
    std::size_t end = text.find('\n', begin);
    const bool unterminated = end == std::string_view::npos;
    if (unterminated) end = text.size();
    if (!parse_line(parser, block, text.substr(begin, end - begin), line_number,
                    unterminated && line_number == 1, fields, width_source, options, record))
      return;
    begin = end + 1;
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
  const std::size_t batch_size = batch_blocks(threads);
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
      detail::parse_block(*first_parser, block, fields, width_source, options);
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
          detail::parse_block(parser, batch[b], fields, width_source, options);
      } else {
        parallel_for(filled - parsed, 1, [&](std::size_t begin, std::size_t end) {
          for (std::size_t b = parsed + begin; b < parsed + end; ++b)
            detail::parse_block(*parsers[b], batch[b], fields, width_source, options);
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
    if (options.on_progress)
      options.on_progress(path, std::min(reader.input_offset(), reader.input_bytes()),
                          reader.input_bytes());
  }
  if (report.rows == 0) detail::no_records(path, report);
  return fields;
}

}  // namespace deepfm
