// BinaryDatasetWriter and MappedDataset: exact round trips, atomic writes, and a typed
// DataError naming the file for every kind of damage.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deepfm/data/binary_dataset.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>
#include "support/scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;

using deepfm::test::ScratchDir;

/// A deterministic data set: dims {3, 5, 2, 7}, labels alternating by a small pattern.
deepfm::EncodedDataset make_data(std::size_t rows) {
  deepfm::EncodedDataset data;
  data.field_dims = {3, 5, 2, 7};
  const std::vector<std::size_t> offsets{0, 3, 8, 10};
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t f = 0; f < 4; ++f)
      data.ids.push_back(
          static_cast<deepfm::FeatureId>(offsets[f] + (r * 7 + f * 3) % data.field_dims[f]));
    data.labels.push_back((r * 5) % 3 == 0 ? 1.0f : 0.0f);
  }
  return data;
}

std::vector<char> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const fs::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Opens `path` expecting a DataError; returns its message (empty if none was thrown).
std::string open_error(const fs::path& path, deepfm::MappedDatasetOptions options = {}) {
  try {
    deepfm::MappedDataset dataset(path, options);
  } catch (const deepfm::DataError& error) {
    CHECK(error.file() == path.string());
    CHECK(error.line() == 0);
    return error.what();
  }
  return {};
}

}  // namespace

TEST_CASE("binary dataset round trip is exact", "[data]") {
  ScratchDir dir("roundtrip");
  const fs::path file = dir.path / "train.dfmd";
  // 1000 rows: ids cross the 64-byte padding and several 32-byte hash stripes.
  const auto data = make_data(1000);
  deepfm::write_binary_dataset(data, file);
  CHECK(dir.entries() == 1);

  const deepfm::MappedDataset mapped(file);
  CHECK(mapped.is_open());
  CHECK(mapped.rows() == 1000);
  CHECK(mapped.fields() == 4);
  CHECK(mapped.field_dims() == data.field_dims);
  CHECK(std::vector<deepfm::FeatureId>(mapped.ids().begin(), mapped.ids().end()) == data.ids);
  CHECK(std::vector<float>(mapped.labels().begin(), mapped.labels().end()) == data.labels);
  const deepfm::Batch batch = mapped.batch();
  CHECK(batch.rows() == 1000);
  CHECK(batch.fields == 4);
  CHECK(batch.ids.data() == mapped.ids().data());
  CHECK(reinterpret_cast<std::uintptr_t>(batch.ids.data()) % 64 == 0);
  CHECK(reinterpret_cast<std::uintptr_t>(batch.labels.data()) % 64 == 0);
  const auto copy = mapped.to_encoded();
  CHECK(copy.ids == data.ids);
  CHECK(copy.labels == data.labels);
  // Layout: 64-byte header + 4 dims -> ids at 128; 16000 bytes of ids; labels; checksum last.
  CHECK(mapped.file_bytes() == 128 + 16000 + 4000 + 8);
}

TEST_CASE("binary dataset streams more rows than its write buffer", "[data]") {
  ScratchDir dir("large");
  const fs::path file = dir.path / "large.dfmd";
  const std::size_t rows = 300000;  // 4.8 MB of ids: several 1 MiB flushes of ids and labels
  {
    deepfm::BinaryDatasetWriter writer(file, {3, 5, 2, 7});
    deepfm::FeatureId row[4];
    for (std::size_t r = 0; r < rows; ++r) {
      row[0] = static_cast<deepfm::FeatureId>(r % 3);
      row[1] = static_cast<deepfm::FeatureId>(3 + r % 5);
      row[2] = static_cast<deepfm::FeatureId>(8 + r % 2);
      row[3] = static_cast<deepfm::FeatureId>(10 + r % 7);
      writer.append_row(row, static_cast<float>(r % 2));
    }
    CHECK(writer.rows() == rows);
    writer.finish();
  }
  const deepfm::MappedDataset mapped(file);
  REQUIRE(mapped.rows() == rows);
  bool same = true;
  for (std::size_t r = 0; r < rows && same; ++r) {
    same = mapped.ids()[r * 4] == r % 3 && mapped.ids()[r * 4 + 3] == 10 + r % 7 &&
           mapped.labels()[r] == static_cast<float>(r % 2);
  }
  CHECK(same);
}

