#pragma once
/// @file
/// The options that say how to read a CTR text file (its format and the encoder's rules), a
/// parser factory for them, and their canonical text form, which keys the dataset cache and
/// will be stored with a model so prediction reads files the way training did.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/core/key_value_text.hpp"
#include "deepfm/data/criteo_format.hpp"
#include "deepfm/data/csv_format.hpp"
#include "deepfm/data/d2l_format.hpp"
#include "deepfm/data/encoder.hpp"
#include "deepfm/data/libsvm_format.hpp"
#include "deepfm/data/line_reader.hpp"

namespace deepfm {

/// The text formats deepfm reads (each parser's header writes down its rules).
enum class Format { d2l, criteo, csv, libsvm, libffm };

/// The name of a format, as the command line spells it.
constexpr std::string_view format_name(Format format) noexcept {
  switch (format) {
    case Format::d2l: return "d2l";
    case Format::criteo: return "criteo";
    case Format::csv: return "csv";
    case Format::libsvm: return "libsvm";
    case Format::libffm: return "libffm";
  }
  return "unknown";
}

/// The format named `name`; InvalidArgument naming the choices otherwise.
inline Format parse_format(std::string_view name) {
  for (Format format : {Format::d2l, Format::criteo, Format::csv, Format::libsvm, Format::libffm})
    if (format_name(format) == name) return format;
  throw InvalidArgument("unknown format '" + std::string(name) +
                        "' (choose d2l, criteo, csv, libsvm or libffm)");
}

/// How to read and encode a file.
struct ReaderOptions {
  Format format = Format::d2l;
  std::size_t fields = 0;  ///< categorical fields; 0 = from the first record (d2l, libsvm, libffm)
  std::string label_column{};               ///< csv: the label column's header name
  std::vector<std::string> drop_columns{};  ///< csv: columns to ignore
  char separator = ',';                     ///< csv: the column separator
  EncodeOptions encode{};                   ///< min count, hashing, strictness, line bound
};

/// A factory of fresh parsers for `options` (one per file and pass). `fields` > 0 overrides
/// options.fields, so a test file is read with the training file's width.
inline ParserFactory make_parser_factory(const ReaderOptions& options, std::size_t fields = 0,
                                         bool has_label = true) {
  const std::size_t width = fields > 0 ? fields : options.fields;
  switch (options.format) {
    case Format::d2l: return [=] { return std::make_unique<D2lParser>(width, has_label); };
    case Format::criteo: return [=] { return std::make_unique<CriteoParser>(has_label); };
    case Format::csv: {
      if (has_label && options.label_column.empty())
        throw InvalidArgument("format csv needs the label column's name (--label-column)");
      CsvOptions csv{has_label ? options.label_column : std::string(), options.drop_columns,
                     options.separator, false};
      return [=] { return std::make_unique<CsvParser>(csv); };
    }
    case Format::libsvm:
      return [=] { return std::make_unique<LibsvmParser>(SparseFormatOptions{width, has_label}); };
    case Format::libffm:
      return [=] { return std::make_unique<LibffmParser>(SparseFormatOptions{width, has_label}); };
  }
  throw InvalidArgument("unknown format");
}

/// Every option that changes the encoded result, as one canonical line (e.g.
/// "format=d2l;fields=0;min_count=4;hash_buckets=0;strict=0;label=;drop=;sep=,").
/// max_line_bytes and the report length change no encoded value, so they are left out.
inline std::string canonical_string(const ReaderOptions& options) {
  std::string text = "format=" + std::string(format_name(options.format));
  text += ";fields=" + std::to_string(options.fields);
  text += ";min_count=" + std::to_string(options.encode.min_count);
  text += ";hash_buckets=" + std::to_string(options.encode.hash_buckets);
  text += ";strict=" + std::to_string(options.encode.strict ? 1 : 0);
  text += ";label=" + options.label_column;
  text += ";drop=";
  for (const std::string& column : options.drop_columns) {
    text += column;
    text += ',';
  }
  text += ";sep=";
  text += options.separator;
  return text;
}

/// Every reader option as key=value lines (strings escaped), stored in model files so that
/// predict and eval read files the way training did.
inline std::string to_text(const ReaderOptions& options) {
  std::string drop;
  for (std::size_t i = 0; i < options.drop_columns.size(); ++i)
    drop += (i ? "," : "") + detail::escape_text(options.drop_columns[i]);
  std::string text;
  text += "format=" + std::string(format_name(options.format)) + "\n";
  text += "fields=" + std::to_string(options.fields) + "\n";
  text += "label_column=" + detail::escape_text(options.label_column) + "\n";
  // The count tells an empty list from a list of one empty name.
  text += "drop_count=" + std::to_string(options.drop_columns.size()) + "\n";
  text += "drop_columns=" + drop + "\n";
  text += "separator=" + std::to_string(static_cast<unsigned char>(options.separator)) + "\n";
  text += "min_count=" + std::to_string(options.encode.min_count) + "\n";
  text += "hash_buckets=" + std::to_string(options.encode.hash_buckets) + "\n";
  text += "strict=" + std::to_string(options.encode.strict ? 1 : 0) + "\n";
  text += "max_line_bytes=" + std::to_string(options.encode.max_line_bytes) + "\n";
  return text;
}

/// Parses to_text's output; InvalidArgument naming the key that is missing or bad.
inline ReaderOptions reader_options_from_text(std::string_view text,
                                              const std::string& what = "reader options") {
  const detail::KeyValueReader in(detail::parse_key_values(text, what), what);
  ReaderOptions options;
  options.format = parse_format(in.text("format"));
  options.fields = in.u64("fields");
  options.label_column = detail::unescape_text(in.text("label_column"));
  const std::string& drop = in.text("drop_columns");
  const std::uint64_t drop_count = in.u64("drop_count");
  for (std::size_t at = 0; drop_count > 0 && at <= drop.size();) {
    const std::size_t end = std::min(drop.find(',', at), drop.size());
    options.drop_columns.push_back(
        detail::unescape_text(std::string_view(drop).substr(at, end - at)));
    at = end + 1;
  }
  if (options.drop_columns.size() != drop_count)
    throw InvalidArgument(what + ": drop_columns lists " +
                          std::to_string(options.drop_columns.size()) + " names, drop_count says " +
                          std::to_string(drop_count));
  const std::uint64_t separator = in.u64("separator");
  if (separator == 0 || separator > 255)
    throw InvalidArgument(what + ": separator code " + std::to_string(separator) +
                          " is not a byte");
  options.separator = static_cast<char>(static_cast<unsigned char>(separator));
  options.encode.min_count = in.u64("min_count");
  options.encode.hash_buckets = in.u64("hash_buckets");
  options.encode.strict = in.u64("strict") != 0;
  options.encode.max_line_bytes = in.u64("max_line_bytes");
  if (options.encode.max_line_bytes > kMaxLineBytesLimit)
    throw InvalidArgument(what + ": max_line_bytes " +
                          std::to_string(options.encode.max_line_bytes) +
                          " is above the limit of " + std::to_string(kMaxLineBytesLimit));
  return options;
}

}  // namespace deepfm
