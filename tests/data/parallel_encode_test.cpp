// The encoder read on 1, 2 and 3 threads and in blocks of many sizes gives the same
// vocabulary, ids, labels, report, skipped-line callbacks and errors, for every format, plain
// and gzip-compressed: block boundaries at every line, after CRLF endings, at the last byte of
// a file without a final newline, and next to a quoted CSV field a newline cut.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <deepfm/core/parallel_for.hpp>
#include <deepfm/data/encoder.hpp>
#include <deepfm/data/line_reader.hpp>
#include <deepfm/data/reader_options.hpp>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/scratch_dir.hpp"

namespace {

using deepfm::Format;

/// Everything an encode of one training file produces, errors included.
struct Outcome {
  std::vector<std::size_t> field_dims;
  std::vector<std::vector<std::string>> kept;
  std::vector<deepfm::FeatureId> ids;
  std::vector<float> labels;
  std::vector<std::string> skipped;  // on_skipped's calls, "line: message"
  std::size_t rows = 0;
  std::size_t skipped_lines = 0;
  std::vector<std::string> examples;
  std::size_t first_record_line = 0;
  std::size_t oov = 0;
  std::string error;  // what an encode threw, if it did

  bool operator==(const Outcome&) const = default;
};

Outcome encode(const deepfm::ReaderOptions& reader, const std::string& path, int threads,
               std::size_t block_bytes) {
  const deepfm::ThreadCountScope scope(threads);
  deepfm::EncodeOptions options = reader.encode;
  options.block_bytes = block_bytes;
  Outcome outcome;
  try {
    deepfm::EncodeReport pass1;
    const deepfm::Vocabulary vocabulary =
        deepfm::build_vocabulary(path, deepfm::make_parser_factory(reader), options, pass1);
    outcome.field_dims = vocabulary.field_dims();
    for (std::size_t f = 0; f < vocabulary.fields(); ++f) {
      const auto values = vocabulary.kept_values(f);
      outcome.kept.emplace_back(values.begin(), values.end());
    }
    deepfm::EncodeReport report;
    deepfm::encode_rows(
        path, vocabulary, deepfm::make_parser_factory(reader, vocabulary.fields()), options, report,
        [&](std::span<const deepfm::FeatureId> ids, float label) {
          outcome.ids.insert(outcome.ids.end(), ids.begin(), ids.end());
          outcome.labels.push_back(label);
        },
        [&](std::size_t line, const std::string& message) {
          outcome.skipped.push_back(std::to_string(line) + ": " + message);
        });
    outcome.rows = report.rows;
    outcome.skipped_lines = report.skipped_lines;
    outcome.examples = report.skipped_examples;
    outcome.first_record_line = report.first_record_line;
    outcome.oov = report.oov_cells;
  } catch (const deepfm::Error& error) {
    outcome.error = error.what();
  }
  return outcome;
}

/// encode's outcome from encode_training_rows (one read, spilled first-seen indices) instead
/// of build_vocabulary and encode_rows, less the skipped-line callbacks (it takes none).
Outcome encode_in_one_read(const deepfm::ReaderOptions& reader, const std::string& path,
                           int threads, std::size_t block_bytes) {
  const deepfm::ThreadCountScope scope(threads);
  const deepfm::test::ScratchDir spill("one_read_spill");
  deepfm::EncodeOptions options = reader.encode;
  options.block_bytes = block_bytes;
  Outcome outcome;
  bool told = false;
  try {
    deepfm::EncodeReport report;
    const deepfm::Vocabulary vocabulary = deepfm::encode_training_rows(
        path, deepfm::make_parser_factory(reader), options, spill.path, report,
        [&](const deepfm::Vocabulary& v) {
          told = true;
          outcome.field_dims = v.field_dims();
          for (std::size_t f = 0; f < v.fields(); ++f) {
            const auto values = v.kept_values(f);
            outcome.kept.emplace_back(values.begin(), values.end());
          }
        },
        [&](std::span<const deepfm::FeatureId> ids, std::span<const float> labels) {
          REQUIRE(told);  // the vocabulary comes before the rows
          REQUIRE(ids.size() == labels.size() * outcome.field_dims.size());
          outcome.ids.insert(outcome.ids.end(), ids.begin(), ids.end());
          outcome.labels.insert(outcome.labels.end(), labels.begin(), labels.end());
        });
    CHECK(vocabulary.field_dims() == outcome.field_dims);
    for (std::size_t f = 0; f < vocabulary.fields(); ++f) {
      const auto values = vocabulary.kept_values(f);
      CHECK(outcome.kept.at(f) == std::vector<std::string>(values.begin(), values.end()));
    }
    outcome.rows = report.rows;
    outcome.skipped_lines = report.skipped_lines;
    outcome.examples = report.skipped_examples;
    outcome.first_record_line = report.first_record_line;
    outcome.oov = report.oov_cells;
    CHECK(report.total_cells == report.rows * vocabulary.fields());
  } catch (const deepfm::Error& error) {
    outcome.error = error.what();
  }
  CHECK(spill.entries() == 0);  // the spill file has no name
  return outcome;
}

/// Encodes `path` on 1 thread in one block per line and in whole-file blocks, then on 2 and 3
/// threads in blocks of several sizes, and requires every outcome to be the first's; and the
/// same of encode_training_rows, in one read.
void require_same_everywhere(const deepfm::ReaderOptions& reader, const std::string& path) {
  const Outcome reference = encode(reader, path, 1, std::size_t{1} << 30);
  for (const int threads : {1, 3})
    for (const std::size_t block_bytes : {std::size_t{7}, std::size_t{1} << 30}) {
      CAPTURE(threads, block_bytes);
      Outcome outcome = encode_in_one_read(reader, path, threads, block_bytes);
      outcome.skipped = reference.skipped;
      CHECK(outcome.error == reference.error);
      CHECK(outcome.examples == reference.examples);
      CHECK(outcome == reference);
    }
  for (const int threads : {1, 2, 3})
    for (const std::size_t block_bytes :
         {std::size_t{1}, std::size_t{7}, std::size_t{100}, std::size_t{4096}}) {
      CAPTURE(threads, block_bytes);
      const Outcome outcome = encode(reader, path, threads, block_bytes);
      CHECK(outcome.error == reference.error);
      CHECK(outcome.rows == reference.rows);
      CHECK(outcome.skipped == reference.skipped);
      CHECK(outcome.examples == reference.examples);
      CHECK(outcome == reference);
    }
}

/// `rows` lines of `make(r)`, with every 37th line replaced by `bad(r)` (skippable) and
/// CRLF endings on every 5th; no final newline.
template <typename Make, typename Bad>
std::string lines(std::size_t rows, Make&& make, Bad&& bad) {
  std::string text;
  for (std::size_t r = 0; r < rows; ++r) {
    text += r % 37 == 36 ? bad(r) : make(r);
    if (r + 1 < rows) text += r % 5 == 0 ? "\r\n" : "\n";
  }
  return text;
}

std::string d2l_line(std::size_t r) {
  std::string line = r % 3 == 0 ? "1" : "0";
  for (std::size_t f = 0; f < 4; ++f) line += "\t" + std::to_string((r * (f + 3)) % (5 + f));
  return line;
}

/// d2l-format reader options keeping values seen `min_count` times.
deepfm::ReaderOptions d2l_reader(std::size_t min_count) {
  deepfm::ReaderOptions reader;
  reader.format = Format::d2l;
  reader.encode.min_count = min_count;
  return reader;
}

/// Reads `path` as d2l line by line, the way the encoder did before blocks (LineReader, the
/// parser, VocabularyCounter::add, Vocabulary::encode_row): no blocks, no separator scanner.
Outcome line_by_line(const deepfm::ReaderOptions& reader, const std::string& path) {
  Outcome outcome;
  const auto each_record = [&](const auto& on_record) {
    const std::unique_ptr<deepfm::RecordParser> parser = deepfm::make_parser_factory(reader)();
    deepfm::LineReader lines(path, reader.encode.max_line_bytes);
    deepfm::RawRecord record;
    std::string_view line;
    while (lines.next(line)) {
      try {
        if (parser->parse(line, record)) on_record(record);
      } catch (const deepfm::BadLine& bad) {
        REQUIRE(bad.skippable());
        outcome.skipped.push_back(std::to_string(lines.line_number()) + ": " + bad.what());
      }
    }
  };
  std::unique_ptr<deepfm::VocabularyCounter> counter;
  each_record([&](const deepfm::RawRecord& record) {
    if (!counter) counter = std::make_unique<deepfm::VocabularyCounter>(record.values.size());
    counter->add(record.values);
  });
  REQUIRE(counter != nullptr);
  const deepfm::Vocabulary vocabulary = counter->build(reader.encode.min_count);
  outcome.field_dims = vocabulary.field_dims();
  for (std::size_t f = 0; f < vocabulary.fields(); ++f) {
    const auto values = vocabulary.kept_values(f);
    outcome.kept.emplace_back(values.begin(), values.end());
  }
  outcome.skipped.clear();
  std::vector<deepfm::FeatureId> row(vocabulary.fields());
  each_record([&](const deepfm::RawRecord& record) {
    outcome.oov += vocabulary.encode_row(record.values, row.data());
    outcome.ids.insert(outcome.ids.end(), row.begin(), row.end());
    outcome.labels.push_back(record.label);
    ++outcome.rows;
  });
  return outcome;
}

}  // namespace

