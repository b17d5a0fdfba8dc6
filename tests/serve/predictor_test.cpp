// serve/predictor.hpp: scoring raw rows with a saved model, from many threads; files with or
// without the label column.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <deepfm/data/synthetic.hpp>
#include <deepfm/serve/predictor.hpp>
#include <deepfm/train/fit.hpp>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/scratch_dir.hpp"

namespace {

/// A d2l-format training file of 3 fields and a trained DeepFM saved from it.
struct SavedModel {
  deepfm::test::ScratchDir dir{"predictor"};
  std::filesystem::path model_path = dir.path / "model.dfm";
  std::filesystem::path labelled = dir.path / "rows.tsv";
  std::filesystem::path unlabelled = dir.path / "rows_nolabel.tsv";
  std::vector<std::string> values;  ///< rows x 3 raw values of the labelled file

  SavedModel() {
    std::ofstream with(labelled), without(unlabelled);
    for (int r = 0; r < 400; ++r) {
      const std::string a = std::to_string(r % 7), b = "x" + std::to_string(r % 5),
                        c = std::to_string((r * 31) % 11);
      const int label = (r % 7 + r % 5) % 3 == 0 ? 1 : 0;
      with << label << '\t' << a << '\t' << b << '\t' << c << '\n';
      without << a << '\t' << b << '\t' << c << '\n';
      values.insert(values.end(), {a, b, c});
    }
    with.close();
    without.close();
    deepfm::ReaderOptions reader;  // d2l, min count 4
    deepfm::EncodeReport report;
    const deepfm::Vocabulary vocabulary = deepfm::build_vocabulary(
        labelled.string(), deepfm::make_parser_factory(reader), reader.encode, report);
    const deepfm::EncodedDataset data =
        deepfm::encode_file(labelled.string(), vocabulary, deepfm::make_parser_factory(reader, 3),
                            reader.encode, report);
    deepfm::ModelSpec spec = deepfm::ModelSpec::defaults(deepfm::ModelKind::deepfm);
    spec.field_dims = vocabulary.field_dims();
    spec.factors = 4;
    auto model = deepfm::make_model<float>(spec);
    deepfm::fit(*model, deepfm::Batch{data.ids, data.labels, 3}, {.epochs = 3, .batch_size = 32});
    deepfm::save_model_file<float>(model_path, *model, spec, reader, vocabulary);
  }
};

}  // namespace

TEST_CASE("Predictor scores raw rows like the model scores their ids", "[train][predictor]") {
  const SavedModel saved;
  const deepfm::Predictor<float> predictor(saved.model_path);
  REQUIRE(predictor.fields() == 3);
  std::vector<std::string_view> views(saved.values.begin(), saved.values.end());
  const std::vector<float> rows = predictor.predict_rows(views);
  REQUIRE(rows.size() == 400);
  CHECK(predictor.predict({"3", "x1", "5"}) ==
        predictor.predict_rows(std::vector<std::string_view>{"3", "x1", "5"})[0]);
  // An unseen value takes its field's default id, like any rare value.
  CHECK(predictor.predict({"never", "x1", "5"}) == predictor.predict({"seen-nowhere", "x1", "5"}));
  CHECK_THROWS_AS(predictor.predict({"1", "2"}), deepfm::InvalidArgument);

  std::vector<float> from_file;
  const auto report =
      predictor.score_file(saved.labelled.string(), deepfm::LabelColumn::detect,
                           [&](std::span<const float> logits, std::span<const float> labels) {
                             CHECK(labels.size() == logits.size());
                             for (float z : logits)
                               from_file.push_back(deepfm::kernels::sigmoid(z));
                           });
  CHECK(report.rows == 400);
  CHECK(from_file == rows);
}

