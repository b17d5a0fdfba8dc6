// CriteoParser and criteo_integer_category: the real raw sample, the bucketing rules, and
// crafted lines (ragged, too many columns, bad integers and labels, prediction files).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <deepfm/data/criteo_format.hpp>
#include <deepfm/data/line_reader.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/bad_line.hpp"
#include "support/scratch_dir.hpp"
#include "support/test_data.hpp"

namespace {

namespace fs = std::filesystem;

using deepfm::test::ScratchDir;

/// One parsed record with its values copied out of the parser's views.
struct Parsed {
  float label = 0;
  bool has_label = true;
  std::vector<std::string> values;
};

std::vector<Parsed> read_all(const fs::path& file, deepfm::CriteoParser& parser) {
  deepfm::LineReader reader(file.string());
  deepfm::RawRecord record;
  std::vector<Parsed> out;
  std::string_view line;
  while (reader.next(line)) {
    if (!parser.parse(line, record)) continue;
    out.push_back({record.label, record.has_label, {record.values.begin(), record.values.end()}});
  }
  return out;
}

/// `label` then the 39 columns, TAB-joined, with column `column` (0 = I1) set to `value`.
std::string line_with(std::size_t column, const std::string& value,
                      const std::string& label = "1") {
  std::string line = label;
  for (std::size_t i = 0; i < deepfm::kCriteoFields; ++i)
    line += "\t" + (i == column ? value : std::string(i < 13 ? "7" : "abcd"));
  return line;
}

using deepfm::test::bad_line;

}  // namespace

TEST_CASE("criteo_integer_category buckets as pytorch-fm does", "[data]") {
  using deepfm::criteo_integer_category;
  CHECK(criteo_integer_category("") == "NULL");
  // v > 2: floor(ln(v)^2); the comments give ln(v)^2.
  CHECK(criteo_integer_category("3") == "1");      // 1.2069
  CHECK(criteo_integer_category("4") == "1");      // 1.9218
  CHECK(criteo_integer_category("5") == "2");      // 2.5903
  CHECK(criteo_integer_category("7") == "3");      // 3.7866, just below e^2
  CHECK(criteo_integer_category("8") == "4");      // 4.3241, just above e^2
  CHECK(criteo_integer_category("1382") == "52");  // 52.2915
  CHECK(criteo_integer_category("0001382") == "52");
  CHECK(criteo_integer_category("9223372036854775807") == "1906");  // 1906.918
  // v <= 2: v - 2, negatives included, without overflow at the bottom of int64.
  CHECK(criteo_integer_category("2") == "0");
  CHECK(criteo_integer_category("1") == "-1");
  CHECK(criteo_integer_category("0") == "-2");
  CHECK(criteo_integer_category("-0") == "-2");
  CHECK(criteo_integer_category("-1") == "-3");
  CHECK(criteo_integer_category("-9223372036854775808") == "-9223372036854775810");
}

TEST_CASE("criteo_integer_category keeps small and large values apart", "[data]") {
  // The header's claim: v > 2 maps to categories >= 1 and v <= 2 to categories <= 0.
  std::int64_t smallest_large = 1 << 30;
  std::int64_t largest_small = -(1 << 30);
  for (std::int64_t v = -1000; v <= 100000; ++v) {
    const std::int64_t category = std::stoll(deepfm::criteo_integer_category(std::to_string(v)));
    if (v > 2) {
      smallest_large = std::min(smallest_large, category);
    } else {
      largest_small = std::max(largest_small, category);
    }
  }
  CHECK(smallest_large == 1);
  CHECK(largest_small == 0);
}

TEST_CASE("criteo_integer_category refuses non-integers naming the column", "[data]") {
  for (const char* value : {"1.5", "abc", "+3", " 3", "3 ", "0x1f", "-", "1e3"}) {
    CAPTURE(value);
    try {
      (void)deepfm::criteo_integer_category(value, "I5");
      FAIL("accepted");
    } catch (const deepfm::BadLine& error) {
      CHECK_FALSE(error.skippable());
      CHECK(std::string(error.what()) == std::string("I5: not an integer: '") + value + "'");
    }
  }
  for (const char* value :
       {"9223372036854775808", "-9223372036854775809", "99999999999999999999"}) {
    CAPTURE(value);
    try {
      (void)deepfm::criteo_integer_category(value, "I2");
      FAIL("accepted");
    } catch (const deepfm::BadLine& error) {
      CHECK_FALSE(error.skippable());
      CHECK(std::string(error.what()) ==
            std::string("I2: integer out of 64-bit range: '") + value + "'");
    }
  }
}

