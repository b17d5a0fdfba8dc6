#pragma once
/// @file
/// The trainer's human-readable progress. On a terminal, one bar per epoch, redrawn in place
/// with a carriage return at most kRedrawsPerSecond times a second:
///   epoch  3/30 [=========>          ]  45% 1.23M samples/s loss 0.4321 eta 0:12
/// then replaced by the epoch's summary line (epoch_line). Anywhere else (a pipe, a log file)
/// no bar and no '\r': only the summary line, one per epoch, so logs stay greppable.
/// Non-finite numbers print as "nan"/"inf" here (these lines are for people; the JSON lines of
/// json_writer.hpp are the machine-readable record).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

#include "deepfm/core/error.hpp"
#include "deepfm/metrics/epoch_stats.hpp"
#include "deepfm/metrics/metrics.hpp"
#include "deepfm/report/human_format.hpp"

namespace deepfm {

namespace detail {

/// `epoch` right-aligned to the width of `total` ("epoch  3/30"); "epoch 3" when total is 0.
inline std::string epoch_counter(std::size_t epoch, std::size_t total) {
  std::string number = std::to_string(epoch);
  if (total == 0) return "epoch " + number;
  const std::string of = std::to_string(total);
  if (number.size() < of.size()) number.insert(0, of.size() - number.size(), ' ');
  return "epoch " + number + "/" + of;
}

/// " valid loss 0.4410 auc 0.7812 acc 0.8011" for one scored set.
inline std::string set_summary(const char* name, const Metrics& metrics) {
  return std::string("  ") + name + " loss " + fixed_text(metrics.logloss, 4) + " auc " +
         (metrics.auc ? fixed_text(*metrics.auc, 4) : std::string("-")) + " acc " +
         fixed_text(metrics.accuracy, 4);
}

/// Whether `file` is a terminal (false where that cannot be asked).
inline bool is_terminal(std::FILE* file) {
#if __has_include(<unistd.h>)
  return file != nullptr && ::isatty(::fileno(file)) != 0;
#else
  (void)file;
  return false;
#endif
}

/// `[=========>          ]  45%` for `done` of `total` (a total of 0 is complete; integer
/// math keeps 99.9% from showing as 100%).
inline std::string bar(std::uint64_t done, std::uint64_t total) {
  constexpr std::uint64_t kWidth = 20;
  if (done > total) done = total;
  const std::uint64_t percent = total == 0 ? 100 : done * 100 / total;
  const std::uint64_t filled = total == 0 ? kWidth : done * kWidth / total;
  std::string text(kWidth, ' ');
  for (std::uint64_t i = 0; i < filled; ++i) text[i] = '=';
  if (done > 0 && filled < kWidth) text[filled] = '>';
  std::string percent_text = std::to_string(percent);
  percent_text.insert(0, 3 - percent_text.size(), ' ');
  return "[" + text + "] " + percent_text + "%";
}

/// One line of a terminal redrawn in place with '\r': padding covers a longer previous line
/// without relying on ANSI escape codes. Write errors are ignored (progress is best-effort).
class TerminalLine {
 public:
  explicit TerminalLine(std::FILE* out) : out_(out) {}

  void draw(const std::string& line) {
    std::string text = "\r" + line;
    if (line.size() < drawn_width_) text.append(drawn_width_ - line.size(), ' ');
    drawn_width_ = line.size();
    std::fputs(text.c_str(), out_);
    std::fflush(out_);
  }

  /// Blanks the line drawn, if any, and leaves the cursor at its start.
  void clear() {
    if (drawn_width_ == 0) return;
    const std::string blank = "\r" + std::string(drawn_width_, ' ') + "\r";
    std::fputs(blank.c_str(), out_);
    std::fflush(out_);
    drawn_width_ = 0;
  }

