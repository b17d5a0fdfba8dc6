// write_synthetic_d2l and write_synthetic_criteo: the text forms of generated data, read back
// line by line.
#include <catch2/catch.hpp>

#include <charconv>
#include <deepfm/data/criteo_format.hpp>
#include <deepfm/data/line_reader.hpp>
#include <deepfm/data/synthetic_writer.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/scratch_dir.hpp"

namespace {

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t tab; (tab = line.find('\t', start)) != std::string_view::npos; start = tab + 1)
    parts.push_back(line.substr(start, tab - start));
  parts.push_back(line.substr(start));
  return parts;
}

}  // namespace

TEST_CASE("write_synthetic_d2l writes label then field-local ids, one row per line", "[data]") {
  const deepfm::test::ScratchDir scratch("writer");
  const std::filesystem::path& dir = scratch.path;
  const std::filesystem::path file = dir / "synthetic.csv";
  deepfm::SyntheticConfig config;
  config.rows = 500;
  config.field_dims = {3, 7, 12};
  config.seed = 9;
  const deepfm::SyntheticData data = deepfm::generate_synthetic(config);
  deepfm::write_synthetic_d2l(data, file);
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(file).concat(".tmp")));

  deepfm::LineReader reader(file.string());
  std::string_view line;
  std::size_t row = 0;
  const std::vector<std::size_t> offsets{0, 3, 10};
  while (reader.next(line)) {
    REQUIRE(row < data.rows());
    const auto parts = split_tabs(line);
    REQUIRE(parts.size() == 4);
    CHECK(parts[0] == (data.labels[row] > 0.5f ? "1" : "0"));
    for (std::size_t f = 0; f < 3; ++f) {
      std::size_t local = 0;
      const auto result =
          std::from_chars(parts[f + 1].data(), parts[f + 1].data() + parts[f + 1].size(), local);
      REQUIRE(result.ec == std::errc{});
      CHECK(local == data.ids[row * 3 + f] - offsets[f]);
    }
    ++row;
  }
  CHECK(row == data.rows());

  // Refuses a path it cannot create, with the path in the message.
  CHECK_THROWS_WITH(deepfm::write_synthetic_d2l(data, dir / "missing" / "x.csv"),
                    Catch::Contains("x.csv: cannot write"));
}

TEST_CASE("write_synthetic_criteo writes rows the Criteo reader reads back as written", "[data]") {
  const deepfm::test::ScratchDir scratch("writer_criteo");
  const std::filesystem::path file = scratch.path / "criteo.txt";
  deepfm::SyntheticConfig config;
  config.rows = 400;
  config.field_dims = std::vector<std::size_t>(deepfm::kCriteoFields, 5);
  config.seed = 4;
  const deepfm::SyntheticData data = deepfm::generate_synthetic(config);
  deepfm::write_synthetic_criteo(data, file);

  deepfm::LineReader reader(file.string());
  deepfm::CriteoParser parser;
  deepfm::RawRecord record;
  std::string_view line;
  std::size_t row = 0;
  std::size_t missing = 0;
  std::vector<std::vector<std::string>> seen(deepfm::kCriteoFields, std::vector<std::string>(5));
  while (reader.next(line)) {
    REQUIRE(row < data.rows());
    REQUIRE(split_tabs(line).size() == 40);
    REQUIRE(parser.parse(line, record));
    CHECK(record.label == data.labels[row]);
    for (std::size_t f = 0; f < deepfm::kCriteoFields; ++f) {
      const std::size_t local = data.ids[row * deepfm::kCriteoFields + f] - 5 * f;
      const std::string value(record.values[f]);
      if (local == 0) {
        CHECK(value == "NULL");
        ++missing;
      } else if (f < deepfm::kCriteoIntegerFields) {
        const auto integer = static_cast<long long>(local) - 3;
        CHECK(value == deepfm::criteo_integer_category(std::to_string(integer)));
      } else {
        CHECK(value.size() == 8);
        CHECK(value.find_first_not_of("0123456789abcdef") == std::string::npos);
        // One id, one hex value, wherever it occurs; other ids of the field differ from it.
        if (seen[f][local].empty()) seen[f][local] = value;
        CHECK(seen[f][local] == value);
        for (std::size_t other = 1; other < 5; ++other)
          if (other != local && !seen[f][other].empty()) CHECK(seen[f][other] != value);
      }
    }
    ++row;
  }
  CHECK(row == data.rows());
  CHECK(missing > 0);

  config.field_dims = {3, 3};
  CHECK_THROWS_AS(deepfm::write_synthetic_criteo(deepfm::generate_synthetic(config), file),
                  deepfm::InvalidArgument);
}
