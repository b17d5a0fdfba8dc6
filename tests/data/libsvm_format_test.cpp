// libsvm / libFM and libffm parsers: labels, indices, values, field mapping and bad lines.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <deepfm/data/libsvm_format.hpp>
#include <deepfm/data/line_reader.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;

using deepfm::BadLine;
using deepfm::LibffmParser;
using deepfm::LibsvmParser;
using deepfm::RawRecord;
using deepfm::SparseFormatOptions;
using Values = std::vector<std::string>;

/// The record's values as strings ("" is the missing category).
Values values_of(const RawRecord& record) {
  return Values(record.values.begin(), record.values.end());
}

/// Parses one line and returns its values; fails the test when the line holds no record.
Values parse_values(deepfm::RecordParser& parser, std::string_view line) {
  RawRecord record;
  REQUIRE(parser.parse(line, record));
  return values_of(record);
}

/// The label `line` parses to with a fresh parser of `Parser`.
template <typename Parser>
float label_of(std::string_view line) {
  Parser parser;
  RawRecord record;
  REQUIRE(parser.parse(line, record));
  CHECK(record.has_label);
  return record.label;
}

/// Whether parsing `line` throws BadLine whose message contains `text`, and its skippability.
struct Thrown {
  bool threw = false;
  bool skippable = false;
  std::string message;
};
Thrown parse_error(deepfm::RecordParser& parser, std::string_view line) {
  RawRecord record;
  try {
    parser.parse(line, record);
  } catch (const BadLine& error) {
    return {true, error.skippable(), error.what()};
  }
  return {};
}

void check_bad_line(deepfm::RecordParser& parser, std::string_view line, bool skippable,
                    const std::string& text) {
  INFO("line: " << line);
  const Thrown thrown = parse_error(parser, line);
  REQUIRE(thrown.threw);
  CHECK(thrown.skippable == skippable);
  INFO("message: " << thrown.message);
  CHECK(thrown.message.find(text) != std::string::npos);
}

/// A scratch folder removed when the test ends.
struct ScratchDir {
  fs::path path;
  ScratchDir()
      : path(fs::temp_directory_path() / ("deepfm_libsvm_format_" + std::to_string(::getpid()))) {
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path / name, std::ios::binary) << bytes;
    return path / name;
  }
};

}  // namespace

TEST_CASE("Sparse labels 0 1 -1 +1 map to 0 and 1", "[data]") {
  CHECK(label_of<LibsvmParser>("0 1:1") == 0.0f);
  CHECK(label_of<LibsvmParser>("1 1:1") == 1.0f);
  CHECK(label_of<LibsvmParser>("-1 1:1") == 0.0f);
  CHECK(label_of<LibsvmParser>("+1 1:1") == 1.0f);
  CHECK(label_of<LibffmParser>("-1 0:1:1") == 0.0f);
  CHECK(label_of<LibffmParser>("+1 0:1:1") == 1.0f);
}

TEST_CASE("Sparse labels other than 0 1 -1 +1 are not skippable", "[data]") {
  for (const std::string label : {"2", "x", "1.0", "-0", "+0", "01", "-2"}) {
    LibsvmParser svm;
    check_bad_line(svm, label + " 1:1 2:1", false, "label '" + label + "'");
    LibffmParser ffm;
    check_bad_line(ffm, label + " 0:1:1", false, "label '" + label + "'");
  }
}

TEST_CASE("libsvm field is the feature position and the value is the index", "[data]") {
  LibsvmParser parser;
  RawRecord record;
  REQUIRE(parser.parse("1 5:1 3:1 900:1", record));
  CHECK(parser.fields() == 3);
  CHECK(record.has_label);
  CHECK(record.label == 1.0f);
  CHECK(values_of(record) == Values{"5", "3", "900"});
  // The values are views into the line, not copies.
  const std::string line = "0 7 8 9";
  REQUIRE(parser.parse(line, record));
  CHECK(record.values[0].data() == line.data() + 2);
  CHECK(values_of(record) == Values{"7", "8", "9"});
}