 private:
  std::FILE* out_;
  std::size_t drawn_width_ = 0;
};

/// Seconds on a monotonic clock, from the call on.
inline std::function<double()> steady_seconds() {
  return [start = std::chrono::steady_clock::now()] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
}

}  // namespace detail

/// The summary of one epoch on one line, without a newline:
/// `epoch  3/30  train loss 0.4321  valid loss 0.4410 auc 0.7812 acc 0.8011  test loss 0.4502
/// auc 0.7790 acc 0.7990  1.23M samples/s  2.1 s`; sets that were not scored are left out,
/// an undefined AUC (one class) prints "-". `total_epochs` 0 means unknown ("epoch 3").
inline std::string epoch_line(const EpochStats& stats, std::size_t total_epochs) {
  std::string line = detail::epoch_counter(stats.epoch, total_epochs);
  line += "  train loss " + fixed_text(stats.train_loss, 4);
  if (stats.validation) line += detail::set_summary("valid", *stats.validation);
  if (stats.test) line += detail::set_summary("test", *stats.test);
  line += "  " + human_count(stats.samples_per_second) + " samples/s  " +
          fixed_text(stats.seconds, 1) + " s";
  return line;
}

/// The bar for `done` of `steps` batches, without '\r' or newline:
/// `epoch  3/30 [=========>          ]  45% 1.23M samples/s loss 0.4321 eta 0:12`.
/// Rate, loss and eta are left out while unknown (std::nullopt); a non-finite eta is "--:--".
inline std::string progress_bar_line(std::size_t epoch, std::size_t total_epochs, std::size_t done,
                                     std::size_t steps, std::optional<double> samples_per_second,
                                     std::optional<double> loss,
                                     std::optional<double> eta_seconds) {
  std::string line = detail::epoch_counter(epoch, total_epochs) + " " + detail::bar(done, steps);
  if (samples_per_second) line += " " + human_count(*samples_per_second) + " samples/s";
  if (loss) line += " loss " + fixed_text(*loss, 4);
  if (eta_seconds) line += " eta " + clock_duration(*eta_seconds);
  return line;
}

/// Writes training progress to a FILE*: a live bar on a terminal, plain lines elsewhere.
/// Write errors are ignored (progress is best-effort; a closed stdout must not stop training).
class ProgressReporter {
 public:
  /// Seconds on a monotonic clock; tests inject their own.
  using Clock = std::function<double()>;

  /// At most this many bar redraws per second: enough to look live, few enough that a fast
  /// epoch (thousands of steps a second) spends no time on the terminal.
  static constexpr double kRedrawsPerSecond = 10;

  /// Reports to `out` (not owned, must outlive this). `terminal` overrides the isatty test;
  /// `clock` replaces std::chrono::steady_clock.
  explicit ProgressReporter(std::FILE* out, std::optional<bool> terminal = std::nullopt,
                            Clock clock = {})
      : out_(out),
        terminal_(terminal ? *terminal : detail::is_terminal(out)),
        clock_(clock ? std::move(clock) : detail::steady_seconds()),
        line_(out) {
    if (out_ == nullptr) throw InvalidArgument("ProgressReporter: null output stream");
  }

  /// Whether bars are drawn.
  bool terminal() const noexcept { return terminal_; }

  /// Starts epoch `epoch` of `total_epochs`, of `steps_in_epoch` batches of which
  /// `steps_done` were already done (a resumed epoch); draws the empty bar on a terminal.
  void begin_epoch(std::size_t epoch, std::size_t total_epochs, std::size_t steps_in_epoch,
                   std::size_t steps_done = 0) {
    epoch_ = epoch;
    total_epochs_ = total_epochs;
    steps_ = steps_in_epoch;
    steps_at_begin_ = steps_done;
    begin_time_ = clock_();
    if (terminal_) {
      draw(progress_bar_line(epoch_, total_epochs_, steps_done, steps_, std::nullopt, std::nullopt,
                             std::nullopt));
      last_draw_ = begin_time_;
    }
  }

  /// `steps_done` batches of the epoch are done, with the epoch's mean loss and throughput so
  /// far. Redraws the bar when enough time has passed or the epoch's last batch is done.
  void step(std::size_t steps_done, double running_loss, double samples_per_second) {
    if (!terminal_) return;
    const double now = clock_();
    if (now - last_draw_ < 1.0 / kRedrawsPerSecond && steps_done < steps_) return;
    last_draw_ = now;
    std::optional<double> eta;
    if (steps_done > steps_at_begin_ && steps_done <= steps_)
      eta = (now - begin_time_) / static_cast<double>(steps_done - steps_at_begin_) *
            static_cast<double>(steps_ - steps_done);
    draw(progress_bar_line(epoch_, total_epochs_, steps_done, steps_, samples_per_second,
                           running_loss, eta));
  }

