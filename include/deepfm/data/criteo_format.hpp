#pragma once
/// @file
/// The Criteo raw format (Kaggle Display Advertising Challenge `train.txt`): one record per
/// line, TAB-separated, no header; the label "0" or "1", then 13 integer columns I1..I13,
/// then 26 categorical columns C1..C26 (32-bit hashes in hex). An empty column is a missing
/// value; a ragged row, whose trailing columns were dropped, is valid and its missing
/// columns are missing values. Test files (`has_label = false`) have no label column.
///
/// Every column becomes a categorical value, as the Criteo winners (Juan et al., "3 idiots")
/// and pytorch-fm (`torchfm/dataset/criteo.py`, `convert_numeric_feature`) read it:
///   - empty (or dropped)      -> "NULL", in every column;
///   - integer v > 2           -> the decimal string of floor(ln(v)^2), computed in double:
///                                v = 3 -> floor(1.2069) = "1", v = 4 -> floor(1.9218) = "1",
///                                v = 5 -> floor(2.5903) = "2", v = 1382 -> floor(52.29) = "52";
///   - integer v <= 2          -> the decimal string of v - 2, negatives included (real Criteo
///                                has them in I2): v = 2 -> "0", v = 1 -> "-1", v = -1 -> "-3";
///   - categorical             -> the string as it is.
/// The two integer ranges cannot collide: v > 2 gives floor(ln(v)^2) >= floor(ln(3)^2) = 1,
/// while v <= 2 gives v - 2 <= 0, so the strings are exactly pytorch-fm's (`str(int(log(v)**2))`
/// and `str(v - 2)`) and no prefix is needed; "NULL" is neither. (The 3 idiots write the small
/// values as "SP" + v instead: the same partition under other names.) v - 2 is formed without
/// overflow, so v = -9223372036854775808 gives "-9223372036854775810", as Python does.
///
/// Integer syntax is stricter than Python's int(): an optional '-' then decimal digits, which
/// must fit in a signed 64-bit integer. Anything else ("1.5", "+3", " 3", "0x1f",
/// "9223372036854775808") is a BadLine naming the column, not skippable: it means the wrong
/// file or format. So is a label other than "0" or "1". More than 40 columns (39 without a
/// label) is a skippable BadLine, like a wrong field count in the d2l reader; an empty line
/// holds no record.

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "deepfm/data/record.hpp"

namespace deepfm {

/// Integer columns of a Criteo record (I1..I13).
inline constexpr std::size_t kCriteoIntegerFields = 13;
/// Categorical columns of a Criteo record (C1..C26).
inline constexpr std::size_t kCriteoCategoricalFields = 26;
/// Fields of a Criteo record, the label not counted.
inline constexpr std::size_t kCriteoFields = kCriteoIntegerFields + kCriteoCategoricalFields;

namespace detail {}  // namespace detail

/// Writes the category of one Criteo integer column into `out` (reusing its capacity):
/// "" -> "NULL", v > 2 -> floor(ln(v)^2), v <= 2 -> v - 2 (rules in the file comment).
/// Throws BadLine (not skippable) naming `column` for a value that is not a 64-bit integer.
inline void criteo_integer_category_into(std::string& out, std::string_view value,
                                         std::string_view column = {}) {
  if (value.empty()) {
    out.assign("NULL");
    return;
  }
  std::int64_t v = 0;
  const char* const first = value.data();
  const char* const last = first + value.size();
  const auto [end, error] = std::from_chars(first, last, v);
  if (error != std::errc{} || end != last) {
    std::string message(column.empty() ? std::string_view("integer column") : column);
    message += error == std::errc::result_out_of_range ? ": integer out of 64-bit range: "
                                                       : ": not an integer: ";
    throw BadLine(message + quoted_value(value));
  }
  char buffer[24];
  char* stop = buffer;
  if (v > 2) {
    const double log_v = std::log(static_cast<double>(v));
    const auto bucket = static_cast<std::int64_t>(std::floor(log_v * log_v));
    stop = std::to_chars(buffer, buffer + sizeof buffer, bucket).ptr;
  } else {
    // |v - 2| = 2 - v <= 2^63 + 2 fits in uint64; modular arithmetic avoids signed overflow.
    const std::uint64_t magnitude = std::uint64_t{2} - static_cast<std::uint64_t>(v);
    if (magnitude != 0) *stop++ = '-';
    stop = std::to_chars(stop, buffer + sizeof buffer, magnitude).ptr;
  }
  out.assign(buffer, static_cast<std::size_t>(stop - buffer));
}

/// The category of one Criteo integer column as a new string (see criteo_integer_category_into).
inline std::string criteo_integer_category(std::string_view value, std::string_view column = {}) {
  std::string out;
  criteo_integer_category_into(out, value, column);
  return out;
}

/// Parses lines of Criteo raw files into RawRecords of 39 fields (I1..I13, C1..C26).
/// Categorical values view the line; bucketed integers view the parser's own storage.
class CriteoParser : public RecordParser {
 public:
  /// `has_label = false` reads test files, which have no label column.
  explicit CriteoParser(bool has_label = true) : has_label_(has_label) {
    // Built with += rather than "I" + std::to_string(): GCC 12 at -O3 reports a false
    // -Wrestrict inside libstdc++ for the latter (GCC bug 105329).
    for (std::size_t i = 0; i < kCriteoFields; ++i) {
      std::string name(1, i < kCriteoIntegerFields ? 'I' : 'C');
      name += std::to_string(i < kCriteoIntegerFields ? i + 1 : i + 1 - kCriteoIntegerFields);
      names_.push_back(std::move(name));
    }
    for (std::string& storage : integers_)
      storage.reserve(24);  // the longest category, "-9223372036854775810", fits
  }

