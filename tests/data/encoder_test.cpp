// The two-pass encoder with the d2l parser: the golden d2l values, crafted files, bad lines,
// gzip, test files with the training vocabulary, hashing and prediction files.
#include <unistd.h>
#include <zlib.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <deepfm/data/d2l_format.hpp>
#include <deepfm/data/encoder.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/test_data.hpp"

namespace {

namespace fs = std::filesystem;

/// A scratch folder removed when the test ends.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    static std::atomic<int> serial{0};
    path = fs::temp_directory_path() /
           ("deepfm_encoder_" + std::to_string(::getpid()) + "_" + std::to_string(serial++));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path / name, std::ios::binary) << bytes;
    return (path / name).string();
  }
  std::string write_gzip(const std::string& name, const std::string& bytes) const {
    const fs::path file = path / name;
    gzFile out = gzopen(file.c_str(), "wb");
    REQUIRE(out != nullptr);
    REQUIRE(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
    gzclose(out);
    return file.string();
  }
};

deepfm::ParserFactory d2l(std::size_t fields = 0, bool has_label = true) {
  return [=] { return std::make_unique<deepfm::D2lParser>(fields, has_label); };
}

/// Pass 1 and pass 2 over one training file.
struct Encoded {
  deepfm::Vocabulary vocabulary;
  deepfm::EncodedDataset data;
  deepfm::EncodeReport vocabulary_report;
  deepfm::EncodeReport report;
};

Encoded encode_training(const std::string& path, const deepfm::EncodeOptions& options = {}) {
  Encoded out;
  out.vocabulary = deepfm::build_vocabulary(path, d2l(), options, out.vocabulary_report);
  out.data =
      deepfm::encode_file(path, out.vocabulary, d2l(out.vocabulary.fields()), options, out.report);
  return out;
}

/// The message and line of the DataError `run` throws; fails the test when it throws none.
template <typename Run>
deepfm::DataError data_error(Run&& run) {
  try {
    run();
  } catch (const deepfm::DataError& error) {
    return error;
  }
  FAIL("no DataError");
  return deepfm::DataError("", 0, "unreachable");
}

/// A tiny JSON scan for the golden file: the numbers of the first array after `key`, searching
/// from `from` (updated past the array). Enough for flat number arrays; not a JSON parser.
std::vector<double> array_after(const std::string& json, const std::string& key,
                                std::size_t& from) {
  const std::size_t at = json.find("\"" + key + "\"", from);
  REQUIRE(at != std::string::npos);
  const std::size_t open = json.find('[', at);
  const std::size_t close = json.find(']', open);
  REQUIRE(close != std::string::npos);
  std::vector<double> numbers;
  const char* cursor = json.c_str() + open + 1;
  const char* const end = json.c_str() + close;
  while (cursor < end) {
    char* next = nullptr;
    const double value = std::strtod(cursor, &next);
    if (next == cursor) {
      ++cursor;  // a comma or whitespace
      continue;
    }
    numbers.push_back(value);
    cursor = next;
  }
  from = close + 1;
  return numbers;
}

/// The number after `key` (searching from `from`, updated past it).
double number_after(const std::string& json, const std::string& key, std::size_t& from) {
  const std::size_t at = json.find("\"" + key + "\"", from);
  REQUIRE(at != std::string::npos);
  const std::size_t colon = json.find(':', at);
  char* next = nullptr;
  const double value = std::strtod(json.c_str() + colon + 1, &next);
  from = static_cast<std::size_t>(next - json.c_str());
  return value;
}

template <typename T>
std::vector<double> as_doubles(const std::vector<T>& values) {
  return {values.begin(), values.end()};
}

std::vector<double> row(const deepfm::EncodedDataset& data, std::size_t r) {
  const auto begin = data.ids.begin() + static_cast<std::ptrdiff_t>(r * data.fields());
  return {begin, begin + static_cast<std::ptrdiff_t>(data.fields())};
}

const std::string kTrain =  // 3 fields; "a"/"x"/"p" x4, others rarer
    "1\ta\tx\tp\n"
    "0\ta\tx\tp\n"
    "1\ta\tx\tp\n"
    "0\ta\tx\tq\n"
    "1\tb\ty\tp\n"
    "0\tb\ty\tq\n";

}  // namespace

