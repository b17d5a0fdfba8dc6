#pragma once
/// @file
/// What the encoder is told: its options, the parser factory, and the callbacks it reports
/// rows and skipped lines to.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "deepfm/core/batch.hpp"
#include "deepfm/data/line_reader.hpp"
#include "deepfm/data/record.hpp"

namespace deepfm {

/// Bytes of lines a block of a parallel read holds at least (unless the file ends first).
/// A batch of 8 such blocks holds 2 MiB of lines, whose parsed keys (16 bytes a value) take
/// up to 8 times that on files of one-byte values: tens of MB at most (the memory estimate
/// does not count them yet). Measured: 1 MiB blocks took the training run of a 17 MB d2l-like
/// file from 42 to 95 MB of peak RSS, 256 KiB blocks to 49 MB.
inline constexpr std::size_t kLineBlockBytes = std::size_t{256} << 10;

/// Hears how far a read of `path` has got: `done` of its `total` bytes as stored (compressed
/// bytes for gzip). Called on the reading thread after each batch of blocks.
using ProgressCallback =
    std::function<void(const std::string& path, std::uint64_t done, std::uint64_t total)>;

/// How files are read and encoded.
struct EncodeOptions {
  std::size_t min_count = 4;     ///< values seen fewer times in training map to the default id
  std::size_t hash_buckets = 0;  ///< > 0: hash each field into this many ids, no vocabulary
  bool strict = false;           ///< a skippable bad line is an error too
  std::size_t max_line_bytes = kDefaultMaxLineBytes;  ///< longer lines are a DataError
  std::size_t max_reported_lines = 5;                 ///< skipped lines quoted in the report
  /// Lines threads take at a time (record_blocks.hpp); it changes no result, only speed.
  std::size_t block_bytes = kLineBlockBytes;
  /// > 0: counting stops with a DataError once the vocabulary and the encoder's buffers
  /// would need more bytes than this (checked after each batch of blocks); no result changes
  /// otherwise.
  std::uint64_t max_memory = 0;
  ProgressCallback on_progress{};  ///< optional: the reads' progress (a terminal's bar)
};

/// Makes a fresh parser; every pass over every file gets its own. A parser for a test or
/// prediction file should be told the training field count (for d2l: D2lParser(fields)).
using ParserFactory = std::function<std::unique_ptr<RecordParser>()>;

/// Receives one encoded row: its global ids (valid during the call only) and its label
/// (0 for files without labels).
using RowCallback = std::function<void(std::span<const FeatureId> ids, float label)>;

/// Receives consecutive encoded rows: their global ids row by row (ids.size() / labels.size()
/// a row, valid during the call only) and their labels.
using RowsCallback =
    std::function<void(std::span<const FeatureId> ids, std::span<const float> labels)>;

/// Receives one skipped line: its 1-based line number and why it was skipped (the BadLine's
/// message, without the file and line). Called between the rows, in file order.
using SkippedLineCallback = std::function<void(std::size_t line, const std::string& message)>;

}  // namespace deepfm
