// DatasetCache and encode_cached: a second call maps the cached entry; changed content or
// options re-encode; a broken entry is replaced, never used.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <deepfm/data/dataset_cache.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>
#include "support/scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;

using deepfm::test::ScratchDir;

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

/// A toy "reader": each line is a label digit then one digit per field (3 fields, dims 10).
/// Counts its calls, so the tests see whether the cache or the encoder answered.
struct DigitEncoder {
  fs::path input;
  int calls = 0;
  void operator()(deepfm::BinaryDatasetWriter& writer) {
    ++calls;
    writer.set_field_dims({10, 10, 10});
    std::ifstream in(input);
    std::string line;
    while (std::getline(in, line)) {
      const deepfm::FeatureId ids[3] = {static_cast<deepfm::FeatureId>(line[1] - '0'),
                                        static_cast<deepfm::FeatureId>(10 + line[2] - '0'),
                                        static_cast<deepfm::FeatureId>(20 + line[3] - '0')};
      writer.append_row(ids, static_cast<float>(line[0] - '0'));
    }
  }
};

deepfm::CachedDataset encode(DigitEncoder& encoder, const std::string& options,
                             const fs::path& cache) {
  return deepfm::encode_cached(encoder.input, options, cache,
                               [&encoder](deepfm::BinaryDatasetWriter& w) { encoder(w); });
}

