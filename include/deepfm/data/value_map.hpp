#pragma once
/// @file
/// The hash map the vocabulary keeps its values in: Abseil's flat_hash_map (open addressing,
/// one probe into a flat array where std::unordered_map chases a node per entry), hashed with
/// XXH3 (the function the dataset cache uses). Measured against std::unordered_map and Boost's
/// unordered_flat_map on 34 fields x 100 000 values: benchmarks/vocabulary_bench.cpp, figures
/// in the README.
///
/// Keys are ValueKeys: a value of up to 15 bytes (nearly every CTR category: Criteo's are 8
/// hex digits) is held in the key itself, so comparing it reads no memory beyond the slot the
/// probe already loaded; a longer one views bytes its owner keeps (a StringArena, or the kept
/// strings). A row's values are looked up together: hash all, prefetch all, then probe, so the
/// cache misses of the row's fields (megabytes of table each at Criteo scale) overlap instead
/// of following one another.

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "deepfm/data/content_hash.hpp"

namespace deepfm {

/// A categorical value as a 16-byte key: up to kInlineBytes bytes in place (zero-padded, the
/// size in the last byte), or a pointer and size for a longer value whose bytes live elsewhere.
class ValueKey {
 public:
  static constexpr std::size_t kInlineBytes = 15;

  /// Unset bytes (zero where value-initialised, as in a vector's resize): to be assigned.
  ValueKey() noexcept = default;

  /// The key of `value`; a value longer than kInlineBytes is viewed, not copied.
  explicit ValueKey(std::string_view value) noexcept {
    std::memset(bytes_, 0, sizeof bytes_);
    if (value.size() <= kInlineBytes) {
      copy_short(value.data(), value.size());
      bytes_[kInlineBytes] = static_cast<unsigned char>(value.size());
    } else {
      const char* data = value.data();
      const std::uint64_t size = value.size();
      std::memcpy(bytes_, &data, sizeof data);
      std::memcpy(bytes_ + 8, &size, 7);  // sizes below 2^56
      bytes_[kInlineBytes] = kExternal;
    }
  }

  /// The key of the n <= kInlineBytes bytes at `data`, where 16 bytes are readable from
  /// `data` on (the bytes past n are masked off): two fixed loads where the constructor
  /// branches on the size, for a text scanner's values.
  static ValueKey from_padded(const char* data, std::size_t n) noexcept {
    if constexpr (std::endian::native != std::endian::little) {
      return ValueKey(std::string_view(data, n));
    } else {
      std::uint64_t low = 0;
      std::uint64_t high = 0;
      std::memcpy(&low, data, 8);
      std::memcpy(&high, data + 8, 8);
      const std::uint64_t low_mask = n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1;
      const std::uint64_t high_mask = n > 8 ? (std::uint64_t{1} << (8 * (n - 8))) - 1 : 0;
      low &= low_mask;
      high = (high & high_mask) | (static_cast<std::uint64_t>(n) << 56);
      ValueKey key;
      std::memcpy(key.bytes_, &low, 8);
      std::memcpy(key.bytes_ + 8, &high, 8);
      return key;
    }
  }

  /// A key equal to no value's (an empty cache slot's): held, so compared as 16 bytes, with
  /// a size no value has.
  static ValueKey unmatched() noexcept {
    ValueKey key;
    std::memset(key.bytes_, 0, sizeof key.bytes_);
    key.bytes_[kInlineBytes] = kUnmatched;
    return key;
  }

  bool is_inline() const noexcept { return bytes_[kInlineBytes] != kExternal; }
  std::string_view view() const noexcept {
    if (is_inline()) return {reinterpret_cast<const char*>(bytes_), bytes_[kInlineBytes]};
    const char* data = nullptr;
    std::uint64_t size = 0;
    std::memcpy(&data, bytes_, sizeof data);
    std::memcpy(&size, bytes_ + 8, 7);
    return {data, static_cast<std::size_t>(size)};
  }

  /// The key's 16 bytes (a held value, zero-padded, then its size; or a view).
  const unsigned char* bytes() const noexcept { return bytes_; }

  friend bool operator==(const ValueKey& a, const ValueKey& b) noexcept {
    std::uint64_t a_words[2];
    std::uint64_t b_words[2];
    std::memcpy(a_words, a.bytes_, 16);
    std::memcpy(b_words, b.bytes_, 16);
    if (a.is_inline() || b.is_inline())  // both inline, or not the same value
      return a_words[0] == b_words[0] && a_words[1] == b_words[1];
    return a.view() == b.view();
  }

 private:
  static constexpr unsigned char kExternal = 0xFF;
  static constexpr unsigned char kUnmatched = 0xFE;

