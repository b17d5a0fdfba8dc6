#pragma once
/// @file
/// Parsers for the sparse text formats libsvm / libFM (`label idx[:val] ...`) and libffm
/// (`label field:idx:val ...`), mapped onto deepfm's fields: every model takes exactly ONE
/// categorical value per field per sample (a field-aware id table, no feature values), so a
/// sparse line must name at most one feature per field, with value 1 (present) or 0 (absent).
///
/// Rules shared by both formats
/// - Tokens are separated by runs of spaces, tabs or '\r'; leading and trailing blanks are
///   ignored. A line that is empty or blank holds no record (`parse` returns false), and so
///   does a line whose first token starts with '#'; a later token starting with '#' ends the
///   line (svmlight's trailing `# info` comment).
/// - Label (the first token, unless `has_label` is false for prediction files, whose first
///   token is already a feature): "0" or "-1" -> 0, "1" or "+1" -> 1 (libsvm's binary labels).
///   Anything else, "1.0" and "2" included, is a BadLine (not skippable) naming it.
/// - Index: a decimal integer in [0, 2^32), digits only. A larger one is a BadLine (not
///   skippable) "index 4294967296 beyond 2^32"; a non-integer names its token. The field's
///   categorical value is the index string with leading zeros dropped ("007" and "7" are the
///   same feature, as they are to libsvm), as a view into the line.
/// - Value (`:val`): a decimal number equal to 1 (1, 1.0, 1e0, +1) means the feature is
///   present; equal to 0 (0, 0.0, -0) means it is absent, and its field takes the missing
///   category. Any other value is a BadLine (not skippable): "feature values other than 1 are
///   not supported: deepfm's fields are categorical". Bucketize numeric features into
///   categories before exporting them.
/// - Missing category: a field no feature of the line gives a value to reads as the empty
///   string `kSparseMissingValue`, which no index can collide with (indices are digits).
/// - A malformed token (too few or too many ':' parts, an empty part) is a BadLine (not
///   skippable) naming the token.
/// - Field count: at most kMaxSparseFields; inferring more (or from a first record with no
///   features) is a BadLine (not skippable) asking for the count, giving more an
///   InvalidArgument. `fields()` is 0 until a count is known.
///
/// libsvm / libFM: field = position
/// - The k-th feature token of a line (0-based) belongs to field k: the usual CTR export
///   writes one feature per field, in field order. A `idx:0` token still takes its position.
/// - Field count: `SparseFormatOptions::fields`, or 0 = the number of feature tokens on the
///   first record. A ragged line with FEWER features leaves its trailing fields missing; a
///   line with MORE features than fields is a skippable BadLine "expected F fields, found N
///   features" (like a wrong field count in the d2l CSV).
///
/// libffm: field named by the token
/// - `field:idx:val`, all three parts required; field is a decimal integer in [0, fields).
///   The order of tokens on the line does not matter.
/// - Field count: `SparseFormatOptions::fields`, or 0 = one more than the largest field index
///   on the first record. That inference is fragile: a first record that lacks the last field
///   (absent fields are allowed) gives too few fields, and every later line naming that field
///   is then skipped as out of range. Give the field count (`--fields`) for libffm data.
/// - A field index >= fields is a skippable BadLine "field 7 out of range: expected 5 fields
///   (0..4)" (a width mismatch, like a wrong field count). A field appearing twice on one line
///   is a BadLine (not skippable): "field 3 appears twice; deepfm takes one value per field".
///   A field not named on the line takes the missing category.
///
/// Performance: one pass over the line, no allocation per token or per line once
/// `record.values` has grown to `fields` (std::from_chars for numbers, views into the line).

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/data/record.hpp"

namespace deepfm {

/// The categorical value of a field that no feature of a sparse line gives a value to.
inline constexpr std::string_view kSparseMissingValue{""};

/// Upper bound on the field count of the sparse formats, given or inferred: it keeps a bad
/// first line (libffm field 4000000000) from sizing every record to billions of fields.
inline constexpr std::size_t kMaxSparseFields = std::size_t{1} << 16;

/// Options of the libsvm / libFM and libffm parsers.
struct SparseFormatOptions {
  /// Fields per record; 0 = inferred from the first record (see the file comment).
  std::size_t fields = 0;
  /// False for prediction files: no label token, the first token is already a feature.
  bool has_label = true;
};

namespace detail {

inline bool is_sparse_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

/// Splits a line into blank-separated tokens without copying; stops at a '#' token.
class SparseTokenizer {
 public:
  explicit SparseTokenizer(std::string_view line) noexcept
      : it_(line.data()), end_(line.data() + line.size()) {}

  /// The next token in `token`; false when the line (or its comment) is reached.
  bool next(std::string_view& token) noexcept {
    while (it_ != end_ && is_sparse_blank(*it_)) ++it_;
    if (it_ == end_ || *it_ == '#') return false;
    const char* begin = it_;
    while (it_ != end_ && !is_sparse_blank(*it_)) ++it_;
    token = std::string_view(begin, static_cast<std::size_t>(it_ - begin));
    return true;
  }

