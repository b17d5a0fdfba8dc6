// Vocabulary and VocabularyCounter: d2l's min-count rule, sorted ids, default ids, hashing.
#include <catch2/catch.hpp>

#include <cstdint>
#include <deepfm/data/vocabulary.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Values = std::vector<std::string_view>;

/// Counts `rows` (one value per field each) and builds with `min_count`.
deepfm::Vocabulary count(const std::vector<Values>& rows, std::size_t min_count) {
  deepfm::VocabularyCounter counter(rows.front().size());
  for (const auto& row : rows) counter.add(row);
  return counter.build(min_count);
}

std::vector<std::string> kept(const deepfm::Vocabulary& vocabulary, std::size_t field) {
  const auto values = vocabulary.kept_values(field);
  return {values.begin(), values.end()};
}

/// FNV-1a 64 over raw bytes, written independently of the library.
std::uint64_t fnv1a(const std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

std::string little_endian_8(std::uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[static_cast<std::size_t>(i)] = static_cast<char>(value >> (8 * i));
  return bytes;
}

}  // namespace

TEST_CASE("Vocabulary keeps values seen min_count times, sorted, with a default id", "[data]") {
  // Field 0: "9" x4, "10" x4, "a" x4, "rare" x3. Field 1: "x" x15.
  std::vector<Values> rows;
  for (const char* value : {"9", "10", "a"})
    for (int i = 0; i < 4; ++i) rows.push_back({value, "x"});
  for (int i = 0; i < 3; ++i) rows.push_back({"rare", "x"});
  const auto vocabulary = count(rows, 4);

  CHECK(vocabulary.fields() == 2);
  CHECK(vocabulary.min_count() == 4);
  CHECK(vocabulary.hash_buckets() == 0);
  CHECK_FALSE(vocabulary.is_hashing());
  // Byte order: "10" < "9" < "a".
  CHECK(kept(vocabulary, 0) == std::vector<std::string>{"10", "9", "a"});
  CHECK(kept(vocabulary, 1) == std::vector<std::string>{"x"});
  CHECK(vocabulary.field_dims() == std::vector<std::size_t>{4, 2});
  CHECK(vocabulary.offsets() == std::vector<std::size_t>{0, 4});
  CHECK(vocabulary.total_dim() == 6);
  CHECK(vocabulary.default_id(0) == 3);
  CHECK(vocabulary.default_id(1) == 5);

  bool oov = true;
  CHECK(vocabulary.encode(0, "10", oov) == 0);
  CHECK_FALSE(oov);
  CHECK(vocabulary.encode(0, "9", oov) == 1);
  CHECK(vocabulary.encode(0, "a", oov) == 2);
  CHECK_FALSE(oov);
  CHECK(vocabulary.encode(0, "rare", oov) == 3);  // seen 3 < 4 times: default
  CHECK(oov);
  CHECK(vocabulary.encode(0, "never", oov) == 3);
  CHECK(oov);
  CHECK(vocabulary.encode(0, "09", oov) == 3);  // strings, not numbers
  CHECK(oov);
  CHECK(vocabulary.encode(1, "x", oov) == 4);
  CHECK_FALSE(oov);
  CHECK(vocabulary.encode(1, "9") == 5);  // values are per field
}

TEST_CASE("Vocabulary with min_count 1 or 0 keeps every value", "[data]") {
  const std::vector<Values> rows{{"b", "1"}, {"a", "1"}, {"c", "2"}};
  for (const std::size_t min_count : {std::size_t{0}, std::size_t{1}}) {
    const auto vocabulary = count(rows, min_count);
    CHECK(kept(vocabulary, 0) == std::vector<std::string>{"a", "b", "c"});
    CHECK(vocabulary.field_dims() == std::vector<std::size_t>{4, 3});
    CHECK(vocabulary.offsets() == std::vector<std::size_t>{0, 4});
    bool oov = true;
    CHECK(vocabulary.encode(1, "2", oov) == 5);
    CHECK_FALSE(oov);
  }
  // Too high a min_count keeps nothing: every value is the default id, field_dims all 1.
  const auto nothing = count(rows, 100);
  CHECK(nothing.field_dims() == std::vector<std::size_t>{1, 1});
  CHECK(nothing.offsets() == std::vector<std::size_t>{0, 1});
  CHECK(nothing.encode(1, "1") == 1);
}

TEST_CASE("VocabularyCounter counts distinct values per field", "[data]") {
  deepfm::VocabularyCounter counter(2);
  counter.add(Values{"a", "z"});
  counter.add(Values{"b", "z"});
  counter.add(Values{"a", "z"});
  CHECK(counter.fields() == 2);
  CHECK(counter.distinct(0) == 2);
  CHECK(counter.distinct(1) == 1);
  const auto vocabulary = counter.build(2);
  CHECK(kept(vocabulary, 0) == std::vector<std::string>{"a"});
  CHECK(kept(vocabulary, 1) == std::vector<std::string>{"z"});
}