TEST_CASE("binary dataset append_rows writes what append_row does, and checks every row first",
          "[data]") {
  ScratchDir dir("runs");
  const deepfm::EncodedDataset data = make_data(300000);  // runs past the 1 MiB buffer
  const fs::path by_row = dir.path / "by_row.dfmd";
  const fs::path by_run = dir.path / "by_run.dfmd";
  {
    deepfm::BinaryDatasetWriter writer(by_row, data.field_dims);
    for (std::size_t r = 0; r < data.labels.size(); ++r)
      writer.append_row(std::span(data.ids).subspan(4 * r, 4), data.labels[r]);
    writer.finish();
  }
  {
    deepfm::BinaryDatasetWriter writer(by_run, data.field_dims);
    // Runs of 0, 1, a few and many rows, on every thread count the library uses.
    std::size_t at = 0;
    for (const std::size_t run : {0, 1, 7, 1000, 100000}) {
      writer.append_rows(std::span(data.ids).subspan(4 * at, 4 * run),
                         std::span(data.labels).subspan(at, run));
      at += run;
    }
    writer.append_rows(std::span(data.ids).subspan(4 * at), std::span(data.labels).subspan(at));
    CHECK(writer.rows() == data.labels.size());

    // A bad id deep in a run: an error naming it, and nothing of the run written.
    std::vector<deepfm::FeatureId> ids(data.ids.begin(), data.ids.begin() + 4 * 5000);
    std::vector<float> labels(data.labels.begin(), data.labels.begin() + 5000);
    ids[4 * 4321 + 2] = 3;  // field 2's ids are [8, 10)
    try {
      writer.append_rows(ids, labels);
      FAIL("a bad id was written");
    } catch (const deepfm::InvalidArgument& error) {
      CHECK(std::string(error.what()) == "BinaryDatasetWriter: id 3 of field 2 is outside [8, 10)");
    }
    ids[4 * 4321 + 2] = 8;
    labels[17] = 2.0f;
    CHECK_THROWS_AS(writer.append_rows(ids, labels), deepfm::InvalidArgument);
    CHECK_THROWS_AS(writer.append_rows(std::span(ids).first(7), std::span(labels).first(2)),
                    deepfm::InvalidArgument);
    CHECK(writer.rows() == data.labels.size());
    writer.finish(deepfm::Durability::unsynced);
  }
  CHECK(read_all(by_row) == read_all(by_run));
}

TEST_CASE("binary dataset with zero rows is allowed", "[data]") {
  ScratchDir dir("empty");
  const fs::path file = dir.path / "empty.dfmd";
  deepfm::EncodedDataset data;
  data.field_dims = {4, 9};
  deepfm::write_binary_dataset(data, file);
  const deepfm::MappedDataset mapped(file);
  CHECK(mapped.rows() == 0);
  CHECK(mapped.fields() == 2);
  CHECK(mapped.field_dims() == data.field_dims);
  CHECK(mapped.ids().empty());
  CHECK(mapped.labels().empty());
}

TEST_CASE("binary dataset writer rejects bad rows and dims", "[data]") {
  ScratchDir dir("reject");
  const fs::path file = dir.path / "bad.dfmd";
  deepfm::BinaryDatasetWriter writer(file);
  const deepfm::FeatureId ok[2] = {1, 4};
  CHECK_THROWS_AS(writer.append_row(ok, 1.0f), deepfm::InvalidArgument);  // dims not set yet
  CHECK_THROWS_AS(writer.set_field_dims({}), deepfm::InvalidArgument);
  CHECK_THROWS_AS(writer.set_field_dims({3, 0}), deepfm::InvalidArgument);
  CHECK_THROWS_AS(writer.set_field_dims({std::size_t{1} << 31, std::size_t{1} << 31, 1}),
                  deepfm::InvalidArgument);
  writer.set_field_dims({3, 5});
  CHECK_THROWS_AS(writer.set_field_dims({3, 5}), deepfm::InvalidArgument);
  const deepfm::FeatureId too_few[1] = {1};
  const deepfm::FeatureId wrong_field[2] = {3, 4};  // 3 belongs to field 1, not field 0
  const deepfm::FeatureId past_end[2] = {0, 8};
  CHECK_THROWS_AS(writer.append_row(too_few, 1.0f), deepfm::InvalidArgument);
  CHECK_THROWS_AS(writer.append_row(wrong_field, 1.0f), deepfm::InvalidArgument);
  CHECK_THROWS_AS(writer.append_row(past_end, 0.0f), deepfm::InvalidArgument);
  CHECK_THROWS_AS(writer.append_row(ok, 0.5f), deepfm::InvalidArgument);
  writer.append_row(ok, 1.0f);
  CHECK(writer.rows() == 1);
  writer.finish();
  CHECK_THROWS_AS(writer.append_row(ok, 1.0f), deepfm::InvalidArgument);
  CHECK_THROWS_AS(writer.finish(), deepfm::InvalidArgument);
  CHECK(deepfm::MappedDataset(file).rows() == 1);
}