TEST_CASE("parallel encoding: the separator scanner reads what the line parser reads",
          "[data][encoder]") {
  // Values of every length around the 15 bytes a key holds (and empty), CRs inside values,
  // CRLF endings, empty lines, lines of another width, no final newline: the scanner takes the
  // well-formed lines, the parser the others.
  const deepfm::test::ScratchDir dir("parallel_encode");
  std::mt19937 random(5);
  const std::string alphabet = "ab0\r x";
  std::vector<std::string> pool;
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string value;
    for (std::size_t i = 0; i < n; ++i) value += alphabet[random() % alphabet.size()];
    pool.push_back(value);
  }
  std::string text;
  for (std::size_t r = 0; r < 3000; ++r) {
    const std::size_t kind = random() % 40;
    if (kind == 0) {
      text += "\n";  // an empty line
      continue;
    }
    const std::size_t fields = kind == 1 ? 4 : 5;  // a line of another width, skipped
    text += random() % 2 == 0 ? "1" : "0";
    for (std::size_t f = 0; f < fields; ++f) text += "\t" + pool[random() % pool.size()];
    text += kind == 2 ? "\r\n" : "\n";
  }
  text += "1\ta\tb\tc\td\t" + std::string(20, 'z');  // the last line, without a newline
  deepfm::ReaderOptions reader = d2l_reader(2);
  reader.fields = 5;
  const std::string path = dir.write("scanned.tsv", text).string();
  Outcome expected = line_by_line(reader, path);
  for (const int threads : {1, 2, 3})
    for (const std::size_t block_bytes : {std::size_t{1}, std::size_t{333}, std::size_t{1} << 20}) {
      CAPTURE(threads, block_bytes);
      Outcome outcome = encode(reader, path, threads, block_bytes);
      REQUIRE(outcome.error.empty());
      // The encoder's skipped messages are the parser's; the reference records the same.
      CHECK(outcome.skipped == expected.skipped);
      CHECK(outcome.kept == expected.kept);
      CHECK(outcome.ids == expected.ids);
      CHECK(outcome.labels == expected.labels);
      CHECK(outcome.rows == expected.rows);
      CHECK(outcome.oov == expected.oov);
    }
}