  /// bytes_[0, n) = data[0, n) for n <= 15, in fixed-size loads that read only those bytes
  /// (a memcpy of a variable size is a library call, a fifth of a lookup's time).
  void copy_short(const char* data, std::size_t n) noexcept {
    if constexpr (std::endian::native != std::endian::little) {
      if (n != 0) std::memcpy(bytes_, data, n);
    } else if (n >= 8) {
      std::memcpy(bytes_, data, 8);
      if (n > 8) {
        std::uint64_t tail = 0;
        std::memcpy(&tail, data + n - 8, 8);  // bytes [n - 8, n): the last 8, overlapping
        tail >>= 8 * (16 - n);                // now bytes [8, n), zero above
        std::memcpy(bytes_ + 8, &tail, 8);
      }
    } else if (n >= 4) {
      std::uint32_t head = 0;
      std::uint32_t tail = 0;
      std::memcpy(&head, data, 4);
      std::memcpy(&tail, data + n - 4, 4);
      const std::uint64_t word =
          head | (static_cast<std::uint64_t>(tail) << (8 * (n - 4)));  // overlap ORs equal bytes
      std::memcpy(bytes_, &word, 8);
    } else {
      for (std::size_t i = 0; i < n; ++i) bytes_[i] = static_cast<unsigned char>(data[i]);
    }
  }
  unsigned char bytes_[16];
};

/// Whether `a`'s value sorts before `b`'s in byte order (std::string's): for keys that hold
/// their values, one comparison of their 16 bytes read big-endian, since zero padding then the
/// size order a value before those it is a prefix of, as byte order does.
inline bool value_less(const ValueKey& a, const ValueKey& b) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    if (a.is_inline() && b.is_inline()) {
      std::uint64_t a_words[2];
      std::uint64_t b_words[2];
      std::memcpy(a_words, a.bytes(), 16);
      std::memcpy(b_words, b.bytes(), 16);
      const std::uint64_t a_high = __builtin_bswap64(a_words[0]);
      const std::uint64_t b_high = __builtin_bswap64(b_words[0]);
      if (a_high != b_high) return a_high < b_high;
      return __builtin_bswap64(a_words[1]) < __builtin_bswap64(b_words[1]);
    }
  }
  return a.view() < b.view();
}

/// XXH3 of a key: of its 16 bytes when it holds its value (one fixed-size path, where the
/// value's own size picks among XXH3's branches), else of the value it views. Equal values
/// hash alike either way: whether a key holds its value follows from the value's size.
struct ValueKeyHash {
  std::size_t operator()(const ValueKey& key) const noexcept {
    if (key.is_inline()) return static_cast<std::size_t>(XXH3_64bits(key.bytes(), 16));
    const std::string_view value = key.view();
    return static_cast<std::size_t>(XXH3_64bits(value.data(), value.size()));
  }
  std::size_t operator()(std::string_view value) const noexcept { return (*this)(ValueKey(value)); }
};

/// Values to V. A key of a value longer than ValueKey::kInlineBytes views bytes the map's
/// owner keeps for as long as the map.
template <typename V>
using ValueMap = absl::flat_hash_map<ValueKey, V, ValueKeyHash>;

/// Bytes a ValueMap<V> of `capacity` slots holds: a slot and a control byte each.
template <typename V>
constexpr std::size_t value_map_bytes(std::size_t capacity) noexcept {
  return capacity * (sizeof(typename ValueMap<V>::value_type) + 1);
}

/// Lookups ahead of the current one whose slots a column's loop fetches: enough to cover a
/// miss to memory (~100 ns) with the lookups between. Measured on the worst case (34 tables
/// of 3 MB): 16 beat 4, 8, 24, 32 and 48 (3.1 s against 3.4 s at 8 on one thread).
inline constexpr std::size_t kPrefetchAhead = 16;

/// Slots from which a map is worth prefetching: below, it stays in L2 and a prefetch would
/// only cost its hash.
inline constexpr std::size_t kPrefetchFromSlots = std::size_t{1} << 15;

/// Starts loading what looking `key` up in `map` will touch (where Abseil offers it and the
/// map is larger than L2).
template <typename V>
void prefetch_value(const ValueMap<V>& map, const ValueKey& key) noexcept {
  if constexpr (requires { map.prefetch(key); })
    if (map.capacity() >= kPrefetchFromSlots) map.prefetch(key);
}

/// `map.find(key)` with the key's hash already computed, where Abseil takes it.
template <typename Map>
auto find_hashed(Map& map, const ValueKey& key, std::size_t hash) {
  if constexpr (requires { map.find(key, hash); }) {
    return map.find(key, hash);
  } else {
    return map.find(key);
  }
}

/// Bytes that stay where they are until the arena goes: long values a map keys by view.
/// Blocks of 1 MiB (a larger value gets a block of its own), so memory follows the bytes kept.
class StringArena {
 public:
  std::string_view keep(std::string_view value) {
    if (value.size() > room_) {
      const std::size_t size = std::max(kBlockBytes, value.size());
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
      next_ = blocks_.back().get();
      room_ = size;
      allocated_ += size;
    }
    if (!value.empty()) std::memcpy(next_, value.data(), value.size());
    const std::string_view kept(next_, value.size());
    next_ += value.size();
    room_ -= value.size();
    return kept;
  }

  /// Bytes of the blocks held.
  std::size_t allocated_bytes() const noexcept { return allocated_; }

 private:
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t allocated_ = 0;
  char* next_ = nullptr;
  std::size_t room_ = 0;
};

}  // namespace deepfm
