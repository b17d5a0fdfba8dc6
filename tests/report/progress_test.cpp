// report/progress.hpp: a live bar on a terminal, one plain line per epoch elsewhere; and a
// bar per file read, on a terminal only.
#include <catch2/catch.hpp>

#include <cstdio>
#include <deepfm/report/progress.hpp>
#include <limits>
#include <memory>
#include <optional>
#include <string>

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A temporary FILE* whose whole content can be read back.
struct CapturedFile {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::tmpfile(), &std::fclose};

  CapturedFile() { REQUIRE(file != nullptr); }

  std::string text() const {
    std::fflush(file.get());
    const long end = std::ftell(file.get());
    std::rewind(file.get());
    std::string out(static_cast<std::size_t>(end), '\0');
    const std::size_t read = std::fread(out.data(), 1, out.size(), file.get());
    out.resize(read);
    std::fseek(file.get(), 0, SEEK_END);
    return out;
  }
};

deepfm::Metrics metrics(double logloss, std::optional<double> auc, double accuracy) {
  deepfm::Metrics m;
  m.logloss = logloss;
  m.auc = auc;
  m.accuracy = accuracy;
  m.rows = 100;
  return m;
}

deepfm::EpochStats stats(std::size_t epoch) {
  deepfm::EpochStats s;
  s.epoch = epoch;
  s.train_loss = 0.43214;
  s.seconds = 2.06;
  s.samples_per_second = 1234567;
  s.validation = metrics(0.441, 0.78124, 0.80111);
  s.test = metrics(0.45019, 0.779, 0.799);
  return s;
}