TEST_CASE("encode_training_rows: one read gives the two passes' ids, rare values included",
          "[data][encoder]") {
  // Values from a long tail: many fall below min_count and take their field's default id,
  // which the first-seen indices must map to as the second pass's lookups do.
  const deepfm::test::ScratchDir dir("parallel_encode");
  std::mt19937 random(9);
  std::string text;
  for (std::size_t r = 0; r < 600; ++r) {
    text += random() % 2 == 0 ? "1" : "0";
    for (std::size_t f = 0; f < 6; ++f)
      text += "\tv" + std::to_string(random() % (1 + random() % (30 + 200 * f)));
    text += "\n";
  }
  const std::string path = dir.write("tail.tsv", text).string();
  // Fields whose spilled indices widen from 1 to 2 and 4 bytes part way through the file.
  std::string wide;
  for (std::size_t r = 0; r < 70000; ++r)
    wide += "1\t" + std::to_string(r) + "\t" + std::to_string(r % 300) + "\n";
  const std::string wide_path = dir.write("wide.tsv", wide).string();
  for (const std::size_t min_count : {std::size_t{1}, std::size_t{2}}) {
    const deepfm::ReaderOptions reader = d2l_reader(min_count);
    CHECK(encode_in_one_read(reader, wide_path, 2, 4096) ==
          encode(reader, wide_path, 1, std::size_t{1} << 30));
  }
  for (const std::size_t min_count : {std::size_t{1}, std::size_t{3}, std::size_t{40}}) {
    CAPTURE(min_count);
    const deepfm::ReaderOptions reader = d2l_reader(min_count);
    const Outcome two_passes = encode(reader, path, 1, std::size_t{1} << 30);
    if (min_count > 1) CHECK(two_passes.oov > 0);
    for (const int threads : {1, 2})
      CHECK(encode_in_one_read(reader, path, threads, 256) == two_passes);
  }
}

