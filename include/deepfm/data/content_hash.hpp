#pragma once
/// @file
/// A fast, portable, non-cryptographic 64-bit hash of byte streams: the checksum of binary
/// data sets and model files and the content key of the data-set cache. It must never change
/// silently, since every cache key and stored checksum depends on it; tests pin its value on
/// fixed inputs, and a change of algorithm bumps the format versions of the files it seals.
///
/// The algorithm is xxHash's XXH3_64bits with seed 0 and the default secret (libxxhash-dev,
/// xxHash >= 0.8.0, where XXH3's output became stable): the same value on every platform and
/// in any chunking. xxhash.h is compiled inline (XXH_INLINE_ALL), so deepfm stays header-only
/// and nothing links against libxxhash. Measured on a 2-core Xeon VM (benchmarks/
/// content_hash_bench.cpp), 1 MiB: 24 GB/s without -march (SSE2) and 43 to 52 GB/s with
/// AVX-512, against 14 GB/s (6.5 GB/s with -march=native) for the hand-written hash of
/// format version 1 that it replaced.

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

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
// GCC 12 reports -W(maybe-)uninitialized inside its own avx512fintrin.h when XXH3's AVX-512
// path is compiled (-march=native on an AVX-512 machine; GCC bug 105593, as in the top-level
// CMakeLists.txt); the pragmas cover the inlined intrinsics.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif
#include <xxhash.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "deepfm/core/error.hpp"

static_assert(XXH_VERSION_NUMBER >= 800,
              "deepfm needs xxHash >= 0.8.0: earlier XXH3 output was not stable across versions");

namespace deepfm {

/// Streaming form of the content hash: update() with the bytes in order, then finish().
class ContentHasher {
 public:
  ContentHasher() noexcept { XXH3_64bits_reset(&state_); }

  /// Appends `bytes` to the hashed stream.
  void update(const void* data, std::size_t size) noexcept {
    if (size == 0) return;  // data may be null then
    total_ += size;
    XXH3_64bits_update(&state_, data, size);
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
  std::uint64_t finish() const noexcept { return XXH3_64bits_digest(&state_); }

  /// Bytes appended so far.
  std::uint64_t bytes() const noexcept { return total_; }

 private:
  // Default secret, no seed: the state holds no pointer to outside memory, so copies are
  // independent hashers. Zeroed first so that no byte of a copy is indeterminate.
  XXH3_state_t state_{};
  std::uint64_t total_ = 0;
};

/// The content hash of one buffer.
inline std::uint64_t content_hash(const void* data, std::size_t size) noexcept {
  return XXH3_64bits(data, size);  // reads nothing when size is 0
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
