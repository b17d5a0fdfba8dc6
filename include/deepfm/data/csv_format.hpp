#pragma once
/// @file
/// CSV files with a header (Avazu, Criteo Kaggle's `train.tiny.csv`, and similar): the first
/// non-empty line names the columns; one column may be the 0/1 label, some may be dropped
/// (ids), and every other column is a categorical field named by its header cell.
///
/// Rules:
///   - the header is the first non-empty line (a UTF-8 byte-order mark before it is ignored);
///     parse() returns false for it, and for every empty line;
///   - fields are split at the separator (',' by default) and may be quoted per RFC 4180:
///     "a,b" holds a separator, "" inside quotes is one quote, and the quotes are not part of
///     the value. Text after a closing quote, or a quote left open at the end of the line, is
///     a BadLine (not skippable): fields spanning lines are not supported, since the
///     LineReader splits at every newline. A quote inside an unquoted field is kept literally;
///   - a row with another column count than the header is a skippable BadLine;
///   - the label column (named in `label_column`, case-sensitive) must hold "0" or "1", else
///     a BadLine (not skippable); an empty `label_column` reads prediction files: no label;
///   - a label or drop column that the header lacks, or a header naming a column twice, is a
///     BadLine (not skippable) on the header line, listing the header;
///   - values are kept as strings; an empty cell is the value "" (a category of its own,
///     per field). Integer columns are plain categories too (no bucketing), unless
///     `criteo_integer_columns` is set: then columns named I1..I13 are bucketed exactly as
///     the Criteo raw reader does (criteo_integer_category: "" -> "NULL", v > 2 ->
///     floor(ln(v)^2), v <= 2 -> v - 2), and a non-integer there is a BadLine naming it.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/data/criteo_format.hpp"
#include "deepfm/data/record.hpp"

namespace deepfm {

/// How a CsvParser reads a file's columns.
struct CsvOptions {
  /// The 0/1 label column's header name ("click" for Avazu, "Label" for Criteo's CSV);
  /// empty reads prediction files without a label.
  std::string label_column{};
  /// Header names of columns to ignore, such as "id"; each must be in the header.
  std::vector<std::string> drop_columns{};
  /// The column separator; not '"', '\r' or '\n'.
  char separator = ',';
  /// Bucket columns named I1..I13 as CriteoParser does (for Criteo data saved as CSV).
  bool criteo_integer_columns = false;
};

/// Parses the lines of a CSV file with a header into RawRecords, one field per kept column.
class CsvParser : public RecordParser {
 public:
  /// Throws InvalidArgument for an unusable separator or a label column also dropped.
  explicit CsvParser(CsvOptions options = {}) : options_(std::move(options)) {
    const char s = options_.separator;
    if (s == '"' || s == '\r' || s == '\n')
      throw InvalidArgument("CSV separator must not be a quote or a line break");
    if (!options_.label_column.empty() &&
        std::find(options_.drop_columns.begin(), options_.drop_columns.end(),
                  options_.label_column) != options_.drop_columns.end())
      throw InvalidArgument("CSV label column '" + options_.label_column +
                            "' is also a column to drop");
  }

  /// Reads the header (returns false) or one row. Throws BadLine as the file comment says.
  bool parse(std::string_view line, RawRecord& record) override {
    if (!have_header_) {
      if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
      if (line.empty()) return false;
      read_header(line);
      return false;
    }
    if (line.empty()) return false;
    split(line);
    if (cells_.size() != header_.size())
      throw BadLine("expected " + std::to_string(header_.size()) + " columns, found " +
                        std::to_string(cells_.size()),
                    true);
    record.has_label = has_label();
    record.label = 0;
    if (has_label()) {
      const std::string_view label = cells_[label_index_];
      if (label == "1") {
        record.label = 1;
      } else if (label != "0") {
        throw BadLine("label column " + quoted_value(options_.label_column) +
                      " must be 0 or 1, found " + quoted_value(label));
      }
    }
    record.values.resize(kept_.size());
    for (std::size_t i = 0; i < kept_.size(); ++i) {
      const std::string_view value = cells_[kept_[i]];
      if (integer_slot_[i] != kNoSlot) {
        std::string& out = integers_[integer_slot_[i]];
        criteo_integer_category_into(out, value, names_[i]);
        record.values[i] = out;
      } else {
        record.values[i] = value;
      }
    }
    return true;
  }

  /// Categorical fields per record; 0 until the header is read.
  std::size_t fields() const override { return kept_.size(); }
  std::unique_ptr<RecordParser> clone() const override {
    return std::make_unique<CsvParser>(*this);
  }
  /// The kept columns' header names, in record order; empty until the header is read.
  const std::vector<std::string>& field_names() const noexcept { return names_; }
  /// Every header name, in file order; empty until the header is read.
  const std::vector<std::string>& header() const noexcept { return header_; }
  /// Whether rows carry a label (a label column was named).
  bool has_label() const noexcept { return !options_.label_column.empty(); }

 private:
  static constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);

