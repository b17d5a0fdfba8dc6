// `deepfm predict` and `deepfm eval`: score a file with a saved model. The model file holds
// the format, reader options and vocabulary, so neither command takes --format.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <deepfm/kernels/kernels.hpp>
#include <deepfm/train/json_writer.hpp>
#include <deepfm/train/predictor.hpp>
#include <memory>
#include <string>

namespace deepfm_cli {

struct PredictCommand {
  std::string model;
  std::string data;
  std::string out;
  std::string label = "auto";
};

struct EvalCommand {
  std::string model;
  std::string data;
  bool json = false;
};

inline CLI::App* add_predict_command(CLI::App& app, PredictCommand& c) {
  CLI::App* cmd = app.add_subcommand("predict", "write one click probability per row of a file");
  cmd->add_option("--model", c.model, "a .dfm model file (or a checkpoint)")->required();
  cmd->add_option("--data", c.data, "rows in the model's training format")->required();
  cmd->add_option("--out", c.out, "output file (default: stdout)");
  cmd->add_option("--label", c.label, "whether rows start with the label: auto (detect), yes or no")
      ->check(CLI::IsMember({"auto", "yes", "no"}));
  return cmd;
}

inline CLI::App* add_eval_command(CLI::App& app, EvalCommand& c) {
  CLI::App* cmd = app.add_subcommand("eval",
                                     "score a labelled file: AUC, logloss, accuracy, "
                                     "calibration, normalized entropy");
  cmd->add_option("--model", c.model, "a .dfm model file (or a checkpoint)")->required();
  cmd->add_option("--data", c.data, "labelled rows in the model's training format")->required();
  cmd->add_flag("--json", c.json, "end with one JSON line of the metrics");
  return cmd;
}

inline int run_predict(const PredictCommand& c) {
  const deepfm::Predictor<float> predictor(c.model);
  const deepfm::LabelColumn label = c.label == "yes"  ? deepfm::LabelColumn::present
                                    : c.label == "no" ? deepfm::LabelColumn::absent
                                                      : deepfm::LabelColumn::detect;
  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  // Written under a temporary name and renamed at the end: a failed run leaves no half file.
  const std::string temporary = c.out.empty() ? std::string() : c.out + ".tmp";
  if (!c.out.empty()) {
    file.reset(std::fopen(temporary.c_str(), "wb"));
    if (!file) throw deepfm::DataError(c.out, 0, "cannot write the output file");
    out = file.get();
  }
  char text[32];
  try {
    predictor.score_file(c.data, label, [&](std::span<const float> logits, std::span<const float>) {
      for (const float logit : logits) {
        const int n = std::snprintf(text, sizeof text, "%.9g\n",
                                    static_cast<double>(deepfm::kernels::sigmoid(logit)));
        if (std::fwrite(text, 1, static_cast<std::size_t>(n), out) != static_cast<std::size_t>(n))
          throw deepfm::DataError(c.out.empty() ? "stdout" : c.out, 0, "cannot write");
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
  }
  return 0;
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
  if (report.skipped_lines > 0) std::printf("skipped %zu bad lines\n", report.skipped_lines);
  if (c.json) std::printf("%s\n", deepfm::metrics_json(m).str().c_str());
  return 0;
}

}  // namespace deepfm_cli
