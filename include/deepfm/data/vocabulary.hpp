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
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "deepfm/core/batch.hpp"
#include "deepfm/core/error.hpp"

namespace deepfm {

/// FNV-1a 64 of the field index (8 bytes, little-endian) followed by the value's bytes.
inline std::uint64_t hash_feature(std::size_t field, std::string_view value) noexcept {
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ull;
  constexpr std::uint64_t kPrime = 1099511628211ull;
  std::uint64_t h = kOffsetBasis;
  const auto f = static_cast<std::uint64_t>(field);
  for (int byte = 0; byte < 8; ++byte) {
    h ^= (f >> (8 * byte)) & 0xffu;
    h *= kPrime;
  }
  for (const char c : value) {
    h ^= static_cast<unsigned char>(c);
    h *= kPrime;
  }
  return h;
}

namespace detail {

/// Lets unordered_map<std::string, ...> find a std::string_view without building a string.
struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view value) const noexcept {
    return std::hash<std::string_view>{}(value);
  }
};

template <typename T>
using StringMap = std::unordered_map<std::string, T, StringViewHash, std::equal_to<>>;

}  // namespace detail

/// Per-field vocabulary (or hashing scheme) turning (field, value) into a global FeatureId.
class Vocabulary {
 public:
  /// An empty vocabulary (no fields).
  Vocabulary() = default;

  /// A counted vocabulary from each field's kept values (any order; sorted and checked for
  /// duplicates here). `min_count` is recorded for reports and model files.
  static Vocabulary from_kept_values(std::vector<std::vector<std::string>> kept,
                                     std::size_t min_count) {
    Vocabulary vocabulary;
    vocabulary.min_count_ = min_count;
    vocabulary.kept_ = std::move(kept);
    vocabulary.index_.resize(vocabulary.kept_.size());
    vocabulary.field_dims_.resize(vocabulary.kept_.size());
    for (std::size_t f = 0; f < vocabulary.kept_.size(); ++f) {
      auto& values = vocabulary.kept_[f];
      std::sort(values.begin(), values.end());
      if (std::adjacent_find(values.begin(), values.end()) != values.end())
        throw InvalidArgument("vocabulary: field " + std::to_string(f) + " lists a value twice");
      auto& index = vocabulary.index_[f];
      index.reserve(values.size());
      for (std::size_t i = 0; i < values.size(); ++i)
        index.emplace(values[i], static_cast<FeatureId>(i));
      vocabulary.field_dims_[f] = values.size() + 1;
    }
    vocabulary.finish_offsets();
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
    const auto& index = index_[field];
    const auto found = index.find(value);
    out_of_vocabulary = found == index.end();
    const FeatureId local =
        out_of_vocabulary ? static_cast<FeatureId>(kept_[field].size()) : found->second;
    return static_cast<FeatureId>(offsets_[field]) + local;
  }

  /// The global id of `value` in `field`.
  FeatureId encode(std::size_t field, std::string_view value) const {
    bool out_of_vocabulary = false;
    return encode(field, value, out_of_vocabulary);
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
  std::vector<detail::StringMap<FeatureId>> index_{};
  std::size_t min_count_ = 0;
  std::size_t hash_buckets_ = 0;
};

/// Pass 1 of a counted vocabulary: how often each value occurs per field. Memory grows with
/// the number of distinct values, never with the number of records.
class VocabularyCounter {
 public:
  /// Counts for `fields` fields.
  explicit VocabularyCounter(std::size_t fields) : counts_(fields) {}

  /// Counts one record's values (one per field; the size must be fields()).
  void add(std::span<const std::string_view> values) {
    DEEPFM_ASSERT(values.size() == counts_.size());
    for (std::size_t f = 0; f < values.size(); ++f) {
      auto& counts = counts_[f];
      const auto found = counts.find(values[f]);
      if (found != counts.end()) {
        ++found->second;
      } else {
        counts.emplace(std::string(values[f]), 1);
      }
    }
  }

  /// Number of fields counted.
  std::size_t fields() const noexcept { return counts_.size(); }
  /// Distinct values seen in field f.
  std::size_t distinct(std::size_t field) const { return counts_.at(field).size(); }

  /// The vocabulary keeping the values seen at least `min_count` times (0 and 1 keep all).
  Vocabulary build(std::size_t min_count) const {
    std::vector<std::vector<std::string>> kept(counts_.size());
    for (std::size_t f = 0; f < counts_.size(); ++f) {
      for (const auto& [value, count] : counts_[f])
        if (count >= min_count) kept[f].push_back(value);
    }
    return Vocabulary::from_kept_values(std::move(kept), min_count);
  }

 private:
  std::vector<detail::StringMap<std::uint64_t>> counts_;
};

}  // namespace deepfm
