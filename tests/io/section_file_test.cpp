// SectionFileWriter and SectionFileReader: exact round trips of every type, the pinned byte
// layout, and a ModelFileError naming the file for every truncation, every flipped bit and
// every foreign, future or mismatched file.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deepfm/data/binary_dataset.hpp>
#include <deepfm/data/content_hash.hpp>
#include <deepfm/io/section_file.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include "support/scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;

using deepfm::SectionFileReader;
using deepfm::SectionFileWriter;
using deepfm::test::ScratchDir;

std::vector<unsigned char> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::vector<unsigned char>& bytes, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(size));
}

void write_bytes(const fs::path& path, const std::vector<unsigned char>& bytes) {
  write_bytes(path, bytes, bytes.size());
}

/// Recomputes the trailing checksum, so that a hand-made change reaches the structural checks.
void reseal(std::vector<unsigned char>& bytes) {
  const std::uint64_t checksum = deepfm::content_hash(bytes.data(), bytes.size() - 8);
  std::memcpy(bytes.data() + bytes.size() - 8, &checksum, 8);
}

void put_u32(std::vector<unsigned char>& bytes, std::size_t at, std::uint32_t value) {
  std::memcpy(bytes.data() + at, &value, 4);
}

void put_u64(std::vector<unsigned char>& bytes, std::size_t at, std::uint64_t value) {
  std::memcpy(bytes.data() + at, &value, 8);
}

/// Opens `path` expecting a ModelFileError naming it; returns the message (empty if none).
std::string open_error(const fs::path& path,
                       std::span<const std::string_view> accepted_kinds = {}) {
  try {
    SectionFileReader::open(path, accepted_kinds);
  } catch (const deepfm::ModelFileError& error) {
    CHECK(error.file() == path.string());
    CHECK_THAT(error.what(), Catch::StartsWith(path.string() + ": "));
    return error.what();
  }
  return {};
}

/// A small file of kind "model": one section of each type.
void save_small(const fs::path& path) {
  static const std::vector<float> floats{1.5f, -2.25f, 3.0f};
  static const std::vector<std::uint32_t> words{7, 8};
  SectionFileWriter writer("model");
  writer.add_text("spec", "model=deepfm\n");
  writer.add_array<float>("param.w", floats);
  writer.add_array<std::uint32_t>("ids", words);
  writer.add_u64("step", 42);
  writer.save(path);
}

}  // namespace

