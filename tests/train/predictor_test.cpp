// train/predictor.hpp: scoring raw rows with a saved model, from many threads; files with or
// without the label column.
#include <catch2/catch.hpp>

#include <cstring>
#include <deepfm/data/synthetic.hpp>
#include <deepfm/train/predictor.hpp>
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
    model->fit(deepfm::Batch{data.ids, data.labels, 3}, {.epochs = 3, .batch_size = 32});
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
  model->fit(deepfm::Batch{data.ids, data.labels, 2}, {.epochs = 2, .batch_size = 4});
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
  for (const deepfm::LabelColumn label :
       {deepfm::LabelColumn::detect, deepfm::LabelColumn::present, deepfm::LabelColumn::absent}) {
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
