#pragma once
/// @file
/// Serving: a Predictor loads a .dfm model file and scores raw categorical rows (strings, the
/// training vocabulary applied) or whole files in the training format. Every scoring call is
/// const and may run from many threads at once.

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/data/encoder.hpp"
#include "deepfm/data/line_reader.hpp"
#include "deepfm/data/reader_options.hpp"
#include "deepfm/metrics/metrics.hpp"
#include "deepfm/train/model_file.hpp"

namespace deepfm {

/// Whether a file to score carries the label column.
enum class LabelColumn { detect, present, absent };

/// Scores rows with a saved model.
template <typename T = float>
class Predictor {
 public:
  /// Loads `model_file` (a model or a checkpoint); ModelFileError when it cannot.
  explicit Predictor(const std::filesystem::path& model_file)
      : loaded_(load_model_file<T>(model_file)) {}

  std::size_t fields() const noexcept { return loaded_.model->fields(); }
  const ModelSpec& spec() const noexcept { return loaded_.spec; }
  const ReaderOptions& reader_options() const noexcept { return loaded_.reader; }
  const Vocabulary& vocabulary() const noexcept { return loaded_.vocabulary; }
  const CtrModel<T>& model() const noexcept { return *loaded_.model; }

  /// Global ids of one row of raw values (one per field, as the training file spells them;
  /// for Criteo integers, after criteo_integer_category). Unknown values take their field's
  /// default id.
  void encode(std::span<const std::string_view> values, std::span<FeatureId> ids) const {
    if (values.size() != fields() || ids.size() != fields())
      throw InvalidArgument("a row needs " + std::to_string(fields()) + " values; got " +
                            std::to_string(values.size()));
    for (std::size_t f = 0; f < values.size(); ++f) ids[f] = vocabulary().encode(f, values[f]);
  }

  /// Click probability of one row of raw values.
  T predict(std::span<const std::string_view> values) const {
    std::vector<FeatureId> ids(fields());
    encode(values, ids);
    return model().predict(ids)[0];
  }
  T predict(std::initializer_list<std::string_view> values) const {
    return predict(std::span<const std::string_view>(values.begin(), values.size()));
  }

  /// Probabilities of `rows` rows of raw values, row-major [rows x fields()].
  std::vector<T> predict_rows(std::span<const std::string_view> values) const {
    if (values.size() % fields() != 0)
      throw InvalidArgument(std::to_string(values.size()) + " values are not whole rows of " +
                            std::to_string(fields()));
    std::vector<FeatureId> ids(values.size());
    for (std::size_t at = 0; at < values.size(); at += fields())
      encode(values.subspan(at, fields()), std::span(ids).subspan(at, fields()));
    return model().predict(ids);
  }

  /// Streams `path` (the training format and reader options) in chunks: calls
  /// on_chunk(logits, labels), labels empty when the file has no label column; the
  /// probabilities are kernels::sigmoid of the logits.
  /// Returns the encoding report (rows, skipped lines, values out of vocabulary).
  EncodeReport score_file(
      const std::string& path, LabelColumn label,
      const std::function<void(std::span<const T>, std::span<const float>)>& on_chunk) const {
    const bool has_label =
        label == LabelColumn::detect ? file_has_label(path) : label == LabelColumn::present;
    EncodeReport report;
    std::vector<FeatureId> ids;
    std::vector<float> labels;
    std::vector<T> logits;
    const auto flush = [&] {
      if (labels.empty()) return;
      logits.resize(labels.size());
      model().predict_logits(ids, logits);
      on_chunk(logits, has_label ? std::span<const float>(labels) : std::span<const float>());
      ids.clear();
      labels.clear();
    };
    encode_rows(path, vocabulary(), make_parser_factory(reader_options(), fields(), has_label),
                reader_options().encode, report, [&](std::span<const FeatureId> row, float y) {
                  ids.insert(ids.end(), row.begin(), row.end());
                  labels.push_back(y);
                  if (labels.size() == kChunkRows) flush();
                });
    flush();
    return report;
  }

  /// Metrics of the model on the labelled file `path`.
  Metrics evaluate_file(const std::string& path, EncodeReport* report_out = nullptr) const {
    std::vector<T> logits;
    std::vector<float> labels;
    const EncodeReport report =
        score_file(path, LabelColumn::present, [&](std::span<const T> z, std::span<const float> y) {
          logits.insert(logits.end(), z.begin(), z.end());
          labels.insert(labels.end(), y.begin(), y.end());
        });
    if (report_out) *report_out = report;
    return compute_metrics<T>(logits, labels);
  }

  /// Whether the first records of `path` carry the label column: they parse with it and
  /// (raw Criteo, whose rows may be ragged) some line has all 40 columns.
  bool file_has_label(const std::string& path) const {
    if (reader_options().format == Format::csv) return header_names_label(path);
    if (reader_options().format == Format::criteo) return widest_line_columns(path) == 40;
    return first_records_parse(path, true);
  }

 private:
  static constexpr std::size_t kChunkRows = 4096;
  static constexpr std::size_t kDetectLines = 1000;

  bool first_records_parse(const std::string& path, bool has_label) const {
    EncodeOptions options = reader_options().encode;
    options.strict = true;
    EncodeReport report;
    std::size_t seen = 0;
    try {
      detail::for_each_record(path, make_parser_factory(reader_options(), fields(), has_label),
                              options, report, [&](const RawRecord& record) {
                                if (record.values.size() != fields())
                                  throw detail::wrong_width(fields(), record.values.size(),
                                                            "the model");
                                return ++seen < kDetectLines;
                              });
    } catch (const DataError&) {
      return false;
    }
    return true;
  }

  bool header_names_label(const std::string& path) const {
    LineReader reader(path, reader_options().encode.max_line_bytes);
    std::string_view line;
    if (!reader.next(line)) return false;
    // Any header cell equal to the label column's name (quotes aside) means labelled rows.
    const std::string& name = reader_options().label_column;
    std::size_t at = 0;
    while (at <= line.size()) {
      std::size_t end = line.find(reader_options().separator, at);
      if (end == std::string_view::npos) end = line.size();
      std::string_view cell = line.substr(at, end - at);
      if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"')
        cell = cell.substr(1, cell.size() - 2);
      if (!cell.empty() && cell.back() == '\r') cell.remove_suffix(1);
      if (cell == name) return true;
      at = end + 1;
    }
    return false;
  }

  std::size_t widest_line_columns(const std::string& path) const {
    LineReader reader(path, reader_options().encode.max_line_bytes);
    std::string_view line;
    std::size_t widest = 0;
    for (std::size_t n = 0; n < kDetectLines && reader.next(line); ++n)
      widest = std::max<std::size_t>(
          widest, static_cast<std::size_t>(std::count(line.begin(), line.end(), '\t')) + 1);
    return widest;
  }

  LoadedModel<T> loaded_;
};

}  // namespace deepfm