TEST_CASE("section file round trip of every type", "[section_file]") {
  ScratchDir dir("section_roundtrip");
  const fs::path path = dir.path / "m.dfm";
  const std::vector<std::uint8_t> bytes{0, 1, 254, 255, 7};
  const std::vector<float> floats{0.0f,
                                  -0.0f,
                                  1.5f,
                                  std::numeric_limits<float>::infinity(),
                                  std::numeric_limits<float>::denorm_min(),
                                  -3.25e30f,
                                  7.0f};
  const std::vector<double> doubles{3.141592653589793, -1e-300, 2.0};
  const std::vector<std::uint32_t> words{0, 1, 0xFFFFFFFFu};
  const std::vector<std::uint64_t> longs{0, 0xFFFFFFFFFFFFFFFFull, 12345678901234ull};
  const std::string text("line one\nline two\0with a nul", 28);
  {
    SectionFileWriter writer("model");
    CHECK(writer.kind() == "model");
    writer.add_text("text", text);
    writer.add_array<std::uint8_t>("bytes", bytes);
    writer.add_array<float>("f32", floats);
    writer.add_array<double>("f64", doubles);
    writer.add_array<std::uint32_t>("u32", words);
    writer.add_array<std::uint64_t>("u64", longs);
    writer.add_u64("one", 99);
    writer.add_text("empty text", "");
    writer.add_array<std::uint8_t>("empty bytes", {});
    writer.add_array<float>("empty f32", {});
    writer.add_array<double>("empty f64", {});
    writer.add_array<std::uint32_t>("empty u32", {});
    writer.add_array<std::uint64_t>("empty u64", {});
    writer.save(path);
  }
  CHECK(dir.entries() == 1);

  const SectionFileReader file = SectionFileReader::open(path);
  CHECK(file.kind() == "model");
  CHECK(file.path() == path.string());
  CHECK(file.names() == std::vector<std::string>{"text", "bytes", "f32", "f64", "u32", "u64", "one",
                                                 "empty text", "empty bytes", "empty f32",
                                                 "empty f64", "empty u32", "empty u64"});
  CHECK(file.text("text") == text);
  CHECK(file.array<std::uint8_t>("bytes") == bytes);
  const std::vector<float> floats_back = file.array<float>("f32");
  REQUIRE(floats_back.size() == floats.size());
  CHECK(std::memcmp(floats_back.data(), floats.data(), floats.size() * sizeof(float)) == 0);
  CHECK(std::signbit(floats_back[1]));
  CHECK(file.array<double>("f64") == doubles);
  CHECK(file.array<std::uint32_t>("u32") == words);
  CHECK(file.array<std::uint64_t>("u64") == longs);
  CHECK(file.u64("one") == 99);
  CHECK(file.text("empty text").empty());
  CHECK(file.array<std::uint8_t>("empty bytes").empty());
  CHECK(file.array<float>("empty f32").empty());
  CHECK(file.array<double>("empty f64").empty());
  CHECK(file.array<std::uint32_t>("empty u32").empty());
  CHECK(file.array<std::uint64_t>("empty u64").empty());
  CHECK(file.has("f32"));
  CHECK_FALSE(file.has("f3"));
  CHECK(file.type("f64") == deepfm::SectionType::f64);
  CHECK(file.count("text") == text.size());
  CHECK(file.count("empty u64") == 0);

  std::vector<double> into(3);
  file.read_into<double>("f64", into);
  CHECK(into == doubles);
  std::vector<float> none;
  file.read_into<float>("empty f32", none);
  const std::span<const std::uint64_t> view = file.view<std::uint64_t>("u64");
  CHECK(std::vector<std::uint64_t>(view.begin(), view.end()) == longs);
  CHECK(reinterpret_cast<std::uintptr_t>(view.data()) % alignof(std::uint64_t) == 0);
}

TEST_CASE("section file with many sections keeps their order", "[section_file]") {
  ScratchDir dir("section_many");
  const fs::path path = dir.path / "many.dfm";
  std::vector<std::vector<std::uint32_t>> arrays;
  for (std::uint32_t i = 0; i < 300; ++i) arrays.emplace_back(i % 7, i);
  std::vector<std::string> expected_names;
  {
    SectionFileWriter writer("checkpoint");
    for (std::uint32_t i = 0; i < 300; ++i) {
      // Names in an order that is neither sorted nor hashed.
      const std::string name = "s" + std::to_string((i * 37) % 300);
      expected_names.push_back(name);
      if (i % 3 == 0)
        writer.add_text(name, std::string(i % 11, 'a'));
      else
        writer.add_array<std::uint32_t>(name, arrays[i]);
    }
    writer.save(path);
  }
  const SectionFileReader file = SectionFileReader::open(path);
  CHECK(file.kind() == "checkpoint");
  CHECK(file.names() == expected_names);
  for (std::uint32_t i = 0; i < 300; ++i) {
    if (i % 3 == 0)
      CHECK(file.text(expected_names[i]) == std::string(i % 11, 'a'));
    else
      CHECK(file.array<std::uint32_t>(expected_names[i]) == arrays[i]);
  }
}

TEST_CASE("section file arrays larger than the write buffer round trip", "[section_file]") {
  ScratchDir dir("section_large");
  const fs::path path = dir.path / "large.dfm";
  std::vector<float> table(700001);
  for (std::size_t i = 0; i < table.size(); ++i) table[i] = static_cast<float>(i) * 0.5f;
  {
    SectionFileWriter writer("model");
    writer.add_text("a", "x");
    writer.add_array<float>("table", table);
    writer.add_u64("after", 5);
    writer.save(path);
  }
  const SectionFileReader file = SectionFileReader::open(path);
  std::vector<float> back(table.size());
  file.read_into<float>("table", back);
  CHECK((back == table));  // parenthesised: Catch would print 700k values on a mismatch
  CHECK(file.u64("after") == 5);
}

