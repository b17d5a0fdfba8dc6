#pragma once
/// @file
/// Writes synthetic data (data/synthetic.hpp) as a d2l CTR CSV file: per line a 0/1 label and
/// one value per field, TAB-separated, LF endings. A value is the field-local id in decimal,
/// so reading the file back with the d2l rules rebuilds the same categories (values seen
/// fewer than min_count times fold into the field's default id, as for any d2l file).

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/data/synthetic.hpp"

namespace deepfm {

/// Writes rows [begin, end) of `data` (all rows by default) to `path` via a temporary file in
/// the same folder and a rename, so an interrupted write never leaves a partial file under the
/// final name.
inline void write_synthetic_d2l(const SyntheticData& data, const std::filesystem::path& path,
                                std::size_t begin = 0, std::size_t end = SIZE_MAX) {
  end = std::min(end, data.rows());
  if (begin >= end) throw InvalidArgument("write_synthetic_d2l: no rows in the range");
  const std::size_t fields = data.fields();
  std::vector<std::size_t> offsets(fields);
  for (std::size_t f = 1; f < fields; ++f) offsets[f] = offsets[f - 1] + data.field_dims[f - 1];

  const std::filesystem::path temporary = path.string() + ".tmp";
  std::FILE* out = std::fopen(temporary.c_str(), "wb");
  if (out == nullptr) throw DataError(path.string(), 0, "cannot write: cannot create the file");
  std::string line;
  char number[24];
  for (std::size_t r = begin; r < end; ++r) {
    line.clear();
    line.push_back(data.labels[r] > 0.5f ? '1' : '0');
    for (std::size_t f = 0; f < fields; ++f) {
      const std::size_t local = data.ids[r * fields + f] - offsets[f];
      const auto digits_end = std::to_chars(number, number + sizeof(number), local).ptr;
      line.push_back('\t');
      line.append(number, digits_end);
    }
    line.push_back('\n');
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

}  // namespace deepfm
