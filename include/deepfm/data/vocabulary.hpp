#pragma once
/// @file
/// Maps categorical values (strings) to global feature ids, per field: a counted vocabulary
/// built from the training file with d2l's rules, or a hashing alternative without counting.
///
/// Counted vocabulary (d2l's CTRDataset rules, min_count = d2l's min_threshold):
///   kept_f        = values of field f seen at least min_count times in the TRAINING records,
///                   sorted by std::string's operator< (byte order; d2l's own order is that of
///                   a Python set, which is not reproducible)
///   local(f, v)   = index of v in kept_f, or the default id |kept_f| for any other value
///                   (rare or unseen: out of vocabulary)
///   field_dims[f] = |kept_f| + 1
///   offsets[f]    = field_dims[0] + ... + field_dims[f-1]      (exclusive cumulative sum)
///   id(f, v)      = offsets[f] + local(f, v)                   (global FeatureId)
///
/// Hashing (hash_buckets = N > 0), for vocabularies that do not fit in memory:
///   local(f, v)   = fnv1a64(f as 8 little-endian bytes, then the bytes of v) mod N
///   field_dims[f] = N, offsets[f] = f * N
/// FNV-1a 64: h = 14695981039346656037; for each byte b: h = (h XOR b) * 1099511628211 mod 2^64.
/// It is deterministic across machines and runs. Distinct values collide by design (that is
/// the memory saving); nothing is out of vocabulary and there is no default id.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/data/recent_values.hpp"
#include "deepfm/data/value_map.hpp"

