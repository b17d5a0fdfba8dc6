#pragma once
/// @file
/// A small direct-mapped cache in front of a ValueMap: in each of 256 slots, picked by a
/// multiply-shift of a key's 16 bytes, the last value that landed there and what its owner
/// keeps for it. Where a field has few distinct values (d2l's data, most of Criteo's fields)
/// nearly every lookup ends in these few KB, in L1, without the map's hash and probe: a hit
/// costs a multiply, a 16-byte compare and a load. Only keys that hold their value may be
/// kept: a longer value's key views text that does not outlive its block.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "deepfm/data/value_map.hpp"

namespace deepfm {

template <typename V>
class RecentValues {
 public:
  static constexpr unsigned kSlotBits = 8;

  struct Slot {
    ValueKey key;  ///< ValueKey::unmatched() while the slot holds nothing
    V value;
  };

  /// Empty: the slots are made by the first prepare(), so a file of thousands of fields
  /// holds them only for the fields that use them.
  RecentValues() = default;

  /// Makes the slots, once, each holding nothing.
  void prepare() {
    if (slots_.empty())
      slots_.assign(std::size_t{1} << kSlotBits, Slot{ValueKey::unmatched(), V{}});
  }

  /// The slot `key` maps to (after prepare()): it holds `key` when `slot.key == key`.
  Slot& slot(const ValueKey& key) noexcept {
    std::uint64_t low = 0;
    std::uint64_t high = 0;
    std::memcpy(&low, key.bytes(), 8);
    std::memcpy(&high, key.bytes() + 8, 8);
    // Fibonacci hashing of both words: the product's top bits depend on all of them.
    const std::uint64_t mixed = (low ^ std::rotl(high, 29)) * 0x9E3779B97F4A7C15ULL;
    return slots_[static_cast<std::size_t>(mixed >> (64 - kSlotBits))];
  }

  /// Every slot (none before prepare()).
  std::span<Slot> slots() noexcept { return slots_; }

  /// Bytes the slots take.
  std::size_t bytes() const noexcept { return slots_.capacity() * sizeof(Slot); }

 private:
  std::vector<Slot> slots_;
};

}  // namespace deepfm
