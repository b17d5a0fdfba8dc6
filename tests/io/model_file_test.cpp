// io/model_file.hpp: model files and checkpoints round-trip bit for bit; damaged, foreign
// and mismatched files are ModelFileErrors naming the file.
#include <catch2/catch.hpp>

#include <cstring>
#include <deepfm/data/synthetic.hpp>
#include <deepfm/io/model_file.hpp>
#include <deepfm/io/section_file.hpp>
#include <deepfm/train/fit.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "support/scratch_dir.hpp"

namespace {

deepfm::Vocabulary small_vocabulary(std::size_t fields, std::size_t kept) {
  std::vector<std::vector<std::string>> values(fields);
  for (std::size_t f = 0; f < fields; ++f)
    for (std::size_t v = 0; v < kept; ++v)
      values[f].push_back("f" + std::to_string(f) + "v" + std::to_string(v));
  return deepfm::Vocabulary::from_kept_values(values, 4);
}

deepfm::ModelSpec small_spec(deepfm::ModelKind kind) {
  deepfm::ModelSpec spec = deepfm::ModelSpec::defaults(kind);
  spec.factors = 3;
  if (kind == deepfm::ModelKind::deepfm) spec.mlp = {6, 5};
  spec.seed = 4;
  spec.field_dims = std::vector<std::size_t>(4, 8);
  return spec;
}

deepfm::SyntheticData small_data() {
  deepfm::SyntheticConfig config;
  config.rows = 600;
  config.field_dims = std::vector<std::size_t>(4, 8);
  config.seed = 2;
  return deepfm::generate_synthetic(config);
}

/// `from` written again as `to`, section by section, with section `name` replaced by what
/// `replace(writer, name)` adds: a damaged file whose checksum holds, as tests/fuzz makes them.
template <typename Replace>
void rewrite_section(const std::filesystem::path& from, const std::filesystem::path& to,
                     const std::string& name, Replace&& replace) {
  const deepfm::SectionFileReader in = deepfm::SectionFileReader::open(from);
  deepfm::SectionFileWriter out(in.kind());
  for (const std::string& section : in.names()) {
    if (section == name) {
      replace(out, section);
      continue;
    }
    switch (in.type(section)) {
      case deepfm::SectionType::text: out.add_text(section, in.text(section)); break;
      case deepfm::SectionType::bytes:
        out.add_array(section, in.view<std::uint8_t>(section));
        break;
      case deepfm::SectionType::f32: out.add_array(section, in.view<float>(section)); break;
      case deepfm::SectionType::f64: out.add_array(section, in.view<double>(section)); break;
      case deepfm::SectionType::u32: out.add_array(section, in.view<std::uint32_t>(section)); break;
      case deepfm::SectionType::u64: out.add_array(section, in.view<std::uint64_t>(section)); break;
    }
  }
  out.save(to);
}

}  // namespace

TEMPLATE_TEST_CASE("Model file save then load predicts bit-identical probabilities",
                   "[train][model_file]", float, double) {
  using T = TestType;
  const auto kind = GENERATE(deepfm::ModelKind::deepfm, deepfm::ModelKind::fm);
  deepfm::test::ScratchDir dir("model_file_roundtrip");
  const deepfm::ModelSpec spec = small_spec(kind);
  const deepfm::SyntheticData data = small_data();
  auto model = deepfm::make_model<T>(spec);
  deepfm::fit(*model, data.batch(), {.epochs = 2, .batch_size = 64});
  deepfm::ReaderOptions reader;
  reader.format = deepfm::Format::csv;
  reader.label_column = "click, \"yes\"\n%";
  reader.drop_columns = {"id", "a,b", ""};
  reader.separator = ';';
  reader.encode.min_count = 7;
  const deepfm::Vocabulary vocabulary = small_vocabulary(4, 7);
  deepfm::save_model_file<T>(dir.path / "m.dfm", *model, spec, reader, vocabulary);

  const deepfm::LoadedModel<T> loaded = deepfm::load_model_file<T>(dir.path / "m.dfm");
  CHECK(deepfm::to_text(loaded.spec) == deepfm::to_text(spec));
  CHECK(deepfm::to_text(loaded.reader) == deepfm::to_text(reader));
  CHECK(loaded.reader.drop_columns == reader.drop_columns);
  CHECK(loaded.reader.label_column == reader.label_column);
  CHECK_FALSE(loaded.progress.has_value());
  CHECK(loaded.vocabulary.field_dims() == vocabulary.field_dims());
  for (std::size_t f = 0; f < 4; ++f)
    CHECK(std::vector<std::string>(loaded.vocabulary.kept_values(f).begin(),
                                   loaded.vocabulary.kept_values(f).end()) ==
          std::vector<std::string>(vocabulary.kept_values(f).begin(),
                                   vocabulary.kept_values(f).end()));
  const std::vector<T> before = model->predict(data.batch().ids);
  const std::vector<T> after = loaded.model->predict(data.batch().ids);
  REQUIRE(before.size() == after.size());
  CHECK(std::memcmp(before.data(), after.data(), before.size() * sizeof(T)) == 0);
}