namespace deepfm {

/// FNV-1a 64's state after the field index (8 bytes, little-endian): the same for every
/// value of the field, so a column's values start from it.
inline std::uint64_t hash_field_prefix(std::size_t field) noexcept {
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ull;
  std::uint64_t h = kOffsetBasis;
  const auto f = static_cast<std::uint64_t>(field);
  for (int byte = 0; byte < 8; ++byte) {
    h ^= (f >> (8 * byte)) & 0xffu;
    h *= 1099511628211ull;
  }
  return h;
}

/// FNV-1a 64 continued from state `h` over the value's bytes.
inline std::uint64_t hash_value_from(std::uint64_t h, std::string_view value) noexcept {
  for (const char c : value) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

/// FNV-1a 64 of the field index (8 bytes, little-endian) followed by the value's bytes.
inline std::uint64_t hash_feature(std::size_t field, std::string_view value) noexcept {
  return hash_value_from(hash_field_prefix(field), value);
}

/// Values from which a vocabulary is sorted and indexed a field per thread: below, waking the
/// threads costs more than the work.
inline constexpr std::size_t kThreadedVocabularyValues = std::size_t{1} << 15;

/// Per-field vocabulary (or hashing scheme) turning (field, value) into a global FeatureId.
class Vocabulary {
 public:
  /// An empty vocabulary (no fields).
  Vocabulary() = default;
  // The index views the kept strings: a move keeps them where they are (their vectors' heap
  // blocks move whole), a copy indexes its own.
  Vocabulary(Vocabulary&&) noexcept = default;
  Vocabulary& operator=(Vocabulary&&) noexcept = default;
  Vocabulary(const Vocabulary& other)
      : field_dims_(other.field_dims_),
        offsets_(other.offsets_),
        total_dim_(other.total_dim_),
        kept_(other.kept_),
        min_count_(other.min_count_),
        hash_buckets_(other.hash_buckets_) {
    build_index();
  }
  Vocabulary& operator=(const Vocabulary& other) {
    if (this != &other) *this = Vocabulary(other);
    return *this;
  }
  ~Vocabulary() = default;

  /// A counted vocabulary from each field's kept values (any order; sorted and checked for
  /// duplicates here, a field per thread). `min_count` is recorded for reports and model files.
  static Vocabulary from_kept_values(std::vector<std::vector<std::string>> kept,
                                     std::size_t min_count) {
    Vocabulary vocabulary;
    vocabulary.min_count_ = min_count;
    vocabulary.kept_ = std::move(kept);
    vocabulary.field_dims_.resize(vocabulary.kept_.size());
    parallel_for_each(vocabulary.kept_.size(), vocabulary.field_grain(), [&](std::size_t f) {
      auto& values = vocabulary.kept_[f];
      if (!std::is_sorted(values.begin(), values.end())) std::sort(values.begin(), values.end());
      if (std::adjacent_find(values.begin(), values.end()) != values.end())
        throw InvalidArgument("vocabulary: field " + std::to_string(f) + " lists a value twice");
      vocabulary.field_dims_[f] = values.size() + 1;
    });
    vocabulary.finish_offsets();
    vocabulary.build_index();
    return vocabulary;
  }

  /// A hashing vocabulary: `fields` fields of `buckets` ids each (see the file comment).
  static Vocabulary hashing(std::size_t fields, std::size_t buckets) {
    if (buckets == 0) throw InvalidArgument("vocabulary: hash_buckets must be positive");
    Vocabulary vocabulary;
    vocabulary.hash_buckets_ = buckets;
    vocabulary.field_dims_.assign(fields, buckets);
    vocabulary.kept_.resize(fields);
    vocabulary.finish_offsets();
    return vocabulary;
  }

  /// The global id of `value` in `field`; `out_of_vocabulary` tells whether it took the
  /// field's default id (always false when hashing). `field < fields()` is the caller's duty.
  FeatureId encode(std::size_t field, std::string_view value, bool& out_of_vocabulary) const {
    if (hash_buckets_ > 0) {
      out_of_vocabulary = false;
      return static_cast<FeatureId>(offsets_[field] + hash_feature(field, value) % hash_buckets_);
    }
    return counted_id(field, index_[field].find(ValueKey(value)), out_of_vocabulary);
  }

  /// The ids of one record's values (one per field, values.size() == fields()) into `ids`;
  /// returns how many took their field's default id. The fields' lookups overlap their cache
  /// misses (value_map.hpp), which is what makes this faster than encode per value.
  std::size_t encode_row(std::span<const std::string_view> values, FeatureId* ids) const {
    DEEPFM_ASSERT(values.size() == fields());
    std::size_t out_of_vocabulary = 0;
    if (hash_buckets_ > 0) {
      for (std::size_t f = 0; f < values.size(); ++f) ids[f] = encode(f, values[f]);
      return 0;
    }
    for (std::size_t begin = 0; begin < values.size(); begin += kLookupGroup) {
      const std::size_t end = std::min(values.size(), begin + kLookupGroup);
      std::size_t hashes[kLookupGroup];
      for (std::size_t f = begin; f < end; ++f) {
        hashes[f - begin] = ValueKeyHash{}(values[f]);
        prefetch_value(index_[f], ValueKey(values[f]));
      }
      for (std::size_t f = begin; f < end; ++f) {
        bool missing = false;
        ids[f] =
            counted_id(f, find_hashed(index_[f], ValueKey(values[f]), hashes[f - begin]), missing);
        out_of_vocabulary += missing ? 1 : 0;
      }
    }
    return out_of_vocabulary;
  }

  /// The global id of `value` in `field`.
  FeatureId encode(std::size_t field, std::string_view value) const {
    bool out_of_vocabulary = false;
    return encode(field, value, out_of_vocabulary);
  }

  /// The ids of field f's values of `rows` records, given as keys (a ParsedBlock's column),
  /// into ids[r]; returns how many took the field's default id. Fields are independent:
  /// threads may encode different fields at once. The next keys' slots are fetched a few
  /// lookups ahead.
  std::size_t encode_column(std::size_t field, const ValueKey* keys, std::size_t rows,
                            FeatureId* ids) const {
    if (hash_buckets_ > 0) {
      const std::uint64_t prefix = hash_field_prefix(field);
      const auto offset = static_cast<FeatureId>(offsets_[field]);
      for (std::size_t r = 0; r < rows; ++r)
        ids[r] = offset +
                 static_cast<FeatureId>(hash_value_from(prefix, keys[r].view()) % hash_buckets_);
      return 0;
    }
    const ValueMap<FeatureId>& index = index_[field];
    std::size_t out_of_vocabulary = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      if (r + kPrefetchAhead < rows) prefetch_value(index, keys[r + kPrefetchAhead]);
      bool missing = false;
      ids[r] = counted_id(field, index.find(keys[r]), missing);
      out_of_vocabulary += missing ? 1 : 0;
    }
    return out_of_vocabulary;
  }

  /// Number of fields.
  std::size_t fields() const noexcept { return field_dims_.size(); }
  /// Ids per field: kept + 1 (counted) or hash_buckets (hashing).
  const std::vector<std::size_t>& field_dims() const noexcept { return field_dims_; }
  /// Exclusive cumulative sum of field_dims: the first global id of each field.
  const std::vector<std::size_t>& offsets() const noexcept { return offsets_; }
  /// Sum of field_dims: the number of rows an embedding table needs.
  std::size_t total_dim() const noexcept { return total_dim_; }
  /// Field f's kept values in id order (empty when hashing).
  std::span<const std::string> kept_values(std::size_t field) const { return kept_.at(field); }
  /// Field f's default (out-of-vocabulary) global id; counted vocabularies only.
  FeatureId default_id(std::size_t field) const {
    if (is_hashing()) throw InvalidArgument("vocabulary: a hashing vocabulary has no default id");
    return static_cast<FeatureId>(offsets_.at(field) + kept_.at(field).size());
  }
  /// The min_count the vocabulary was built with (0 when hashing).
  std::size_t min_count() const noexcept { return min_count_; }
  /// Buckets per field when hashing, 0 for a counted vocabulary.
  std::size_t hash_buckets() const noexcept { return hash_buckets_; }
  /// Whether ids come from hashing rather than a counted vocabulary.
  bool is_hashing() const noexcept { return hash_buckets_ > 0; }

 private:
  FeatureId counted_id(std::size_t field, ValueMap<FeatureId>::const_iterator found,
                       bool& out_of_vocabulary) const noexcept {
    out_of_vocabulary = found == index_[field].end();
    const FeatureId local =
        out_of_vocabulary ? static_cast<FeatureId>(kept_[field].size()) : found->second;
    return static_cast<FeatureId>(offsets_[field]) + local;
  }

  /// index_[f] maps each kept value of field f (a view of kept_'s string) to its local id;
  /// a field per thread.
  void build_index() {
    index_.assign(kept_.size(), {});
    parallel_for_each(kept_.size(), field_grain(), [&](std::size_t f) {
      index_[f].reserve(kept_[f].size());
      for (std::size_t i = 0; i < kept_[f].size(); ++i)
        index_[f].emplace(ValueKey(kept_[f][i]), static_cast<FeatureId>(i));
    });
  }

  /// The grain of a loop over the fields that handles each kept value once: all on the
  /// calling thread for a small vocabulary, a field per block for a large one.
  std::size_t field_grain() const noexcept {
    std::size_t values = 0;
    for (const std::vector<std::string>& field : kept_) values += field.size();
    return values >= kThreadedVocabularyValues ? 1 : kept_.size();
  }

  /// Values whose lookups a row overlaps at a time (their hashes are held on the stack).
  static constexpr std::size_t kLookupGroup = 64;

  void finish_offsets() {
    offsets_.assign(field_dims_.size(), 0);
    std::size_t sum = 0;
    for (std::size_t f = 0; f < field_dims_.size(); ++f) {
      offsets_[f] = sum;
      if (field_dims_[f] > kMaxIds - sum)
        throw InvalidArgument("vocabulary: " + std::to_string(fields()) +
                              " fields need more than 2^32 feature ids (use fewer hash buckets "
                              "or a higher min_count)");
      sum += field_dims_[f];
    }
    total_dim_ = sum;
  }

  static constexpr std::size_t kMaxIds =
      static_cast<std::size_t>(std::numeric_limits<FeatureId>::max()) + 1;

  std::vector<std::size_t> field_dims_{};
  std::vector<std::size_t> offsets_{};
  std::size_t total_dim_ = 0;
  std::vector<std::vector<std::string>> kept_{};
  std::vector<ValueMap<FeatureId>> index_{};
  std::size_t min_count_ = 0;
  std::size_t hash_buckets_ = 0;
};

/// Pass 1 of a counted vocabulary: how often each value occurs per field, and the order in
/// which each field first saw its values (a value's first-seen index, which a one-read encode
/// keeps in place of its id until the vocabulary is known). Memory grows with the number of
/// distinct values, never with the number of records: per distinct value, a slot in its
/// field's flat map (its count and first-seen index), and its bytes in an arena when they do
/// not fit the key. Counts saturate at 2^32 - 1, which only a min_count above that could
/// tell apart.
class VocabularyCounter {
 public:
  /// Counts for `fields` fields.
  explicit VocabularyCounter(std::size_t fields) : fields_(fields) {}