TEST_CASE("libsvm values are optional and 1 1.0 1e0 +1 mean present", "[data]") {
  LibsvmParser parser({.fields = 5});
  CHECK(parse_values(parser, "1 11 12:1 13:1.0 14:1e0 15:+1") ==
        Values{"11", "12", "13", "14", "15"});
  CHECK(parse_values(parser, "1 11:1. 12:10e-1 13:0.1e1") == Values{"11", "12", "13", "", ""});
}

TEST_CASE("libsvm value 0 means the field is missing", "[data]") {
  LibsvmParser parser;
  CHECK(parse_values(parser, "1 4:0 5:1 6:0.0 7:-0 8:0e3") == Values{"", "5", "", "", ""});
  CHECK(parser.fields() == 5);
  RawRecord record;
  REQUIRE(parser.parse("0 4:1 5:0 6:1 7:1 8:1", record));
  CHECK(record.values[1] == deepfm::kSparseMissingValue);
}

TEST_CASE("libsvm values other than 0 and 1 are not skippable", "[data]") {
  LibsvmParser parser;
  for (const char* value : {"2", "0.5", "-1", "1.0001", "nan", "inf"}) {
    check_bad_line(parser, std::string("1 3:1 4:") + value, false,
                   "feature values other than 1 are not supported: deepfm's fields are "
                   "categorical");
  }
  check_bad_line(parser, "1 3:1 4:abc", false, "'4:abc'");
  check_bad_line(parser, "1 3:1 4:1x", false, "'4:1x'");
}

TEST_CASE("libsvm indices must be decimal integers below 2 to the 32", "[data]") {
  LibsvmParser parser({.fields = 3});
  CHECK(parse_values(parser, "1 4294967295:1 0 1") == Values{"4294967295", "0", "1"});
  check_bad_line(parser, "1 4294967296:1", false, "index 4294967296 beyond 2^32");
  check_bad_line(parser, "1 1 99999999999999999999999", false,
                 "index 99999999999999999999999 beyond 2^32");
  check_bad_line(parser, "1 -3:1", false, "'-3:1'");
  check_bad_line(parser, "1 3.5:1", false, "'3.5:1'");
  check_bad_line(parser, "1 abc", false, "'abc'");
  check_bad_line(parser, "1 +3", false, "'+3'");
}

TEST_CASE("libsvm indices lose their leading zeros", "[data]") {
  LibsvmParser parser({.fields = 3});
  CHECK(parse_values(parser, "1 007:1 000 0") == Values{"7", "0", "0"});
}

TEST_CASE("libsvm ragged rows with fewer features leave fields missing", "[data]") {
  LibsvmParser parser;
  CHECK(parse_values(parser, "1 1 2 3 4") == Values{"1", "2", "3", "4"});
  CHECK(parse_values(parser, "0 5 6") == Values{"5", "6", "", ""});
  CHECK(parse_values(parser, "0") == Values{"", "", "", ""});
  CHECK(parser.fields() == 4);
}

TEST_CASE("libsvm rows with more features than fields are skippable", "[data]") {
  LibsvmParser inferred;
  CHECK(parse_values(inferred, "1 1 2 3") == Values{"1", "2", "3"});
  check_bad_line(inferred, "1 1 2 3 4 5", true, "expected 3 fields, found 5 features");
  LibsvmParser given({.fields = 2});
  check_bad_line(given, "1 1 2 3", true, "expected 2 fields, found 3 features");
  // The parser goes on after a skipped line.
  CHECK(parse_values(given, "1 1 2") == Values{"1", "2"});
}

