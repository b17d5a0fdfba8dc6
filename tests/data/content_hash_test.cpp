// content_hash / ContentHasher / hash_file: pinned values (cache keys and stored checksums
// depend on them), streaming in any chunking, and file hashing.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <deepfm/data/content_hash.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace {

std::vector<unsigned char> pattern_bytes(std::size_t n) {
  std::vector<unsigned char> bytes(n);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<unsigned char>((i * 31 + 7) & 0xFF);
  return bytes;
}

}  // namespace

TEST_CASE("content_hash values are pinned and never change between versions", "[data]") {
  // XXH3_64bits, seed 0, default secret: values from Debian's python3-xxhash 3.2 (xxHash
  // 0.8.1), xxhash.xxh3_64_intdigest; "" is also the published XXH3 test vector. One input in
  // each of XXH3's size classes: 0, 1-3, 4-8, 9-16, 17-128, 129-240 and over 240 bytes.
  CHECK(deepfm::content_hash("") == 0x2D06800538D394C2ULL);
  CHECK(deepfm::content_hash("a") == 0xE6C632B61E964E1FULL);
  CHECK(deepfm::content_hash("abc") == 0x78AF5F94892F3950ULL);
  CHECK(deepfm::content_hash(std::string("a\0", 2)) == 0x0D78BAAC08237DDBULL);
  const unsigned char eight[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  CHECK(deepfm::content_hash(eight, 8) == 0x16F217EA16232297ULL);
  CHECK(deepfm::content_hash("hello, world") == 0x302CD5FBA73D006CULL);
  std::vector<unsigned char> counting(33);
  for (std::size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<unsigned char>(i);
  CHECK(deepfm::content_hash(counting.data(), counting.size()) == 0xE68C56BA88991E58ULL);
  const auto two_hundred = pattern_bytes(200);
  CHECK(deepfm::content_hash(two_hundred.data(), two_hundred.size()) == 0x12FDB864685F344DULL);
  const auto thousand = pattern_bytes(1000);
  CHECK(deepfm::content_hash(thousand.data(), thousand.size()) == 0x989765D0EA7A5ECDULL);
  // Many of XXH3's 1 KiB blocks, and a partial one.
  const auto large = pattern_bytes((std::size_t{1} << 20) + 12345);
  CHECK(deepfm::content_hash(large.data(), large.size()) == 0x06669AD6FE6CAAF5ULL);
}

TEST_CASE("ContentHasher gives the same hash in any chunking", "[data]") {
  const auto bytes = pattern_bytes(1000);
  const std::uint64_t whole = deepfm::content_hash(bytes.data(), bytes.size());
  for (const std::size_t chunk : {1, 3, 7, 8, 31, 32, 33, 64, 100, 240, 255, 256, 257, 999, 1000}) {
    deepfm::ContentHasher hasher;
    for (std::size_t at = 0; at < bytes.size(); at += chunk)
      hasher.update(bytes.data() + at, std::min(chunk, bytes.size() - at));
    INFO("chunk " << chunk);
    CHECK(hasher.finish() == whole);
    CHECK(hasher.bytes() == 1000);
  }
  // Uneven pieces, including empty updates.
  deepfm::ContentHasher hasher;
  std::size_t at = 0;
  for (std::size_t piece = 0; at < bytes.size(); ++piece) {
    const std::size_t n = std::min(piece % 41, bytes.size() - at);
    hasher.update(bytes.data() + at, n);
    at += n;
  }
  CHECK(hasher.finish() == whole);
}

TEST_CASE("ContentHasher update_u64 hashes eight little-endian bytes", "[data]") {
  deepfm::ContentHasher a;
  a.update_u64(0x0807060504030201ULL);
  const unsigned char bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  CHECK(a.finish() == deepfm::content_hash(bytes, 8));
}

TEST_CASE("content_hash changes with every single-bit flip and with length", "[data]") {
  auto bytes = pattern_bytes(100);
  std::set<std::uint64_t> seen;
  seen.insert(deepfm::content_hash(bytes.data(), bytes.size()));
  for (std::size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    bytes[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
    seen.insert(deepfm::content_hash(bytes.data(), bytes.size()));
    bytes[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
  }
  CHECK(seen.size() == 1 + bytes.size() * 8);
  // Runs of zeros that differ only in length differ (the length is part of the hash).
  const std::vector<unsigned char> zeros(40, 0);
  std::set<std::uint64_t> lengths;
  for (std::size_t n = 0; n <= zeros.size(); ++n)
    lengths.insert(deepfm::content_hash(zeros.data(), n));
  CHECK(lengths.size() == zeros.size() + 1);
}

TEST_CASE("hash_file matches the in-memory hash and reports the size", "[data]") {
  namespace fs = std::filesystem;
  std::string name = "deepfm_content_hash_";
  name += std::to_string(::getpid());
  const fs::path file = fs::temp_directory_path() / name;
  // Larger than the 1 MiB read chunk, not a multiple of it or of 32.
  const auto bytes = pattern_bytes((std::size_t{1} << 20) + 12345);
  {
    std::FILE* out = std::fopen(file.c_str(), "wb");
    REQUIRE(out != nullptr);
    REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size());
    std::fclose(out);
  }
  const deepfm::FileDigest digest = deepfm::hash_file(file);
  fs::remove(file);
  CHECK(digest.bytes == bytes.size());
  CHECK(digest.hash == deepfm::content_hash(bytes.data(), bytes.size()));
}

TEST_CASE("hash_file on a missing file is a DataError naming it", "[data]") {
  const std::filesystem::path missing =
      std::filesystem::temp_directory_path() / "deepfm_no_such_file_for_hashing";
  try {
    deepfm::hash_file(missing);
    FAIL("no exception");
  } catch (const deepfm::DataError& error) {
    CHECK(error.file() == missing.string());
    CHECK(error.line() == 0);
  }
}
