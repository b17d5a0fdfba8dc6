#pragma once
/// @file
/// The data-set cache: binary data sets (data/binary_dataset.hpp) kept in a folder, keyed on
/// the input's content and the reader's options, so that a second run maps instead of parsing
/// and a changed input or option re-encodes. An entry is used only if it opens and validates;
/// a broken one is re-encoded and replaced, never used.
///
/// Key rule (content_hash over this canonical byte string; integers as 8 little-endian bytes):
///   "deepfm-dataset-cache-key\n" ++ u64 input hash ++ u64 input size
///   ++ u64 len(options) ++ options ++ u64 kBinaryDatasetVersion
/// `options` is the caller's canonical string of everything else the encoding depends on
/// (format, min_count, hash buckets, strictness, ... and, for a test file, the training file's
/// digest, since the vocabulary comes from it). Both the hash (XXH3 since format version 2)
/// and the version are in the key, so entries of an older deepfm are never looked up: they
/// stay in the folder, unused, until it is cleared. Entry file: `<stem>-<16 lowercase hex>.dfmd`,
/// where stem is the input's file stem with characters outside [A-Za-z0-9._-] made '_'.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "deepfm/core/error.hpp"
#include "deepfm/data/binary_dataset.hpp"
#include "deepfm/data/content_hash.hpp"

namespace deepfm {

/// `$XDG_CACHE_HOME/deepfm` when that is set and absolute, else `$HOME/.cache/deepfm`, else
/// (no HOME) `<temp dir>/deepfm-cache`. The folder is not created here.
inline std::filesystem::path default_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg != '\0' && std::filesystem::path(xdg).is_absolute())
    return std::filesystem::path(xdg) / "deepfm";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return std::filesystem::path(home) / ".cache" / "deepfm";
  return std::filesystem::temp_directory_path() / "deepfm-cache";
}

/// Identifies one cache entry: a readable stem and the 64-bit key.
struct DatasetCacheKey {
  std::string stem{};      ///< from the input's file name, for people browsing the folder
  std::uint64_t hash = 0;  ///< the key rule in this file's header

  /// `<stem>-<16 hex digits>.dfmd`.
  std::string file_name() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string name = stem;
    name += '-';
    for (int shift = 60; shift >= 0; shift -= 4) name += kHex[(hash >> shift) & 0xFu];
    name += ".dfmd";
    return name;
  }
};

/// The key of `input` (whose digest is given) read with `options`.
inline DatasetCacheKey make_dataset_cache_key(const std::filesystem::path& input,
                                              const FileDigest& digest, std::string_view options) {
  ContentHasher hasher;
  hasher.update(std::string_view("deepfm-dataset-cache-key\n"));
  hasher.update_u64(digest.hash);
  hasher.update_u64(digest.bytes);
  hasher.update_u64(options.size());
  hasher.update(options);
  hasher.update_u64(kBinaryDatasetVersion);
  std::string stem = input.stem().string();
  if (stem.size() > 64) stem.resize(64);
  for (char& c : stem) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    if (!keep) c = '_';
  }
  if (stem.empty()) stem = "data";
  return {std::move(stem), hasher.finish()};
}

/// A folder of binary data sets named by key.
class DatasetCache {
 public:
  /// Uses `dir` (default_cache_dir() unless overridden, e.g. by --cache-dir).
  explicit DatasetCache(std::filesystem::path dir = default_cache_dir()) : dir_(std::move(dir)) {}

  /// The cache folder.
  const std::filesystem::path& dir() const noexcept { return dir_; }
  /// Where the entry for `key` lives (whether or not it exists).
  std::filesystem::path path_for(const DatasetCacheKey& key) const {
    return dir_ / key.file_name();
  }

  /// The entry's path if it exists and opens and validates with `options` (by default the
  /// full checksum and value checks: one pass over the file); otherwise nullopt.
  std::optional<std::filesystem::path> lookup(const DatasetCacheKey& key,
                                              MappedDatasetOptions options = {}) const {
    if (open(key, options)) return path_for(key);
    return std::nullopt;
  }

  /// The entry mapped and validated, or nullopt when it is absent or broken.
  std::optional<MappedDataset> open(const DatasetCacheKey& key,
                                    MappedDatasetOptions options = {}) const {
    const std::filesystem::path path = path_for(key);
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;
    try {
      return MappedDataset(path, options);
    } catch (const DataError&) {
      return std::nullopt;
    }
  }

  /// Creates the folder (and parents) if needed; a DataError when that fails.
  void create() const {
    std::error_code error;
    std::filesystem::create_directories(dir_, error);
    if (error || !std::filesystem::is_directory(dir_, error))
      throw DataError(dir_.string(), 0,
                      "cannot create the cache folder: " +
                          (error ? error.message() : std::string("not a folder")));
  }

 private:
  std::filesystem::path dir_;
};

/// What encode_cached found or made.
struct CachedDataset {
  std::filesystem::path path{};  ///< the cache entry
  bool hit = false;              ///< true: an existing valid entry; false: encoded just now
  MappedDataset dataset{};       ///< the entry, mapped and validated
};

/// Hashes `input` (one pass), and returns the cache entry for (input, options) if it exists and
/// validates; otherwise calls `encode` with a writer targeting the entry (the callback sets the
/// field dims and appends the rows; finish() is called here if the callback did not), which
/// atomically creates or replaces it. If `encode` throws, nothing is left in the cache.
/// A found entry is opened with `open_options`; a fresh one without the checks (see below).
inline CachedDataset encode_cached(const std::filesystem::path& input, std::string_view options,
                                   const std::filesystem::path& cache_dir,
                                   const std::function<void(BinaryDatasetWriter&)>& encode,
                                   MappedDatasetOptions open_options = {}) {
  const FileDigest digest = hash_file(input);
  const DatasetCacheKey key = make_dataset_cache_key(input, digest, options);
  const DatasetCache cache(cache_dir);
  CachedDataset result;
  result.path = cache.path_for(key);
  if (auto found = cache.open(key, open_options)) {
    result.hit = true;
    result.dataset = std::move(*found);
    return result;
  }
  cache.create();
  {
    BinaryDatasetWriter writer(result.path);
    encode(writer);
    // Not fsynced: an entry is made again from its input, and a found one is opened with
    // its checksum verified (open_options' default), which an entry a crash cut short fails.
    // Syncing took an eighth of a d2l-like encode (the disk writing the ids).
    if (!writer.finished()) writer.finish(Durability::unsynced);
  }
  // A fresh entry skips the open-time checks: the writer validated every row and finish()
  // computed the checksum from the file; re-reading it would also prefault the whole
  // mapping and make the encoder's peak memory grow with the data.
  result.dataset = MappedDataset(result.path, {.verify_checksum = false, .validate_values = false});
  return result;
}

}  // namespace deepfm