TEST_CASE("Model file with a hashing vocabulary round-trips", "[train][model_file]") {
  deepfm::test::ScratchDir dir("model_file_hashing");
  deepfm::ModelSpec spec = small_spec(deepfm::ModelKind::fm);
  spec.field_dims = std::vector<std::size_t>(4, 32);
  auto model = deepfm::make_model<float>(spec);
  deepfm::ReaderOptions reader;
  reader.encode.hash_buckets = 32;
  deepfm::save_model_file<float>(dir.path / "h.dfm", *model, spec, reader,
                                 deepfm::Vocabulary::hashing(4, 32));
  const auto loaded = deepfm::load_model_file<float>(dir.path / "h.dfm");
  CHECK(loaded.vocabulary.is_hashing());
  CHECK(loaded.vocabulary.encode(2, "abc") == deepfm::Vocabulary::hashing(4, 32).encode(2, "abc"));
}

TEST_CASE("Model file errors name the file and the problem", "[train][model_file]") {
  deepfm::test::ScratchDir dir("model_file_errors");
  const deepfm::ModelSpec spec = small_spec(deepfm::ModelKind::deepfm);
  auto model = deepfm::make_model<float>(spec);
  const auto path = dir.path / "m.dfm";
  deepfm::save_model_file<float>(path, *model, spec, {}, small_vocabulary(4, 7));

  SECTION("another element type") {
    CHECK_THROWS_WITH(deepfm::load_model_file<double>(path),
                      Catch::Contains("m.dfm") && Catch::Contains("f32"));
  }
  SECTION("a vocabulary that does not fit the model") {
    deepfm::save_model_file<float>(path, *model, spec, {}, small_vocabulary(4, 5));
    CHECK_THROWS_AS(deepfm::load_model_file<float>(path), deepfm::ModelFileError);
  }
  SECTION("a truncated file") {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const std::size_t keep :
         {std::size_t{0}, std::size_t{7}, bytes.size() / 2, bytes.size() - 1}) {
      std::ofstream(dir.path / "t.dfm", std::ios::binary | std::ios::trunc)
          .write(bytes.data(), static_cast<std::streamsize>(keep));
      CHECK_THROWS_WITH(deepfm::load_model_file<float>(dir.path / "t.dfm"),
                        Catch::Contains("t.dfm"));
    }
  }
  SECTION("a flipped bit") {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes[bytes.size() / 3] = static_cast<char>(bytes[bytes.size() / 3] ^ 0x10);
    std::ofstream(dir.path / "b.dfm", std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    CHECK_THROWS_AS(deepfm::load_model_file<float>(dir.path / "b.dfm"), deepfm::ModelFileError);
  }
  SECTION("a foreign file, a missing file, a folder") {
    std::ofstream(dir.path / "x.csv") << "1\t2\t3\n";
    CHECK_THROWS_AS(deepfm::load_model_file<float>(dir.path / "x.csv"), deepfm::ModelFileError);
    CHECK_THROWS_AS(deepfm::load_model_file<float>(dir.path / "missing.dfm"),
                    deepfm::ModelFileError);
    CHECK_THROWS_AS(deepfm::load_model_file<float>(dir.path), deepfm::ModelFileError);
  }
}

TEST_CASE("Model spec text round-trips every double and rejects bad values",
          "[train][model_file]") {
  deepfm::ModelSpec spec = small_spec(deepfm::ModelKind::deepfm);
  spec.optimizer.lr = 0.1 + 0.2;  // not a short decimal
  spec.optimizer.l2 = 1e-300;
  spec.dropout = 1.0 / 3.0;
  spec.optimizer.adam_mode = deepfm::AdamMode::lazy_exact;
  const deepfm::ModelSpec back = deepfm::model_spec_from_text(deepfm::to_text(spec));
  CHECK(back.optimizer.lr == spec.optimizer.lr);
  CHECK(back.optimizer.l2 == spec.optimizer.l2);
  CHECK(back.dropout == spec.dropout);
  CHECK(back.optimizer.adam_mode == deepfm::AdamMode::lazy_exact);
  CHECK(deepfm::to_text(back) == deepfm::to_text(spec));
  std::string text = deepfm::to_text(spec);
  CHECK_THROWS_WITH(
      deepfm::model_spec_from_text(text.replace(text.find("factors=3"), 9, "factors=x")),
      Catch::Contains("factors"));
  CHECK_THROWS_WITH(deepfm::model_spec_from_text("model=deepfm\n"), Catch::Contains("missing"));
  CHECK_THROWS_AS(deepfm::model_spec_from_text("model=svm\n"), deepfm::InvalidArgument);
}

