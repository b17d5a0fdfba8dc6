#pragma once
/// @file
/// Writes synthetic data (data/synthetic.hpp) as text: a d2l CTR CSV file (per line a 0/1 label
/// and one value per field, TAB-separated, LF endings; a value is the field-local id in
/// decimal, so reading the file back with the d2l rules rebuilds the same categories, values
/// seen fewer than min_count times folding into the field's default id as for any d2l file),
/// or a Criteo raw file of the same rows, for the encoder's benchmarks.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/data/criteo_format.hpp"
#include "deepfm/data/synthetic.hpp"

namespace deepfm {

namespace detail {

/// Writes one line per row r of [begin, end), as `make_line(r, line)` fills it (with its
/// '\n'), to `path` via a temporary file in the same folder and a rename, so an interrupted
/// write never leaves a partial file under the final name.
template <typename MakeLine>
void write_lines_atomically(const std::filesystem::path& path, std::size_t begin, std::size_t end,
                            MakeLine&& make_line) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  std::FILE* out = std::fopen(temporary.c_str(), "wb");
  if (out == nullptr) throw DataError(path.string(), 0, "cannot write: cannot create the file");
  std::string line;
  for (std::size_t r = begin; r < end; ++r) {
    line.clear();
    make_line(r, line);
    if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) {
      std::fclose(out);
      std::filesystem::remove(temporary);
      throw DataError(path.string(), 0, "cannot write: disk full or I/O error");
    }
  }
  if (std::fclose(out) != 0) {
    std::filesystem::remove(temporary);
    throw DataError(path.string(), 0, "cannot write: I/O error on close");
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary);
    throw DataError(path.string(), 0, "cannot write: " + error.message());
  }
}

/// Each field's first global id in `data`.
inline std::vector<std::size_t> field_offsets(const SyntheticData& data) {
  std::vector<std::size_t> offsets(data.fields());
  for (std::size_t f = 1; f < data.fields(); ++f)
    offsets[f] = offsets[f - 1] + data.field_dims[f - 1];
  return offsets;
}

/// Appends `value` in decimal.
template <typename Integer>
void append_decimal(std::string& line, Integer value) {
  char number[24];
  line.append(number, std::to_chars(number, number + sizeof number, value).ptr);
}

}  // namespace detail

/// Writes rows [begin, end) of `data` (all rows by default) to `path` (atomically, as
/// detail::write_lines_atomically).
inline void write_synthetic_d2l(const SyntheticData& data, const std::filesystem::path& path,
                                std::size_t begin = 0, std::size_t end = SIZE_MAX) {
  end = std::min(end, data.rows());
  if (begin >= end) throw InvalidArgument("write_synthetic_d2l: no rows in the range");
  const std::size_t fields = data.fields();
  const std::vector<std::size_t> offsets = detail::field_offsets(data);
  detail::write_lines_atomically(path, begin, end, [&](std::size_t r, std::string& line) {
    line.push_back(data.labels[r] > 0.5f ? '1' : '0');
    for (std::size_t f = 0; f < fields; ++f) {
      line.push_back('\t');
      detail::append_decimal(line, data.ids[r * fields + f] - offsets[f]);
    }
    line.push_back('\n');
  });
}

/// Writes all rows of `data`, which must have 39 fields, in the Criteo raw format
/// (criteo_format.hpp): the label, 13 integer columns, 26 categorical ones. Field-local id 0
/// is a missing value (an empty column) in every field; in an integer column id i > 0 is the
/// integer i - 3 (-2, -1, 0, 1, ...: both of the reader's bucket rules, and far fewer
/// categories than ids once bucketed, as in real Criteo data); in a categorical column it is
/// 8 lower-case hex digits of a 64-bit mix of (field, i), like Criteo's hashed values (two ids
/// of a field share digits with odds of about 2^-32).
inline void write_synthetic_criteo(const SyntheticData& data, const std::filesystem::path& path) {
  if (data.fields() != kCriteoFields)
    throw InvalidArgument("write_synthetic_criteo: the Criteo format has 39 fields, not " +
                          std::to_string(data.fields()));
  if (data.rows() == 0) throw InvalidArgument("write_synthetic_criteo: no rows");
  const std::vector<std::size_t> offsets = detail::field_offsets(data);
  detail::write_lines_atomically(path, 0, data.rows(), [&](std::size_t r, std::string& line) {
    line.push_back(data.labels[r] > 0.5f ? '1' : '0');
    for (std::size_t f = 0; f < kCriteoFields; ++f) {
      line.push_back('\t');
      const std::uint64_t local = data.ids[r * kCriteoFields + f] - offsets[f];
      if (local == 0) continue;  // missing
      if (f < kCriteoIntegerFields) {
        detail::append_decimal(line, static_cast<std::int64_t>(local) - 3);
      } else {
        // SplitMix64's finaliser: a bijection of 64 bits, of which the low 32 are printed.
        std::uint64_t x = (static_cast<std::uint64_t>(f) << 40) ^ local;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        x ^= x >> 31;
        static constexpr char kHex[] = "0123456789abcdef";
        for (int shift = 28; shift >= 0; shift -= 4) line.push_back(kHex[(x >> shift) & 0xf]);
      }
    }
    line.push_back('\n');
  });
}

}  // namespace deepfm