TEST_CASE("Predictor reads files with or without the label column", "[train][predictor]") {
  const SavedModel saved;
  const deepfm::Predictor<float> predictor(saved.model_path);
  CHECK(predictor.file_has_label(saved.labelled.string()));
  CHECK_FALSE(predictor.file_has_label(saved.unlabelled.string()));
  std::vector<float> with, without;
  predictor.score_file(saved.labelled.string(), deepfm::LabelColumn::detect,
                       [&](std::span<const float> z, std::span<const float>) {
                         with.insert(with.end(), z.begin(), z.end());
                       });
  predictor.score_file(saved.unlabelled.string(), deepfm::LabelColumn::detect,
                       [&](std::span<const float> z, std::span<const float> labels) {
                         CHECK(labels.empty());
                         without.insert(without.end(), z.begin(), z.end());
                       });
  CHECK(with == without);
  const deepfm::Metrics metrics = predictor.evaluate_file(saved.labelled.string());
  CHECK(metrics.rows == 400);
  REQUIRE(metrics.auc.has_value());
  CHECK(*metrics.auc > 0.6);
  CHECK_THROWS_AS(predictor.evaluate_file(saved.unlabelled.string()), deepfm::DataError);
}

TEST_CASE("Predictor from 4 threads gives the same results as from one", "[train][predictor]") {
  const SavedModel saved;
  const deepfm::Predictor<float> predictor(saved.model_path);
  std::vector<std::string_view> views(saved.values.begin(), saved.values.end());
  std::vector<float> single;
  for (std::size_t r = 0; r < 400; ++r)
    single.push_back(predictor.predict(std::span<const std::string_view>(views).subspan(r * 3, 3)));
  std::vector<std::vector<float>> per_thread(4, std::vector<float>(400));
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 20; ++repeat)
        for (std::size_t r = 0; r < 400; ++r)
          per_thread[t][r] =
              predictor.predict(std::span<const std::string_view>(views).subspan(r * 3, 3));
    });
  for (auto& thread : threads) thread.join();
  for (const auto& results : per_thread)
    CHECK(std::memcmp(results.data(), single.data(), 400 * sizeof(float)) == 0);
}

TEST_CASE("Predictor keeps bytes that are not UTF-8 as opaque values", "[train][predictor]") {
  // Category values are bytes, not text: invalid UTF-8 (0xFF, an overlong '/', a surrogate
  // half, a lone continuation byte, a cut sequence, Latin-1) is kept byte for byte through
  // encoding and the model file, and distinct bytes stay distinct categories.
  const deepfm::test::ScratchDir dir("predictor_bytes");
  const std::vector<std::string> odd = {"\xff\xfe", "\xc0\xaf", "\xed\xa0\x80", "\x80",
                                        "\xe2\x82", "caf\xe9",  "cafe"};
  std::string text;
  for (std::size_t r = 0; r < 3 * odd.size(); ++r)
    text += std::string(r % 2 ? "1" : "0") + '\t' + odd[r % odd.size()] + '\t' +
            odd[(r + 3) % odd.size()] + '\n';
  const auto path = dir.write("bytes.tsv", text).string();
  deepfm::ReaderOptions reader;
  reader.encode.min_count = 1;
  deepfm::EncodeReport report;
  const deepfm::Vocabulary vocabulary =
      deepfm::build_vocabulary(path, deepfm::make_parser_factory(reader), reader.encode, report);
  REQUIRE(vocabulary.field_dims() == std::vector<std::size_t>{odd.size() + 1, odd.size() + 1});
  const deepfm::EncodedDataset data = deepfm::encode_file(
      path, vocabulary, deepfm::make_parser_factory(reader, 2), reader.encode, report);
  CHECK(report.oov_cells == 0);

  deepfm::ModelSpec spec = deepfm::ModelSpec::defaults(deepfm::ModelKind::fm);
  spec.field_dims = vocabulary.field_dims();
  spec.factors = 3;
  auto model = deepfm::make_model<float>(spec);
  deepfm::fit(*model, deepfm::Batch{data.ids, data.labels, 2}, {.epochs = 2, .batch_size = 4});
  const auto model_path = dir.path / "bytes.dfm";
  deepfm::save_model_file<float>(model_path, *model, spec, reader, vocabulary);

  const deepfm::Predictor<float> predictor(model_path);
  for (std::size_t f = 0; f < 2; ++f)
    for (const std::string& value : odd) {
      CAPTURE(f, value);
      CHECK(predictor.vocabulary().encode(f, value) == vocabulary.encode(f, value));
    }
  std::vector<float> from_file;
  predictor.score_file(path, deepfm::LabelColumn::present,
                       [&](std::span<const float> logits, std::span<const float>) {
                         from_file.insert(from_file.end(), logits.begin(), logits.end());
                       });
  std::vector<float> expected(data.labels.size());
  model->predict_logits(data.ids, expected);
  CHECK(from_file == expected);
}