TEST_CASE("Escaped text round-trips separators and newlines", "[train][model_file]") {
  for (const std::string text : {"", "plain", "a,b", "%41", "line\nbreak\r", "100%"})
    CHECK(deepfm::detail::unescape_text(deepfm::detail::escape_text(text)) == text);
  CHECK(deepfm::detail::escape_text("a,b").find(',') == std::string::npos);
  CHECK_THROWS_AS(deepfm::detail::unescape_text("%4"), deepfm::InvalidArgument);
  CHECK_THROWS_AS(deepfm::detail::unescape_text("%zz"), deepfm::InvalidArgument);
}

// Found by tests/fuzz (model_file target): a history count outside size_t's range, in a file
// whose checksum holds, was converted to size_t unchecked (undefined behaviour).
TEST_CASE("Checkpoint history counts that are not counts are a ModelFileError",
          "[train][model_file]") {
  deepfm::test::ScratchDir dir("model_file_history");
  const deepfm::ModelSpec spec = small_spec(deepfm::ModelKind::fm);
  auto model = deepfm::make_model<float>(spec);
  deepfm::TrainingProgress progress;
  deepfm::EpochStats stats;
  stats.epoch = 1;
  stats.validation = deepfm::Metrics{.rows = 10};
  progress.history = {stats};
  const auto good = dir.path / "good.dfm";
  deepfm::save_model_file<float>(good, *model, spec, {}, small_vocabulary(4, 7), &progress);
  REQUIRE(deepfm::load_model_file<float>(good).progress->history.at(0).validation->rows == 10);

  const std::vector<double> values =
      deepfm::SectionFileReader::open(good).array<double>("progress.history");
  const auto bad = dir.path / "bad.dfm";
  for (const std::size_t at : {std::size_t{0}, std::size_t{8}}) {  // the epoch, the rows
    for (const double count : {std::numeric_limits<double>::quiet_NaN(), -1.0, 1e300, 2.5}) {
      std::vector<double> damaged = values;
      damaged[at] = count;
      rewrite_section(good, bad, "progress.history",
                      [&](deepfm::SectionFileWriter& out, const std::string& name) {
                        out.add_array<double>(name, damaged);
                      });
      CHECK_THROWS_WITH(deepfm::load_model_file<float>(bad),
                        Catch::Contains("bad.dfm") && Catch::Contains("where a count belongs"));
    }
  }
}

// Found in review: a hashing vocabulary has no section of its own, so nothing tied the
// spec's field dims to the stored bucket count; a file where they differ loaded and then
// failed (or mis-scored) at prediction time.
TEST_CASE("Model file whose hash buckets disagree with its field dims is refused",
          "[train][model_file]") {
  deepfm::test::ScratchDir dir("model_file_hash_dims");
  const deepfm::ModelSpec spec = small_spec(deepfm::ModelKind::fm);
  auto model = deepfm::make_model<float>(spec);
  deepfm::ReaderOptions hashed;
  hashed.encode.hash_buckets = 8;
  const auto good = dir.path / "good.dfm";
  deepfm::save_model_file<float>(good, *model, spec, hashed, deepfm::Vocabulary::hashing(4, 8));
  CHECK_NOTHROW(deepfm::load_model_file<float>(good));
  hashed.encode.hash_buckets = 7;
  const auto bad = dir.path / "bad.dfm";
  rewrite_section(good, bad, "reader",
                  [&](deepfm::SectionFileWriter& out, const std::string& name) {
                    out.add_text(name, deepfm::to_text(hashed));
                  });
  CHECK_THROWS_WITH(deepfm::load_model_file<float>(bad),
                    Catch::Contains("bad.dfm") && Catch::Contains("field 0 has 8 ids; its 7 hash"));
}

