// D2lParser: d2l's CTRDataset line rules (TAB, label 0/1, field count, prediction files).
#include <catch2/catch.hpp>

#include <deepfm/data/d2l_format.hpp>
#include <deepfm/data/line_reader.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "support/bad_line.hpp"
#include "support/test_data.hpp"

namespace {

std::vector<std::string> values_of(const deepfm::RawRecord& record) {
  return {record.values.begin(), record.values.end()};
}

using deepfm::test::bad_line;

}  // namespace

TEST_CASE("D2lParser reads a label and string values and infers the field count", "[data]") {
  deepfm::D2lParser parser;
  CHECK(parser.fields() == 0);
  CHECK(parser.has_label());
  deepfm::RawRecord record;
  REQUIRE(parser.parse("1\t0042\t18446744073709551615\t", record));
  CHECK(parser.fields() == 3);
  CHECK(record.has_label);
  CHECK(record.label == 1.0f);
  // Leading zeros, values beyond 2^64 and empty values are kept exactly as strings.
  CHECK(values_of(record) == std::vector<std::string>{"0042", "18446744073709551615", ""});

  REQUIRE(parser.parse("0\ta\t\tc d", record));
  CHECK(record.label == 0.0f);
  CHECK(values_of(record) == std::vector<std::string>{"a", "", "c d"});
}

TEST_CASE("D2lParser returns false for an empty line", "[data]") {
  deepfm::D2lParser parser;
  deepfm::RawRecord record;
  CHECK_FALSE(parser.parse("", record));
  CHECK(parser.fields() == 0);  // an empty line does not fix the field count
  REQUIRE(parser.parse("1\tx", record));
  CHECK(parser.fields() == 1);
  CHECK_FALSE(parser.parse("", record));
}

TEST_CASE("D2lParser reports a wrong column count as a skippable bad line", "[data]") {
  deepfm::D2lParser parser;
  deepfm::RawRecord record;
  REQUIRE(parser.parse("0\ta\tb\tc", record));
  const auto fewer = bad_line(parser, "0\ta\tb");
  CHECK(fewer.skippable());
  CHECK(std::string(fewer.what()) == "expected 4 fields (label + 3 categorical), found 3");
  const auto more = bad_line(parser, "0\ta\tb\tc\td");
  CHECK(more.skippable());
  CHECK(std::string(more.what()) == "expected 4 fields (label + 3 categorical), found 5");
  const auto label_only = bad_line(parser, "1");
  CHECK(label_only.skippable());
  CHECK(std::string(label_only.what()) == "expected 4 fields (label + 3 categorical), found 1");
  // A bad line does not disturb the next one.
  REQUIRE(parser.parse("1\tx\ty\tz", record));
  CHECK(values_of(record) == std::vector<std::string>{"x", "y", "z"});
}

TEST_CASE("D2lParser takes the field count given to it", "[data]") {
  deepfm::D2lParser parser(2);
  CHECK(parser.fields() == 2);
  const auto bad = bad_line(parser, "0\ta\tb\tc");
  CHECK(bad.skippable());
  CHECK(std::string(bad.what()) == "expected 3 fields (label + 2 categorical), found 4");
  deepfm::RawRecord record;
  REQUIRE(parser.parse("0\ta\tb", record));
  CHECK(values_of(record) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("D2lParser refuses a label other than 0 or 1", "[data]") {
  for (const std::string label : {"2", "-1", " 1", "1.0", "+1", "", "yes", "01"}) {
    deepfm::D2lParser parser(2);
    const auto bad = bad_line(parser, label + "\ta\tb");
    CHECK_FALSE(bad.skippable());
    CHECK(std::string(bad.what()) == "label must be 0 or 1, found '" + label + "'");
  }
  // A long first column is shortened in the message.
  deepfm::D2lParser parser(1);
  const auto bad = bad_line(parser, std::string(100, 'x') + "\ta");
  CHECK(std::string(bad.what()) == "label must be 0 or 1, found '" + std::string(40, 'x') + "...'");
}

TEST_CASE("D2lParser quotes a bad label printably and names a byte-order mark", "[data]") {
  deepfm::D2lParser parser(1);
  CHECK(std::string(bad_line(parser, "\x1B[31m1\ta").what()) ==
        "label must be 0 or 1, found '\\x1b[31m1'");
  deepfm::D2lParser first_line(1);
  CHECK(std::string(bad_line(first_line,
                             "\xEF\xBB\xBF"
                             "0\ta")
                        .what()) ==
        "label must be 0 or 1, found '\\xef\\xbb\\xbf0' (starts with a UTF-8 byte-order mark)");
}

TEST_CASE("D2lParser refuses a first record without fields", "[data]") {
  deepfm::D2lParser parser;
  const auto bad = bad_line(parser, "1");
  CHECK_FALSE(bad.skippable());
  CHECK(parser.fields() == 0);
}

TEST_CASE("D2lParser reads prediction files without a label column", "[data]") {
  deepfm::D2lParser parser(0, false);
  CHECK_FALSE(parser.has_label());
  deepfm::RawRecord record;
  REQUIRE(parser.parse("1\t0042\tb", record));
  CHECK(parser.fields() == 3);
  CHECK_FALSE(record.has_label);
  CHECK(record.label == 0.0f);
  CHECK(values_of(record) == std::vector<std::string>{"1", "0042", "b"});
  const auto bad = bad_line(parser, "a\tb");
  CHECK(bad.skippable());
  CHECK(std::string(bad.what()) == "expected 3 fields (no label column), found 2");
  // A single column is a record with one field.
  deepfm::D2lParser single(0, false);
  REQUIRE(single.parse("only", record));
  CHECK(single.fields() == 1);
}

TEST_CASE("D2lParser reads every line of the d2l test split", "[data]") {
  DEEPFM_REQUIRE_DATA_OR_SKIP(path, "d2l-ctr/test.csv");
  deepfm::LineReader reader(path.string());
  deepfm::D2lParser parser;
  deepfm::RawRecord record;
  std::string_view line;
  std::size_t rows = 0;
  std::size_t positives = 0;
  bool leading_zero = false;
  bool carriage_return = false;
  while (reader.next(line)) {
    REQUIRE(parser.parse(line, record));
    REQUIRE(record.values.size() == 34);
    ++rows;
    positives += record.label > 0.5f ? 1 : 0;
    for (const auto value : record.values) {
      carriage_return = carriage_return || value.find('\r') != std::string_view::npos;
      leading_zero = leading_zero || (value.size() > 1 && value.front() == '0');
    }
  }
  CHECK(parser.fields() == 34);
  CHECK(rows == 3000);
  CHECK(positives == 1504);
  CHECK_FALSE(carriage_return);  // the file's CRLF endings leave no '\r' in the last value
  CHECK(leading_zero);           // the split has values whose leading zeros matter
}