TEST_CASE("section file layout is pinned", "[section_file]") {
  ScratchDir dir("section_layout");
  const fs::path path = dir.path / "layout.dfm";
  const std::vector<std::uint32_t> words{0x11223344u};
  {
    SectionFileWriter writer("model");
    writer.add_array<std::uint32_t>("ab", words);
    writer.save(path);
  }
  const std::vector<unsigned char> bytes = read_bytes(path);
  const auto u64_at = [&](std::size_t at) {
    std::uint64_t value = 0;
    std::memcpy(&value, bytes.data() + at, 8);
    return value;
  };
  const auto u32_at = [&](std::size_t at) {
    std::uint32_t value = 0;
    std::memcpy(&value, bytes.data() + at, 4);
    return value;
  };
  // 16 header + 8 + 8 kind + 8 count + (8 + 8 name + 8 type + 8 count + 8 payload) + 8 checksum
  REQUIRE(bytes.size() == 88);
  CHECK(std::string(bytes.begin(), bytes.begin() + 8) == "DEEPFMMF");
  CHECK(u32_at(8) == 2);  // kSectionFileVersion: 2 since the checksum is XXH3
  CHECK(u32_at(12) == 0x01020304u);
  CHECK(u64_at(16) == 5);
  CHECK(std::string(bytes.begin() + 24, bytes.begin() + 32) == std::string("model\0\0\0", 8));
  CHECK(u64_at(32) == 1);
  CHECK(u64_at(40) == 2);
  CHECK(std::string(bytes.begin() + 48, bytes.begin() + 56) == std::string("ab\0\0\0\0\0\0", 8));
  CHECK(u32_at(56) == 5);  // SectionType::u32
  CHECK(u32_at(60) == 0);
  CHECK(u64_at(64) == 1);
  CHECK(u32_at(72) == 0x11223344u);
  CHECK(u32_at(76) == 0);
  CHECK(u64_at(80) == deepfm::content_hash(bytes.data(), 80));
}

TEST_CASE("section file writer rejects duplicate and empty names", "[section_file]") {
  SectionFileWriter writer("model");
  writer.add_u64("a", 1);
  CHECK_THROWS_AS(writer.add_u64("a", 2), deepfm::InvalidArgument);
  CHECK_THROWS_AS(writer.add_text("a", "x"), deepfm::InvalidArgument);
  CHECK_THROWS_AS(writer.add_text("", "x"), deepfm::InvalidArgument);
}

TEST_CASE("section file typed reads name the section and the mismatch", "[section_file]") {
  ScratchDir dir("section_typed");
  const fs::path path = dir.path / "small.dfm";
  save_small(path);
  const SectionFileReader file = SectionFileReader::open(path);
  const auto message = [&](const std::function<void()>& read) -> std::string {
    try {
      read();
    } catch (const deepfm::ModelFileError& error) {
      CHECK(error.file() == path.string());
      return error.what();
    }
    return {};
  };
  CHECK_THAT(message([&] { file.text("absent"); }), Catch::Contains("section 'absent' is missing"));
  CHECK_THAT(message([&] { file.array<double>("param.w"); }),
             Catch::Contains("section 'param.w' holds f32, not f64"));
  CHECK_THAT(message([&] { file.text("param.w"); }), Catch::Contains("not text"));
  std::vector<float> wrong(4);
  CHECK_THAT(message([&] { file.read_into<float>("param.w", wrong); }),
             Catch::Contains("section 'param.w' holds 3 values; 4 were expected"));
  CHECK_THAT(message([&] { file.u64("ids"); }), Catch::Contains("holds u32, not u64"));
  CHECK_THAT(message([&] { file.count("nope"); }), Catch::Contains("'nope' is missing"));
  CHECK(file.u64("step") == 42);
}