  /// Clears the bar and prints the epoch's summary line (epoch_line).
  void end_epoch(const EpochStats& stats) {
    clear();
    const std::string line = epoch_line(stats, total_epochs_) + "\n";
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
  }

  /// Removes the bar, for a message that is not an epoch line (an interrupted run's).
  void clear() { line_.clear(); }

 private:
  void draw(const std::string& bar) { line_.draw(bar); }

  std::FILE* out_;
  bool terminal_;
  Clock clock_;
  std::size_t epoch_ = 0;
  std::size_t total_epochs_ = 0;
  std::size_t steps_ = 0;
  std::size_t steps_at_begin_ = 0;
  double begin_time_ = 0;
  double last_draw_ = 0;
  detail::TerminalLine line_;
};

/// The bar of reading a file, without '\r' or newline:
/// `train.csv [=========>          ]  45% 86.0 MB of 190.2 MB 120.3 MB/s eta 0:12`,
/// the rate from `bytes_timed` bytes read in `seconds`. The rate and eta are left out until
/// some time has passed and some bytes are read.
inline std::string file_progress_line(std::string_view label, std::uint64_t done,
                                      std::uint64_t total, std::uint64_t bytes_timed,
                                      double seconds) {
  std::string line = std::string(label) + " " + detail::bar(done, total) + " " + human_bytes(done) +
                     " of " + human_bytes(total);
  if (seconds > 0 && bytes_timed > 0) {
    const double rate = static_cast<double>(bytes_timed) / seconds;
    line += " " + human_bytes(static_cast<std::uint64_t>(rate)) + "/s";
    if (total >= done) line += " eta " + clock_duration(static_cast<double>(total - done) / rate);
  }
  return line;
}

/// Progress of reading files: on a terminal, a bar per file once its read has taken a
/// second, redrawn in place at most kRedrawsPerSecond times a second and cleared when the
/// file is done; anywhere else nothing (the caller's summary lines are the record).
class FileProgress {
 public:
  using Clock = std::function<double()>;
  static constexpr double kRedrawsPerSecond = 10;
  /// Reads shorter than this draw no bar.
  static constexpr double kQuietSeconds = 1;

  /// Reports to `out` (not owned); `terminal` overrides the isatty test, `clock` the clock.
  explicit FileProgress(std::FILE* out, std::optional<bool> terminal = std::nullopt,
                        Clock clock = {})
      : terminal_(terminal ? *terminal : detail::is_terminal(out)),
        clock_(clock ? std::move(clock) : detail::steady_seconds()),
        line_(out) {
    if (out == nullptr) throw InvalidArgument("FileProgress: null output stream");
  }

  /// Reading `label` has reached `done` of its `total` bytes; a new label starts a new read.
  void update(std::string_view label, std::uint64_t done, std::uint64_t total) {
    if (!terminal_) return;
    const double now = clock_();
    if (label != label_) {
      line_.clear();
      label_ = std::string(label);
      begin_ = now;
      done_at_begin_ = done;
      last_draw_ = now;
      return;
    }
    if (now - begin_ < kQuietSeconds || now - last_draw_ < 1.0 / kRedrawsPerSecond) return;
    last_draw_ = now;
    line_.draw(file_progress_line(label_, done, total, done - std::min(done, done_at_begin_),
                                  now - begin_));
  }

  /// Clears the bar, for the lines that follow.
  void finish() {
    line_.clear();
    label_.clear();
  }

 private:
  bool terminal_;
  Clock clock_;
  detail::TerminalLine line_;
  std::string label_;
  double begin_ = 0;                 // when the read's first report came
  std::uint64_t done_at_begin_ = 0;  // and how far it had got then
  double last_draw_ = 0;
};

}  // namespace deepfm
