#pragma once
/// @file
/// Serving: a Predictor loads a .dfm model file and scores raw categorical rows (strings, the
/// training vocabulary applied) or whole files in the training format. Every scoring call is
/// const and may run from many threads at once.

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
#include "deepfm/data/record.hpp"
#include "deepfm/io/model_file.hpp"
#include "deepfm/metrics/metrics.hpp"

namespace deepfm {

/// Whether a file to score carries the label column.
enum class LabelColumn { detect, present, absent };

/// How Predictor::score_file reads a file, beyond the reader options stored in the model.
struct ScoreFileOptions {
  LabelColumn label = LabelColumn::detect;  ///< detect: see Predictor::file_has_label
  /// A skippable bad line (a wrong field count) is a DataError too, as every bad line is
  /// for a model trained in strict mode.
  bool strict = false;
  /// Hears of each skipped line (a row that gets no score), in file order between the
  /// chunks of scored rows: a caller can keep one output per input row.
  SkippedLineCallback on_skipped{};
};

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
    vocabulary().encode_row(values, ids.data());
  }

  /// Buffers of one scoring thread. With one kept per thread, predict and predict_rows
  /// allocate nothing once warm (a server's steady state).
  struct Workspace {
    std::vector<FeatureId> ids{};
    typename CtrModel<T>::Workspace model{};
  };

  /// Click probability of one row of raw values.
  T predict(std::span<const std::string_view> values) const {
    Workspace ws;
    return predict(values, ws);
  }
  T predict(std::initializer_list<std::string_view> values) const {
    return predict(std::span<const std::string_view>(values.begin(), values.size()));
  }
  /// The same in the caller's workspace.
  T predict(std::span<const std::string_view> values, Workspace& ws) const {
    T probability;
    predict_rows(values, std::span<T>(&probability, 1), ws);
    return probability;
  }

  /// Probabilities of `rows` rows of raw values, row-major [rows x fields()].
  std::vector<T> predict_rows(std::span<const std::string_view> values) const {
    if (values.size() % fields() != 0)
      throw InvalidArgument(std::to_string(values.size()) + " values are not whole rows of " +
                            std::to_string(fields()));
    std::vector<T> probabilities(values.size() / fields());
    Workspace ws;
    predict_rows(values, probabilities, ws);
    return probabilities;
  }
  /// The same into `probabilities` (one per row), in the caller's workspace.
  void predict_rows(std::span<const std::string_view> values, std::span<T> probabilities,
                    Workspace& ws) const {
    if (values.size() != probabilities.size() * fields())
      throw InvalidArgument(std::to_string(values.size()) + " values are not " +
                            std::to_string(probabilities.size()) + " rows of " +
                            std::to_string(fields()));
    ws.ids.resize(values.size());
    for (std::size_t at = 0; at < values.size(); at += fields())
      encode(values.subspan(at, fields()), std::span(ws.ids).subspan(at, fields()));
    model().predict_logits(ws.ids, probabilities, ws.model);
    for (T& value : probabilities) value = kernels::sigmoid(value);
  }

  /// Receives one chunk of scored rows: their logits and labels (labels empty when the file
  /// has no label column), valid during the call only.
  using ChunkCallback = std::function<void(std::span<const T>, std::span<const float>)>;

  /// Streams `path` (the training format and reader options) in chunks: calls
  /// on_chunk(logits, labels) for the rows scored and options.on_skipped for the lines skipped,
  /// together in file order; the probabilities are kernels::sigmoid of the logits.
  /// Rows are the records and the skipped lines; lines the parser ignores (empty lines, a CSV
  /// header, libsvm comments) are neither. Returns the encoding report (rows scored, skipped
  /// lines, values out of vocabulary). A file with no row to score is a DataError.
  EncodeReport score_file(const std::string& path, const ScoreFileOptions& options,
                          const ChunkCallback& on_chunk) const {
    const bool has_label = options.label == LabelColumn::detect
                               ? file_has_label(path)
                               : options.label == LabelColumn::present;
    EncodeOptions encode = reader_options().encode;
    encode.strict = encode.strict || options.strict;
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
    SkippedLineCallback on_skipped;
    if (options.on_skipped)  // the rows read before a skipped line are handed on before it
      on_skipped = [&](std::size_t line, const std::string& message) {
        flush();
        options.on_skipped(line, message);
      };
    encode_rows(
        path, vocabulary(), make_parser_factory(reader_options(), fields(), has_label), encode,
        report,
        [&](std::span<const FeatureId> row, float y) {
          ids.insert(ids.end(), row.begin(), row.end());
          labels.push_back(y);
          if (labels.size() == kChunkRows) flush();
        },
        on_skipped);
    flush();
    return report;
  }

  /// score_file with `label` and the model's own reader options, skipped lines only counted.
  EncodeReport score_file(const std::string& path, LabelColumn label,
                          const ChunkCallback& on_chunk) const {
    return score_file(path, ScoreFileOptions{.label = label}, on_chunk);
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

  /// Whether the rows of `path` start with the label column. CSV: whether the header names
  /// the label column. Other formats: each of the first rows (up to 1000) is read both ways
  /// with the model's field count, and the reading that more of them fit wins, so a few bad
  /// lines cannot tip it. (A raw Criteo row may be ragged: a short one fits both ways, and
  /// only a labelled one can have all 40 columns.) Throws InvalidArgument when as many rows
  /// fit one way as the other (say which), and DataError naming the first row when none fits
  /// either way. A file without rows is read as unlabelled (scoring it says "no records").
  bool file_has_label(const std::string& path) const {
    if (reader_options().format == Format::csv) return header_names_label(path);
    const LabelVotes votes = count_label_votes(path);
    if (votes.with != votes.without) return votes.with > votes.without;
    if (votes.rows == 0) return false;
    if (votes.with == 0) {
      std::string message = "fits the model neither with the label column (" +
                            votes.first_with_label_error + ") nor without it (" +
                            votes.first_without_label_error + ")";
      if (votes.rows > 1)
        message += "; nor does any other of the first " + std::to_string(votes.rows) + " rows";
      throw DataError(path, votes.first_line, message);
    }
    throw InvalidArgument(path + ": cannot tell whether its rows start with the label column: " +
                          std::to_string(votes.with) + " of its first " +
                          std::to_string(votes.rows) +
                          " rows fit the model read with it, as many read without it; pass "
                          "--label yes or --label no");
  }

 private:
  static constexpr std::size_t kChunkRows = 4096;
  static constexpr std::size_t kDetectRows = 1000;

  /// How one line reads with one parser: no row (empty, a header), a row the model takes,
  /// or a bad line.
  enum class LineFit { ignored, fits, misfits };

  /// What the first rows of a file say about its label column.
  struct LabelVotes {
    std::size_t rows = 0;                  ///< lines read as rows (not ignored by both readings)
    std::size_t with = 0;                  ///< rows that fit the model read with the label column
    std::size_t without = 0;               ///< rows that fit it read without
    std::size_t first_line = 0;            ///< the first row's line number
    std::string first_with_label_error{};  ///< why the first row misfits with the label
    std::string first_without_label_error{};  ///< why it misfits without
  };

  LineFit line_fit(RecordParser& parser, std::string_view line, RawRecord& record,
                   std::string& why) const {
    try {
      if (!parser.parse(line, record)) return LineFit::ignored;
      if (record.values.size() != fields())
        throw detail::wrong_width(fields(), record.values.size(), "the model");
      return LineFit::fits;
    } catch (const BadLine& bad) {  // skippable or not, it is not a row of this reading
      why = bad.what();
      return LineFit::misfits;
    }
  }

  LabelVotes count_label_votes(const std::string& path) const {
    const auto with_label = make_parser_factory(reader_options(), fields(), true)();
    const auto without_label = make_parser_factory(reader_options(), fields(), false)();
    LineReader reader(path, reader_options().encode.max_line_bytes);
    LabelVotes votes;
    RawRecord record;
    std::string_view line;
    std::string with_why, without_why;
    while (votes.rows < kDetectRows && reader.next(line)) {
      const LineFit with = line_fit(*with_label, line, record, with_why);
      const LineFit without = line_fit(*without_label, line, record, without_why);
      if (with == LineFit::ignored && without == LineFit::ignored) continue;
      if (votes.rows++ == 0) {
        votes.first_line = reader.line_number();
        votes.first_with_label_error = with == LineFit::misfits ? with_why : "";
        votes.first_without_label_error = without == LineFit::misfits ? without_why : "";
      }
      votes.with += with == LineFit::fits ? 1 : 0;
      votes.without += without == LineFit::fits ? 1 : 0;
    }
    return votes;
  }

  bool header_names_label(const std::string& path) const {
    LineReader reader(path, reader_options().encode.max_line_bytes);
    std::string_view line;
    do {  // the header is the first non-empty line, after a byte-order mark (as CsvParser reads)
      if (!reader.next(line)) return false;
      if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    } while (line.empty());
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

  LoadedModel<T> loaded_;
};

}  // namespace deepfm