std::size_t count(const std::string& text, char c) {
  std::size_t n = 0;
  for (const char x : text) n += x == c ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("epoch_line formats every number as documented", "[progress][report]") {
  CHECK(deepfm::epoch_line(stats(3), 30) ==
        "epoch  3/30  train loss 0.4321  valid loss 0.4410 auc 0.7812 acc 0.8011  "
        "test loss 0.4502 auc 0.7790 acc 0.7990  1.23M samples/s  2.1 s");
}

TEST_CASE("epoch_line leaves out unscored sets and unknown totals", "[progress][report]") {
  deepfm::EpochStats s = stats(12);
  s.validation.reset();
  s.test->auc.reset();
  s.samples_per_second = 999.6;
  CHECK(deepfm::epoch_line(s, 0) ==
        "epoch 12  train loss 0.4321  test loss 0.4502 auc - acc 0.7990  1.00k samples/s  2.1 s");
}

TEST_CASE("epoch_line prints non-finite values as text", "[progress][report]") {
  deepfm::EpochStats s = stats(1);
  s.train_loss = kNaN;
  s.validation->logloss = kInf;
  s.validation->auc = -kInf;
  s.samples_per_second = kInf;
  s.seconds = kNaN;
  CHECK(deepfm::epoch_line(s, 2) ==
        "epoch 1/2  train loss nan  valid loss inf auc -inf acc 0.8011  "
        "test loss 0.4502 auc 0.7790 acc 0.7990  inf samples/s  nan s");
}

TEST_CASE("progress_bar_line draws the bar, percentage, rate, loss and eta", "[progress][report]") {
  CHECK(deepfm::progress_bar_line(3, 30, 61, 100, 1.23e6, 0.4321, 12.4) ==
        "epoch  3/30 [============>       ]  61% 1.23M samples/s loss 0.4321 eta 0:12");
  CHECK(deepfm::progress_bar_line(3, 30, 0, 100, std::nullopt, std::nullopt, std::nullopt) ==
        "epoch  3/30 [                    ]   0%");
  CHECK(deepfm::progress_bar_line(3, 30, 100, 100, 5e3, kNaN, 0.0) ==
        "epoch  3/30 [====================] 100% 5.00k samples/s loss nan eta 0:00");
  // 99.9% is not 100%; a step count past the end is clamped; an empty epoch is complete.
  CHECK(deepfm::progress_bar_line(1, 1, 999, 1000, std::nullopt, std::nullopt, kInf) ==
        "epoch 1/1 [===================>]  99% eta --:--");
  CHECK(deepfm::progress_bar_line(1, 1, 7, 5, std::nullopt, std::nullopt, std::nullopt) ==
        "epoch 1/1 [====================] 100%");
  CHECK(deepfm::progress_bar_line(1, 1, 0, 0, std::nullopt, std::nullopt, std::nullopt) ==
        "epoch 1/1 [====================] 100%");
}

TEST_CASE("ProgressReporter off a terminal writes one plain line per epoch", "[progress][report]") {
  CapturedFile out;
  double now = 0;
  deepfm::ProgressReporter progress(out.file.get(), false, [&] { return now; });
  CHECK_FALSE(progress.terminal());
  for (std::size_t epoch = 1; epoch <= 2; ++epoch) {
    progress.begin_epoch(epoch, 2, 50);
    for (std::size_t step = 1; step <= 50; ++step) {
      now += 0.05;
      progress.step(step, 0.5, 1e5);
    }
    progress.end_epoch(stats(epoch));
  }
  const std::string text = out.text();
  CHECK(count(text, '\r') == 0);
  CHECK(text == deepfm::epoch_line(stats(1), 2) + "\n" + deepfm::epoch_line(stats(2), 2) + "\n");
}

TEST_CASE("ProgressReporter on a terminal redraws a bar and ends with the line",
          "[progress][report]") {
  CapturedFile out;
  double now = 0;
  deepfm::ProgressReporter progress(out.file.get(), true, [&] { return now; });
  CHECK(progress.terminal());
  progress.begin_epoch(3, 30, 100);
  // 100 steps, 10 ms apart: one second in all, so about ten redraws, not a hundred.
  for (std::size_t step = 1; step <= 100; ++step) {
    now += 0.01;
    progress.step(step, 0.4321, 1.23e6);
  }
  const std::string bars = out.text();
  const std::size_t redraws = count(bars, '\r');
  CHECK(redraws >= 10);
  CHECK(redraws <= 13);
  CHECK(bars.find('\n') == std::string::npos);
  CHECK(bars.rfind(
            "\repoch  3/30 [====================] 100% 1.23M samples/s loss 0.4321 eta 0:00") !=
        std::string::npos);
  CHECK(bars.find("\repoch  3/30 [                    ]   0%") == 0);

  progress.end_epoch(stats(3));
  const std::string text = out.text();
  const std::string line = deepfm::epoch_line(stats(3), 30) + "\n";
  REQUIRE(text.size() > line.size());
  CHECK(text.substr(text.size() - line.size()) == line);
  // The bar is blanked before the line, so no bar text trails the summary.
  const std::string before = text.substr(0, text.size() - line.size());
  CHECK(before.back() == '\r');
}

TEST_CASE("ProgressReporter estimates the time left from the steps done", "[progress][report]") {
  CapturedFile out;
  double now = 100;
  deepfm::ProgressReporter progress(out.file.get(), true, [&] { return now; });
  // A resumed epoch: 40 of 100 steps were done before; 10 more take 5 s, 50 remain: 25 s.
  progress.begin_epoch(1, 1, 100, 40);
  now += 5;
  progress.step(50, 0.5, 2000);
  CHECK(out.text().find("[==========>         ]  50% 2.00k samples/s loss 0.5000 eta 0:25") !=
        std::string::npos);
}

TEST_CASE("ProgressReporter pads a shorter bar over a longer one", "[progress][report]") {
  CapturedFile out;
  double now = 0;
  deepfm::ProgressReporter progress(out.file.get(), true, [&] { return now; });
  progress.begin_epoch(1, 1, 10);
  now = 1;
  progress.step(5, 0.5, 123456);  // "123k samples/s"
  now = 2;
  progress.step(6, 0.5, 12);  // "12 samples/s": 2 characters shorter
  const std::string text = out.text();
  const std::size_t last = text.rfind('\r');
  const std::string previous =
      text.substr(text.rfind('\r', last - 1) + 1, last - text.rfind('\r', last - 1) - 1);
  const std::string current = text.substr(last + 1);
  CHECK(current.size() == previous.size());
  CHECK(current.back() == ' ');
}

TEST_CASE("ProgressReporter rejects a null stream", "[progress][report]") {
  CHECK_THROWS_AS(deepfm::ProgressReporter(nullptr, false), deepfm::InvalidArgument);
}

TEST_CASE("file_progress_line shows bytes, rate and time left", "[progress][report]") {
  CHECK(deepfm::file_progress_line("train.csv", 0, 200'000'000, 0, 0) ==
        "train.csv [                    ]   0% 0 B of 200.0 MB");
  // The rate from the bytes timed: 40 MB in 2 s, so 150 MB to go take 7.5 s (rounded to 8).
  CHECK(deepfm::file_progress_line("train.csv", 50'000'000, 200'000'000, 40'000'000, 2) ==
        "train.csv [=====>              ]  25% 50.0 MB of 200.0 MB 20.0 MB/s eta 0:08");
}

TEST_CASE("FileProgress draws a bar after a quiet second and clears it", "[progress][report]") {
  CapturedFile out;
  double now = 0;
  deepfm::FileProgress progress(out.file.get(), true, [&] { return now; });
  progress.update("a.csv", 100, 1000);  // the first report: 100 bytes before the clock
  for (int i = 1; i <= 9; ++i) {        // the first second: a short read draws nothing
    now = 0.1 * i;
    progress.update("a.csv", 100 * static_cast<std::uint64_t>(i), 1000);
  }
  CHECK(out.text().empty());
  for (int i = 0; i < 50; ++i) {  // then at most ten redraws a second: 1.0 s to 1.98 s
    now = 1.0 + 0.02 * i;
    progress.update("a.csv", 900, 1000);
  }
  const std::string bars = out.text();
  CHECK(count(bars, '\r') >= 9);
  CHECK(count(bars, '\r') <= 10);
  // 800 bytes in the 1 s since the first report.
  CHECK(bars.find("\ra.csv [==================> ]  90% 900 B of 1 kB 800 B/s eta 0:00") == 0);
  CHECK(bars.find('\n') == std::string::npos);
  progress.finish();
  const std::string text = out.text();
  CHECK(text.back() == '\r');  // blanked, the cursor back at the line's start
  // A new file starts its own quiet second.
  progress.update("b.csv", 0, 10);
  now = 1.5;
  progress.update("b.csv", 5, 10);
  CHECK(out.text() == text);
}

TEST_CASE("FileProgress off a terminal writes nothing", "[progress][report]") {
  CapturedFile out;
  double now = 0;
  deepfm::FileProgress progress(out.file.get(), false, [&] { return now; });
  progress.update("a.csv", 0, 1000);
  now = 5;
  progress.update("a.csv", 500, 1000);
  progress.finish();
  CHECK(out.text().empty());
}