TEST_CASE("VocabularyCounter::add_column counts as a plain count, in columns of any length",
          "[data]") {
  // Fields: few values (the recent-values path answers nearly all), a long-tailed one, one
  // of long values (never held by the recent values), and one that outgrows the recent
  // path's map size (its trial fails, then the map passes L2 and is prefetched).
  std::uint64_t state = 12345;
  const auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  const std::vector<std::size_t> lengths = {1, 255, 256, 257, 3000, 70000};
  constexpr std::size_t kFields = 4;
  std::vector<std::vector<std::string>> values(kFields);
  for (const std::size_t length : lengths)
    for (std::size_t r = 0; r < length; ++r) {
      values[0].push_back(std::to_string(next() % 7));
      const std::uint64_t skewed = next() % 1000;
      values[1].push_back("t" + std::to_string(skewed * skewed % 997));
      values[2].push_back("a long value of more than fifteen bytes #" +
                          std::to_string(next() % 40));
      values[3].push_back(std::to_string(next() % 50000));
    }

  deepfm::VocabularyCounter counter(kFields);
  std::vector<std::map<std::string, std::size_t>> expected_counts(kFields);
  for (std::size_t f = 0; f < kFields; ++f) {
    std::map<std::string, deepfm::FeatureId> expected_first_seen;
    std::size_t at = 0;
    for (const std::size_t length : lengths) {
      std::vector<deepfm::ValueKey> keys;
      for (std::size_t r = 0; r < length; ++r) keys.emplace_back(values[f][at + r]);
      std::vector<deepfm::FeatureId> first_seen(length);
      counter.add_column(f, keys.data(), length, first_seen.data());
      for (std::size_t r = 0; r < length; ++r) {
        const std::string& value = values[f][at + r];
        ++expected_counts[f][value];
        const auto index = static_cast<deepfm::FeatureId>(expected_first_seen.size());
        const deepfm::FeatureId expected = expected_first_seen.emplace(value, index).first->second;
        if (first_seen[r] != expected) FAIL("field " << f << " row " << at + r << ": index");
      }
      at += length;
    }
    CHECK(counter.distinct(f) == expected_first_seen.size());
  }
  for (const std::size_t min_count : {1, 3, 50}) {
    const deepfm::Vocabulary vocabulary = counter.build(min_count);
    for (std::size_t f = 0; f < kFields; ++f) {
      std::vector<std::string> expected;
      for (const auto& [value, n] : expected_counts[f])
        if (n >= min_count) expected.push_back(value);
      CHECK(kept(vocabulary, f) == expected);
    }
  }
}

TEST_CASE("Vocabulary from kept values sorts them and refuses duplicates", "[data]") {
  const auto vocabulary = deepfm::Vocabulary::from_kept_values({{"b", "a"}, {}}, 4);
  CHECK(kept(vocabulary, 0) == std::vector<std::string>{"a", "b"});
  CHECK(vocabulary.field_dims() == std::vector<std::size_t>{3, 1});
  CHECK(vocabulary.encode(0, "b") == 1);
  CHECK(vocabulary.encode(1, "anything") == 3);
  CHECK_THROWS_AS(deepfm::Vocabulary::from_kept_values({{"a", "b", "a"}}, 4),
                  deepfm::InvalidArgument);
  // A copy looks values up on its own.
  const deepfm::Vocabulary copy = vocabulary;
  CHECK(copy.encode(0, "a") == 0);
}

TEST_CASE("hash_feature is FNV-1a 64 over the field index bytes then the value", "[data]") {
  // The reference implementation agrees with FNV-1a's published test vectors.
  REQUIRE(fnv1a("") == 0xcbf29ce484222325ull);
  REQUIRE(fnv1a("a") == 0xaf63dc4c8601ec8cull);
  for (const std::size_t field : {std::size_t{0}, std::size_t{3}, std::size_t{300}})
    for (const std::string value : {"", "a", "0042", "18446744073709551615"})
      CHECK(deepfm::hash_feature(field, value) == fnv1a(little_endian_8(field) + value));
  // Pinned values: a model file hashed on one machine must mean the same on another.
  CHECK(deepfm::hash_feature(0, "a") == 0xe604613a248ff1acull);
  CHECK(deepfm::hash_feature(3, "0042") == 0xbf91b9f4c625dd9cull);
}

TEST_CASE("Vocabulary hashing gives every field N ids and never a default", "[data]") {
  const auto vocabulary = deepfm::Vocabulary::hashing(4, 1000);
  CHECK(vocabulary.is_hashing());
  CHECK(vocabulary.hash_buckets() == 1000);
  CHECK(vocabulary.field_dims() == std::vector<std::size_t>(4, 1000));
  CHECK(vocabulary.offsets() == std::vector<std::size_t>{0, 1000, 2000, 3000});
  CHECK(vocabulary.total_dim() == 4000);
  CHECK(vocabulary.kept_values(0).empty());
  CHECK_THROWS_AS(vocabulary.default_id(0), deepfm::InvalidArgument);
  bool oov = true;
  CHECK(vocabulary.encode(3, "0042", oov) == 3000 + 12);  // 0xbf91b9f4c625dd9c mod 1000 = 12
  CHECK_FALSE(oov);
  for (std::size_t field = 0; field < 4; ++field) {
    for (int i = 0; i < 200; ++i) {
      const std::string value = std::to_string(i * 7919);
      const auto id = vocabulary.encode(field, value, oov);
      CHECK_FALSE(oov);
      CHECK(id >= field * 1000);
      CHECK(id < (field + 1) * 1000);
      CHECK(id == deepfm::Vocabulary::hashing(4, 1000).encode(field, value));
    }
  }
  // The field is part of the hash: one value lands on different local ids in most fields.
  std::size_t same_local = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string value = std::to_string(i);
    same_local += vocabulary.encode(0, value) == vocabulary.encode(1, value) - 1000 ? 1 : 0;
  }
  CHECK(same_local < 10);
}

TEST_CASE("Vocabulary refuses more than 2^32 feature ids", "[data]") {
  CHECK_THROWS_AS(deepfm::Vocabulary::hashing(2, (std::size_t{1} << 31) + 1),
                  deepfm::InvalidArgument);
  CHECK_NOTHROW(deepfm::Vocabulary::hashing(2, std::size_t{1} << 31));
  CHECK_THROWS_AS(deepfm::Vocabulary::hashing(2, 0), deepfm::InvalidArgument);
}
