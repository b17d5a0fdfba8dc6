#pragma once
/// @file
/// Row kernels of the embedding tables, written against the ISA layer (simd.hpp): gathering a
/// batch's rows, and summing a row's gradients. Both equal their scalar twins bit for bit
/// (ref::gather_rows copies; the sums add the same values in the same order, lane-wise).

#include <cstddef>
#include <cstdint>

#include "deepfm/kernels/simd.hpp"

namespace deepfm::kernels::simd {

/// out[i, :] = table[ids[i], :] for i < n; rows of `dim` elements.
template <typename T>
void gather_rows(const T* table, std::size_t dim, const std::uint32_t* ids, std::size_t n,
                 T* out) noexcept {
  const std::size_t vectors = chunks<T>(dim);
  for (std::size_t i = 0; i < n; ++i) {
    const T* row = table + static_cast<std::size_t>(ids[i]) * dim;
    for (std::size_t c = 0; c < vectors; ++c)
      store_chunk(load_chunk(row, c, dim), out + i * dim, c, dim);
  }
}

/// out[:] = 0 + rows[positions[0], :] + rows[positions[1], :] + ..., added in list order;
/// rows of `dim` elements.
template <typename T>
void sum_rows_at(const T* rows, std::size_t dim, const std::uint32_t* positions, std::size_t count,
                 T* out) noexcept {
  for (std::size_t c = 0; c < chunks<T>(dim); ++c) {
    Vec<T> sum = Vec<T>::zero();
    for (std::size_t k = 0; k < count; ++k)
      sum = sum + load_chunk(rows + std::size_t{positions[k]} * dim, c, dim);
    store_chunk(sum, out, c, dim);
  }
}

}  // namespace deepfm::kernels::simd