TEST_CASE("EncodeOptions::max_memory stops counting once the vocabulary would outgrow it",
          "[data][encoder]") {
  // Every value distinct: the vocabulary grows with every block read.
  const deepfm::test::ScratchDir dir("parallel_encode");
  std::string text;
  for (std::size_t r = 0; r < 20000; ++r) {
    text += r % 2 == 0 ? "1" : "0";
    for (std::size_t f = 0; f < 4; ++f) text += "\t" + std::to_string(r * 4 + f);
    text += "\n";
  }
  const std::string path = dir.write("distinct.tsv", text).string();
  deepfm::ReaderOptions reader = d2l_reader(1);
  const Outcome unlimited = encode(reader, path, 2, 4096);
  REQUIRE(unlimited.error.empty());
  reader.encode.block_bytes = 4096;  // as the helpers below read
  const std::uint64_t buffers = deepfm::batch_memory_bytes(reader.encode, 2);
  // Room for the buffers and some values, not for 80 000 of them.
  reader.encode.max_memory = buffers + 2'000'000;
  for (const int threads : {1, 2}) {
    CAPTURE(threads);
    const std::string limit_error = "the vocabulary outgrows the memory limit of ";
    CHECK(encode(reader, path, threads, 4096).error.find(limit_error) != std::string::npos);
    const std::string one_read = encode_in_one_read(reader, path, threads, 4096).error;
    CHECK(one_read.find(limit_error) != std::string::npos);
    CHECK(one_read.find("distinct values in the first ") != std::string::npos);
  }
  // A limit it stays under changes nothing.
  reader.encode.max_memory = buffers + 100'000'000;
  CHECK(encode(reader, path, 2, 4096) == unlimited);
  CHECK(encode_in_one_read(reader, path, 2, 4096) == unlimited);
}