  /// Splits `line` at TABs and buckets the integer columns. Returns false for an empty line;
  /// throws BadLine (skippable) for too many columns and BadLine (not skippable) for a bad
  /// label or integer.
  bool parse(std::string_view line, RawRecord& record) override {
    if (line.empty()) return false;
    const std::size_t max_columns = kCriteoFields + (has_label_ ? 1 : 0);
    std::string_view columns[kCriteoFields + 1];
    std::size_t count = 0;
    const char* begin = line.data();
    const char* const end = begin + line.size();
    for (;;) {
      const void* tab = std::memchr(begin, '\t', static_cast<std::size_t>(end - begin));
      const char* stop = tab == nullptr ? end : static_cast<const char*>(tab);
      if (count == max_columns) throw BadLine(too_many(line), true);
      columns[count++] = std::string_view(begin, static_cast<std::size_t>(stop - begin));
      if (tab == nullptr) break;
      begin = stop + 1;
    }

    std::size_t next = 0;
    record.has_label = has_label_;
    record.label = 0;
    if (has_label_) {
      const std::string_view label = columns[next++];
      if (label == "1") {
        record.label = 1;
      } else if (label != "0") {
        throw BadLine("label must be 0 or 1, found " + quoted_value(label));
      }
    }
    record.values.resize(kCriteoFields);
    for (std::size_t i = 0; i < kCriteoFields; ++i, ++next) {
      const std::string_view value = next < count ? columns[next] : std::string_view();
      if (i < kCriteoIntegerFields) {
        criteo_integer_category_into(integers_[i], value, names_[i]);
        record.values[i] = integers_[i];
      } else {
        record.values[i] = value.empty() ? std::string_view("NULL") : value;
      }
    }
    return true;
  }

  /// Always 39: I1..I13 then C1..C26.
  std::size_t fields() const override { return kCriteoFields; }
  std::unique_ptr<RecordParser> clone() const override {
    return std::make_unique<CriteoParser>(*this);
  }
  /// "I1".."I13", "C1".."C26", in record order.
  const std::vector<std::string>& field_names() const noexcept { return names_; }
  /// Whether lines start with a label column.
  bool has_label() const noexcept { return has_label_; }

 private:
  std::string too_many(std::string_view line) const {
    std::size_t found = 1;
    for (const char c : line) found += c == '\t' ? 1 : 0;
    return "expected at most " + std::to_string(kCriteoFields + (has_label_ ? 1 : 0)) +
           " fields (" + (has_label_ ? "label + " : "no label column, ") + "13 integer + 26 " +
           "categorical), found " + std::to_string(found);
  }

  bool has_label_;
  std::vector<std::string> names_;
  std::string integers_[kCriteoIntegerFields];  // storage the bucketed values view
};

}  // namespace deepfm
