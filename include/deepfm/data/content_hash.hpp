#pragma once
/// @file
/// A fast, portable, non-cryptographic 64-bit hash of byte streams: the checksum of binary
/// data sets and the content key of the data-set cache. It must never change silently, since
/// every cache key and stored checksum depends on it; tests pin its value on fixed inputs.
///
/// The algorithm (deepfm's own; not compatible with any published hash):
///   constants P1 = 0x9E3779B185EBCA87, P2 = 0xC2B2AE3D27D4EB4F, P3 = 0x165667B19E3779F9,
///             P4 = 0x85EBCA77C2B2AE63
///   round(a, w)  = rotl(a + w * P2, 31) * P1                  (all arithmetic mod 2^64)
///   words are read little-endian on every platform, so the hash is the same everywhere.
///   1. lanes v = {P1, P2, P3, P4}; each full 32-byte stripe updates v[i] = round(v[i], w[i])
///      for its four words. Four independent lanes keep four multiplies in flight (> 1 GB/s).
///   2. h = rotl(v0,1) + rotl(v1,7) + rotl(v2,12) + rotl(v3,18); then for each lane i
///      h = (h ^ round(0, v[i])) * P1 + P4.
///   3. the tail (0..31 bytes) as 8-byte words, the last one zero-padded: for each word
///      h = rotl(h ^ round(0, w), 27) * P1 + P4.
///   4. h ^= n * P3 where n is the total byte count (so zero padding cannot collide), then
///      the avalanche h ^= h>>33; h *= 0xFF51AFD7ED558CCD; h ^= h>>33;
///      h *= 0xC4CEB9FE1A85EC53; h ^= h>>33.
/// Streaming (update() in any chunking, then finish()) gives the same value as one call.

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "deepfm/core/error.hpp"

namespace deepfm {

namespace detail {

inline constexpr std::uint64_t kHashP1 = 0x9E3779B185EBCA87ULL;
inline constexpr std::uint64_t kHashP2 = 0xC2B2AE3D27D4EB4FULL;
inline constexpr std::uint64_t kHashP3 = 0x165667B19E3779F9ULL;
inline constexpr std::uint64_t kHashP4 = 0x85EBCA77C2B2AE63ULL;

/// Reads 8 bytes as a little-endian integer whatever the host's byte order.
inline std::uint64_t load_le64(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) {
    std::uint64_t r = 0;
    for (int i = 0; i < 8; ++i) r = (r << 8) | ((v >> (8 * i)) & 0xFFu);
    v = r;
  }
  return v;
}

inline std::uint64_t hash_round(std::uint64_t acc, std::uint64_t word) noexcept {
  return std::rotl(acc + word * kHashP2, 31) * kHashP1;
}

}  // namespace detail

/// Streaming form of the content hash: update() with the bytes in order, then finish().
class ContentHasher {
 public:
  /// Stripe width: the hasher consumes input 32 bytes (four 8-byte lanes) at a time.
  static constexpr std::size_t kStripeBytes = 32;

  /// Appends `bytes` to the hashed stream.
  void update(const void* data, std::size_t size) noexcept {
    if (size == 0) return;  // data may be null then, and memcpy(dst, nullptr, 0) is undefined
    const auto* p = static_cast<const unsigned char*>(data);
    total_ += size;
    if (buffered_ > 0) {
      const std::size_t take = std::min(size, kStripeBytes - buffered_);
      std::memcpy(buffer_ + buffered_, p, take);
      buffered_ += take;
      p += take;
      size -= take;
      if (buffered_ < kStripeBytes) return;
      stripe(buffer_);
      buffered_ = 0;
    }
    // Local copies of the lanes let the compiler keep them in registers across the loop.
    std::uint64_t v0 = lanes_[0], v1 = lanes_[1], v2 = lanes_[2], v3 = lanes_[3];
    for (; size >= kStripeBytes; p += kStripeBytes, size -= kStripeBytes) {
      v0 = detail::hash_round(v0, detail::load_le64(p));
      v1 = detail::hash_round(v1, detail::load_le64(p + 8));
      v2 = detail::hash_round(v2, detail::load_le64(p + 16));
      v3 = detail::hash_round(v3, detail::load_le64(p + 24));
    }
    lanes_[0] = v0, lanes_[1] = v1, lanes_[2] = v2, lanes_[3] = v3;
    if (size > 0) {
      std::memcpy(buffer_, p, size);
      buffered_ = size;
    }
  }
  /// Appends a byte span.
  void update(std::span<const unsigned char> bytes) noexcept { update(bytes.data(), bytes.size()); }
  /// Appends the characters of a string (no terminator, no length).
  void update(std::string_view text) noexcept { update(text.data(), text.size()); }
  /// Appends an integer as 8 little-endian bytes (a canonical form for keys).
  void update_u64(std::uint64_t value) noexcept {
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
    update(bytes, sizeof bytes);
  }

  /// The hash of everything appended so far; the hasher stays usable (more updates extend it).
  std::uint64_t finish() const noexcept {
    using namespace detail;
    std::uint64_t h = std::rotl(lanes_[0], 1) + std::rotl(lanes_[1], 7) + std::rotl(lanes_[2], 12) +
                      std::rotl(lanes_[3], 18);
    for (const std::uint64_t lane : lanes_) h = (h ^ hash_round(0, lane)) * kHashP1 + kHashP4;
    for (std::size_t at = 0; at < buffered_; at += 8) {
      unsigned char word[8] = {};
      std::memcpy(word, buffer_ + at, std::min<std::size_t>(8, buffered_ - at));
      h = std::rotl(h ^ hash_round(0, load_le64(word)), 27) * kHashP1 + kHashP4;
    }
    h ^= total_ * kHashP3;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
  }

  /// Bytes appended so far.
  std::uint64_t bytes() const noexcept { return total_; }

 private:
  void stripe(const unsigned char* p) noexcept {
    for (int i = 0; i < 4; ++i)
      lanes_[i] = detail::hash_round(lanes_[i], detail::load_le64(p + 8 * i));
  }

  std::uint64_t lanes_[4] = {detail::kHashP1, detail::kHashP2, detail::kHashP3, detail::kHashP4};
  std::uint64_t total_ = 0;
  unsigned char buffer_[kStripeBytes] = {};
  std::size_t buffered_ = 0;
};

/// The content hash of one buffer.
inline std::uint64_t content_hash(const void* data, std::size_t size) noexcept {
  ContentHasher hasher;
  hasher.update(data, size);
  return hasher.finish();
}

/// The content hash of a string's characters.
inline std::uint64_t content_hash(std::string_view text) noexcept {
  return content_hash(text.data(), text.size());
}

/// A file's content hash together with its size in bytes.
struct FileDigest {
  std::uint64_t hash = 0;   ///< content_hash of every byte of the file
  std::uint64_t bytes = 0;  ///< the file's size
};

/// Hashes a file in 1 MiB chunks (memory O(1 MiB)). A missing or unreadable file is a
/// DataError(path, 0, ...).
inline FileDigest hash_file(const std::filesystem::path& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw DataError(path.string(), 0, "cannot hash: is a directory, not a file");
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    throw DataError(path.string(), 0, std::string("cannot open: ") + std::strerror(errno));
  std::vector<unsigned char> chunk(std::size_t{1} << 20);
  ContentHasher hasher;
  for (;;) {
    const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), file);
    hasher.update(chunk.data(), got);
    if (got < chunk.size()) break;
  }
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) throw DataError(path.string(), 0, "cannot read: I/O error while hashing");
  return {hasher.finish(), hasher.bytes()};
}

}  // namespace deepfm