TEST_CASE("Predictor given rows of another field count names the first of them",
          "[train][predictor]") {
  // A model of 3 fields and a file of 5: every line is the wrong width for the model, so
  // nothing is scored, and the error says why instead of reading as an empty file.
  const SavedModel saved;
  const deepfm::Predictor<float> predictor(saved.model_path);
  const auto wide = saved.dir.write("wide.tsv", "1\ta\tb\tc\td\te\n0\ta\tb\tc\td\te\n").string();
  // Detecting the label column already finds that no row fits either way, and names line 1.
  CHECK_THROWS_WITH(
      predictor.score_file(wide, deepfm::LabelColumn::detect,
                           [](std::span<const float>, std::span<const float>) {}),
      wide +
          ":1: fits the model neither with the label column (expected 4 fields (label + 3 "
          "categorical), found 6) nor without it (expected 3 fields (no label column), found "
          "6); nor does any other of the first 2 rows");
  for (const deepfm::LabelColumn label :
       {deepfm::LabelColumn::present, deepfm::LabelColumn::absent}) {
    try {
      predictor.score_file(wide, label, [](std::span<const float>, std::span<const float>) {});
      FAIL("scored rows of 5 fields with a model of 3");
    } catch (const deepfm::DataError& error) {
      CHECK(error.file() == wide);
      CHECK(error.line() == 0);
      const std::string first = wide + ":1: expected ";
      CHECK_THAT(
          error.what(),
          Catch::StartsWith(wide + ": no records (2 bad lines skipped; the first: " + first) &&
              Catch::EndsWith(" found 6)"));
    }
  }
  CHECK_THROWS_WITH(
      predictor.evaluate_file(wide),
      Catch::Contains(wide + ":1: expected 4 fields (label + 3 categorical), found 6"));
}

