// report/human_format.hpp: numbers and durations for people, never failing on any double.
#include <catch2/catch.hpp>

#include <clocale>
#include <deepfm/report/human_format.hpp>
#include <limits>
#include <string>

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

TEST_CASE("fixed_text rounds to the requested decimals", "[human_format][report]") {
  CHECK(deepfm::fixed_text(0.43214, 4) == "0.4321");
  CHECK(deepfm::fixed_text(2.06, 1) == "2.1");
  CHECK(deepfm::fixed_text(1234.5, 0) == "1234");  // round half to even, as printf does
  CHECK(deepfm::fixed_text(-1.25, 1) == "-1.2");
  CHECK(deepfm::fixed_text(-0.00001, 2) == "0.00");  // no negative zero
  CHECK(deepfm::fixed_text(-0.0, 1) == "0.0");
  CHECK(deepfm::fixed_text(1e300, 2).size() == 304);
  CHECK(deepfm::fixed_text(0.5, -3) == "0");  // decimals clamped at 0
  CHECK(deepfm::fixed_text(kNaN, 4) == "nan");
  CHECK(deepfm::fixed_text(-kNaN, 4) == "nan");
  CHECK(deepfm::fixed_text(kInf, 4) == "inf");
  CHECK(deepfm::fixed_text(-kInf, 4) == "-inf");
}

TEST_CASE("human_count keeps three significant digits with SI suffixes", "[human_format][report]") {
  CHECK(deepfm::human_count(0) == "0");
  CHECK(deepfm::human_count(7) == "7");
  CHECK(deepfm::human_count(987) == "987");
  CHECK(deepfm::human_count(12.5) == "12.5");
  CHECK(deepfm::human_count(0.1234) == "0.12");
  CHECK(deepfm::human_count(999.4) == "999");
  CHECK(deepfm::human_count(999.6) == "1.00k");  // rounds up into the next unit
  CHECK(deepfm::human_count(1234) == "1.23k");
  CHECK(deepfm::human_count(12345) == "12.3k");
  CHECK(deepfm::human_count(123456) == "123k");
  CHECK(deepfm::human_count(999999) == "1.00M");
  CHECK(deepfm::human_count(1234567) == "1.23M");
  CHECK(deepfm::human_count(4.56e9) == "4.56G");
  CHECK(deepfm::human_count(-1234) == "-1.23k");
  CHECK(deepfm::human_count(1e30) == "1000000000000E");  // past the last suffix it keeps growing
  CHECK(deepfm::human_count(kNaN) == "nan");
  CHECK(deepfm::human_count(kInf) == "inf");
  CHECK(deepfm::human_count(-kInf) == "-inf");
}

TEST_CASE("clock_duration writes m:ss and h:mm:ss", "[human_format][report]") {
  CHECK(deepfm::clock_duration(0) == "0:00");
  CHECK(deepfm::clock_duration(12.4) == "0:12");
  CHECK(deepfm::clock_duration(59.6) == "1:00");
  CHECK(deepfm::clock_duration(754) == "12:34");
  CHECK(deepfm::clock_duration(3599.4) == "59:59");
  CHECK(deepfm::clock_duration(3723) == "1:02:03");
  CHECK(deepfm::clock_duration(360000) == "100:00:00");
  CHECK(deepfm::clock_duration(-1) == "--:--");
  CHECK(deepfm::clock_duration(kNaN) == "--:--");
  CHECK(deepfm::clock_duration(kInf) == "--:--");
}

TEST_CASE("human formatting ignores the C locale", "[human_format][report]") {
  // A program may switch LC_NUMERIC to a decimal-comma locale; the reports keep the point.
  const char* previous = std::setlocale(LC_NUMERIC, nullptr);
  const std::string saved = previous != nullptr ? previous : "C";
  // Where no such locale is installed this checks the C locale only.
  if (std::setlocale(LC_NUMERIC, "de_DE.UTF-8") == nullptr)
    std::setlocale(LC_NUMERIC, "fr_FR.UTF-8");
  const std::string fixed = deepfm::fixed_text(0.5, 2);
  const std::string count = deepfm::human_count(1234);
  const std::string bytes = deepfm::human_bytes(1500000000);
  std::setlocale(LC_NUMERIC, saved.c_str());
  CHECK(fixed == "0.50");
  CHECK(count == "1.23k");
  CHECK(bytes == "1.50 GB");
}

TEST_CASE("human_bytes picks the unit", "[report]") {
  CHECK(deepfm::human_bytes(100) == "100 B");
  CHECK(deepfm::human_bytes(512000) == "512 kB");
  CHECK(deepfm::human_bytes(12345678) == "12.3 MB");
  CHECK(deepfm::human_bytes(1500000000) == "1.50 GB");
}