  void read_header(std::string_view line) {
    split(line);
    header_.assign(cells_.begin(), cells_.end());
    // A hash map, not a pairwise check: a header within the line bound can hold 10^5 names,
    // which pairwise took minutes. The first repeat is reported, with the name's first column.
    std::unordered_map<std::string_view, std::size_t> first_column;
    first_column.reserve(header_.size());
    for (std::size_t i = 0; i < header_.size(); ++i) {
      const auto [found, added] = first_column.emplace(header_[i], i);
      if (!added)
        throw BadLine("the header names column '" + header_[i] + "' twice (columns " +
                      std::to_string(found->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
    if (has_label()) label_index_ = index_of(options_.label_column, "label column");
    std::vector<bool> dropped(header_.size(), false);
    if (has_label()) dropped[label_index_] = true;
    for (const std::string& name : options_.drop_columns)
      dropped[index_of(name, "column to drop")] = true;
    std::size_t integers = 0;
    for (std::size_t i = 0; i < header_.size(); ++i) {
      if (dropped[i]) continue;
      kept_.push_back(i);
      names_.push_back(header_[i]);
      integer_slot_.push_back(
          options_.criteo_integer_columns && is_criteo_integer(header_[i]) ? integers++ : kNoSlot);
    }
    if (kept_.empty()) throw BadLine("no categorical column left in the header: " + listing());
    if (options_.criteo_integer_columns && integers == 0)
      throw BadLine("criteo_integer_columns is set but the header has no column I1..I13: " +
                    listing());
    integers_.resize(integers);
    have_header_ = true;
  }

  static bool is_criteo_integer(std::string_view name) {
    if (name.size() < 2 || name[0] != 'I' || name[1] == '0') return false;
    std::size_t number = 0;
    const char* const last = name.data() + name.size();
    const auto [end, error] = std::from_chars(name.data() + 1, last, number);
    return error == std::errc{} && end == last && number >= 1 && number <= kCriteoIntegerFields;
  }

  std::size_t index_of(const std::string& name, const char* role) const {
    const auto it = std::find(header_.begin(), header_.end(), name);
    if (it == header_.end())
      throw BadLine(std::string(role) + " '" + name + "' is not in the header: " + listing());
    return static_cast<std::size_t>(it - header_.begin());
  }

  /// The header's names for a message, cut short after a few dozen.
  std::string listing() const {
    constexpr std::size_t kMax = 50;
    std::string out;
    for (std::size_t i = 0; i < header_.size() && i < kMax; ++i)
      out += (i == 0 ? "" : ",") + header_[i];
    if (header_.size() > kMax) out += ",... (" + std::to_string(header_.size()) + " columns)";
    return out;
  }

  std::string column_name(std::size_t column) const {
    std::string out = "column " + std::to_string(column + 1);
    if (column < header_.size()) out += " (" + header_[column] + ")";
    return out;
  }

  /// Splits `line` into cells_, unquoting RFC 4180 fields; a field with "" escapes is
  /// unescaped into scratch_ (a deque: growing it keeps earlier strings where they are).
  void split(std::string_view line) {
    cells_.clear();
    const char separator = options_.separator;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t column = cells_.size();
      if (pos < line.size() && line[pos] == '"') {
        std::size_t from = pos + 1;
        bool escaped = false;
        std::size_t close = 0;
        for (;;) {
          close = line.find('"', from);
          if (close == std::string_view::npos)
            throw BadLine(column_name(column) +
                          ": unterminated quote (quoted fields spanning lines are not supported)");
          if (close + 1 < line.size() && line[close + 1] == '"') {
            escaped = true;
            from = close + 2;
            continue;
          }
          break;
        }
        std::string_view value = line.substr(pos + 1, close - pos - 1);
        if (escaped) {
          if (scratch_.size() <= column) scratch_.resize(column + 1);
          std::string& out = scratch_[column];
          out.clear();
          for (std::size_t i = 0; i < value.size(); ++i) {
            out += value[i];
            if (value[i] == '"') ++i;  // the second quote of a "" pair
          }
          value = out;
        }
        cells_.push_back(value);
        pos = close + 1;
        if (pos == line.size()) return;
        if (line[pos] != separator)
          throw BadLine(column_name(column) + ": text after the closing quote");
        ++pos;
      } else {
        const std::size_t stop = line.find(separator, pos);
        if (stop == std::string_view::npos) {
          cells_.push_back(line.substr(pos));
          return;
        }
        cells_.push_back(line.substr(pos, stop - pos));
        pos = stop + 1;
      }
    }
  }

  CsvOptions options_;
  bool have_header_ = false;
  std::vector<std::string> header_;
  std::vector<std::string> names_;
  std::vector<std::size_t> kept_;          // header index of each field
  std::vector<std::size_t> integer_slot_;  // per field: its integers_ slot, or kNoSlot
  std::size_t label_index_ = 0;
  std::vector<std::string_view> cells_;
  std::deque<std::string> scratch_;
  std::vector<std::string> integers_;  // sized once, at the header: views stay valid
};

}  // namespace deepfm