TEST_CASE("libsvm field count must be inferable from the first record", "[data]") {
  LibsvmParser parser;
  check_bad_line(parser, "1", false, "no features");
  CHECK(parser.fields() == 0);
  CHECK_THROWS_AS(LibsvmParser({.fields = deepfm::kMaxSparseFields + 1}), deepfm::InvalidArgument);
}

TEST_CASE("libsvm malformed tokens name the token", "[data]") {
  LibsvmParser parser;
  check_bad_line(parser, "1 3:1 :1", false, "malformed token ':1'");
  check_bad_line(parser, "1 3:1 4:", false, "malformed token '4:'");
  check_bad_line(parser, "1 3:1 4:1:1", false, "malformed token '4:1:1'");
  check_bad_line(parser, "1 :", false, "malformed token ':'");
}

TEST_CASE("Sparse whitespace runs tabs and blank lines", "[data]") {
  LibsvmParser parser;
  CHECK(parse_values(parser, "1\t3:1  \t 4:1\t\t5  ") == Values{"3", "4", "5"});
  CHECK(parse_values(parser, "  0 6 7 8\r") == Values{"6", "7", "8"});
  RawRecord record;
  CHECK_FALSE(parser.parse("", record));
  CHECK_FALSE(parser.parse(" \t ", record));
  CHECK_FALSE(parser.parse("# a comment line", record));
  CHECK(parse_values(parser, "1 3 4 # trailing comment 9:2") == Values{"3", "4", ""});
  LibffmParser ffm;
  CHECK_FALSE(ffm.parse("", record));
  CHECK_FALSE(ffm.parse("\t", record));
  CHECK(parse_values(ffm, "\t1  0:3:1\t\t1:4:1 ") == Values{"3", "4"});
}

TEST_CASE("Sparse prediction mode reads features from the first token", "[data]") {
  LibsvmParser svm({.has_label = false});
  RawRecord record;
  REQUIRE(svm.parse("3:1 4 5:1", record));
  CHECK_FALSE(record.has_label);
  CHECK(svm.fields() == 3);
  CHECK(values_of(record) == Values{"3", "4", "5"});
  // A leading "1" is a feature now, not a label.
  CHECK(parse_values(svm, "1 2") == Values{"1", "2", ""});

  LibffmParser ffm({.has_label = false});
  REQUIRE(ffm.parse("1:4:1 0:3:1", record));
  CHECK_FALSE(record.has_label);
  CHECK(ffm.fields() == 2);
  CHECK(values_of(record) == Values{"3", "4"});
  check_bad_line(ffm, "1 0:3:1", false, "malformed token '1'");
}

TEST_CASE("libffm field names the slot and the value is the index", "[data]") {
  LibffmParser parser({.fields = 4});
  RawRecord record;
  REQUIRE(parser.parse("1 2:30:1 0:10:1 3:040:1.0 1:20:1e0", record));
  CHECK(record.label == 1.0f);
  CHECK(values_of(record) == Values{"10", "20", "30", "40"});
  CHECK(parser.fields() == 4);
}

TEST_CASE("libffm missing fields and value 0 take the missing category", "[data]") {
  LibffmParser parser({.fields = 4});
  CHECK(parse_values(parser, "0 3:7:1") == Values{"", "", "", "7"});
  CHECK(parse_values(parser, "0 0:5:0 1:6:1 2:7:0.0") == Values{"", "6", "", ""});
  CHECK(parse_values(parser, "1") == Values{"", "", "", ""});
}

TEST_CASE("libffm duplicate fields are not skippable", "[data]") {
  LibffmParser parser({.fields = 5});
  check_bad_line(parser, "1 3:1:1 0:2:1 3:4:1", false,
                 "field 3 appears twice; deepfm takes one value per field");
  // Even when one of the two says the feature is absent.
  check_bad_line(parser, "1 3:1:0 3:4:1", false, "field 3 appears twice");
  // The next line starts afresh.
  CHECK(parse_values(parser, "1 3:1:1") == Values{"", "", "", "1", ""});
}