TEST_CASE("Encoder reproduces d2l's golden values on the d2l test split", "[data]") {
  DEEPFM_REQUIRE_DATA_OR_SKIP(csv, "d2l-ctr/test.csv");
  DEEPFM_REQUIRE_DATA_OR_SKIP(golden, "d2l-ctr/test_as_train_expected.json");
  std::ifstream in(golden, std::ios::binary);
  const std::string json{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};

  const auto encoded = encode_training(csv.string(), {.min_count = 4});
  const auto& vocabulary = encoded.vocabulary;
  const auto& data = encoded.data;
  std::size_t at = 0;
  const auto rows = static_cast<std::size_t>(number_after(json, "num_rows", at));
  const auto positives = static_cast<std::size_t>(number_after(json, "num_label_1", at));
  const auto field_dims = array_after(json, "field_dims", at);
  const auto sum_field_dims = static_cast<std::size_t>(number_after(json, "sum_field_dims", at));
  const auto offsets = array_after(json, "offsets", at);
  const auto oov_cells = static_cast<std::size_t>(number_after(json, "oov_cells", at));
  const auto total_cells = static_cast<std::size_t>(number_after(json, "total_cells", at));
  REQUIRE(rows == 3000);  // the scan read the file we think it did
  REQUIRE(field_dims.size() == 34);

  CHECK(vocabulary.fields() == 34);
  CHECK(as_doubles(vocabulary.field_dims()) == field_dims);
  CHECK(as_doubles(vocabulary.offsets()) == offsets);
  CHECK(vocabulary.total_dim() == sum_field_dims);
  CHECK(encoded.vocabulary_report.rows == rows);
  CHECK(encoded.report.rows == rows);
  CHECK(encoded.report.skipped_lines == 0);
  CHECK(encoded.report.oov_cells == oov_cells);
  CHECK(encoded.report.total_cells == total_cells);
  REQUIRE(data.rows() == rows);
  CHECK(data.field_dims == vocabulary.field_dims());
  std::size_t label_1 = 0;
  for (const float label : data.labels) label_1 += label == 1.0f ? 1 : 0;
  CHECK(label_1 == positives);

  // first_records: three {label, x}; then last_record.
  at = json.find("\"first_records\"");
  REQUIRE(at != std::string::npos);
  for (std::size_t r = 0; r < 3; ++r) {
    INFO("record " << r);
    CHECK(data.labels[r] == number_after(json, "label", at));
    CHECK(row(data, r) == array_after(json, "x", at));
  }
  at = json.find("\"last_record\"");
  REQUIRE(at != std::string::npos);
  CHECK(data.labels.back() == number_after(json, "label", at));
  CHECK(row(data, rows - 1) == array_after(json, "x", at));
}

TEST_CASE("Encoder gives identical results for LF, CRLF, no final newline and gzip", "[data]") {
  const ScratchDir dir;
  const auto lf = encode_training(dir.write("lf.csv", kTrain), {.min_count = 2});
  std::string crlf;
  for (const char c : kTrain) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const auto variants = {
      encode_training(dir.write("crlf.csv", crlf), {.min_count = 2}),
      encode_training(dir.write("no_final.csv", crlf.substr(0, crlf.size() - 2)), {.min_count = 2}),
      encode_training(dir.write("no_final_lf.csv", kTrain.substr(0, kTrain.size() - 1)),
                      {.min_count = 2}),
      encode_training(dir.write_gzip("crlf.csv.gz", crlf), {.min_count = 2}),
      encode_training(dir.write_gzip("data.bin", kTrain), {.min_count = 2}),  // no .gz suffix
  };
  // a: 4, b: 2 kept; x: 4, y: 2 kept; p: 4, q: 2 kept.
  CHECK(lf.vocabulary.field_dims() == std::vector<std::size_t>{3, 3, 3});
  CHECK(lf.data.ids ==
        std::vector<deepfm::FeatureId>{0, 3, 6, 0, 3, 6, 0, 3, 6, 0, 3, 7, 1, 4, 6, 1, 4, 7});
  CHECK(lf.data.labels == std::vector<float>{1, 0, 1, 0, 1, 0});
  CHECK(lf.report.oov_cells == 0);
  for (const auto& variant : variants) {
    CHECK(variant.vocabulary.field_dims() == lf.vocabulary.field_dims());
    CHECK(variant.data.ids == lf.data.ids);
    CHECK(variant.data.labels == lf.data.labels);
    CHECK(variant.report.rows == 6);
    CHECK(variant.report.skipped_lines == 0);
  }
}

