// `deepfm predict` and `deepfm eval`: score a file with a saved model. The model file holds
// the format, reader options and vocabulary, so neither command takes --format.
// predict writes one line per input row, in order: a row it cannot score (a skippable bad
// line, such as a wrong field count) gets an empty line, is reported on stderr, and makes the
// exit code kExitRowsNotScored, so that scores stay aligned with rows and a pipeline notices.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdio>
#include <deepfm/data/encode_report.hpp>
#include <deepfm/kernels/kernels.hpp>
#include <deepfm/report/json_writer.hpp>
#include <deepfm/serve/predictor.hpp>
#include <memory>
#include <string>

#include "data_sets.hpp"
#include "file_identity.hpp"
#include "flag_checks.hpp"

namespace deepfm_cli {

/// predict's exit code when some rows could not be scored (their output lines are empty).
inline constexpr int kExitRowsNotScored = 3;

struct PredictCommand {
  std::string model;
  std::string data;
  std::string out;
  std::string label = "auto";
  bool strict = false;
};

struct EvalCommand {
  std::string model;
  std::string data;
  bool json = false;
};

inline CLI::App* add_predict_command(CLI::App& app, PredictCommand& c) {
  CLI::App* cmd = app.add_subcommand("predict", "write one click probability per row of a file");
  cmd->footer(
      "One output line per input row, in order; empty lines (and a CSV header, libsvm comments)\n"
      "are not rows. A row that cannot be scored (a wrong field count) gets an EMPTY line and\n"
      "is reported on stderr as FILE:LINE. Exit codes: 0 every row scored, 3 some rows could\n"
      "not be scored (their output lines are empty), 1 a data, model or I/O error (--strict:\n"
      "any bad line), 2 a usage error (or --label auto cannot tell).");
  cmd->add_option("--model", c.model, "a .dfm model file (or a checkpoint)")
      ->required()
      ->check(file_name());
  cmd->add_option("--data", c.data, "rows in the model's training format")
      ->required()
      ->check(file_name());
  cmd->add_option("--out", c.out, "output file (default: stdout)")->check(file_name());
  cmd->add_option("--label", c.label,
                  "whether rows start with the label: auto (what most of the first 1000 rows "
                  "fit), yes or no")
      ->check(one_of({"auto", "yes", "no"}));
  cmd->add_flag("--strict", c.strict,
                "any bad line is an error (default: a row with a wrong field count gets an empty "
                "line and is reported)");
  return cmd;
}

inline CLI::App* add_eval_command(CLI::App& app, EvalCommand& c) {
  CLI::App* cmd = app.add_subcommand("eval",
                                     "score a labelled file: AUC, logloss, accuracy, "
                                     "calibration, normalized entropy");
  cmd->add_option("--model", c.model, "a .dfm model file (or a checkpoint)")
      ->required()
      ->check(file_name());
  cmd->add_option("--data", c.data, "labelled rows in the model's training format")
      ->required()
      ->check(file_name());
  cmd->add_flag("--json", c.json, "end with one JSON line of the metrics");
  return cmd;
}

inline int run_predict(const PredictCommand& c) {
  // The output is written beside itself first, as OUT.tmp: neither may be an input.
  const std::string temporary = c.out.empty() ? std::string() : c.out + ".tmp";
  refuse_overwriting_inputs({{"--data", c.data}, {"--model", c.model}},
                            {{"--out", c.out}, {"--out's temporary", temporary}});
  const deepfm::Predictor<float> predictor(c.model);
  const deepfm::LabelColumn label = c.label == "yes"  ? deepfm::LabelColumn::present
                                    : c.label == "no" ? deepfm::LabelColumn::absent
                                                      : deepfm::LabelColumn::detect;
  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  // Written under the temporary name and renamed at the end: a failed run leaves no half file.
  if (!c.out.empty()) {
    file.reset(std::fopen(temporary.c_str(), "wb"));
    if (!file) throw deepfm::DataError(c.out, 0, "cannot write the output file");
    out = file.get();
  }
  const auto write = [&](const char* text, std::size_t n) {
    if (std::fwrite(text, 1, n, out) != n)
      throw deepfm::DataError(c.out.empty() ? "stdout" : c.out, 0, "cannot write");
  };
  // Empty lines of rows skipped before the first score wait for it: a file with no row to
  // score is an error, and its output should not be a column of empty lines.
  std::size_t held_empty_lines = 0;
  bool scored_any = false;
  deepfm::ScoreFileOptions options{.label = label, .strict = c.strict};
  options.on_skipped = [&](std::size_t, const std::string&) {
    if (!scored_any) {
      ++held_empty_lines;
    } else {
      write("\n", 1);
    }
  };
  char text[32];
  deepfm::EncodeReport report;
  try {
    report = predictor.score_file(
        c.data, options, [&](std::span<const float> logits, std::span<const float>) {
          for (; held_empty_lines > 0; --held_empty_lines) write("\n", 1);
          scored_any = true;
          for (const float logit : logits) {
            const int n = std::snprintf(text, sizeof text, "%.9g\n",
                                        static_cast<double>(deepfm::kernels::sigmoid(logit)));
            write(text, static_cast<std::size_t>(n));
          }
        });
  } catch (...) {
    if (file) std::remove(temporary.c_str());
    throw;
  }
  if (file) {
    if (std::fclose(file.release()) != 0 || std::rename(temporary.c_str(), c.out.c_str()) != 0) {
      std::remove(temporary.c_str());
      throw deepfm::DataError(c.out, 0, "cannot write the output file");
    }
  } else if (std::fflush(stdout) != 0) {
    throw deepfm::DataError("stdout", 0, "cannot write");
  }
  print_skipped_lines(report);
  return report.skipped_lines > 0 ? kExitRowsNotScored : 0;
}

inline int run_eval(const EvalCommand& c) {
  const deepfm::Predictor<float> predictor(c.model);
  deepfm::EncodeReport report;
  const deepfm::Metrics m = predictor.evaluate_file(c.data, &report);
  const auto show = [](const std::optional<double>& value) {
    return value ? deepfm::detail::exact_text(*value).substr(0, 8) : std::string("n/a");
  };
  std::printf("rows %zu  auc %s  logloss %.6f  accuracy %.4f  calibration %s  ne %s\n", m.rows,
              show(m.auc).c_str(), m.logloss, m.accuracy, show(m.calibration).c_str(),
              show(m.ne).c_str());
  if (c.json) std::printf("%s\n", deepfm::metrics_json(m).str().c_str());
  std::fflush(stdout);  // the metrics, then what was left out of them
  print_skipped_lines(report);
  return 0;
}

}  // namespace deepfm_cli