TEST_CASE("binary dataset writer without finish leaves no file behind", "[data]") {
  ScratchDir dir("nofinish");
  const fs::path file = dir.path / "abandoned.dfmd";
  {
    deepfm::BinaryDatasetWriter writer(file, {3, 5});
    const deepfm::FeatureId row[2] = {1, 4};
    for (int i = 0; i < 10; ++i) writer.append_row(row, 0.0f);
    CHECK(fs::exists(writer.temporary_path()));
    CHECK(writer.temporary_path().parent_path() == dir.path);
    CHECK_FALSE(fs::exists(file));
  }
  CHECK(dir.entries() == 0);
}

TEST_CASE("binary dataset finish atomically replaces an existing file", "[data]") {
  ScratchDir dir("replace");
  const fs::path file = dir.path / "data.dfmd";
  deepfm::write_binary_dataset(make_data(10), file);
  const deepfm::MappedDataset old_mapping(file);
  {
    deepfm::BinaryDatasetWriter writer(file, {3, 5, 2, 7});
    const auto data = make_data(20);
    for (std::size_t r = 0; r < 20; ++r)
      writer.append_row(std::span<const deepfm::FeatureId>(data.ids).subspan(r * 4, 4),
                        data.labels[r]);
    // Until finish(), the old file is intact under the final name.
    CHECK(deepfm::MappedDataset(file).rows() == 10);
    writer.finish();
  }
  CHECK(deepfm::MappedDataset(file).rows() == 20);
  CHECK(dir.entries() == 1);
  // A mapping of the old file stays valid: the rename made a new inode.
  CHECK(old_mapping.rows() == 10);
  CHECK(old_mapping.ids()[4] == make_data(10).ids[4]);
}

TEST_CASE("binary dataset truncated file is a DataError naming what is wrong", "[data]") {
  ScratchDir dir("truncated");
  const fs::path file = dir.path / "cut.dfmd";
  deepfm::write_binary_dataset(make_data(100), file);
  auto bytes = read_all(file);
  bytes.resize(bytes.size() - 100);
  write_all(file, bytes);
  const std::string message =
      open_error(file, {.verify_checksum = false, .validate_values = false});
  CHECK_THAT(message, Catch::Contains("truncated"));
  CHECK_THAT(message, Catch::Contains(file.string()));
  bytes.resize(10);
  write_all(file, bytes);
  CHECK_THAT(open_error(file), Catch::Contains("truncated"));
  write_all(file, {});
  CHECK_THAT(open_error(file), Catch::Contains("truncated"));
}

TEST_CASE("binary dataset trailing garbage is a DataError", "[data]") {
  ScratchDir dir("trailing");
  const fs::path file = dir.path / "long.dfmd";
  deepfm::write_binary_dataset(make_data(5), file);
  auto bytes = read_all(file);
  bytes.push_back('x');
  write_all(file, bytes);
  CHECK_THAT(open_error(file), Catch::Contains("unexpected bytes"));
}

TEST_CASE("binary dataset flipped byte fails the checksum", "[data]") {
  ScratchDir dir("flipped");
  const fs::path file = dir.path / "flip.dfmd";
  deepfm::write_binary_dataset(make_data(100), file);
  const auto original = read_all(file);
  // One flip in the dims, the ids, the labels and the checksum itself.
  for (const std::size_t at :
       {std::size_t{64}, std::size_t{200}, original.size() - 300, original.size() - 1}) {
    auto bytes = original;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x10);
    write_all(file, bytes);
    INFO("byte " << at);
    CHECK_THAT(open_error(file), Catch::Contains("checksum mismatch"));
  }
  // verify_checksum = false skips the pass; a flipped id still in range is then not noticed.
  auto bytes = original;
  bytes[128] = static_cast<char>(bytes[128] ^ 0x01);  // first id of field 0: 0 -> 1, in range
  write_all(file, bytes);
  const deepfm::MappedDataset unchecked(file, {.verify_checksum = false});
  CHECK(unchecked.ids()[0] == 1);
}