TEST_CASE("libffm field out of range is skippable", "[data]") {
  LibffmParser parser({.fields = 5});
  check_bad_line(parser, "1 0:1:1 7:2:1", true, "field 7 out of range: expected 5 fields (0..4)");
  check_bad_line(parser, "1 99999999999999999999999:2:1", true,
                 "field 99999999999999999999999 out of range");
  CHECK(parse_values(parser, "1 4:2:1") == Values{"", "", "", "", "2"});
}

TEST_CASE("libffm infers fields from the largest field of the first record", "[data]") {
  LibffmParser parser;
  CHECK(parser.fields() == 0);
  CHECK(parse_values(parser, "1 0:1:1 2:3:1") == Values{"1", "", "3"});
  CHECK(parser.fields() == 3);
  // The fragile part: a later line with a higher field is out of range.
  check_bad_line(parser, "1 3:1:1", true, "field 3 out of range: expected 3 fields (0..2)");
  LibffmParser empty;
  check_bad_line(empty, "1", false, "no features");
  LibffmParser huge;
  check_bad_line(huge, "1 4000000000:1:1", false, "give the field count");
  CHECK(huge.fields() == 0);
}

TEST_CASE("libffm values other than 0 and 1 are not skippable", "[data]") {
  LibffmParser parser({.fields = 3});
  check_bad_line(parser, "1 0:1:2", false, "feature values other than 1 are not supported");
  check_bad_line(parser, "1 0:1:0.5", false, "feature values other than 1 are not supported");
  check_bad_line(parser, "1 0:4294967296:1", false, "index 4294967296 beyond 2^32");
  CHECK(parse_values(parser, "1 0:4294967295:1") == Values{"4294967295", "", ""});
}

TEST_CASE("libffm malformed tokens name the token", "[data]") {
  LibffmParser parser({.fields = 3});
  for (const char* token :
       {"1:2", "1", ":2:1", "1::1", "1:2:", "1:2:1:1", "::", "a:2:1", "1:b:1", "-1:2:1"}) {
    check_bad_line(parser, std::string("1 0:1:1 ") + token, false, std::string("'") + token + "'");
  }
}

TEST_CASE("Sparse parsers read a CRLF file without a final newline through LineReader", "[data]") {
  const ScratchDir dir;
  const fs::path svm_file =
      dir.write("data.libsvm", "1 3:1 5:1 7:1\r\n\r\n-1 4:1 6:0\r\n+1 8 9 10\r\n0 11:1");
  deepfm::LineReader svm_lines(svm_file.string());
  LibsvmParser svm;
  std::vector<float> labels;
  std::vector<Values> rows;
  std::vector<std::size_t> line_numbers;
  std::string_view line;
  RawRecord record;
  while (svm_lines.next(line)) {
    if (!svm.parse(line, record)) continue;
    labels.push_back(record.label);
    rows.push_back(values_of(record));
    line_numbers.push_back(svm_lines.line_number());
  }
  CHECK(svm.fields() == 3);
  CHECK(labels == std::vector<float>{1, 0, 1, 0});
  CHECK(rows ==
        std::vector<Values>{{"3", "5", "7"}, {"4", "", ""}, {"8", "9", "10"}, {"11", "", ""}});
  CHECK(line_numbers == std::vector<std::size_t>{1, 3, 4, 5});

  const fs::path ffm_file = dir.write("data.libffm", "1 0:3:1 1:5:1\r\n0 1:6:1\r\n1 0:7:0");
  deepfm::LineReader ffm_lines(ffm_file.string());
  LibffmParser ffm({.fields = 2});
  rows.clear();
  while (ffm_lines.next(line)) {
    REQUIRE(ffm.parse(line, record));
    rows.push_back(values_of(record));
  }
  CHECK(rows == std::vector<Values>{{"3", "5"}, {"", "6"}, {"", ""}});
}