TEST_CASE("section file u64 of an array of several values is an error", "[section_file]") {
  ScratchDir dir("section_u64");
  const fs::path path = dir.path / "u.dfm";
  const std::vector<std::uint64_t> two{1, 2};
  SectionFileWriter writer("model");
  writer.add_array<std::uint64_t>("two", two);
  writer.save(path);
  const SectionFileReader file = SectionFileReader::open(path);
  CHECK_THROWS_WITH(file.u64("two"), Catch::Contains("not one number"));
}

TEST_CASE("section file truncated at every length is a ModelFileError", "[section_file]") {
  ScratchDir dir("section_truncated");
  const fs::path good = dir.path / "good.dfm";
  save_small(good);
  const std::vector<unsigned char> bytes = read_bytes(good);
  REQUIRE(bytes.size() > 100);
  const fs::path cut = dir.path / "cut.dfm";
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    INFO("size " << size);
    write_bytes(cut, bytes, size);
    const std::string message = open_error(cut);
    if (size == 0)
      CHECK_THAT(message, Catch::Contains("not a deepfm model file: the file is empty"));
    else
      CHECK_THAT(message, Catch::Contains(": truncated: "));
  }
  CHECK_NOTHROW(SectionFileReader::open(good));
}

TEST_CASE("section file with any single bit flipped is a ModelFileError", "[section_file]") {
  ScratchDir dir("section_bitflip");
  const fs::path good = dir.path / "good.dfm";
  save_small(good);
  const std::vector<unsigned char> bytes = read_bytes(good);
  const fs::path damaged = dir.path / "damaged.dfm";
  std::size_t checksum_reports = 0;
  for (std::size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    INFO("bit " << bit);
    std::vector<unsigned char> flipped = bytes;
    flipped[bit / 8] = static_cast<unsigned char>(flipped[bit / 8] ^ (1u << (bit % 8)));
    write_bytes(damaged, flipped);
    const std::string message = open_error(damaged);
    CHECK_FALSE(message.empty());
    if (message.find("checksum mismatch: the file is damaged") != std::string::npos)
      ++checksum_reports;
  }
  // Most damage (everything past the 16-byte header that leaves the lengths in range) is
  // reported as a checksum mismatch.
  CHECK(checksum_reports > bytes.size() * 4);
}

TEST_CASE("section file foreign files are ModelFileErrors saying so", "[section_file]") {
  ScratchDir dir("section_foreign");
  const fs::path text = dir.write("notes.txt", "label\tc1\tc2\n1\ta\tb\n");
  CHECK_THAT(open_error(text),
             Catch::Contains("not a deepfm model file") && Catch::Contains("label\\x09c1"));

  const fs::path empty = dir.write("empty.dfm", "");
  CHECK_THAT(open_error(empty), Catch::Contains("not a deepfm model file: the file is empty"));

  const fs::path short_foreign = dir.write("short.dfm", "DEEP");
  CHECK_THAT(open_error(short_foreign), Catch::Contains("truncated"));
  const fs::path other_short = dir.write("other.dfm", "abc");
  CHECK_THAT(open_error(other_short), Catch::Contains("not a deepfm model file"));

  deepfm::EncodedDataset data;
  data.field_dims = {2, 3};
  data.ids = {0, 2, 1, 4};
  data.labels = {1.0f, 0.0f};
  const fs::path dataset = dir.path / "train.dfmd";
  deepfm::write_binary_dataset(data, dataset);
  CHECK_THAT(open_error(dataset),
             Catch::Contains("not a deepfm model file") && Catch::Contains("DEEPFMDS"));

  CHECK_THAT(open_error(dir.path / "missing.dfm"),
             Catch::Contains("cannot open") && Catch::Contains(std::strerror(ENOENT)));
  CHECK_THAT(open_error(dir.path), Catch::Contains("is a directory"));
}

