#pragma once
/// @file
/// The options that say how to read a CTR text file (its format and the encoder's rules), a
/// parser factory for them, and their canonical text form, which keys the dataset cache and
/// will be stored with a model so prediction reads files the way training did.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/data/criteo_format.hpp"
#include "deepfm/data/csv_format.hpp"
#include "deepfm/data/d2l_format.hpp"
#include "deepfm/data/encoder.hpp"
#include "deepfm/data/libsvm_format.hpp"

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

}  // namespace deepfm
