// examples/deepfm_cli/flag_text.hpp: what the tool's value flags accept, read exactly, and the
// sentence a refused value gets.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "deepfm_cli/flag_text.hpp"

using deepfm_cli::FlagReading;
using deepfm_cli::RealNumberRule;
using deepfm_cli::WholeNumberRule;

namespace {

/// The value CLI11 converts a canonical real text to: strtold, then a cast (TypeTools.hpp).
double as_cli11_converts(const std::string& text) {
  char* end = nullptr;
  const long double value = std::strtold(text.c_str(), &end);
  REQUIRE(end == text.c_str() + text.size());
  return static_cast<double>(value);
}

}  // namespace

TEST_CASE("A whole-number flag takes decimal digits in its range and nothing else",
          "[cli][flags]") {
  const WholeNumberRule epochs(1, 1000000);
  CHECK(epochs.read("1").canonical == "1");
  CHECK(epochs.read("1000000").canonical == "1000000");
  // Leading zeros are decimal, not octal as CLI11's strtoull(base 0) would read them.
  CHECK(epochs.read("010").canonical == "10");
  const std::string sentence = "must be a whole number from 1 to 1000000, got ";
  for (const std::string refused : {"0", "1000001", "1.5", "-1", "zero", "+5", " 5", "5 ", "0x10",
                                    "1e3", "5.0", "nan", "inf", "99999999999999999999"})
    CHECK(epochs.read(refused).problem ==
          sentence + (refused.find(' ') != std::string::npos ? "'" + refused + "'" : refused));
  CHECK(epochs.read("").problem == sentence + "''");
  CHECK_FALSE(epochs.read("").accepted());
}

TEST_CASE("A whole-number flag spanning 64 bits says so in words", "[cli][flags]") {
  const WholeNumberRule seed(0, std::numeric_limits<std::uint64_t>::max());
  CHECK(seed.read("18446744073709551615").canonical == "18446744073709551615");
  CHECK(seed.read("18446744073709551616").problem ==
        "must be a whole number from 0 to 2^64-1, got 18446744073709551616");
}

TEST_CASE("A list flag refuses an empty item that CLI11's splitting would drop", "[cli][flags]") {
  const WholeNumberRule width(1, 65536);
  CHECK(width.read_list("30,20,10").canonical == "30,20,10");
  CHECK(width.read_list("030,7").canonical == "30,7");
  const std::string sentence = "must list whole numbers from 1 to 65536, got ";
  CHECK(width.read_list("30,1000000,10").problem == sentence + "1000000");  // the bad item
  CHECK(width.read_list("30,0").problem == sentence + "0");
  CHECK(width.read_list("30,,10").problem == sentence + "30,,10");  // an empty one: the list
  CHECK(width.read_list("30,").problem == sentence + "30,");
  CHECK(width.read_list(",30").problem == sentence + ",30");
  CHECK(width.read_list("").problem == sentence + "''");
  CHECK(deepfm_cli::list_values({"30,20,10", "7"}) == std::vector<std::uint64_t>{30, 20, 10, 7});
}

TEST_CASE("A real-number flag takes finite decimals in its range, NaN and infinity refused",
          "[cli][flags]") {
  const RealNumberRule dropout = RealNumberRule::between(0, 0.99);
  CHECK(dropout.read("0").accepted());
  CHECK(dropout.read("0.99").accepted());
  CHECK(dropout.read(".5").accepted());
  CHECK(dropout.read("5e-1").accepted());
  const std::string sentence = "must be a number from 0 to 0.99, got ";
  for (const std::string refused : {"1.5", "-0.1", "0.990000001", "nan", "NaN", "inf", "-inf",
                                    "infinity", "1e400", "0x1p-1", "+0.5", "0.5x", "half", "0,5"})
    CHECK(dropout.read(refused).problem == sentence + refused);
  CHECK(dropout.read(" 0.5").problem == sentence + "' 0.5'");
  CHECK(dropout.read("").problem == sentence + "''");
  CHECK(RealNumberRule::positive().read("-0.01").problem ==
        "must be a positive finite number, got -0.01");
  CHECK(RealNumberRule::positive().read("0").problem == "must be a positive finite number, got 0");
  CHECK(RealNumberRule::positive().read("1e308").accepted());
  CHECK(RealNumberRule::non_negative().read("-1").problem ==
        "must be 0 or a positive finite number, got -1");
  CHECK(RealNumberRule::non_negative().read("0").accepted());
}

TEST_CASE("A real-number flag's canonical text converts to exactly the value checked",
          "[cli][flags]") {
  const RealNumberRule dropout = RealNumberRule::between(0, 0.99);
  for (const char* text : {"0.99", "0.1", "0.3333333333333333333333", "1e-300", "0"})
    CHECK(as_cli11_converts(dropout.read(text).canonical) == std::strtod(text, nullptr));
  // The largest double not above 0.99 stays in the range whatever its spelling; a decimal just
  // above it rounds down to it, as the check saw it.
  CHECK(as_cli11_converts(dropout.read("0.99000000000000000000000001").canonical) <= 0.99);
  // "-0" is zero, without a sign to carry into the model.
  CHECK(dropout.read("-0").canonical == "0x0p+0");
}

TEST_CASE("A memory limit is a size above 0 or none", "[cli][flags]") {
  using deepfm_cli::read_memory_limit;
  CHECK(read_memory_limit("1024").canonical == "1024");
  CHECK(read_memory_limit("8G").canonical == "8589934592");
  CHECK(read_memory_limit("512m").canonical == "536870912");
  CHECK(read_memory_limit("2KiB").canonical == "2048");
  CHECK(read_memory_limit("1TB").canonical == "1099511627776");
  CHECK(read_memory_limit("none").canonical == std::to_string(deepfm_cli::kNoMemoryLimit));
  CHECK(read_memory_limit("None").canonical == std::to_string(deepfm_cli::kNoMemoryLimit));
  const std::string sentence =
      "must be a size above 0 such as 8G or 512M, or none for no limit, got ";
  for (const std::string refused :
       {"0", "0G", "-1G", "1.5G", "8X", "G", "8 G", "16777216T", "unlimited"})
    CHECK(read_memory_limit(refused).problem ==
          sentence + (refused.find(' ') != std::string::npos ? "'" + refused + "'" : refused));
  CHECK(read_memory_limit("").problem == sentence + "''");
}

TEST_CASE("A word flag takes one of its words exactly and lists them when refused",
          "[cli][flags]") {
  const std::vector<std::string> formats = {"d2l", "criteo", "csv"};
  CHECK(deepfm_cli::read_choice("csv", formats).canonical == "csv");
  CHECK(deepfm_cli::read_choice("parquet", formats).problem ==
        "must be one of d2l, criteo or csv, got parquet");
  CHECK(deepfm_cli::read_choice("CSV", formats).problem ==
        "must be one of d2l, criteo or csv, got CSV");
  CHECK(deepfm_cli::read_choice("", {"deepfm", "fm"}).problem ==
        "must be one of deepfm or fm, got ''");
}

TEST_CASE("A refused value is shown as typed, quoted only where it must be", "[cli][flags]") {
  using deepfm_cli::typed_value;
  CHECK(typed_value("1.5") == "1.5");
  CHECK(typed_value("") == "''");
  CHECK(typed_value(" 5") == "' 5'");
  CHECK(typed_value(std::string("5\0x", 3)) == "'5\\x00x'");
  CHECK(typed_value("it's") == "'it\\'s'");
  CHECK(typed_value(std::string(50, '9')) == std::string(40, '9') + "...");
}
