#pragma once
/// @file
/// What every text format's parser produces from one line, and how it reports a bad line.
/// A parser knows one format's syntax; the encoder (vocabulary, ids, files) knows none.

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "deepfm/core/printable_text.hpp"

namespace deepfm {

/// One parsed line: a label and one categorical value per field, as strings. Views point into
/// the line or into the parser's own storage and stay valid until the parser's next call.
struct RawRecord {
  float label = 0;
  bool has_label = true;  ///< false for prediction files without the label column
  std::vector<std::string_view> values{};
};

/// Thrown by a parser for a malformed line; the encoder adds the file and line and decides:
/// a `skippable` line (for example a wrong field count, which d2l skips) is counted and
/// reported unless strict mode is on; any other is always an error.
class BadLine : public std::runtime_error {
 public:
  /// `field_count`: for a line of the wrong width, the fields it had (0 otherwise), so that a
  /// report can tell which width most skipped lines share.
  BadLine(const std::string& what, bool skippable = false, std::size_t field_count = 0)
      : std::runtime_error(what), skippable_(skippable), field_count_(field_count) {}
  bool skippable() const noexcept { return skippable_; }
  std::size_t field_count() const noexcept { return field_count_; }

 private:
  bool skippable_;
  std::size_t field_count_;
};

/// How a parser's well-formed lines look where they are plain separated values: one byte
/// between values, no quoting, and first a "0" or "1" label when `label_first`. A block
/// scanner splits such lines itself (record_blocks.hpp), many values per instruction; any
/// line it does not find well-formed (another value count, another label, an empty line)
/// still goes to the parser's parse().
struct SeparatedLayout {
  char separator = '\t';
  bool label_first = true;
};

/// The parser interface. One instance reads one file from its first line on.
class RecordParser {
 public:
  virtual ~RecordParser() = default;
  /// Parses `line` into `record`; returns false for a line that holds no record (an empty
  /// line, a header). Throws BadLine for a malformed one.
  virtual bool parse(std::string_view line, RawRecord& record) = 0;
  /// Fields per record (known after the first record for formats that infer it).
  virtual std::size_t fields() const = 0;
  /// A parser in this one's state, for another thread to read later lines of the same file
  /// with. Called once this parser has returned its first record (a header read, a width
  /// inferred), after which a parser's state no longer changes from line to line. nullptr
  /// (the default) where a parser cannot be copied: its files are then parsed on one thread.
  virtual std::unique_ptr<RecordParser> clone() const { return nullptr; }
  /// The layout of this parser's well-formed lines where they are plain separated values
  /// whose every value is a field as it stands, once fields() is known; nullopt (the
  /// default) where lines need the parser (headers, quotes, values it rewrites).
  virtual std::optional<SeparatedLayout> separated_layout() const { return std::nullopt; }
};

}  // namespace deepfm