TEST_CASE("binary dataset value checks catch bad ids and labels without the checksum", "[data]") {
  ScratchDir dir("values");
  const fs::path file = dir.path / "values.dfmd";
  deepfm::write_binary_dataset(make_data(10), file);
  const auto original = read_all(file);
  auto bad_id = original;
  const std::uint32_t out_of_range = 3;  // row 0, field 0 has dim 3: ids 0..2
  std::memcpy(bad_id.data() + 128, &out_of_range, 4);
  write_all(file, bad_id);
  CHECK_THAT(open_error(file, {.verify_checksum = false}), Catch::Contains("outside [0, 3)"));
  auto bad_label = original;
  const float half = 0.5f;
  // 10 rows x 4 fields: ids at 128..288, labels at align64(288) = 320.
  std::memcpy(bad_label.data() + 320, &half, 4);
  write_all(file, bad_label);
  CHECK_THAT(open_error(file, {.verify_checksum = false}), Catch::Contains("row 0: label 0.5"));
  // Both checks off: the header-level checks alone accept it.
  CHECK(deepfm::MappedDataset(file, {.verify_checksum = false, .validate_values = false}).rows() ==
        10);
}

TEST_CASE("binary dataset wrong magic is a DataError", "[data]") {
  ScratchDir dir("magic");
  const fs::path file = dir.path / "magic.dfmd";
  deepfm::write_binary_dataset(make_data(3), file);
  auto bytes = read_all(file);
  bytes[0] = 'X';
  write_all(file, bytes);
  CHECK_THAT(open_error(file), Catch::Contains("not a deepfm binary data set"));
  // A text file of header size or more is not mistaken for one either.
  write_all(file, std::vector<char>(100, 'a'));
  CHECK_THAT(open_error(file), Catch::Contains("bad magic"));
}

TEST_CASE("binary dataset from a future version names both versions", "[data]") {
  ScratchDir dir("future");
  const fs::path file = dir.path / "future.dfmd";
  deepfm::write_binary_dataset(make_data(3), file);
  auto bytes = read_all(file);
  const std::uint32_t future = deepfm::kBinaryDatasetVersion + 1;
  std::memcpy(bytes.data() + 8, &future, 4);
  write_all(file, bytes);
  const std::string message = open_error(file);
  CHECK_THAT(message, Catch::Contains("format version 3 is newer"));
  CHECK_THAT(message, Catch::Contains("(version 2)"));
}

TEST_CASE("binary dataset of format version 1 is refused as written by an older deepfm", "[data]") {
  // Version 1 had the same layout with deepfm's own hash as the checksum (XXH3 since 2).
  ScratchDir dir("older");
  const fs::path file = dir.path / "older.dfmd";
  deepfm::write_binary_dataset(make_data(3), file);
  auto bytes = read_all(file);
  const std::uint32_t older = 1;
  std::memcpy(bytes.data() + 8, &older, 4);
  write_all(file, bytes);
  const std::string message = open_error(file);
  CHECK_THAT(message, Catch::Contains("format version 1 was written by an older deepfm"));
  CHECK_THAT(message, Catch::Contains("re-encode"));
}

TEST_CASE("binary dataset other byte order and corrupt headers are DataErrors", "[data]") {
  ScratchDir dir("header");
  const fs::path file = dir.path / "header.dfmd";
  deepfm::write_binary_dataset(make_data(3), file);
  const auto original = read_all(file);
  auto swapped = original;
  const std::uint32_t other_order = 0x04030201u;
  std::memcpy(swapped.data() + 12, &other_order, 4);
  write_all(file, swapped);
  CHECK_THAT(open_error(file), Catch::Contains("byte order"));
  auto more_rows = original;
  const std::uint64_t rows = 100;  // the stored offsets no longer match this row count
  std::memcpy(more_rows.data() + 16, &rows, 8);
  write_all(file, more_rows);
  CHECK_THAT(open_error(file), Catch::Contains("corrupt header"));
  auto zero_fields = original;
  const std::uint32_t fields = 0;
  std::memcpy(zero_fields.data() + 24, &fields, 4);
  write_all(file, zero_fields);
  CHECK_THAT(open_error(file), Catch::Contains("0 fields"));
}

TEST_CASE("binary dataset missing file is a DataError and moves keep the mapping", "[data]") {
  ScratchDir dir("missing");
  CHECK_THAT(open_error(dir.path / "absent.dfmd"), Catch::Contains("cannot open"));
  const fs::path file = dir.path / "moved.dfmd";
  deepfm::write_binary_dataset(make_data(7), file);
  deepfm::MappedDataset first(file);
  deepfm::MappedDataset second(std::move(first));
  CHECK_FALSE(first.is_open());  // NOLINT(bugprone-use-after-move): moved-from state is defined
  CHECK(second.rows() == 7);
  deepfm::MappedDataset third;
  CHECK(third.rows() == 0);
  third = std::move(second);
  CHECK(third.rows() == 7);
  CHECK(third.path() == file.string());
}
