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
  // Computed from the algorithm in the header by an independent Python implementation.
  CHECK(deepfm::content_hash("") == 0x741370359C025D90ULL);
  CHECK(deepfm::content_hash("a") == 0xF8DCA1EAA6E75751ULL);
  CHECK(deepfm::content_hash("abc") == 0x44A106BD46BDC10BULL);
  CHECK(deepfm::content_hash(std::string("a\0", 2)) == 0x0700DF04094D2C5DULL);
  const auto thousand = pattern_bytes(1000);
  CHECK(deepfm::content_hash(thousand.data(), thousand.size()) == 0x829AFC3FD89A08F4ULL);
  std::vector<unsigned char> counting(33);
  for (std::size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<unsigned char>(i);
  CHECK(deepfm::content_hash(counting.data(), counting.size()) == 0x23715620C56F4BD8ULL);
}

TEST_CASE("ContentHasher gives the same hash in any chunking", "[data]") {
  const auto bytes = pattern_bytes(1000);
  const std::uint64_t whole = deepfm::content_hash(bytes.data(), bytes.size());
  for (const std::size_t chunk : {1, 3, 7, 8, 31, 32, 33, 64, 100, 999, 1000}) {
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
  // Zero padding of the tail must not collide with real zero bytes.
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