  /// Counts one record's values (one per field; the size must be fields()).
  void add(std::span<const std::string_view> values) {
    DEEPFM_ASSERT(values.size() == fields_.size());
    for (std::size_t f = 0; f < values.size(); ++f) {
      const ValueKey key(values[f]);
      add_column(f, &key, 1);
    }
  }

  /// Counts field f's values of `rows` records, given as keys (a ParsedBlock's column), and
  /// when `first_seen` is given writes each value's first-seen index there. Fields are
  /// independent: threads may count different fields at once. A long column whose field's
  /// map fits in L2 is looked up through the field's recent values while they answer at least
  /// a quarter of its first lookups; a larger map's slots are fetched a few lookups ahead.
  void add_column(std::size_t field, const ValueKey* keys, std::size_t rows,
                  FeatureId* first_seen = nullptr) {
    FieldCounts& counts = fields_[field];
    std::size_t r = 0;
    if (rows >= kRecentTrialRows && counts.values.capacity() < kPrefetchFromSlots) {
      counts.recent.prepare();
      std::size_t hits = 0;
      for (; r < rows; ++r) {
        if (r == kRecentTrialRows && hits * 4 < r) break;  // few repeats: the map alone
        const ValueKey& key = keys[r];
        RecentValues<RecentCount>::Slot& slot = counts.recent.slot(key);
        FeatureId index = 0;
        if (slot.key == key) {
          index = slot.value.index;
          ++slot.value.pending;
          ++hits;
        } else {
          settle(field, slot);
          index = count_in_map(field, key);
          if (key.is_inline()) slot = {key, {index, 0}};
        }
        if (first_seen != nullptr) first_seen[r] = index;
      }
      for (RecentValues<RecentCount>::Slot& slot : counts.recent.slots()) settle(field, slot);
    }
    for (; r < rows; ++r) {
      if (r + kPrefetchAhead < rows) prefetch_value(counts.values, keys[r + kPrefetchAhead]);
      const FeatureId index = count_in_map(field, keys[r]);
      if (first_seen != nullptr) first_seen[r] = index;
    }
  }