TEST_CASE("section file kinds are checked against the accepted ones", "[section_file]") {
  ScratchDir dir("section_kind");
  const fs::path path = dir.path / "c.dfm";
  {
    SectionFileWriter writer("checkpoint");
    writer.add_u64("step", 1);
    writer.save(path);
  }
  static constexpr std::string_view kModel[] = {"model"};
  static constexpr std::string_view kEither[] = {"model", "checkpoint"};
  CHECK_THAT(open_error(path, kModel),
             Catch::Contains("a 'checkpoint' file, where a 'model' file is expected"));
  CHECK(SectionFileReader::open(path, kEither).kind() == "checkpoint");
  CHECK(SectionFileReader::open(path).kind() == "checkpoint");
  static constexpr std::string_view kVocabulary[] = {"vocabulary"};
  CHECK_THAT(open_error(path, kVocabulary), Catch::Contains("'vocabulary' file is expected"));
}

TEST_CASE("section file future versions and other byte orders are refused", "[section_file]") {
  ScratchDir dir("section_version");
  const fs::path path = dir.path / "v.dfm";
  save_small(path);
  const std::vector<unsigned char> bytes = read_bytes(path);

  std::vector<unsigned char> future = bytes;
  put_u32(future, 8, 7);
  reseal(future);
  write_bytes(path, future);
  CHECK_THAT(open_error(path), Catch::Contains("format version 7; this build reads version 2") &&
                                   Catch::Contains("newer deepfm"));

  // Unsealed, the same field reads as possible damage rather than a newer deepfm.
  future = bytes;
  put_u32(future, 8, 3);
  write_bytes(path, future);
  CHECK_THAT(open_error(path), Catch::Contains("format version 3; this build reads version 2") &&
                                   Catch::Contains("damaged"));
  // Version 1 (deepfm's own hash before XXH3): refused as older, whatever its checksum says.
  std::vector<unsigned char> older = bytes;
  put_u32(older, 8, 1);
  write_bytes(path, older);
  CHECK_THAT(open_error(path), Catch::Contains("format version 1; this build reads version 2") &&
                                   Catch::Contains("older deepfm"));
  std::vector<unsigned char> marked = bytes;
  put_u32(marked, 12, 0x01020305u);
  write_bytes(path, marked);
  CHECK_THAT(open_error(path), Catch::Contains("checksum mismatch: the file is damaged"));
  reseal(marked);
  write_bytes(path, marked);
  CHECK_THAT(open_error(path), Catch::Contains("unknown byte-order mark 0x01020305"));

  std::vector<unsigned char> big_endian = bytes;
  put_u32(big_endian, 12, 0x04030201u);
  reseal(big_endian);
  write_bytes(path, big_endian);
  CHECK_THAT(open_error(path), Catch::Contains("big-endian"));
}