TEST_CASE("EncodeOptions::on_progress hears each read move through its file to the end",
          "[data][encoder]") {
  const deepfm::test::ScratchDir dir("parallel_encode");
  const std::string text =
      lines(3000, d2l_line, [](std::size_t r) { return d2l_line(r) + "\textra"; });
  for (const std::string& path :
       {dir.write("plain.tsv", text).string(), dir.write_gzip("packed.tsv.gz", text).string()}) {
    CAPTURE(path);
    const std::uint64_t size = std::filesystem::file_size(path);
    deepfm::ReaderOptions reader = d2l_reader(1);
    reader.encode.block_bytes = 2000;
    std::vector<std::uint64_t> done;
    reader.encode.on_progress = [&](const std::string& read, std::uint64_t at,
                                    std::uint64_t total) {
      CHECK(read == path);
      CHECK(total == size);
      CHECK(at <= total);
      done.push_back(at);
    };
    const deepfm::test::ScratchDir spill("progress_spill");
    deepfm::EncodeReport report;
    deepfm::encode_training_rows(
        path, deepfm::make_parser_factory(reader), reader.encode, spill.path, report,
        [](const deepfm::Vocabulary&) {},
        [](std::span<const deepfm::FeatureId>, std::span<const float>) {});
    REQUIRE(done.size() >= 2);
    CHECK(std::is_sorted(done.begin(), done.end()));
    CHECK(done.back() == size);
  }
}

TEST_CASE("parallel encoding: d2l plain and gzip, skipped lines, CRLF, no final newline",
          "[data][encoder]") {
  const deepfm::test::ScratchDir dir("parallel_encode");
  const deepfm::ReaderOptions reader = d2l_reader(2);
  const std::string text =
      lines(400, d2l_line, [](std::size_t r) { return d2l_line(r) + "\textra"; });
  require_same_everywhere(reader, dir.write("train.tsv", text).string());
  require_same_everywhere(reader, dir.write_gzip("train.tsv.gz", text).string());
  // And the figures a one-thread read gives: 400 lines, every 37th skipped.
  const Outcome outcome = encode(reader, dir.write("check.tsv", text).string(), 2, 64);
  CHECK(outcome.rows == 400 - 400 / 37);
  CHECK(outcome.skipped_lines == 400 / 37);
  REQUIRE(outcome.skipped.size() == 400 / 37);
  CHECK(outcome.skipped.front().rfind("37: ", 0) == 0);
  CHECK(outcome.first_record_line == 1);
}

TEST_CASE("parallel encoding: hashing in one read gives the two passes' rows, errors included",
          "[data][encoder]") {
  const deepfm::test::ScratchDir dir("parallel_encode");
  deepfm::ReaderOptions reader = d2l_reader(1);
  reader.encode.hash_buckets = 13;
  const std::string text =
      lines(400, d2l_line, [](std::size_t r) { return d2l_line(r) + "\textra"; });
  require_same_everywhere(reader, dir.write("train.tsv", text).string());
  // A fatal line (a NUL byte) past the first blocks: the same error from every read.
  std::string broken = text;
  broken[broken.size() * 2 / 3] = '\0';
  require_same_everywhere(reader, dir.write("broken.tsv", broken).string());
  const Outcome outcome = encode(reader, dir.write("check.tsv", text).string(), 2, 64);
  CHECK(outcome.rows == 400 - 400 / 37);
  CHECK(outcome.field_dims == std::vector<std::size_t>(4, 13));
}

