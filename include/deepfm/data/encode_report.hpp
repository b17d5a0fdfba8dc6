#pragma once
/// @file
/// What one pass over one file saw, above all the lines it skipped, and how a run tells the
/// user: a total (`skipped N of M lines; the first: FILE:LINE: ...`), and a refusal to train
/// when so many lines were skipped that the file was most likely read the wrong way (another
/// --format, a damaged first line that fixed the field count). The report has a text form so
/// that a dataset cache entry keeps it, and a cache hit reports what the encode saw.

#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/core/key_value_text.hpp"

namespace deepfm {

/// What one pass over one file saw. Each encoder function starts it afresh.
struct EncodeReport {
  std::size_t rows = 0;                         ///< records read (encoded, or counted in pass 1)
  std::size_t skipped_lines = 0;                ///< skippable bad lines passed over
  std::vector<std::string> skipped_examples{};  ///< the first few, as "file:line: message"
  std::size_t oov_cells = 0;                    ///< encoded values that took a default id (pass 2)
  std::size_t total_cells = 0;                  ///< encoded values: rows * fields (pass 2)
  std::size_t first_record_line = 0;            ///< where the first record was (0: none)
  /// Skipped lines of a wrong field count, by the count they had (at most kMaxWidthsKept
  /// counts are kept: enough to see which one most lines share).
  std::map<std::size_t, std::size_t> skipped_field_counts{};

  static constexpr std::size_t kMaxWidthsKept = 64;

  /// Lines that held a record or a bad line (not the empty lines or a header).
  std::size_t lines() const noexcept { return rows + skipped_lines; }

  /// Counts a skipped line that had `field_count` fields (0: a skip of another kind).
  void count_skipped_width(std::size_t field_count) {
    if (field_count == 0) return;
    const auto found = skipped_field_counts.find(field_count);
    if (found != skipped_field_counts.end())
      ++found->second;
    else if (skipped_field_counts.size() < kMaxWidthsKept)
      skipped_field_counts.emplace(field_count, 1);
  }
};

/// The largest share of skipped lines a training run accepts without --allow-skips.
inline constexpr double kMaxSkippedShare = 0.10;

/// "skipped N of M lines; the first: FILE:LINE: what" (empty when nothing was skipped).
inline std::string skipped_lines_summary(const EncodeReport& report) {
  if (report.skipped_lines == 0) return {};
  std::string text = "skipped " + std::to_string(report.skipped_lines) + " of " +
                     std::to_string(report.lines()) + " lines";
  if (!report.skipped_examples.empty()) text += "; the first: " + report.skipped_examples.front();
  return text;
}

/// Throws DataError naming `path` and the likely cause when more than kMaxSkippedShare of its
/// lines were skipped: training on the few lines left would give a model of the wrong data
/// with exit code 0. `fields` is the field count the kept records had; `inferred` says it came
/// from the file's first record (a training file), not from the training vocabulary.
inline void check_skipped_share(const std::string& path, const EncodeReport& report,
                                std::size_t fields, bool inferred) {
  if (report.lines() == 0 || static_cast<double>(report.skipped_lines) <=
                                 kMaxSkippedShare * static_cast<double>(report.lines()))
    return;
  const auto percent = static_cast<int>(100.0 * static_cast<double>(report.skipped_lines) /
                                        static_cast<double>(report.lines()));
  std::string message = std::to_string(report.skipped_lines) + " of " +
                        std::to_string(report.lines()) + " lines skipped (" +
                        std::to_string(percent) + "%)";
  const auto common =
      std::max_element(report.skipped_field_counts.begin(), report.skipped_field_counts.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; });
  const std::string most = common == report.skipped_field_counts.end()
                               ? std::string()
                               : std::to_string(common->second) + " lines have " +
                                     std::to_string(common->first) + " categorical fields";
  if (!most.empty() && inferred && common->second > report.rows) {
    // Most lines agree with each other, not with the records kept: the field count came from
    // a line that is the odd one out.
    message += ". The field count (" + std::to_string(fields) +
               " categorical) came from the first record, line " +
               std::to_string(report.first_record_line) + ", but " + most +
               ": is that line damaged? (--fields sets the count)";
  } else if (!most.empty() && !inferred) {
    message += ". The training data has " + std::to_string(fields) + " categorical fields, but " +
               most + ": is this file from the same data?";
  } else {
    message += ". Is --format right for this file, and are its lines whole?";
  }
  if (!report.skipped_examples.empty())
    message += " The first: " + report.skipped_examples[0] + ".";
  throw DataError(path, 0, message + " Pass --allow-skips to train on the rest anyway");
}

/// The report as key=value text (a cache entry's sidecar).
inline std::string encode_report_text(const EncodeReport& report) {
  std::string text = "rows=" + std::to_string(report.rows) +
                     "\nskipped_lines=" + std::to_string(report.skipped_lines) +
                     "\noov_cells=" + std::to_string(report.oov_cells) +
                     "\ntotal_cells=" + std::to_string(report.total_cells) +
                     "\nfirst_record_line=" + std::to_string(report.first_record_line) +
                     "\nskipped_field_counts=";
  bool first = true;
  for (const auto& [count, lines] : report.skipped_field_counts) {
    text += (first ? "" : ",") + std::to_string(count) + "," + std::to_string(lines);
    first = false;
  }
  text += "\nskipped_examples=";
  for (std::size_t i = 0; i < report.skipped_examples.size(); ++i)
    text += (i ? "," : "") + detail::escape_text(report.skipped_examples[i]);
  return text + "\n";
}

/// Inverse of encode_report_text; InvalidArgument naming `what` when the text is not one.
inline EncodeReport parse_encode_report(std::string_view text, const std::string& what) {
  const detail::KeyValueReader values(detail::parse_key_values(text, what), what);
  EncodeReport report;
  report.rows = values.u64("rows");
  report.skipped_lines = values.u64("skipped_lines");
  report.oov_cells = values.u64("oov_cells");
  report.total_cells = values.u64("total_cells");
  report.first_record_line = values.u64("first_record_line");
  const std::vector<std::size_t> counts = values.list("skipped_field_counts");
  if (counts.size() % 2 != 0) throw InvalidArgument(what + ": 'skipped_field_counts' is not pairs");
  for (std::size_t i = 0; i < counts.size(); i += 2)
    report.skipped_field_counts[counts[i]] = counts[i + 1];
  std::string_view examples = values.text("skipped_examples");
  while (!examples.empty()) {
    const std::size_t comma = examples.find(',');
    report.skipped_examples.push_back(detail::unescape_text(examples.substr(0, comma)));
    examples = comma == std::string_view::npos ? std::string_view() : examples.substr(comma + 1);
  }
  return report;
}

}  // namespace deepfm