TEST_CASE("Encoder ignores empty lines without counting them", "[data]") {
  const ScratchDir dir;
  const auto plain = encode_training(dir.write("plain.csv", kTrain));
  const auto spaced = encode_training(dir.write("spaced.csv", "\n\r\n" + kTrain + "\n\n\r\n"));
  CHECK(spaced.data.ids == plain.data.ids);
  CHECK(spaced.data.labels == plain.data.labels);
  CHECK(spaced.report.skipped_lines == 0);
  CHECK(spaced.vocabulary_report.skipped_lines == 0);
  // With min_count 4 only a, x and p are kept.
  CHECK(plain.vocabulary.field_dims() == std::vector<std::size_t>{2, 2, 2});
  CHECK(plain.report.oov_cells == 2 + 2 + 2);
  CHECK(plain.report.total_cells == 18);
}

TEST_CASE("Encoder counts wrong field counts as skipped lines with file and line", "[data]") {
  const ScratchDir dir;
  const std::string text =
      "1\ta\tx\tp\n"
      "0\ta\tx\n"            // line 2: too few
      "\n"                   // line 3: empty, ignored
      "1\ta\tx\tp\textra\n"  // line 4: too many
      "0\ta\ty\tq\n";
  const auto path = dir.write("ragged.csv", text);
  const auto encoded = encode_training(path, {.min_count = 1});
  for (const auto* report : {&encoded.vocabulary_report, &encoded.report}) {
    CHECK(report->rows == 2);
    CHECK(report->skipped_lines == 2);
    CHECK(
        report->skipped_examples ==
        std::vector<std::string>{path + ":2: expected 4 fields (label + 3 categorical), found 3",
                                 path + ":4: expected 4 fields (label + 3 categorical), found 5"});
  }
  CHECK(encoded.data.rows() == 2);
  CHECK(encoded.data.labels == std::vector<float>{1, 0});

  // Only the first max_reported_lines are quoted; all are counted.
  std::string many = "1\ta\tb\n";
  for (int i = 0; i < 10; ++i) many += "1\ta\n";
  deepfm::EncodeReport report;
  deepfm::build_vocabulary(dir.write("many.csv", many), d2l(), {.max_reported_lines = 3}, report);
  CHECK(report.skipped_lines == 10);
  CHECK(report.skipped_examples.size() == 3);

  // Strict mode: the first wrong line is an error with its file and line.
  for (const bool vocabulary_pass : {true, false}) {
    const deepfm::EncodeOptions strict{.strict = true};
    const auto error = data_error([&] {
      if (vocabulary_pass) {
        deepfm::build_vocabulary(path, d2l(), strict, report);
      } else {
        deepfm::encode_file(path, encoded.vocabulary, d2l(3), strict, report);
      }
    });
    CHECK(error.file() == path);
    CHECK(error.line() == 2);
    CHECK(std::string(error.what()) ==
          path + ":2: expected 4 fields (label + 3 categorical), found 3");
  }
}

TEST_CASE("Encoder reports a label other than 0 or 1 as a DataError with file and line", "[data]") {
  const ScratchDir dir;
  const auto path = dir.write("label.csv", "1\ta\r\n0\tb\r\n2\tc\r\n");
  deepfm::EncodeReport report;
  const auto error = data_error([&] { deepfm::build_vocabulary(path, d2l(), {}, report); });
  CHECK(error.file() == path);
  CHECK(error.line() == 3);
  CHECK(std::string(error.what()) == path + ":3: label must be 0 or 1, found '2'");
  // Not skippable, so not even lenient mode passes over it.
  const auto vocabulary = deepfm::Vocabulary::from_kept_values({{"a"}}, 1);
  CHECK(data_error([&] { deepfm::encode_file(path, vocabulary, d2l(1), {}, report); }).line() == 3);
}

TEST_CASE("Encoder refuses a file without records", "[data]") {
  const ScratchDir dir;
  const auto vocabulary = deepfm::Vocabulary::from_kept_values({{"a"}}, 1);
  deepfm::EncodeReport report;
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"empty.csv", ""}, {"blank.csv", "\n\r\n\n"}}) {
    const auto path = dir.write(name, text);
    const auto error = data_error([&] { deepfm::build_vocabulary(path, d2l(), {}, report); });
    CHECK(error.line() == 0);
    CHECK(std::string(error.what()) == path + ": no records");
    CHECK(data_error([&] { deepfm::encode_file(path, vocabulary, d2l(1), {}, report); }).what() ==
          path + ": no records");
    CHECK(data_error([&] {
            deepfm::build_vocabulary(path, d2l(), {.hash_buckets = 8}, report);
          }).what() == path + ": no records");
  }
  const auto bad_only = dir.write("bad_only.csv", "1\ta\tb\n");
  CHECK(data_error([&] { deepfm::encode_file(bad_only, vocabulary, d2l(1), {}, report); }).what() ==
        bad_only + ": no records (1 bad lines skipped; the first: " + bad_only +
            ":1: expected 2 fields (label + 1 categorical), found 3)");
  CHECK(data_error([&] {
          deepfm::build_vocabulary(dir.path.string() + "/missing.csv", d2l(), {}, report);
        }).line() == 0);
}