  /// Number of fields counted.
  std::size_t fields() const noexcept { return fields_.size(); }
  /// Distinct values seen in field f.
  std::size_t distinct(std::size_t field) const { return fields_.at(field).values.size(); }

  /// About what a distinct value costs at build()'s peak, held in place (up to 15 bytes): a
  /// count slot at a typical load, a kept string, an index slot and a first-seen id.
  static constexpr std::size_t peak_bytes_per_value() noexcept {
    return value_map_bytes<Entry>(2) + sizeof(std::string) + sizeof(FeatureId) +
           value_map_bytes<FeatureId>(2);
  }

  /// The memory build() will have reached when done, from what is counted so far: the counts
  /// (their maps' slots, the long values' bytes, the recent values) and, beside them, the
  /// vocabulary it builds if every value is kept (a string, a slot of the index and a first-seen id
  /// each; long values' bytes again). What the encoder checks against its limit as it reads.
  std::uint64_t peak_bytes() const noexcept {
    std::uint64_t bytes = 0;
    for (const FieldCounts& counts : fields_) {
      const std::size_t distinct = counts.values.size();
      bytes += value_map_bytes<Entry>(counts.values.capacity()) +
               2 * counts.arena.allocated_bytes() + counts.recent.bytes();
      // The index reserves for every kept value: a power-of-two capacity up to twice that.
      bytes += distinct * (sizeof(std::string) + sizeof(FeatureId)) +
               value_map_bytes<FeatureId>(2 * distinct);
    }
    return bytes;
  }