  /// How many tokens are left (consumes them); for error messages only.
  std::size_t count_rest() noexcept {
    std::size_t count = 0;
    std::string_view ignored;
    while (next(ignored)) ++count;
    return count;
  }

 private:
  const char* it_;
  const char* end_;
};

/// `text` in single quotes, printable (quoted_value; long tokens cut after 64 bytes).
inline std::string quoted(std::string_view text) { return quoted_value(text, 64); }

/// "0"/"-1" -> 0, "1"/"+1" -> 1; anything else is a BadLine naming it.
inline float parse_sparse_label(std::string_view token) {
  if (token == "1" || token == "+1") return 1.0f;
  if (token == "0" || token == "-1") return 0.0f;
  throw BadLine("label " + quoted(token) + " is not 0, 1, -1 or +1");
}

/// Validates a decimal index < 2^32 and returns it without leading zeros ("007" -> "7").
inline std::string_view parse_sparse_index(std::string_view index, std::string_view token) {
  if (index.empty()) throw BadLine("malformed token " + quoted(token) + ": empty index");
  for (const char c : index) {
    if (c < '0' || c > '9')
      throw BadLine("index " + quoted(index) + " in token " + quoted(token) +
                    " is not a non-negative decimal integer");
  }
  std::uint32_t parsed = 0;
  const auto [end, error] = std::from_chars(index.data(), index.data() + index.size(), parsed);
  if (error != std::errc{} || end != index.data() + index.size())
    throw BadLine("index " + std::string(index) + " beyond 2^32");
  const std::size_t first = index.find_first_not_of('0');
  return first == std::string_view::npos ? index.substr(index.size() - 1) : index.substr(first);
}

/// True for a value equal to 1 (present), false for one equal to 0 (absent); else BadLine.
inline bool parse_sparse_value(std::string_view value, std::string_view token) {
  if (value == "1") return true;  // the common case, without from_chars
  if (value.empty()) throw BadLine("malformed token " + quoted(token) + ": empty value");
  const char* begin = value.data();
  const char* end = begin + value.size();
  if (*begin == '+') ++begin;  // from_chars takes no '+'
  double parsed = 0;
  const auto [stop, error] = std::from_chars(begin, end, parsed);
  if (begin == end || error != std::errc{} || stop != end)
    throw BadLine("malformed token " + quoted(token) + ": value " + quoted(value) +
                  " is not a number");
  if (parsed == 1.0) return true;
  if (parsed == 0.0) return false;
  throw BadLine(
      "feature values other than 1 are not supported: deepfm's fields are "
      "categorical (token " +
      quoted(token) + ")");
}

/// Parses a decimal field index; values that do not fit become SIZE_MAX (out of any range).
inline std::size_t parse_sparse_field(std::string_view field, std::string_view token) {
  if (field.empty()) throw BadLine("malformed token " + quoted(token) + ": empty field");
  for (const char c : field) {
    if (c < '0' || c > '9')
      throw BadLine("field " + quoted(field) + " in token " + quoted(token) +
                    " is not a non-negative decimal integer");
  }
  std::size_t parsed = 0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), parsed);
  if (error != std::errc{} || end != field.data() + field.size()) return SIZE_MAX;
  return parsed;
}

inline void check_sparse_fields(std::size_t fields) {
  if (fields > kMaxSparseFields)
    throw InvalidArgument("sparse formats: " + std::to_string(fields) + " fields, more than " +
                          std::to_string(kMaxSparseFields));
}

/// Sets the record's label from `token` (the line's first) when the format has labels and
/// moves `token` on to the first feature; returns whether `token` then holds a feature.
inline bool read_sparse_label(SparseTokenizer& tokens, std::string_view& token, bool has_label,
                              RawRecord& record) {
  record.has_label = has_label;
  record.label = 0.0f;
  if (!has_label) return true;
  record.label = parse_sparse_label(token);
  return tokens.next(token);
}

}  // namespace detail

/// libsvm / libFM lines `label idx[:val] ...`; the k-th feature of a line is field k.
class LibsvmParser final : public RecordParser {
 public:
  /// Throws InvalidArgument for more than kMaxSparseFields fields.
  explicit LibsvmParser(SparseFormatOptions options = {})
      : fields_(options.fields), has_label_(options.has_label) {
    detail::check_sparse_fields(fields_);
  }

  bool parse(std::string_view line, RawRecord& record) override {
    detail::SparseTokenizer tokens(line);
    std::string_view token;
    if (!tokens.next(token)) return false;
    const bool more = detail::read_sparse_label(tokens, token, has_label_, record);
    if (fields_ == 0) return parse_first(more, token, tokens, record);
    record.values.assign(fields_, kSparseMissingValue);
    if (!more) return true;
    std::size_t field = 0;
    do {
      if (field == fields_) {
        const std::size_t found = fields_ + 1 + tokens.count_rest();
        throw BadLine("expected " + std::to_string(fields_) + " fields, found " +
                          std::to_string(found) + " features",
                      /*skippable=*/true);
      }
      record.values[field++] = feature_value(token);
    } while (tokens.next(token));
    return true;
  }

