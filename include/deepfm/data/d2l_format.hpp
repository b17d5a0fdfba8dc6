#pragma once
/// @file
/// The d2l CTR CSV format, read by the rules of d2l's `CTRDataset` (d2l.ai, "Feature-Rich
/// Recommender Systems"): one record per line, TAB-separated, no header; the first column is
/// the label "0" or "1", every further column a categorical value kept as its exact string
/// (leading zeros matter, and most d2l values exceed 2^32). Line endings (LF or CRLF) and a
/// missing final newline are the LineReader's business; this parser sees lines without them.
///
/// Rules, as d2l applies them, and where we differ:
///   - the field count is the first record's column count minus the label (d2l hardcodes 34),
///     or the count given to the constructor;
///   - a line with another column count is skipped (d2l skips it silently; we throw a
///     skippable BadLine so the encoder counts and reports it, or fails in strict mode);
///   - an empty line holds no record (d2l skips it as a wrong column count; we ignore it
///     without counting it);
///   - the label must be exactly "0" or "1" (d2l calls int(), which accepts "+1" or " 0"; we
///     refuse anything else, not skippably: a bad label means the wrong file or format).
/// Prediction files (`has_label = false`) have no label column: every column is a field.

#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deepfm/data/record.hpp"

namespace deepfm {

/// Parses lines of a d2l CTR CSV file into RawRecords (values view the line).
class D2lParser : public RecordParser {
 public:
  /// `fields` categorical fields per record, or 0 to take the count from the first record;
  /// `has_label = false` reads prediction files, whose every column is a field.
  explicit D2lParser(std::size_t fields = 0, bool has_label = true)
      : fields_(fields), has_label_(has_label) {}

  /// Splits `line` at TABs. Returns false for an empty line; throws BadLine (skippable) for a
  /// wrong column count and BadLine (not skippable) for a label other than "0" or "1".
  bool parse(std::string_view line, RawRecord& record) override {
    if (line.empty()) return false;
    std::string_view label;
    std::size_t columns = 0;
    if (has_label_) {
      const std::size_t tab = line.find('\t');
      label = line.substr(0, tab);
      if (tab == std::string_view::npos) {
        record.values.clear();
      } else {
        split(line.substr(tab + 1), record.values);
      }
      columns = record.values.size() + 1;
    } else {
      split(line, record.values);
      columns = record.values.size();
    }
    const std::size_t label_columns = has_label_ ? 1 : 0;
    if (fields_ == 0) {
      if (columns <= label_columns)
        throw BadLine("a record needs a label and at least one field, found 1 column");
      fields_ = columns - label_columns;
    }
    if (columns != fields_ + label_columns)
      throw BadLine(wrong_count(columns), true, columns - label_columns);

    record.has_label = has_label_;
    record.label = 0;
    if (label == "1") {
      record.label = 1;
    } else if (has_label_ && label != "0") {
      throw BadLine("label must be 0 or 1, found " + quoted_value(label));
    }
    return true;
  }

  /// Categorical fields per record; 0 until the first record when inferred.
  std::size_t fields() const override { return fields_; }
  std::unique_ptr<RecordParser> clone() const override {
    return std::make_unique<D2lParser>(*this);
  }
  std::optional<SeparatedLayout> separated_layout() const override {
    if (fields_ == 0) return std::nullopt;
    return SeparatedLayout{'\t', has_label_};
  }
  /// Whether lines start with a label column.
  bool has_label() const noexcept { return has_label_; }

 private:
  /// Splits at every TAB (memchr: lines are long and TABs sparse); reuses `out`'s capacity.
  static void split(std::string_view line, std::vector<std::string_view>& out) {
    out.clear();
    const char* begin = line.data();
    const char* const end = begin + line.size();
    for (;;) {
      const void* tab = std::memchr(begin, '\t', static_cast<std::size_t>(end - begin));
      if (tab == nullptr) break;
      const char* stop = static_cast<const char*>(tab);
      out.emplace_back(begin, static_cast<std::size_t>(stop - begin));
      begin = stop + 1;
    }
    out.emplace_back(begin, static_cast<std::size_t>(end - begin));
  }

  std::string wrong_count(std::size_t columns) const {
    std::string message = "expected " + std::to_string(fields_ + (has_label_ ? 1 : 0)) + " fields";
    message += has_label_ ? " (label + " + std::to_string(fields_) + " categorical)"
                          : " (no label column)";
    return message + ", found " + std::to_string(columns);
  }

  std::size_t fields_;
  bool has_label_;
};

}  // namespace deepfm