std::size_t count_entries(const fs::path& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

/// Sets an environment variable for the scope, restoring the old value after.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(const char* variable, const char* value) : name(variable) {
    if (const char* previous = std::getenv(variable)) old = previous;
    if (value != nullptr)
      ::setenv(variable, value, 1);
    else
      ::unsetenv(variable);
  }
  ~ScopedEnv() {
    if (old)
      ::setenv(name.c_str(), old->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("dataset cache second encode hits and maps the same rows", "[data]") {
  ScratchDir dir("hit");
  const fs::path cache = dir.path / "cache" / "nested";  // created on demand
  DigitEncoder encoder{dir.path / "train.txt"};
  write_text(encoder.input, "1123\n0456\n1789\n");
  const auto first = encode(encoder, "format=digits", cache);
  CHECK_FALSE(first.hit);
  CHECK(encoder.calls == 1);
  REQUIRE(first.dataset.rows() == 3);
  CHECK(first.dataset.ids()[4] == 15);
  CHECK(first.path.parent_path() == cache);
  const std::string name = first.path.filename().string();
  CHECK(name.rfind("train-", 0) == 0);
  CHECK(name.size() == std::string("train-").size() + 16 + std::string(".dfmd").size());

  const auto second = encode(encoder, "format=digits", cache);
  CHECK(second.hit);
  CHECK(encoder.calls == 1);
  CHECK(second.path == first.path);
  CHECK(second.dataset.field_dims() == first.dataset.field_dims());
  CHECK(std::vector<deepfm::FeatureId>(second.dataset.ids().begin(), second.dataset.ids().end()) ==
        std::vector<deepfm::FeatureId>(first.dataset.ids().begin(), first.dataset.ids().end()));
  CHECK(count_entries(cache) == 1);
}

TEST_CASE("dataset cache changed input content of the same size re-encodes", "[data]") {
  ScratchDir dir("content");
  DigitEncoder encoder{dir.path / "train.txt"};
  write_text(encoder.input, "1123\n0456\n");
  const auto first = encode(encoder, "format=digits", dir.path / "cache");
  write_text(encoder.input, "1123\n0457\n");  // same size, one byte differs
  const auto second = encode(encoder, "format=digits", dir.path / "cache");
  CHECK_FALSE(second.hit);
  CHECK(encoder.calls == 2);
  CHECK(second.path != first.path);
  CHECK(second.dataset.ids()[5] == 27);
  // The old content's entry is still there and still valid: going back hits it.
  write_text(encoder.input, "1123\n0456\n");
  const auto third = encode(encoder, "format=digits", dir.path / "cache");
  CHECK(third.hit);
  CHECK(third.path == first.path);
  CHECK(encoder.calls == 2);
}

TEST_CASE("dataset cache changed options re-encode", "[data]") {
  ScratchDir dir("options");
  DigitEncoder encoder{dir.path / "train.txt"};
  write_text(encoder.input, "1123\n");
  const auto first = encode(encoder, "format=digits;min_count=4", dir.path / "cache");
  const auto second = encode(encoder, "format=digits;min_count=5", dir.path / "cache");
  CHECK_FALSE(second.hit);
  CHECK(second.path != first.path);
  CHECK(encoder.calls == 2);
  CHECK(encode(encoder, "format=digits;min_count=4", dir.path / "cache").hit);
}

TEST_CASE("dataset cache corrupted entry is re-encoded and replaced", "[data]") {
  ScratchDir dir("corrupt");
  const fs::path cache = dir.path / "cache";
  DigitEncoder encoder{dir.path / "train.txt"};
  write_text(encoder.input, "1123\n0456\n1789\n");
  const fs::path entry = encode(encoder, "o", cache).path;
  {
    std::fstream file(entry, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(130);
    file.put('\x7f');  // inside the ids: only the checksum notices
  }
  const deepfm::DatasetCache store(cache);
  const deepfm::DatasetCacheKey key =
      deepfm::make_dataset_cache_key(encoder.input, deepfm::hash_file(encoder.input), "o");
  CHECK(store.path_for(key) == entry);
  CHECK_FALSE(store.lookup(key).has_value());
  const auto again = encode(encoder, "o", cache);
  CHECK_FALSE(again.hit);
  CHECK(encoder.calls == 2);
  CHECK(again.path == entry);
  CHECK(store.lookup(key) == entry);
  CHECK(again.dataset.ids()[0] == 1);
  // A truncated entry too.
  fs::resize_file(entry, 20);
  CHECK_FALSE(encode(encoder, "o", cache).hit);
  CHECK(encoder.calls == 3);
  CHECK(encode(encoder, "o", cache).hit);
  CHECK(count_entries(cache) == 1);
}

TEST_CASE("dataset cache failed encode leaves nothing behind", "[data]") {
  ScratchDir dir("failed");
  const fs::path cache = dir.path / "cache";
  write_text(dir.path / "in.txt", "x");
  CHECK_THROWS_AS(deepfm::encode_cached(dir.path / "in.txt", "o", cache,
                                        [](deepfm::BinaryDatasetWriter& writer) {
                                          writer.set_field_dims({2});
                                          const deepfm::FeatureId id[1] = {1};
                                          writer.append_row(id, 1.0f);
                                          throw std::runtime_error("reader failed");
                                        }),
                  std::runtime_error);
  CHECK(count_entries(cache) == 0);
  CHECK_THROWS_AS(deepfm::encode_cached(dir.path / "absent.txt", "o", cache,
                                        [](deepfm::BinaryDatasetWriter&) {}),
                  deepfm::DataError);
}

TEST_CASE("dataset cache key covers content, size, options and format version", "[data]") {
  const fs::path input = "data/train.csv.gz";
  const deepfm::FileDigest digest{0x1234, 100};
  const auto key = deepfm::make_dataset_cache_key(input, digest, "a");
  CHECK(key.stem == "train.csv");
  CHECK(key.file_name().size() == std::string("train.csv-").size() + 16 + 5);
  CHECK(deepfm::make_dataset_cache_key(input, {0x1235, 100}, "a").hash != key.hash);
  CHECK(deepfm::make_dataset_cache_key(input, {0x1234, 101}, "a").hash != key.hash);
  CHECK(deepfm::make_dataset_cache_key(input, digest, "b").hash != key.hash);
  CHECK(deepfm::make_dataset_cache_key(input, digest, "").hash != key.hash);
  // Only the name's stem changes with the file name, not the key: same content, same entry.
  CHECK(deepfm::make_dataset_cache_key("other/train.csv.gz", digest, "a").hash == key.hash);
  CHECK(deepfm::make_dataset_cache_key("we ird$name.txt", digest, "a").stem == "we_ird_name");
  // Pinned (checked against an independent implementation of the key rule, Python's xxhash
  // over the canonical bytes, version 2): the key of fixed inputs must not change silently.
  CHECK(key.file_name() == "train.csv-b90ee18dbdaf40a3.dfmd");
}

TEST_CASE("dataset cache dir defaults follow XDG and HOME and can be overridden", "[data]") {
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/xdg/cache");
    CHECK(deepfm::default_cache_dir() == fs::path("/xdg/cache/deepfm"));
    CHECK(deepfm::DatasetCache().dir() == fs::path("/xdg/cache/deepfm"));
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "relative/ignored");  // XDG: relative paths are invalid
    ScopedEnv home("HOME", "/home/someone");
    CHECK(deepfm::default_cache_dir() == fs::path("/home/someone/.cache/deepfm"));
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
    ScopedEnv home("HOME", nullptr);
    CHECK(deepfm::default_cache_dir() == fs::temp_directory_path() / "deepfm-cache");
  }
  const deepfm::DatasetCache overridden("/somewhere/else");
  CHECK(overridden.dir() == fs::path("/somewhere/else"));
  const deepfm::DatasetCacheKey key{"s", 0xABCull};
  CHECK(overridden.path_for(key) == fs::path("/somewhere/else/s-0000000000000abc.dfmd"));
  CHECK_FALSE(overridden.lookup(key).has_value());
}
