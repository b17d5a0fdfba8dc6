#pragma once
/// @file
/// Row kernels of the embedding tables, written against the ISA layer (simd.hpp): gathering a
/// batch's rows, and summing the gradients of each row. Both equal their scalar twins bit for
/// bit (ref::gather_rows copies; the sums add the same values in the same order, lane-wise).

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "deepfm/kernels/simd.hpp"

namespace deepfm::kernels::simd {

/// out[i, :] = table[ids[i], :] for i < n; rows of `dim` elements.
template <typename T>
void gather_rows(const T* table, std::size_t dim, const std::uint32_t* ids, std::size_t n,
                 T* out) noexcept {
  if (dim == 1) {  // the first-order weights: one value a row, no vector (or mask) to fill
    for (std::size_t i = 0; i < n; ++i) out[i] = table[ids[i]];
    return;
  }
  const std::size_t vectors = chunks<T>(dim);
  for (std::size_t i = 0; i < n; ++i) {
    const T* row = table + static_cast<std::size_t>(ids[i]) * dim;
    for (std::size_t c = 0; c < vectors; ++c)
      store_chunk(load_chunk(row, c, dim), out + i * dim, c, dim);
  }
}

/// For the slots s in [slot_begin, slot_end): sums[s, :] = 0 + every rows[i, :] with
/// slot_of_row[i] == s, added in row order; rows of `dim` elements. A caller that splits the
/// slots across threads gets the same sums as one call over all of them.
template <typename T>
void add_rows_to_slots(const T* rows, std::size_t dim, const std::uint32_t* slot_of_row,
                       std::size_t n, std::size_t slot_begin, std::size_t slot_end,
                       T* sums) noexcept {
  if (dim == 1) {  // the first-order weights: the same adds on scalars, no masks
    std::fill(sums + slot_begin, sums + slot_end, T(0));
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t s = slot_of_row[i];
      if (s >= slot_begin && s < slot_end) sums[s] += rows[i];
    }
    return;
  }
  const std::size_t vectors = chunks<T>(dim);
  for (std::size_t s = slot_begin; s < slot_end; ++s)
    for (std::size_t c = 0; c < vectors; ++c) store_chunk(Vec<T>::zero(), sums + s * dim, c, dim);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t s = slot_of_row[i];
    if (s < slot_begin || s >= slot_end) continue;
    T* sum = sums + s * dim;
    for (std::size_t c = 0; c < vectors; ++c)
      store_chunk(load_chunk(sum, c, dim) + load_chunk(rows + i * dim, c, dim), sum, c, dim);
  }
}

}  // namespace deepfm::kernels::simd
