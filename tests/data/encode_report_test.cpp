// data/encode_report.hpp: skipped-line totals, the refusal to train on a file read the wrong
// way, and the report's text form kept beside a cache entry.
#include <catch2/catch.hpp>

#include <deepfm/data/d2l_format.hpp>
#include <deepfm/data/encoder.hpp>
#include <fstream>
#include <string>

#include "support/scratch_dir.hpp"

namespace {

deepfm::EncodeReport pass1_report(const std::string& path) {
  deepfm::EncodeReport report;
  deepfm::build_vocabulary(
      path, [] { return std::make_unique<deepfm::D2lParser>(); }, {.min_count = 1}, report);
  return report;
}

}  // namespace

TEST_CASE("skipped_lines_summary counts every line and quotes the first skipped", "[data]") {
  deepfm::EncodeReport report;
  CHECK(deepfm::skipped_lines_summary(report).empty());
  report.rows = 590;
  report.skipped_lines = 10;
  report.skipped_examples = {"f.tsv:7: expected 3 fields", "f.tsv:9: expected 3 fields"};
  CHECK(deepfm::skipped_lines_summary(report) ==
        "skipped 10 of 600 lines; the first: f.tsv:7: expected 3 fields");
}

TEST_CASE("The encoder notes the first record's line and the widths of skipped lines", "[data]") {
  deepfm::test::ScratchDir dir("encode_report_widths");
  const std::string path = (dir.path / "wide_first.tsv").string();
  {
    std::ofstream out(path);
    out << "\n1\ta\tb\tc\td\n";  // line 2, four fields, fixes the count
    for (int i = 0; i < 30; ++i) out << "0\tx\ty\n";
    out << "1\tx\n";
  }
  const deepfm::EncodeReport report = pass1_report(path);
  CHECK(report.rows == 1);
  CHECK(report.first_record_line == 2);
  CHECK(report.skipped_lines == 31);
  CHECK(report.lines() == 32);
  CHECK(report.skipped_field_counts == std::map<std::size_t, std::size_t>{{1, 1}, {2, 30}});
  // The line that fixed the count is named as the likely cause, with the way out.
  CHECK_THROWS_MATCHES(
      deepfm::check_skipped_share(path, report, 4, true), deepfm::DataError,
      Catch::Matchers::Message(
          path +
          ": 31 of 32 lines skipped (96%). The field count (4 categorical) came from the "
          "first record, line 2, but 30 lines have 2 categorical fields: is that line "
          "damaged? (--fields sets the count) The first: " +
          path +
          ":3: expected 5 fields (label + 4 categorical), found 3. Pass --allow-skips to "
          "train on the rest anyway"));
}

TEST_CASE("check_skipped_share accepts up to 10% of lines skipped", "[data]") {
  deepfm::EncodeReport report;
  report.rows = 90;
  report.skipped_lines = 10;  // exactly 10%
  CHECK_NOTHROW(deepfm::check_skipped_share("f", report, 3, true));
  report.rows = 89;
  report.skipped_lines = 11;
  CHECK_THROWS_WITH(deepfm::check_skipped_share("f", report, 3, true),
                    Catch::Contains("11 of 100 lines skipped (11%). Is --format right"));
  report.count_skipped_width(5);
  CHECK_THROWS_WITH(deepfm::check_skipped_share("f", report, 3, false),
                    Catch::Contains("The training data has 3 categorical fields, but 1 lines have "
                                    "5 categorical fields: is this file from the same data?"));
  deepfm::EncodeReport none;
  CHECK_NOTHROW(deepfm::check_skipped_share("f", none, 3, true));
}

TEST_CASE("An encode report survives its text form", "[data]") {
  deepfm::EncodeReport report;
  report.rows = 12;
  report.skipped_lines = 3;
  report.oov_cells = 4;
  report.total_cells = 24;
  report.first_record_line = 2;
  report.skipped_field_counts = {{3, 2}, {7, 1}};
  report.skipped_examples = {"a,b.tsv:4: found 'x=1,%y'", "line\nbreak:5: \r"};
  const deepfm::EncodeReport back =
      deepfm::parse_encode_report(deepfm::encode_report_text(report), "sidecar");
  CHECK(back.rows == 12);
  CHECK(back.skipped_lines == 3);
  CHECK(back.oov_cells == 4);
  CHECK(back.total_cells == 24);
  CHECK(back.first_record_line == 2);
  CHECK(back.skipped_field_counts == report.skipped_field_counts);
  CHECK(back.skipped_examples == report.skipped_examples);
  deepfm::EncodeReport empty;
  CHECK(
      deepfm::parse_encode_report(deepfm::encode_report_text(empty), "s").skipped_examples.empty());
  CHECK_THROWS_AS(deepfm::parse_encode_report("3 1 2\n", "old sidecar"), deepfm::InvalidArgument);
}