TEST_CASE("parallel encoding: Criteo, CSV, libsvm and libffm give one-thread results",
          "[data][encoder]") {
  const deepfm::test::ScratchDir dir("parallel_encode");
  SECTION("criteo") {
    deepfm::ReaderOptions reader;
    reader.format = Format::criteo;
    reader.encode.min_count = 1;
    const auto make = [](std::size_t r) {
      std::string line = r % 2 == 0 ? "1" : "0";
      for (std::size_t i = 0; i < 13; ++i)
        line += "\t" + (r % 7 == i ? std::string() : std::to_string((r * (i + 1)) % 40));
      for (std::size_t c = 0; c < 26; ++c) line += "\t" + std::to_string(1000 + (r + c) % 9);
      return line;
    };
    const std::string text = lines(300, make, [](std::size_t) { return std::string("1\t2\t3"); });
    require_same_everywhere(reader, dir.write("train.txt", text).string());
  }
  SECTION("csv, a quoted field cut by a newline ending the file's reading") {
    deepfm::ReaderOptions reader;
    reader.format = Format::csv;
    reader.label_column = "click";
    reader.drop_columns = {"id"};
    reader.encode.min_count = 1;
    const auto make = [](std::size_t r) {
      return std::to_string(r) + "," + (r % 2 ? "1" : "0") + ",\"a," + std::to_string(r % 4) +
             "\"," + std::to_string(r % 3);
    };
    std::string text =
        "id,click,site,app\n" + lines(200, make, [](std::size_t r) { return std::to_string(r); });
    require_same_everywhere(reader, dir.write("train.csv", text).string());
    text += "\n7,1,\"open\n,2\n8,0,x,y";
    const std::string cut = dir.write("cut.csv", text).string();
    require_same_everywhere(reader, cut);
    CHECK(encode(reader, cut, 2, 16).error.find("unterminated quote") != std::string::npos);
  }
  SECTION("libsvm") {
    deepfm::ReaderOptions reader;
    reader.format = Format::libsvm;
    reader.encode.min_count = 1;
    const auto make = [](std::size_t r) {
      return std::string(r % 2 ? "+1" : "-1") + " " + std::to_string(r % 6) + ":1 " +
             std::to_string(10 + r % 4) + " " + std::to_string(20 + r % 3) + ":1";
    };
    const std::string text =
        lines(250, make, [](std::size_t) { return std::string("1 1:1 2:1 3:1 4:1 5:1"); });
    require_same_everywhere(reader, dir.write("train.svm", text).string());
  }
  SECTION("libffm") {
    deepfm::ReaderOptions reader;
    reader.format = Format::libffm;
    reader.fields = 3;
    reader.encode.min_count = 1;
    const auto make = [](std::size_t r) {
      return std::string(r % 2 ? "1" : "0") + " 0:" + std::to_string(r % 5) +
             ":1 2:" + std::to_string(r % 3) + ":1";
    };
    const std::string text =
        lines(250, make, [](std::size_t) { return std::string("1 0:1:1 1:2:1 2:3:1 3:4:1"); });
    require_same_everywhere(reader, dir.write("train.ffm", text).string());
  }
}

TEST_CASE("parallel encoding: the first error is a one-thread read's, wherever blocks fall",
          "[data][encoder]") {
  const deepfm::test::ScratchDir dir("parallel_encode");
  deepfm::ReaderOptions reader = d2l_reader(1);
  SECTION("a bad label after skipped lines") {
    std::string text = lines(120, d2l_line, [](std::size_t) { return std::string("1\t2"); });
    text += "\n2\t1\t1\t1\t1\n" + d2l_line(1);
    const std::string path = dir.write("bad_label.tsv", text).string();
    require_same_everywhere(reader, path);
    CHECK(encode(reader, path, 3, 32).error.find(":121: label must be 0 or 1") !=
          std::string::npos);
  }
  SECTION("a line past the length bound") {
    reader.encode.max_line_bytes = 64;
    std::string text = lines(90, d2l_line, [](std::size_t) { return std::string("0\t1"); });
    text += "\n1\t" + std::string(80, 'x') + "\t1\t1\t1\n" + d2l_line(2);
    const std::string path = dir.write("long.tsv", text).string();
    require_same_everywhere(reader, path);
    CHECK(encode(reader, path, 2, 10).error.find(":91: line longer than 64") != std::string::npos);
  }
  SECTION("strict mode stops at the first skippable line") {
    reader.encode.strict = true;
    const std::string path =
        dir.write("strict.tsv", lines(80, d2l_line, [](std::size_t) { return std::string("1"); }))
            .string();
    require_same_everywhere(reader, path);
    CHECK(encode(reader, path, 2, 8).error.find(":37:") != std::string::npos);
  }
  SECTION("no records at all") {
    const std::string path = dir.write("none.tsv", "1\t2\n\n0\t1\t2\n").string();
    reader.fields = 4;
    require_same_everywhere(reader, path);
    CHECK(encode(reader, path, 2, 1).error.find("no records") != std::string::npos);
  }
}