TEST_CASE("section file damaged lengths never allocate or read out of bounds", "[section_file]") {
  ScratchDir dir("section_lengths");
  const fs::path path = dir.path / "l.dfm";
  {
    const std::vector<std::uint32_t> words{1, 2, 3};
    SectionFileWriter writer("model");
    writer.add_array<std::uint32_t>("ab", words);
    writer.save(path);
  }
  const std::vector<unsigned char> bytes = read_bytes(path);
  // Offsets: kind length 16, section count 32, name length 40, type 56, element count 64.
  const auto resealed_error = [&](std::size_t at, std::uint64_t value, bool is_u32 = false) {
    std::vector<unsigned char> changed = bytes;
    if (is_u32)
      put_u32(changed, at, static_cast<std::uint32_t>(value));
    else
      put_u64(changed, at, value);
    reseal(changed);
    write_bytes(path, changed);
    return open_error(path);
  };
  const std::uint64_t huge = std::numeric_limits<std::uint64_t>::max();
  CHECK_THAT(resealed_error(16, huge), Catch::Contains("truncated") && Catch::Contains("kind"));
  CHECK_THAT(resealed_error(16, huge - 3), Catch::Contains("truncated"));
  CHECK_THAT(resealed_error(32, huge), Catch::Contains("truncated") && Catch::Contains("claimed"));
  CHECK_THAT(resealed_error(32, 1u << 30), Catch::Contains("truncated"));
  CHECK_THAT(resealed_error(40, huge), Catch::Contains("truncated") && Catch::Contains("name"));
  CHECK_THAT(resealed_error(64, huge), Catch::Contains("truncated") && Catch::Contains("'ab'"));
  CHECK_THAT(resealed_error(64, huge / 4 + 1), Catch::Contains("truncated"));
  CHECK_THAT(resealed_error(64, 5), Catch::Contains("truncated"));
  CHECK_THAT(resealed_error(64, 1), Catch::Contains("unexpected bytes after the last section"));
  CHECK_THAT(resealed_error(56, 99, true), Catch::Contains("unknown element type 99"));
  CHECK_THAT(resealed_error(60, 1, true), Catch::Contains("reserved"));
  CHECK_THAT(resealed_error(32, 0), Catch::Contains("unexpected bytes"));
  // Without resealing, the same damage to a length that stays in range is a checksum mismatch.
  std::vector<unsigned char> changed = bytes;
  put_u64(changed, 64, 1);
  write_bytes(path, changed);
  CHECK_THAT(open_error(path), Catch::Contains("checksum mismatch: the file is damaged"));
}

TEST_CASE("section file names appearing twice are refused", "[section_file]") {
  ScratchDir dir("section_twice");
  const fs::path path = dir.path / "t.dfm";
  {
    SectionFileWriter writer("model");
    writer.add_u64("aa", 1);
    writer.add_u64("ab", 2);
    writer.save(path);
  }
  std::vector<unsigned char> bytes = read_bytes(path);
  // The second name's bytes: 16 header, 16 kind, 8 count, first section 40 bytes, 8 length.
  REQUIRE(bytes[88] == 'a');
  REQUIRE(bytes[89] == 'b');
  bytes[89] = 'a';
  reseal(bytes);
  write_bytes(path, bytes);
  CHECK_THAT(open_error(path), Catch::Contains("section 'aa' appears twice"));
}

TEST_CASE("section file save is atomic", "[section_file]") {
  ScratchDir dir("section_atomic");
  const fs::path path = dir.path / "m.dfm";
  save_small(path);
  {
    SectionFileWriter writer("checkpoint");
    writer.add_text("only", "replaced");
    writer.save(path);
  }
  const SectionFileReader file = SectionFileReader::open(path);
  CHECK(file.kind() == "checkpoint");
  CHECK(file.names() == std::vector<std::string>{"only"});
  CHECK(dir.entries() == 1);

  const fs::path folder = dir.path / "folder";
  fs::create_directory(folder);
  SectionFileWriter writer("model");
  writer.add_u64("x", 1);
  CHECK_THROWS_AS(writer.save(folder), deepfm::ModelFileError);
  CHECK_THROWS_WITH(writer.save(folder), Catch::Contains("not a regular file"));
  CHECK_THROWS_WITH(writer.save(dir.path / "no" / "m.dfm"),
                    Catch::Contains("cannot create a temporary file beside it"));
  CHECK(dir.entries() == 2);
  CHECK(fs::is_empty(folder));
}

TEST_CASE("section file readers move", "[section_file]") {
  ScratchDir dir("section_move");
  const fs::path path = dir.path / "m.dfm";
  save_small(path);
  SectionFileReader first = SectionFileReader::open(path);
  const std::span<const float> view = first.view<float>("param.w");
  SectionFileReader second(std::move(first));
  CHECK(second.u64("step") == 42);
  CHECK(view[1] == -2.25f);  // the mapping moved with the reader
  SectionFileReader third = SectionFileReader::open(path);
  third = std::move(second);
  CHECK(third.text("spec") == "model=deepfm\n");
}
