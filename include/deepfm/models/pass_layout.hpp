#pragma once
/// @file
/// How a model's pass over a batch is cut up: tiles of rows a thread takes through the whole
/// pass, and the chunks of rows whose weight-gradient partial sums are kept apart. The model
/// runs by it and the memory estimate counts its buffers from it.
///
/// Where the dense weights are small (d2l: 41 KB), a tile's weight gradients are summed while
/// its activations are still in L1, into the partial sums of its chunk, and the chunks'
/// partials are added in chunk order afterwards. Chunks depend on the batch's size only, never
/// on the thread count, so the sums are the same bits on any number of threads. Where the
/// weights are large (Criteo-like 400-400-400: 2.3 MB), a copy per chunk would cost more than
/// it saves, and the weight gradients follow the pass, each summed over every row.

#include <algorithm>
#include <cstddef>

namespace deepfm::pass_layout {

/// Rows of a tile where the weights are small: the tile's activations (34 fields x 10 factors
/// x 32 rows x 4 bytes = 43 KB, the input gradient as much) and the weights stay in L2.
inline constexpr std::size_t kTileRows = 32;
/// Dense weights up to this many bytes count as small.
inline constexpr std::size_t kSmallWeightBytes = std::size_t{256} << 10;
/// Rows of a tile where the weights are larger: each tile would read them again from L3
/// (a quarter of the Criteo-like forward's time at 32 rows), so tiles are larger.
inline constexpr std::size_t kLargeTileRows = 256;
/// Rows a chunk of the weight gradients' partial sums holds at least, and the most chunks a
/// batch has (their partials, 32 x 42 KB at d2l's shape, are then added in one pass).
inline constexpr std::size_t kChunkRows = 128;
inline constexpr std::size_t kMaxChunks = 32;

constexpr bool small_weights(std::size_t dense_bytes) noexcept {
  return dense_bytes <= kSmallWeightBytes;
}

constexpr std::size_t tile_rows(std::size_t dense_bytes) noexcept {
  return small_weights(dense_bytes) ? kTileRows : kLargeTileRows;
}

/// Chunks of a batch of `rows` (at least 1); chunk c holds rows [rows c / n, rows (c + 1) / n).
constexpr std::size_t weight_chunks(std::size_t rows) noexcept {
  return std::clamp<std::size_t>((rows + kChunkRows - 1) / kChunkRows, 1, kMaxChunks);
}

}  // namespace deepfm::pass_layout