namespace {

/// A model trained (briefly) on `text` read with `reader`, saved as `name` in `dir`.
std::filesystem::path save_model_for(const deepfm::test::ScratchDir& dir, const std::string& name,
                                     const std::string& text, deepfm::ReaderOptions reader) {
  const std::string data = dir.write(name + ".train", text).string();
  deepfm::EncodeReport report;
  const deepfm::Vocabulary vocabulary =
      deepfm::build_vocabulary(data, deepfm::make_parser_factory(reader), reader.encode, report);
  const deepfm::EncodedDataset encoded = deepfm::encode_file(
      data, vocabulary, deepfm::make_parser_factory(reader, vocabulary.fields()), reader.encode,
      report);
  deepfm::ModelSpec spec = deepfm::ModelSpec::defaults(deepfm::ModelKind::fm);
  spec.field_dims = vocabulary.field_dims();
  spec.factors = 2;
  auto model = deepfm::make_model<float>(spec);
  deepfm::fit(*model, deepfm::Batch{encoded.ids, encoded.labels, vocabulary.fields()},
              {.epochs = 1, .batch_size = 4});
  const std::filesystem::path path = dir.path / (name + ".dfm");
  deepfm::save_model_file<float>(path, *model, spec, reader, vocabulary);
  return path;
}

void ignore_chunk(std::span<const float>, std::span<const float>) {}

/// What score_file handed on, in its order: "p" per scored row, "skip@LINE" per skipped line.
struct ScoredEvents {
  std::vector<std::string> events;
  std::vector<float> logits;  ///< of the scored rows
  deepfm::EncodeReport report;
};

ScoredEvents score_with_events(const deepfm::Predictor<float>& predictor, const std::string& path,
                               deepfm::ScoreFileOptions options) {
  ScoredEvents out;
  options.on_skipped = [&](std::size_t line, const std::string& message) {
    CHECK_FALSE(message.empty());
    out.events.push_back("skip@" + std::to_string(line));
  };
  out.report =
      predictor.score_file(path, options, [&](std::span<const float> z, std::span<const float>) {
        for (const float logit : z) {
          out.events.push_back("p");
          out.logits.push_back(logit);
        }
      });
  return out;
}

/// A file of `lines` lines: the rows of a SavedModel (`values`, 3 per row, cycled), with a
/// line that fits the model neither with nor without the label column at each line of `bad`.
struct RowsWithBadLines {
  std::string text;
  std::vector<std::string> expected_events;  ///< as ScoredEvents::events
  std::vector<std::size_t> rows;             ///< the SavedModel row of each good line
};

RowsWithBadLines rows_with_bad_lines(const std::vector<std::string>& values, std::size_t lines,
                                     const std::vector<std::size_t>& bad, bool with_label = true) {
  RowsWithBadLines out;
  const std::size_t row_count = values.size() / 3;
  for (std::size_t line = 1, row = 0; line <= lines; ++line) {
    if (std::find(bad.begin(), bad.end(), line) != bad.end()) {
      out.text += with_label ? "1\tonly\n" : "a\tb\tc\td\te\n";
      out.expected_events.push_back("skip@" + std::to_string(line));
      continue;
    }
    const std::size_t r = row++ % row_count;
    out.text += (with_label ? "0\t" : "") + values[3 * r] + '\t' + values[3 * r + 1] + '\t' +
                values[3 * r + 2] + '\n';
    out.expected_events.push_back("p");
    out.rows.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("Predictor hands skipped lines on in file order between the scored rows",
          "[train][predictor]") {
  // Bad lines at the start, in the middle, at the end, and around the chunk boundaries
  // (score_file scores 4096 rows at a time): each input row gives one event, in file order.
  const SavedModel saved;
  const deepfm::Predictor<float> predictor(saved.model_path);
  const std::vector<std::string_view> views(saved.values.begin(), saved.values.end());
  const std::vector<float> expected = [&] {
    std::vector<deepfm::FeatureId> ids(views.size());
    for (std::size_t at = 0; at < views.size(); at += 3)
      predictor.encode(std::span(views).subspan(at, 3), std::span(ids).subspan(at, 3));
    std::vector<float> logits(views.size() / 3);
    predictor.model().predict_logits(ids, logits);
    return logits;
  }();
  struct Case {
    std::size_t lines;
    std::vector<std::size_t> bad;
  };
  for (const Case& c : std::vector<Case>{{12, {1, 2}},
                                         {12, {6}},
                                         {12, {12}},
                                         {12, {1, 6, 7, 12}},
                                         {9000, {1, 4096, 4097, 4098, 8193, 9000}}}) {
    for (const bool with_label : {true, false}) {
      CAPTURE(c.lines, c.bad, with_label);
      const RowsWithBadLines file = rows_with_bad_lines(saved.values, c.lines, c.bad, with_label);
      const std::string path = saved.dir.write("mixed.tsv", file.text).string();
      const ScoredEvents scored = score_with_events(predictor, path, {});
      CHECK(scored.events == file.expected_events);
      CHECK(scored.report.rows == c.lines - c.bad.size());
      CHECK(scored.report.skipped_lines == c.bad.size());
      REQUIRE(scored.logits.size() == file.rows.size());
      for (std::size_t i = 0; i < file.rows.size(); ++i)
        REQUIRE(scored.logits[i] == expected[file.rows[i]]);
      // Without the hook the same rows are scored, and the skipped ones counted.
      std::size_t scored_rows = 0;
      const deepfm::EncodeReport plain = predictor.score_file(
          path, deepfm::LabelColumn::detect,
          [&](std::span<const float> z, std::span<const float>) { scored_rows += z.size(); });
      CHECK(scored_rows == file.rows.size());
      CHECK(plain.skipped_lines == c.bad.size());
    }
  }
}

TEST_CASE("Predictor strict scoring makes a skipped line an error naming it",
          "[train][predictor]") {
  const SavedModel saved;
  const deepfm::Predictor<float> predictor(saved.model_path);
  const std::string path =
      saved.dir.write("strict.tsv", rows_with_bad_lines(saved.values, 8, {5, 7}).text).string();
  std::size_t skipped = 0;
  const auto count = [&](std::size_t, const std::string&) { ++skipped; };
  try {
    predictor.score_file(
        path, {.label = deepfm::LabelColumn::present, .strict = true, .on_skipped = count},
        ignore_chunk);
    FAIL("strict scoring passed over a bad line");
  } catch (const deepfm::DataError& error) {
    CHECK(error.file() == path);
    CHECK(error.line() == 5);
    CHECK_THAT(error.what(), Catch::StartsWith(path + ":5: expected 4 fields"));
  }
  CHECK(skipped == 0);
  // Not strict, the same file scores with both lines skipped.
  CHECK(predictor.score_file(path, {.on_skipped = count}, ignore_chunk).skipped_lines == 2);
  CHECK(skipped == 2);
}

TEST_CASE("Predictor keeps a bad label an error, not a skipped row", "[train][predictor]") {
  // A label other than 0 or 1 means the wrong file: scoring stops there (the skippable line
  // after it is never reached).
  const SavedModel saved;
  const deepfm::Predictor<float> predictor(saved.model_path);
  const std::string path = saved.dir
                               .write("label7.tsv", rows_with_bad_lines(saved.values, 6, {}).text +
                                                        "7\t1\tx1\t3\n1\tonly\n")
                               .string();
  for (const deepfm::LabelColumn label :
       {deepfm::LabelColumn::detect, deepfm::LabelColumn::present}) {
    std::size_t skipped = 0;
    const auto count = [&](std::size_t, const std::string&) { ++skipped; };
    CHECK_THROWS_WITH(
        predictor.score_file(path, {.label = label, .on_skipped = count}, ignore_chunk),
        Catch::StartsWith(path + ":7: label must be 0 or 1"));
    CHECK(skipped == 0);
  }
}

TEST_CASE("Predictor label detection follows most of the first rows, not the first",
          "[train][predictor]") {
  const SavedModel saved;
  const deepfm::Predictor<float> predictor(saved.model_path);
  const auto file = [&](const std::string& name, const std::string& text) {
    return saved.dir.write(name, text).string();
  };
  const auto rows = [&](std::size_t lines, const std::vector<std::size_t>& bad,
                        bool with_label = true) {
    return rows_with_bad_lines(saved.values, lines, bad, with_label).text;
  };
  // Labelled rows with bad lines first, in the middle and last: labelled.
  CHECK(predictor.file_has_label(file("bad_first.tsv", rows(20, {1}))));
  CHECK(predictor.file_has_label(file("bad_spread.tsv", rows(600, {1, 2, 300, 301, 599, 600}))));
  // Unlabelled rows with bad lines: unlabelled, and a labelled line first does not tip it.
  CHECK_FALSE(predictor.file_has_label(file("unlabelled_bad.tsv", rows(20, {1, 10}, false))));
  CHECK_FALSE(predictor.file_has_label(
      file("unlabelled_one_labelled.tsv", "1\t1\tx1\t3\n" + rows(20, {}, false))));
  // Only the first 1000 rows vote: 1000 unlabelled rows, then 1500 labelled ones.
  CHECK_FALSE(predictor.file_has_label(file("late.tsv", rows(1000, {}, false) + rows(1500, {}))));
  // Empty lines are no rows and do not vote.
  CHECK(predictor.file_has_label(file("spaced.tsv", "\n\n1\tonly\n\n0\t1\tx1\t3\n")));

  // The case that failed: 10 bad lines among 600, one on line 1. Detected as labelled, 590
  // rows are scored and 10 skipped, in order.
  const std::vector<std::size_t> bad = {1, 50, 51, 100, 200, 300, 400, 500, 599, 600};
  const RowsWithBadLines mixed = rows_with_bad_lines(saved.values, 600, bad);
  const ScoredEvents scored = score_with_events(predictor, file("mixed600.tsv", mixed.text), {});
  CHECK(scored.report.rows == 590);
  CHECK(scored.report.skipped_lines == 10);
  CHECK(scored.events == mixed.expected_events);
}

TEST_CASE("Predictor label detection refuses to guess on a tie", "[train][predictor]") {
  const SavedModel saved;
  const deepfm::Predictor<float> predictor(saved.model_path);
  // Two rows fit with the label column, two without, one neither way: say which.
  const std::string tie =
      saved.dir.write("tie.tsv", "1\t1\tx1\t3\n1\tx1\t3\n0\t2\tx2\t4\n2\tx2\t4\nonly\ttwo\n")
          .string();
  CHECK_THROWS_AS(predictor.file_has_label(tie), deepfm::InvalidArgument);
  CHECK_THROWS_WITH(predictor.file_has_label(tie),
                    tie +
                        ": cannot tell whether its rows start with the label column: 2 of its "
                        "first 5 rows fit the model read with it, as many read without it; "
                        "pass --label yes or --label no");
  CHECK_THROWS_AS(predictor.score_file(tie, deepfm::LabelColumn::detect, ignore_chunk),
                  deepfm::InvalidArgument);
  // Told which, it scores the rows that fit and skips the others.
  const ScoredEvents scored =
      score_with_events(predictor, tie, {.label = deepfm::LabelColumn::absent});
  CHECK(scored.events == std::vector<std::string>{"skip@1", "p", "skip@3", "p", "skip@5"});
}

TEST_CASE("Predictor label detection names a wrong line when no row fits either way",
          "[train][predictor]") {
  const SavedModel saved;
  const deepfm::Predictor<float> predictor(saved.model_path);
  // The first row (line 3, after two empty lines) fits neither way, nor does any other.
  const std::string none =
      saved.dir.write("none.tsv", "\n\n1\ta\tb\tc\td\te\n0\ta\n1\t2\n").string();
  try {
    predictor.file_has_label(none);
    FAIL("decided on a file no row of which fits the model");
  } catch (const deepfm::DataError& error) {
    CHECK(error.file() == none);
    CHECK(error.line() == 3);
    CHECK(std::string(error.what()) ==
          none +
              ":3: fits the model neither with the label column (expected 4 fields (label + 3 "
              "categorical), found 6) nor without it (expected 3 fields (no label column), "
              "found 6); nor does any other of the first 3 rows");
  }
  // A single row that fits neither way: the message says only that.
  const std::string one = saved.dir.write("one.tsv", "1\ta\n").string();
  CHECK_THROWS_WITH(predictor.file_has_label(one),
                    Catch::EndsWith("found 2) nor without it (expected 3 fields (no label column), "
                                    "found 2)"));
  // No row at all: nothing to decide; scoring says the file has no records.
  const std::string blank = saved.dir.write("blank.tsv", "\n\n").string();
  CHECK_FALSE(predictor.file_has_label(blank));
  CHECK_THROWS_WITH(predictor.score_file(blank, deepfm::LabelColumn::detect, ignore_chunk),
                    blank + ": no records");
}

TEST_CASE("Predictor label detection reads raw Criteo rows by majority, ragged ones included",
          "[train][predictor]") {
  const deepfm::test::ScratchDir dir("predictor_criteo");
  // Row r as Criteo writes it: the label (unless unlabelled), 13 integers, 26 categories;
  // `columns` > 0 keeps only that many columns (a ragged row).
  const auto row = [](int r, bool labelled, std::size_t columns = 0) {
    std::vector<std::string> cells;
    if (labelled) cells.push_back(r % 2 ? "1" : "0");
    for (int i = 0; i < 13; ++i) cells.push_back(std::to_string((r * 7 + i) % 9));
    for (int i = 0; i < 26; ++i) cells.push_back("c" + std::to_string((r + i) % 3) + "ab");
    if (columns > 0) cells.resize(columns);
    std::string line;
    for (const std::string& cell : cells) line += (line.empty() ? "" : "\t") + cell;
    return line + "\n";
  };
  std::string train;
  for (int r = 0; r < 16; ++r) train += row(r, true);
  deepfm::ReaderOptions reader;
  reader.format = deepfm::Format::criteo;
  reader.encode.min_count = 1;
  const deepfm::Predictor<float> predictor(save_model_for(dir, "criteo", train, reader));
  REQUIRE(predictor.fields() == 39);

  std::string labelled, unlabelled, ragged;
  for (int r = 0; r < 12; ++r) {
    // A ragged labelled row fits both ways; only a labelled one can have all 40 columns.
    labelled += row(r, true, r % 3 == 0 ? 30 : 0);
    unlabelled += row(r, false);
    ragged += row(r, true, 30);
  }
  CHECK(predictor.file_has_label(dir.write("labelled.txt", labelled).string()));
  CHECK_FALSE(predictor.file_has_label(dir.write("unlabelled.txt", unlabelled).string()));
  // Lines of 41 columns, too wide either way, first and last: still labelled.
  const std::string too_wide = "1\t" + row(99, true);
  CHECK(predictor.file_has_label(
      dir.write("labelled_bad.txt", too_wide + labelled + too_wide).string()));
  // Only ragged rows: each fits both ways, so the file does not say which.
  CHECK_THROWS_AS(predictor.file_has_label(dir.write("ragged.txt", ragged).string()),
                  deepfm::InvalidArgument);
}

TEST_CASE("Predictor reads a CSV file's label column from its header and skips bad rows",
          "[train][predictor]") {
  const deepfm::test::ScratchDir dir("predictor_csv");
  std::string train = "id,click,site,app\n";
  for (int r = 0; r < 12; ++r)
    train += std::to_string(r) + "," + std::to_string(r % 2) + ",s" + std::to_string(r % 3) + ",a" +
             std::to_string(r % 2) + "\n";
  deepfm::ReaderOptions reader;
  reader.format = deepfm::Format::csv;
  reader.label_column = "click";
  reader.drop_columns = {"id"};
  reader.encode.min_count = 1;
  const deepfm::Predictor<float> predictor(save_model_for(dir, "csv", train, reader));
  // The header is the first non-empty line, after a byte-order mark; it is no row, and
  // neither is an empty line. Line 4 of each file has the wrong column count.
  const std::string labelled =
      dir.write("labelled.csv", "\xEF\xBB\xBFid,click,site,app\n1,0,s1,a1\n\n2,1,s2\n3,1,s0,a0\n")
          .string();
  const std::string unlabelled =
      dir.write("unlabelled.csv", "\nid,site,app\n1,s1,a1\n2,s2,a0,x\n3,s0,a0\n").string();
  CHECK(predictor.file_has_label(labelled));
  CHECK_FALSE(predictor.file_has_label(unlabelled));
  for (const std::string& path : {labelled, unlabelled}) {
    CAPTURE(path);
    const ScoredEvents scored = score_with_events(predictor, path, {});
    CHECK(scored.events == std::vector<std::string>{"p", "skip@4", "p"});
  }
}