TEST_CASE("Encoder encodes a test file with the training vocabulary and counts OOV", "[data]") {
  const ScratchDir dir;
  const auto train = encode_training(dir.write("train.csv", kTrain), {.min_count = 2});
  const auto test_path = dir.write("test.csv",
                                   "0\tb\ty\tq\n"
                                   "1\tnew\tx\tp\n"        // one unseen value
                                   "1\ta\tx\n"             // other width: skipped
                                   "0\tnew\tnewer\tnew\n"  // three unseen values
                                   "1\t\t\t\n");           // empty values are unseen too
  deepfm::EncodeReport report;
  const auto test =
      deepfm::encode_file(test_path, train.vocabulary, d2l(train.vocabulary.fields()), {}, report);
  CHECK(report.rows == 4);
  CHECK(report.skipped_lines == 1);
  CHECK(report.skipped_examples ==
        std::vector<std::string>{test_path +
                                 ":3: expected 4 fields (label + 3 categorical), found 3"});
  CHECK(report.oov_cells == 1 + 3 + 3);
  CHECK(report.total_cells == 12);
  CHECK(test.field_dims == train.vocabulary.field_dims());
  CHECK(test.ids == std::vector<deepfm::FeatureId>{1, 4, 7, 2, 3, 6, 2, 5, 8, 2, 5, 8});
  CHECK(test.labels == std::vector<float>{0, 1, 0, 1});

  // A parser left to infer the width learns it from the test file's first line; the
  // encoder still holds every record to the vocabulary's width.
  const auto narrow = dir.write("narrow.csv", "1\ta\tx\n0\ta\tx\tp\n");
  const auto error = data_error(
      [&] { deepfm::encode_file(narrow, train.vocabulary, d2l(), {.strict = true}, report); });
  CHECK(std::string(error.what()) == narrow + ":1: expected 3 fields as in training, found 2");
  CHECK(data_error([&] {
          deepfm::encode_file(narrow, train.vocabulary, d2l(), {}, report);
        }).what() == narrow + ": no records (2 bad lines skipped; the first: " + narrow +
                         ":1: expected 3 fields as in training, found 2)");
}

TEST_CASE("Encoder hashing mode needs no vocabulary pass", "[data]") {
  const ScratchDir dir;
  const auto path = dir.write("train.csv", kTrain);
  const deepfm::EncodeOptions options{.hash_buckets = 16};
  const auto first = encode_training(path, options);
  const auto second = encode_training(dir.write_gzip("train.csv.gz", kTrain), options);
  CHECK(first.vocabulary.is_hashing());
  CHECK(first.vocabulary.field_dims() == std::vector<std::size_t>{16, 16, 16});
  CHECK(first.vocabulary_report.rows == 1);  // only the first record, for the field count
  CHECK(first.report.rows == 6);
  CHECK(first.report.oov_cells == 0);
  CHECK(first.data.ids == second.data.ids);  // deterministic
  for (std::size_t r = 0; r < first.data.rows(); ++r) {
    for (std::size_t f = 0; f < 3; ++f) {
      const auto id = first.data.ids[r * 3 + f];
      CHECK(id >= f * 16);
      CHECK(id < (f + 1) * 16);
    }
  }
  // The first row holds a, x, p.
  CHECK(row(first.data, 0) ==
        std::vector<double>{static_cast<double>(deepfm::hash_feature(0, "a") % 16),
                            static_cast<double>(16 + deepfm::hash_feature(1, "x") % 16),
                            static_cast<double>(32 + deepfm::hash_feature(2, "p") % 16)});
}

TEST_CASE("Encoder with min_count 1 keeps every training value", "[data]") {
  const ScratchDir dir;
  const auto encoded = encode_training(dir.write("train.csv", kTrain), {.min_count = 1});
  CHECK(encoded.vocabulary.field_dims() == std::vector<std::size_t>{3, 3, 3});
  CHECK(encoded.vocabulary.min_count() == 1);
  CHECK(encoded.report.oov_cells == 0);
  CHECK(encoded.report.total_cells == 18);
}