// Found by tests/fuzz (model_file target, input crafted from its seeds): the model was
// allocated from the spec before any parameter section was checked, so a spec naming huge
// dims or factors, in a file whose checksum holds, allocated whatever it asked for (a
// std::bad_alloc, or worse, instead of a ModelFileError).
TEST_CASE("Model file whose spec asks for more parameters than it holds is refused first",
          "[train][model_file]") {
  deepfm::test::ScratchDir dir("model_file_huge_spec");
  const auto kind = GENERATE(deepfm::ModelKind::deepfm, deepfm::ModelKind::fm);
  const deepfm::ModelSpec spec = small_spec(kind);
  auto model = deepfm::make_model<float>(spec);
  deepfm::ReaderOptions hashed;
  hashed.encode.hash_buckets = 8;  // no vocabulary to disagree with the dims
  const auto good = dir.path / "good.dfm";
  deepfm::save_model_file<float>(good, *model, spec, hashed, deepfm::Vocabulary::hashing(4, 8));
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"factors=3", "factors=4000"},
                                   {"field_dims=8,8,8,8", "field_dims=8,8,8,4000000000"}}) {
    std::string text = deepfm::to_text(spec);
    text.replace(text.find(key), key.size(), value);
    const auto bad = dir.path / "bad.dfm";
    rewrite_section(
        good, bad, "spec",
        [&](deepfm::SectionFileWriter& out, const std::string& name) { out.add_text(name, text); });
    CHECK_THROWS_WITH(deepfm::load_model_file<float>(bad),
                      Catch::Contains("bad.dfm") && Catch::Contains("parameters; the file holds"));
  }
}

// Found in review: nothing checked the values themselves, so a file holding a NaN (written by
// another tool, or damaged under a checksum that holds) loaded and scored NaN, and a model
// that had gone non-finite outside the trainer's checks saved without complaint.
TEST_CASE("Model files hold finite values: loading and saving refuse NaN and infinity",
          "[train][model_file][numerics]") {
  deepfm::test::ScratchDir dir("model_file_finite");
  const deepfm::ModelSpec spec = small_spec(deepfm::ModelKind::deepfm);
  auto model = deepfm::make_model<float>(spec);
  deepfm::fit(*model, small_data().batch(), {.epochs = 1, .batch_size = 64});
  const deepfm::TrainingProgress progress;
  const auto good = dir.path / "good.dfm";
  deepfm::save_model_file<float>(good, *model, spec, {}, small_vocabulary(4, 7), &progress);
  REQUIRE_NOTHROW(deepfm::load_model_file<float>(good));

  const auto bad = dir.path / "bad.dfm";
  for (const auto& [section, value, text] :
       {std::tuple<std::string, float, std::string>{"param.embedding",
                                                    std::numeric_limits<float>::quiet_NaN(), "nan"},
        {"param.dense", -std::numeric_limits<float>::infinity(), "-inf"},
        {"optim.embedding.moment2", std::numeric_limits<float>::infinity(), "inf"}}) {
    INFO(section);
    std::vector<float> values = deepfm::SectionFileReader::open(good).array<float>(section);
    values.at(2) = value;
    rewrite_section(good, bad, section,
                    [&](deepfm::SectionFileWriter& out, const std::string& name) {
                      out.add_array<float>(name, values);
                    });
    CHECK_THROWS_AS(deepfm::load_model_file<float>(bad), deepfm::ModelFileError);
    CHECK_THROWS_WITH(
        deepfm::load_model_file<float>(bad),
        Catch::Contains("bad.dfm") &&
            Catch::Contains("section '" + section + "' holds " + text + " at index 2"));
  }

  // The best epoch's parameters of an early-stopping checkpoint, too.
  std::vector<std::vector<float>> best;
  model->visit_state(
      [&](std::string_view, std::span<float> values, bool is_parameter) {
        if (is_parameter) best.emplace_back(values.begin(), values.end());
      },
      false);
  const auto with_best = dir.path / "best.dfm";
  deepfm::save_model_file<float>(with_best, *model, spec, {}, small_vocabulary(4, 7), &progress,
                                 &best);
  REQUIRE(deepfm::load_model_file<float>(with_best).best_parameters.size() == 3);
  std::vector<float> damaged = best[0];
  damaged.at(5) = std::numeric_limits<float>::quiet_NaN();
  rewrite_section(with_best, bad, "best.embedding",
                  [&](deepfm::SectionFileWriter& out, const std::string& name) {
                    out.add_array<float>(name, damaged);
                  });
  CHECK_THROWS_WITH(deepfm::load_model_file<float>(bad),
                    Catch::Contains("section 'best.embedding' holds nan at index 5"));

  const auto read_bytes = [](const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string saved = read_bytes(good);
  model->embedding_weights()[4] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(deepfm::save_model_file<float>(good, *model, spec, {}, small_vocabulary(4, 7)),
                  deepfm::NumericError);
  CHECK_THROWS_WITH(deepfm::save_model_file<float>(good, *model, spec, {}, small_vocabulary(4, 7)),
                    Catch::Contains("not saving") && Catch::Contains("good.dfm") &&
                        Catch::Contains("param.embedding[4] is nan"));
  CHECK(read_bytes(good) == saved);
}