  /// The vocabulary keeping the values seen at least `min_count` times (0 and 1 keep all).
  /// With `ids_by_first_seen`, also each field's global ids in the order it first saw its
  /// values: [f][i] is the id of field f's i-th new value (the field's default id when the
  /// value is not kept), what turns first-seen indices into the ids encode_rows gives. A field
  /// per thread: the same vocabulary for any thread count.
  Vocabulary build(std::size_t min_count,
                   std::vector<std::vector<FeatureId>>* ids_by_first_seen = nullptr) const {
    const std::size_t fields = fields_.size();
    std::vector<std::vector<std::string>> kept(fields);
    std::vector<std::vector<FeatureId>> kept_first_seen(fields);  // [f][i]: of kept[f][i]
    std::size_t distinct = 0;
    for (const FieldCounts& counts : fields_) distinct += counts.values.size();
    const std::size_t grain = distinct >= kThreadedVocabularyValues ? 1 : fields;
    parallel_for_each(fields, grain, [&](std::size_t f) {
      // One field's (key, first-seen index) pairs at a time: the peak stays near the kept
      // strings' own size.
      std::vector<std::pair<ValueKey, FeatureId>> order;
      for (const auto& [key, entry] : fields_[f].values)
        if (entry.count >= min_count) order.emplace_back(key, entry.first_seen);
      std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
        return value_less(a.first, b.first);  // values are distinct: by value alone
      });
      kept[f].reserve(order.size());
      kept_first_seen[f].reserve(order.size());
      for (const auto& [key, first] : order) {
        kept[f].emplace_back(key.view());
        kept_first_seen[f].push_back(first);
      }
    });
    if (ids_by_first_seen != nullptr) {
      ids_by_first_seen->assign(fields, {});
      std::vector<std::size_t> offsets(fields);  // each field's first global id
      for (std::size_t f = 0, offset = 0; f < fields; offset += kept[f].size() + 1, ++f)
        offsets[f] = offset;
      // kept_f's i-th value has id offset + i; every other value the default, offset + |kept_f|
      parallel_for_each(fields, grain, [&](std::size_t f) {
        std::vector<FeatureId>& ids = (*ids_by_first_seen)[f];
        ids.assign(fields_[f].values.size(), static_cast<FeatureId>(offsets[f] + kept[f].size()));
        for (std::size_t i = 0; i < kept[f].size(); ++i)
          ids[kept_first_seen[f][i]] = static_cast<FeatureId>(offsets[f] + i);
      });
    }
    // Throws where the ids pass 32 bits (the only case in which those above wrapped).
    return Vocabulary::from_kept_values(std::move(kept), min_count);
  }

 private:
  static constexpr std::uint32_t kMaxCount = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t kMaxFirstSeen = std::numeric_limits<FeatureId>::max();
  /// Lookups of a column after which its field's recent values must have answered a quarter.
  static constexpr std::size_t kRecentTrialRows = 256;

  struct Entry {
    std::uint32_t count;
    FeatureId first_seen;
  };
  /// A recent value's first-seen index, and its occurrences not yet added to its Entry.
  struct RecentCount {
    FeatureId index;
    std::uint32_t pending;
  };

  /// One field's counts (threads count fields apart).
  struct FieldCounts {
    ValueMap<Entry> values;            ///< each value's count and first-seen index
    RecentValues<RecentCount> recent;  ///< the last values looked up, by slot
    StringArena arena;  ///< the bytes of every distinct value too long for its key, once
  };

  static void add_count(Entry& entry, std::uint64_t occurrences) noexcept {
    entry.count =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(entry.count + occurrences, kMaxCount));
  }

  /// One more occurrence of `key` in `field`; returns its first-seen index, a new one when
  /// the field had not seen it.
  FeatureId count_in_map(std::size_t field, const ValueKey& key) {
    FieldCounts& counts = fields_[field];
    const auto found = counts.values.find(key);
    if (found != counts.values.end()) {
      add_count(found->second, 1);
      return found->second.first_seen;
    }
    if (counts.values.size() > kMaxFirstSeen)
      throw InvalidArgument("vocabulary: field " + std::to_string(field) +
                            " has more than 2^32 distinct values (use --hash-buckets)");
    const auto index = static_cast<FeatureId>(counts.values.size());
    // A long value's key must view bytes that outlive the record: the arena's copy.
    counts.values.emplace(key.is_inline() ? key : ValueKey(counts.arena.keep(key.view())),
                          Entry{1, index});
    return index;
  }

  /// Adds a recent value's pending occurrences to its entry (a held slot's value is in the map).
  void settle(std::size_t field, RecentValues<RecentCount>::Slot& slot) {
    if (slot.value.pending == 0) return;
    add_count(fields_[field].values.find(slot.key)->second, slot.value.pending);
    slot.value.pending = 0;
  }

  std::vector<FieldCounts> fields_;
};

}  // namespace deepfm