TEST_CASE("CriteoParser reads the pytorch-fm Criteo raw sample", "[data]") {
  DEEPFM_REQUIRE_DATA_OR_SKIP(file, "criteo-raw-pytorch-fm/train.txt");
  deepfm::CriteoParser parser;
  const std::vector<Parsed> records = read_all(file, parser);
  REQUIRE(records.size() == 1000);
  std::size_t positives = 0;
  std::size_t negative_i2 = 0;  // I2 <= -1 becomes "-3" or below
  for (const Parsed& record : records) {
    REQUIRE(record.values.size() == 39);
    positives += record.label == 1 ? 1 : 0;
    if (record.values[1] != "NULL" && std::stoll(record.values[1]) <= -3) ++negative_i2;
    for (const std::string& value : record.values) REQUIRE_FALSE(value.empty());
  }
  CHECK(positives == 205);
  CHECK(negative_i2 == 109);  // awk: 109 rows with I2 <= -1
  CHECK(parser.fields() == 39);
  CHECK(parser.field_names().front() == "I1");
  CHECK(parser.field_names()[13] == "C1");
  CHECK(parser.field_names().back() == "C26");

  // Line 1: 0 1 1 5 0 1382 4 15 2 181 1 2 <empty> 2 68fd1e64 ... 07b5194c <empty> ... 9727dd16
  const std::vector<std::string> first_integers{"-1", "-1", "2",  "-2", "52",   "1", "7",
                                                "0",  "27", "-1", "0",  "NULL", "0"};
  CHECK(std::vector<std::string>(records[0].values.begin(), records[0].values.begin() + 13) ==
        first_integers);
  CHECK(records[0].label == 0);
  CHECK(records[0].values[13] == "68fd1e64");
  CHECK(records[0].values[33] == "07b5194c");  // C21
  CHECK(records[0].values[34] == "NULL");      // C22, empty in the file
  CHECK(records[0].values[38] == "9727dd16");  // C26

  // Line 5: 0 3 -1 <empty> 0 2 ...: a negative I2, a small I1, a missing I3; ragged (38 columns).
  CHECK(records[4].values[0] == "1");
  CHECK(records[4].values[1] == "-3");
  CHECK(records[4].values[2] == "NULL");
  CHECK(records[4].values[3] == "-2");
  CHECK(records[4].values[4] == "0");
  CHECK(records[4].values[36] == "b34f3128");  // C24, the last column present
  CHECK(records[4].values[37] == "NULL");      // C25 and C26 dropped from the row
  CHECK(records[4].values[38] == "NULL");

  // Line 12: 37 columns, so C24..C26 are missing; I5 = 421 -> floor(36.51), I6 = 109 -> 22.
  CHECK(records[11].values[4] == "36");
  CHECK(records[11].values[5] == "22");
  CHECK(records[11].values[35] == "32c7478e");  // C23
  CHECK(records[11].values[36] == "NULL");
  CHECK(records[11].values[38] == "NULL");
}

TEST_CASE("CriteoParser reads CRLF lines and ragged rows from a file", "[data]") {
  const ScratchDir dir;
  const fs::path file =
      dir.write("crlf.txt", line_with(0, "3") + "\r\n\r\n" + "0\t\t-5\r\n" + "1\r\n" + "0\t8");
  deepfm::CriteoParser parser;
  const std::vector<Parsed> records = read_all(file, parser);
  REQUIRE(records.size() == 4);
  CHECK(records[0].label == 1);
  CHECK(records[0].values[0] == "1");
  CHECK(records[0].values[12] == "3");
  CHECK(records[0].values[38] == "abcd");  // no '\r' left on the last column
  CHECK(records[1].label == 0);
  CHECK(records[1].values[0] == "NULL");
  CHECK(records[1].values[1] == "-7");
  CHECK(records[1].values[2] == "NULL");
  CHECK(records[1].values[38] == "NULL");
  CHECK(records[2].label == 1);  // a label and nothing else: every field missing
  CHECK(records[2].values == std::vector<std::string>(39, "NULL"));
  CHECK(records[3].values[0] == "4");
}

TEST_CASE("CriteoParser refuses too many columns skippably", "[data]") {
  deepfm::CriteoParser parser;
  const deepfm::BadLine error = bad_line(parser, line_with(0, "1") + "\textra");
  CHECK(error.skippable());
  CHECK(std::string(error.what()) ==
        "expected at most 40 fields (label + 13 integer + 26 categorical), found 41");
  // The parser keeps working after a bad line.
  deepfm::RawRecord record;
  CHECK(parser.parse(line_with(0, "1"), record));
  CHECK(record.values.size() == 39);
}

TEST_CASE("CriteoParser refuses bad integers and labels naming them", "[data]") {
  deepfm::CriteoParser parser;
  deepfm::BadLine error = bad_line(parser, line_with(4, "12.5"));
  CHECK_FALSE(error.skippable());
  CHECK(std::string(error.what()) == "I5: not an integer: '12.5'");
  error = bad_line(parser, line_with(1, "9223372036854775808"));
  CHECK_FALSE(error.skippable());
  CHECK(std::string(error.what()) == "I2: integer out of 64-bit range: '9223372036854775808'");
  error = bad_line(parser, line_with(12, "f00d"));
  CHECK(std::string(error.what()) == "I13: not an integer: 'f00d'");

  deepfm::RawRecord record;
  REQUIRE(parser.parse(line_with(1, "-9223372036854775808"), record));
  CHECK(record.values[1] == "-9223372036854775810");

  for (const char* label : {"2", "", "-1", "01", "1.0", "yes"}) {
    CAPTURE(label);
    error = bad_line(parser, line_with(0, "1", label));
    CHECK_FALSE(error.skippable());
    CHECK(std::string(error.what()) == std::string("label must be 0 or 1, found '") + label + "'");
  }
  CHECK_FALSE(parser.parse("", record));
}

TEST_CASE("CriteoParser reads prediction files without a label column", "[data]") {
  deepfm::CriteoParser parser(/*has_label=*/false);
  CHECK_FALSE(parser.has_label());
  std::string line = line_with(0, "0");
  line = line.substr(2);  // drop "1\t": 39 columns
  deepfm::RawRecord record;
  REQUIRE(parser.parse(line, record));
  CHECK_FALSE(record.has_label);
  CHECK(record.label == 0);
  REQUIRE(record.values.size() == 39);
  CHECK(record.values[0] == "-2");
  CHECK(record.values[1] == "3");
  REQUIRE(parser.parse("2", record));  // ragged: I1 only
  CHECK(record.values[0] == "0");
  CHECK(record.values[38] == "NULL");
  const deepfm::BadLine error = bad_line(parser, line + "\tabcd");
  CHECK(error.skippable());
  CHECK(std::string(error.what()) ==
        "expected at most 39 fields (no label column, 13 integer + 26 categorical), found 40");
}