TEST_CASE("Encoder reads prediction files without labels", "[data]") {
  const ScratchDir dir;
  const auto train = encode_training(dir.write("train.csv", kTrain), {.min_count = 2});
  const auto labelled = dir.write("labelled.csv", "1\tb\ty\tq\n0\ta\tnew\tp\n");
  const auto unlabelled = dir.write("unlabelled.csv", "b\ty\tq\r\na\tnew\tp\r\na\tb\r\n");
  deepfm::EncodeReport with_labels;
  deepfm::EncodeReport without_labels;
  const auto expected = deepfm::encode_file(labelled, train.vocabulary, d2l(3), {}, with_labels);
  const auto predicted =
      deepfm::encode_file(unlabelled, train.vocabulary, d2l(3, false), {}, without_labels);
  CHECK(predicted.ids == expected.ids);
  CHECK(predicted.labels == std::vector<float>{0, 0});
  CHECK(without_labels.oov_cells == with_labels.oov_cells);
  CHECK(without_labels.skipped_examples ==
        std::vector<std::string>{unlabelled + ":3: expected 3 fields (no label column), found 2"});
}

TEST_CASE("Encoder streams rows to a callback in file order", "[data]") {
  const ScratchDir dir;
  const auto path = dir.write("train.csv", kTrain);
  const auto encoded = encode_training(path);
  std::vector<deepfm::FeatureId> ids;
  std::vector<float> labels;
  deepfm::EncodeReport report;
  deepfm::encode_rows(path, encoded.vocabulary, d2l(3), {}, report,
                      [&](std::span<const deepfm::FeatureId> row_ids, float label) {
                        REQUIRE(row_ids.size() == 3);
                        ids.insert(ids.end(), row_ids.begin(), row_ids.end());
                        labels.push_back(label);
                      });
  CHECK(ids == encoded.data.ids);
  CHECK(labels == encoded.data.labels);
  CHECK(report.rows == encoded.report.rows);
  CHECK(report.oov_cells == encoded.report.oov_cells);
}

TEST_CASE("Encoder hands each skipped line to on_skipped in file order between the rows",
          "[data]") {
  const ScratchDir dir;
  const auto train = encode_training(dir.write("train.csv", kTrain), {.min_count = 1});
  // Bad lines first, in the middle (with an empty line, which is no row), and last.
  const auto path = dir.write("mixed.csv",
                              "1\ta\n"           // 1: too few
                              "0\ta\tx\tp\n"     // 2
                              "1\tb\ty\tq\tz\n"  // 3: too many
                              "\n"               // 4: empty, ignored
                              "0\tb\ty\tq\n"     // 5
                              "1\ta\tx\tp\n"     // 6
                              "0\tb\n");         // 7: too few
  std::vector<std::string> events;
  const deepfm::RowCallback on_row = [&](std::span<const deepfm::FeatureId>, float label) {
    events.push_back(label == 1 ? "row1" : "row0");
  };
  const deepfm::SkippedLineCallback on_skipped = [&](std::size_t line, const std::string& why) {
    events.push_back(std::to_string(line) + ": " + why);
  };
  deepfm::EncodeReport report;
  deepfm::encode_rows(path, train.vocabulary, d2l(3), {}, report, on_row, on_skipped);
  CHECK(events ==
        std::vector<std::string>{"1: expected 4 fields (label + 3 categorical), found 2", "row0",
                                 "3: expected 4 fields (label + 3 categorical), found 5", "row0",
                                 "row1", "7: expected 4 fields (label + 3 categorical), found 2"});
  CHECK(report.rows == 3);
  CHECK(report.skipped_lines == 3);

  // Strict: the first bad line is an error, and nothing is reported as skipped.
  events.clear();
  CHECK(data_error([&] {
          deepfm::encode_rows(path, train.vocabulary, d2l(3), {.strict = true}, report, on_row,
                              on_skipped);
        }).line() == 1);
  CHECK(events.empty());

  // A bad line that cannot be skipped (a label of 2) stops the pass: no later line is heard of.
  const auto bad_label = dir.write("bad_label.csv", "1\ta\n0\ta\tx\tp\n2\ta\tx\tp\n1\ta\n");
  events.clear();
  CHECK(data_error([&] {
          deepfm::encode_rows(bad_label, train.vocabulary, d2l(3), {}, report, on_row, on_skipped);
        }).line() == 3);
  CHECK(events ==
        std::vector<std::string>{"1: expected 4 fields (label + 3 categorical), found 2", "row0"});
}