  /// Fields per record: the given count, or after the first record the inferred one (0 before).
  std::size_t fields() const override { return fields_; }
  std::unique_ptr<RecordParser> clone() const override {
    return std::make_unique<LibsvmParser>(*this);
  }

 private:
  /// The categorical value of one `idx[:val]` token.
  static std::string_view feature_value(std::string_view token) {
    const std::size_t colon = token.find(':');
    if (colon == std::string_view::npos) return detail::parse_sparse_index(token, token);
    const std::string_view value = token.substr(colon + 1);
    if (value.find(':') != std::string_view::npos)
      throw BadLine("malformed token " + detail::quoted(token) + ": expected idx[:val]");
    const std::string_view index = detail::parse_sparse_index(token.substr(0, colon), token);
    return detail::parse_sparse_value(value, token) ? index : kSparseMissingValue;
  }

  /// The first record fixes the field count to its number of features.
  bool parse_first(bool more, std::string_view token, detail::SparseTokenizer& tokens,
                   RawRecord& record) {
    record.values.clear();
    if (!more)
      throw BadLine("the first record has no features to infer the field count from; give it");
    do {
      record.values.push_back(feature_value(token));
    } while (tokens.next(token));
    if (record.values.size() > kMaxSparseFields)
      throw BadLine("the first record has " + std::to_string(record.values.size()) +
                    " features, more than " + std::to_string(kMaxSparseFields) +
                    " fields; give the field count");
    fields_ = record.values.size();
    return true;
  }

  std::size_t fields_;
  bool has_label_;
};

/// libffm lines `label field:idx:val ...`; each token names its field.
class LibffmParser final : public RecordParser {
 public:
  /// Throws InvalidArgument for more than kMaxSparseFields fields.
  explicit LibffmParser(SparseFormatOptions options = {})
      : fields_(options.fields), has_label_(options.has_label) {
    detail::check_sparse_fields(fields_);
  }

  bool parse(std::string_view line, RawRecord& record) override {
    detail::SparseTokenizer tokens(line);
    std::string_view token;
    if (!tokens.next(token)) return false;
    const bool more = detail::read_sparse_label(tokens, token, has_label_, record);
    if (fields_ == 0) infer_fields(line);
    record.values.assign(fields_, kSparseMissingValue);
    seen_.assign(fields_, 0);
    if (!more) return true;
    do {
      const Feature feature = split(token);
      if (feature.field >= fields_)
        throw BadLine("field " + std::string(feature.field_text) + " out of range: expected " +
                          std::to_string(fields_) + " fields (0.." + std::to_string(fields_ - 1) +
                          ")",
                      /*skippable=*/true);
      if (seen_[feature.field] != 0)
        throw BadLine("field " + std::to_string(feature.field) +
                      " appears twice; deepfm takes one value per field");
      seen_[feature.field] = 1;
      record.values[feature.field] = feature.value;
    } while (tokens.next(token));
    return true;
  }

  /// Fields per record: the given count, or after the first record the inferred one (0 before).
  std::size_t fields() const override { return fields_; }
  std::unique_ptr<RecordParser> clone() const override {
    return std::make_unique<LibffmParser>(*this);
  }

 private:
  struct Feature {
    std::size_t field;
    std::string_view field_text;
    std::string_view value;
  };

  /// Splits and validates one `field:idx:val` token.
  static Feature split(std::string_view token) {
    const std::size_t first = token.find(':');
    const std::size_t second = first == std::string_view::npos ? first : token.find(':', first + 1);
    if (second == std::string_view::npos || token.find(':', second + 1) != std::string_view::npos)
      throw BadLine("malformed token " + detail::quoted(token) + ": expected field:idx:val");
    const std::string_view field_text = token.substr(0, first);
    const std::size_t field = detail::parse_sparse_field(field_text, token);
    const std::string_view index =
        detail::parse_sparse_index(token.substr(first + 1, second - first - 1), token);
    const bool present = detail::parse_sparse_value(token.substr(second + 1), token);
    return {field, field_text, present ? index : kSparseMissingValue};
  }

  /// fields = 1 + the largest field index of the first record (tokens validated here too).
  void infer_fields(std::string_view line) {
    detail::SparseTokenizer tokens(line);
    std::string_view token;
    if (has_label_) tokens.next(token);
    std::size_t largest = 0;
    bool any = false;
    while (tokens.next(token)) {
      const Feature feature = split(token);
      if (feature.field >= kMaxSparseFields)
        throw BadLine("field " + std::string(feature.field_text) + " on the first record " +
                      "implies more than " + std::to_string(kMaxSparseFields) +
                      " fields; give the field count");
      if (feature.field > largest) largest = feature.field;
      any = true;
    }
    if (!any)
      throw BadLine("the first record has no features to infer the field count from; give it");
    fields_ = largest + 1;
  }

  std::size_t fields_;
  bool has_label_;
  std::vector<unsigned char> seen_{};
};

}  // namespace deepfm
