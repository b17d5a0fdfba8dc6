#pragma once
/// @file
/// The binary data set: an encoded data set (global ids and labels) in one versioned,
/// checksummed file that training memory-maps, so a second run skips parsing and holds no
/// text in memory. Linux/POSIX only (mmap, fsync, rename), as ARCHITECTURE targets.
///
/// File layout, version 2 (version 1 had the same layout with deepfm's own hand-written hash
/// as the checksum; this build refuses it as written by an older deepfm). Integers are in the
/// writing machine's byte order (the marker says which; a reader of the other order refuses
/// the file) so that the mapping is used in place.
///   offset  size            content
///   0       8               magic "DEEPFMDS"
///   8       4  u32          format version (2)
///   12      4  u32          byte-order marker 0x01020304
///   16      8  u64          rows
///   24      4  u32          fields (>= 1)
///   28      4  u32          reserved, 0
///   32      8  u64          field_dims_offset (= 64)
///   40      8  u64          ids_offset    = align64(64 + 8 * fields)
///   48      8  u64          labels_offset = align64(ids_offset + 4 * rows * fields)
///   56      8  u64          checksum_offset = align8(labels_offset + 4 * rows)
///   64      8 * fields      field_dims, u64 each (>= 1, sum <= 2^32)
///   ids_offset              u32 [rows x fields], row-major global ids (field offset applied)
///   labels_offset           float32 [rows], each exactly 0 or 1
///   checksum_offset  8 u64  content_hash (data/content_hash.hpp, XXH3_64bits) of bytes
///                           [0, checksum_offset)
/// The file ends right after the checksum; padding bytes are zero. Labels are float32 (not
/// u8) so that labels() is a span over the mapping, like ids(): 3 bytes per row against
/// 4 * fields per row of ids.
///
/// Zero rows are allowed (an empty split is a data set, not a format error); zero fields are not.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "deepfm/core/atomic_file.hpp"
#include "deepfm/core/batch.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/core/parallel_for.hpp"
#include "deepfm/data/content_hash.hpp"
#include "deepfm/data/encoded_dataset.hpp"

namespace deepfm {

/// The format version this build writes and the only one it reads. 2: the checksum is XXH3
/// (version 1 used deepfm's own hash, which this build no longer has).
inline constexpr std::uint32_t kBinaryDatasetVersion = 2;
/// The 8 bytes every binary data set starts with.
inline constexpr std::array<char, 8> kBinaryDatasetMagic = {'D', 'E', 'E', 'P', 'F', 'M', 'D', 'S'};
/// Written as a native u32; read back as 0x04030201 on a machine of the other byte order.
inline constexpr std::uint32_t kBinaryDatasetByteOrder = 0x01020304u;

namespace detail {

inline constexpr std::uint64_t kDatasetHeaderBytes = 64;

inline constexpr std::uint64_t align_up(std::uint64_t value, std::uint64_t to) noexcept {
  return (value + to - 1) / to * to;
}

/// Section offsets implied by rows and fields; the single source of the layout rule.
struct DatasetLayout {
  std::uint64_t ids_offset = 0;
  std::uint64_t labels_offset = 0;
  std::uint64_t checksum_offset = 0;
  std::uint64_t file_bytes = 0;

  /// Computes the layout; false when the sizes overflow 64 bits.
  static bool compute(std::uint64_t rows, std::uint64_t fields, DatasetLayout& out) noexcept {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max() / 8;
    if (fields == 0 || fields > kMax / 8 || rows > kMax / 4 / fields) return false;
    out.ids_offset = align_up(kDatasetHeaderBytes + 8 * fields, 64);
    out.labels_offset = align_up(out.ids_offset + 4 * rows * fields, 64);
    out.checksum_offset = align_up(out.labels_offset + 4 * rows, 8);
    out.file_bytes = out.checksum_offset + 8;
    return true;
  }
};

/// The fixed 64-byte header exactly as stored.
struct DatasetHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t byte_order;
  std::uint64_t rows;
  std::uint32_t fields;
  std::uint32_t reserved;
  std::uint64_t field_dims_offset;
  std::uint64_t ids_offset;
  std::uint64_t labels_offset;
  std::uint64_t checksum_offset;
};
static_assert(sizeof(DatasetHeader) == kDatasetHeaderBytes, "the header is 64 bytes, no padding");

}  // namespace detail

/// Streams rows into a binary data set file. Rows go to a temporary file beside the target
/// (labels to a second, already-unlinked one); finish() writes the header and checksum,
/// fsyncs, renames onto the target atomically (replacing any old file) and fsyncs the folder.
/// A crash or an exception never leaves a partial file under the target's name; destroying
/// the writer without finish() removes the temporary file. Memory is O(1 MiB), not O(rows).
class BinaryDatasetWriter {
 public:
  /// Prepares to write `target`; call set_field_dims() before the first row.
  explicit BinaryDatasetWriter(std::filesystem::path target)
      : target_(checked_target(std::move(target))), file_(target_) {
    ids_buffer_.reserve(kBufferBytes / sizeof(FeatureId));
    labels_buffer_.reserve(kBufferBytes / sizeof(float));
    std::filesystem::path labels_name;
    labels_fd_ = detail::make_temporary(target_, ".labels-", labels_name);
    // file_ is a constructed member, so its destructor removes the temporary if this throws.
    if (labels_fd_ < 0) fail("cannot create a temporary file beside it: " + detail::errno_text());
    ::unlink(labels_name.c_str());  // nameless from here on: the kernel frees it in any case
  }
  /// Same, with the field dims given at once.
  BinaryDatasetWriter(std::filesystem::path target, std::vector<std::size_t> field_dims)
      : BinaryDatasetWriter(std::move(target)) {
    set_field_dims(std::move(field_dims));
  }
  BinaryDatasetWriter(const BinaryDatasetWriter&) = delete;
  BinaryDatasetWriter& operator=(const BinaryDatasetWriter&) = delete;
  /// Without a successful finish(), removes the temporary file; the target is untouched.
  ~BinaryDatasetWriter() {
    if (labels_fd_ >= 0) ::close(labels_fd_);
  }

  /// Sets the per-field vocabulary sizes, once, before any row. Each dim is >= 1 and their sum
  /// fits 32-bit ids (<= 2^32).
  void set_field_dims(std::vector<std::size_t> field_dims) {
    if (!field_dims_.empty()) throw InvalidArgument("BinaryDatasetWriter: field dims already set");
    if (field_dims.empty())
      throw InvalidArgument("BinaryDatasetWriter: a data set needs >= 1 field");
    if (field_dims.size() > std::numeric_limits<std::uint32_t>::max())
      throw InvalidArgument("BinaryDatasetWriter: too many fields");
    std::uint64_t total = 0;
    offsets_.resize(field_dims.size());
    for (std::size_t f = 0; f < field_dims.size(); ++f) {
      if (field_dims[f] == 0)
        throw InvalidArgument("BinaryDatasetWriter: field " + std::to_string(f) + " has dim 0");
      offsets_[f] = total;
      total += field_dims[f];
      if (total > (std::uint64_t{1} << 32))
        throw InvalidArgument("BinaryDatasetWriter: field dims sum past 2^32; ids are 32-bit");
    }
    field_dims_ = std::move(field_dims);
    detail::DatasetLayout layout;
    detail::DatasetLayout::compute(0, field_dims_.size(), layout);
    ids_at_ = layout.ids_offset;
  }

  /// Appends one sample: `ids` are global (field offset applied), one per field, each inside
  /// its field's range; `label` is 0 or 1. Anything else is an InvalidArgument, and the row is
  /// not written.
  void append_row(std::span<const FeatureId> ids, float label) {
    append_rows(ids, std::span<const float>(&label, 1));
  }

  /// Appends labels.size() samples, their ids row after row in `ids` (a row per label): as
  /// many append_row calls, checked first, so that on an InvalidArgument none is written.
  void append_rows(std::span<const FeatureId> ids, std::span<const float> labels) {
    if (finished_) throw InvalidArgument("BinaryDatasetWriter: append_row after finish()");
    if (field_dims_.empty())
      throw InvalidArgument("BinaryDatasetWriter: set_field_dims() before the first row");
    const std::size_t fields = field_dims_.size();
    if (ids.size() != labels.size() * fields)
      throw InvalidArgument(
          "BinaryDatasetWriter: row has " +
          std::to_string(labels.empty() ? ids.size() : ids.size() / labels.size()) +
          " ids, expected " + std::to_string(fields));
    for (const float label : labels)
      if (!(label == 0.0f || label == 1.0f))
        throw InvalidArgument("BinaryDatasetWriter: label must be 0 or 1, got " +
                              std::to_string(label));
    check_ids(ids);
    if (ids.size() * sizeof(FeatureId) >= kBufferBytes) {  // a long run: straight to the file
      flush_ids();
      write_ids(ids.data(), ids.size() * sizeof(FeatureId));
    } else {
      ids_buffer_.insert(ids_buffer_.end(), ids.begin(), ids.end());
      if (ids_buffer_.size() * sizeof(FeatureId) >= kBufferBytes) flush_ids();
    }
    labels_buffer_.insert(labels_buffer_.end(), labels.begin(), labels.end());
    rows_ += labels.size();
    if (labels_buffer_.size() * sizeof(float) >= kBufferBytes) flush_labels();
  }

  /// Completes the file: header, labels, checksum (one read-back pass over the file), fsync,
  /// atomic rename onto the target, fsync of the folder (no fsync where `durability` is
  /// unsynced: a file that is made again when its checksum fails). Afterwards the writer is
  /// spent.
  void finish(Durability durability = Durability::synced) {
    if (finished_) throw InvalidArgument("BinaryDatasetWriter: finish() called twice");
    if (field_dims_.empty())
      throw InvalidArgument("BinaryDatasetWriter: set_field_dims() before finish()");
    flush_ids();
    flush_labels();
    detail::DatasetLayout layout;
    if (!detail::DatasetLayout::compute(rows_, field_dims_.size(), layout))
      fail("the data set is too large for the format");

    // Labels: copied from the side file into their section.
    std::vector<char> chunk(kBufferBytes);
    for (std::uint64_t done = 0; done < labels_bytes_;) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), labels_bytes_ - done));
      if (!detail::pread_all(labels_fd_, chunk.data(), n, done))
        fail("cannot read back the labels: " + detail::errno_text());
      file_.write_at(layout.labels_offset + done, chunk.data(), n);
      done += n;
    }
    // Header, field dims and explicit zero padding (the checksum covers every byte).
    std::vector<char> head(layout.ids_offset, '\0');
    detail::DatasetHeader header{};
    std::memcpy(header.magic, kBinaryDatasetMagic.data(), 8);
    header.version = kBinaryDatasetVersion;
    header.byte_order = kBinaryDatasetByteOrder;
    header.rows = rows_;
    header.fields = static_cast<std::uint32_t>(field_dims_.size());
    header.field_dims_offset = detail::kDatasetHeaderBytes;
    header.ids_offset = layout.ids_offset;
    header.labels_offset = layout.labels_offset;
    header.checksum_offset = layout.checksum_offset;
    std::memcpy(head.data(), &header, sizeof header);
    for (std::size_t f = 0; f < field_dims_.size(); ++f) {
      const std::uint64_t dim = field_dims_[f];
      std::memcpy(head.data() + detail::kDatasetHeaderBytes + 8 * f, &dim, 8);
    }
    const std::uint64_t ids_end = layout.ids_offset + ids_bytes_;
    const std::uint64_t labels_end = layout.labels_offset + labels_bytes_;
    const std::vector<char> zeros(64, '\0');
    file_.write_at(0, head.data(), head.size());
    file_.write_at(ids_end, zeros.data(), static_cast<std::size_t>(layout.labels_offset - ids_end));
    file_.write_at(labels_end, zeros.data(),
                   static_cast<std::size_t>(layout.checksum_offset - labels_end));

    ContentHasher hasher;
    for (std::uint64_t done = 0; done < layout.checksum_offset;) {
      const std::size_t n = static_cast<std::size_t>(
          std::min<std::uint64_t>(chunk.size(), layout.checksum_offset - done));
      if (!detail::pread_all(file_.fd(), chunk.data(), n, done))
        fail("cannot read back for the checksum: " + detail::errno_text());
      hasher.update(chunk.data(), n);
      done += n;
    }
    const std::uint64_t checksum = hasher.finish();
    file_.write_at(layout.checksum_offset, &checksum, 8);
    if (::ftruncate(file_.fd(), static_cast<off_t>(layout.file_bytes)) != 0)
      fail("cannot size the file: " + detail::errno_text());
    file_.commit(durability);
    finished_ = true;
  }

  /// Rows appended so far.
  std::uint64_t rows() const noexcept { return rows_; }
  /// The field dims (empty until set).
  const std::vector<std::size_t>& field_dims() const noexcept { return field_dims_; }
  /// The final file name.
  const std::filesystem::path& target() const noexcept { return target_; }
  /// The temporary file rows are written to until finish().
  const std::filesystem::path& temporary_path() const noexcept { return file_.temporary_path(); }
  /// Whether finish() has completed.
  bool finished() const noexcept { return finished_; }

 private:
  static constexpr std::size_t kBufferBytes = std::size_t{1} << 20;

  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(target_.string(), 0, what);
  }

  static std::filesystem::path checked_target(std::filesystem::path target) {
    if (target.filename().empty())
      throw InvalidArgument("BinaryDatasetWriter: target '" + target.string() + "' is not a file");
    if (target.parent_path().empty()) target = std::filesystem::path(".") / target;
    return target;
  }

  /// Throws where an id of `ids` (whole rows) lies outside its field's range. The rows are
  /// checked on every thread (a pass over the ids, as long as the copy), the error is the
  /// first in row order.
  void check_ids(std::span<const FeatureId> ids) const {
    const std::size_t fields = field_dims_.size();
    const std::size_t rows = ids.size() / fields;
    std::atomic<std::size_t> first_bad{rows};
    parallel_for(rows, grain_for(fields * 2), [&](std::size_t begin, std::size_t end) {
      for (std::size_t r = begin; r < end; ++r) {
        bool bad = false;
        for (std::size_t f = 0; f < fields; ++f)
          bad |= ids[r * fields + f] - offsets_[f] >= field_dims_[f];  // below wraps, too
        if (bad) {
          std::size_t seen = first_bad.load();
          while (r < seen && !first_bad.compare_exchange_weak(seen, r)) {
          }
          return;
        }
      }
    });
    const std::size_t r = first_bad.load();
    if (r == rows) return;
    for (std::size_t f = 0; f < fields; ++f) {
      const FeatureId id = ids[r * fields + f];
      if (id < offsets_[f] || id - offsets_[f] >= field_dims_[f])
        throw InvalidArgument("BinaryDatasetWriter: id " + std::to_string(id) + " of field " +
                              std::to_string(f) + " is outside [" + std::to_string(offsets_[f]) +
                              ", " + std::to_string(offsets_[f] + field_dims_[f]) + ")");
    }
  }

  void write_ids(const FeatureId* ids, std::size_t bytes) {
    file_.write_at(ids_at_ + ids_bytes_, ids, bytes);
    ids_bytes_ += bytes;
  }
  void flush_ids() {
    write_ids(ids_buffer_.data(), ids_buffer_.size() * sizeof(FeatureId));
    ids_buffer_.clear();
  }
  void flush_labels() {
    const std::size_t bytes = labels_buffer_.size() * sizeof(float);
    if (!detail::pwrite_all(labels_fd_, labels_buffer_.data(), bytes, labels_bytes_))
      fail("cannot write: " + detail::errno_text());
    labels_bytes_ += bytes;
    labels_buffer_.clear();
  }

  std::filesystem::path target_;
  AtomicFileWriter file_;  // after target_, which it is built from
  int labels_fd_ = -1;
  std::vector<std::size_t> field_dims_{};
  std::vector<std::uint64_t> offsets_{};
  std::vector<FeatureId> ids_buffer_{};
  std::vector<float> labels_buffer_{};
  std::uint64_t ids_at_ = 0;
  std::uint64_t ids_bytes_ = 0;
  std::uint64_t labels_bytes_ = 0;
  std::uint64_t rows_ = 0;
  bool finished_ = false;
};

/// Writes an in-memory EncodedDataset as a binary data set file (atomically).
inline void write_binary_dataset(const EncodedDataset& data, const std::filesystem::path& target) {
  BinaryDatasetWriter writer(target, data.field_dims);
  const std::size_t fields = data.fields();
  for (std::size_t r = 0; r < data.rows(); ++r)
    writer.append_row(std::span<const FeatureId>(data.ids).subspan(r * fields, fields),
                      data.labels[r]);
  writer.finish();
}

/// How much MappedDataset checks when it opens a file. The header and sizes are always checked.
struct MappedDatasetOptions {
  /// Recompute the checksum: one sequential pass over the whole file. Measured on a 320 MB
  /// file in the page cache: 3.5 to 7 GB/s including the prefault (the hash alone runs at
  /// about 9 GB/s); from disk, the disk's read speed. Either check on prefaults the whole
  /// mapping (MAP_POPULATE), so a file larger than RAM is better opened with both off.
  bool verify_checksum = true;
  /// Check every label is 0 or 1 and every id lies in its field's range: one more pass over
  /// labels and ids (measured about 1 to 1.3 GB/s). Redundant for a file that passes the
  /// checksum and was written by BinaryDatasetWriter, which checks both on append_row; it
  /// guards files made by other writers and opens with verify_checksum off.
  bool validate_values = true;
};

/// A binary data set mapped read-only into memory. Opening validates magic, byte order,
/// version, sizes, and (by default) the checksum, labels and id ranges; every failure is a
/// DataError(file, 0, what) naming the problem. The mapping stays valid while the object
/// lives, even if the file is replaced (BinaryDatasetWriter replaces by rename, a new inode).
class MappedDataset {
 public:
  /// An empty, unopened data set (rows() == 0, fields() == 0).
  MappedDataset() = default;
  /// Maps and validates `path`.
  explicit MappedDataset(const std::filesystem::path& path, MappedDatasetOptions options = {})
      : path_(path.string()) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open: " + detail::errno_text());
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
      const std::string what = detail::errno_text();
      ::close(fd);
      fail("cannot stat: " + what);
    }
    if (!S_ISREG(info.st_mode)) {
      ::close(fd);
      fail("not a regular file");
    }
    size_ = static_cast<std::size_t>(info.st_size);
    if (size_ < detail::kDatasetHeaderBytes) {
      ::close(fd);
      fail("truncated or not a deepfm binary data set: " + std::to_string(size_) +
           " bytes, a header alone is 64");
    }
    // A verifying open reads every page anyway; prefaulting them in one call is much faster
    // than a page fault per 4 KiB during the pass.
    const int populate = options.verify_checksum || options.validate_values ? MAP_POPULATE : 0;
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED | populate, fd, 0);
    const std::string map_error = detail::errno_text();
    ::close(fd);
    if (mapped == MAP_FAILED) {
      size_ = 0;
      fail("cannot mmap: " + map_error);
    }
    base_ = static_cast<const unsigned char*>(mapped);
    try {
      validate(options);
    } catch (...) {
      unmap();
      throw;
    }
  }
  MappedDataset(const MappedDataset&) = delete;
  MappedDataset& operator=(const MappedDataset&) = delete;
  MappedDataset(MappedDataset&& other) noexcept { swap(other); }
  MappedDataset& operator=(MappedDataset&& other) noexcept {
    if (this != &other) {
      unmap();
      swap(other);
    }
    return *this;
  }
  ~MappedDataset() { unmap(); }

  /// Per-field vocabulary sizes.
  const std::vector<std::size_t>& field_dims() const noexcept { return field_dims_; }
  /// Number of fields.
  std::size_t fields() const noexcept { return field_dims_.size(); }
  /// Number of samples.
  std::size_t rows() const noexcept { return labels_.size(); }
  /// Global ids, row-major [rows x fields], inside the mapping.
  std::span<const FeatureId> ids() const noexcept { return ids_; }
  /// Labels (0 or 1), inside the mapping.
  std::span<const float> labels() const noexcept { return labels_; }
  /// The whole data set as one Batch view (valid while this object lives).
  Batch batch() const noexcept { return {ids_, labels_, fields()}; }
  /// The checksum stored in the file.
  std::uint64_t checksum() const noexcept { return checksum_; }
  /// The file's size in bytes.
  std::size_t file_bytes() const noexcept { return size_; }
  /// The file this maps ("" when unopened).
  const std::string& path() const noexcept { return path_; }
  /// Whether a file is mapped.
  bool is_open() const noexcept { return base_ != nullptr; }
  /// A copy in memory (for a caller that outlives the mapping or wants to modify).
  EncodedDataset to_encoded() const {
    return {field_dims_, std::vector<FeatureId>(ids_.begin(), ids_.end()),
            std::vector<float>(labels_.begin(), labels_.end())};
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw DataError(path_, 0, what); }

  void validate(const MappedDatasetOptions& options) {
    detail::DatasetHeader header;
    std::memcpy(&header, base_, sizeof header);
    if (std::memcmp(header.magic, kBinaryDatasetMagic.data(), 8) != 0)
      fail("not a deepfm binary data set (bad magic; expected \"DEEPFMDS\")");
    if (header.byte_order != kBinaryDatasetByteOrder)
      fail("written on a machine of the other byte order; re-encode it here");
    if (header.version != kBinaryDatasetVersion) {
      if (header.version > kBinaryDatasetVersion)
        fail("format version " + std::to_string(header.version) +
             " is newer than this build reads (version " + std::to_string(kBinaryDatasetVersion) +
             "); upgrade deepfm or re-encode the input");
      if (header.version == 1)
        fail(
            "format version 1 was written by an older deepfm, whose checksum this build no "
            "longer computes (this build reads version " +
            std::to_string(kBinaryDatasetVersion) + "); re-encode the input");
      fail("unsupported format version " + std::to_string(header.version) + " (this build reads " +
           std::to_string(kBinaryDatasetVersion) + ")");
    }
    detail::DatasetLayout layout;
    if (header.fields == 0) fail("corrupt header: 0 fields");
    if (!detail::DatasetLayout::compute(header.rows, header.fields, layout))
      fail("corrupt header: rows x fields overflows");
    if (header.field_dims_offset != detail::kDatasetHeaderBytes ||
        header.ids_offset != layout.ids_offset || header.labels_offset != layout.labels_offset ||
        header.checksum_offset != layout.checksum_offset || header.reserved != 0)
      fail("corrupt header: section offsets disagree with rows = " + std::to_string(header.rows) +
           " and fields = " + std::to_string(header.fields));
    if (size_ < layout.file_bytes)
      fail("truncated: " + std::to_string(size_) + " bytes, but " + std::to_string(header.rows) +
           " rows x " + std::to_string(header.fields) + " fields need " +
           std::to_string(layout.file_bytes));
    if (size_ > layout.file_bytes)
      fail(std::to_string(size_ - layout.file_bytes) + " unexpected bytes after the checksum (" +
           std::to_string(size_) + " bytes, expected " + std::to_string(layout.file_bytes) + ")");
    std::memcpy(&checksum_, base_ + layout.checksum_offset, 8);
    if (options.verify_checksum) {
      const std::uint64_t actual = content_hash(base_, layout.checksum_offset);
      if (actual != checksum_) fail("checksum mismatch: the file is corrupt; re-encode it");
    }

    const auto fields = static_cast<std::size_t>(header.fields);
    const auto rows = static_cast<std::size_t>(header.rows);
    field_dims_.resize(fields);
    std::vector<std::uint64_t> offsets(fields);
    std::uint64_t total = 0;
    for (std::size_t f = 0; f < fields; ++f) {
      std::uint64_t dim;
      std::memcpy(&dim, base_ + detail::kDatasetHeaderBytes + 8 * f, 8);
      if (dim == 0 || dim > (std::uint64_t{1} << 32) - total)
        fail("corrupt header: field " + std::to_string(f) + " has dim " + std::to_string(dim) +
             " (dims must be >= 1 and sum to <= 2^32)");
      offsets[f] = total;
      total += dim;
      field_dims_[f] = static_cast<std::size_t>(dim);
    }
    // Offsets are multiples of 64 into a page-aligned mapping, so the casts are aligned.
    ids_ = {reinterpret_cast<const FeatureId*>(base_ + layout.ids_offset), rows * fields};
    labels_ = {reinterpret_cast<const float*>(base_ + layout.labels_offset), rows};
    if (options.validate_values) {
      // Branch-free accumulation per row (the error path runs only on a bad row) keeps this
      // pass close to memory speed.
      for (std::size_t r = 0; r < rows; ++r)
        if (!(labels_[r] == 0.0f || labels_[r] == 1.0f))
          fail("row " + std::to_string(r) + ": label " + std::to_string(labels_[r]) +
               " is not 0 or 1");
      // In 32 bits: offset + dim <= 2^32, so offset and dim - 1 both fit, and the unsigned
      // difference wraps for an id below its field's offset.
      std::vector<std::uint32_t> first(fields), last(fields);
      for (std::size_t f = 0; f < fields; ++f) {
        first[f] = static_cast<std::uint32_t>(offsets[f]);
        last[f] = static_cast<std::uint32_t>(field_dims_[f] - 1);
      }
      for (std::size_t r = 0; r < rows; ++r) {
        const FeatureId* row = ids_.data() + r * fields;
        std::uint32_t bad = 0;
        for (std::size_t f = 0; f < fields; ++f)
          bad |=
              static_cast<std::uint32_t>(static_cast<std::uint32_t>(row[f] - first[f]) > last[f]);
        if (bad == 0) continue;
        for (std::size_t f = 0; f < fields; ++f)
          if (row[f] - offsets[f] >= field_dims_[f])
            fail("row " + std::to_string(r) + ": id " + std::to_string(row[f]) + " of field " +
                 std::to_string(f) + " is outside [" + std::to_string(offsets[f]) + ", " +
                 std::to_string(offsets[f] + field_dims_[f]) + ")");
      }
    }
  }

  void unmap() noexcept {
    if (base_ != nullptr) ::munmap(const_cast<unsigned char*>(base_), size_);
    base_ = nullptr;
    size_ = 0;
  }
  void swap(MappedDataset& other) noexcept {
    std::swap(path_, other.path_);
    std::swap(base_, other.base_);
    std::swap(size_, other.size_);
    std::swap(field_dims_, other.field_dims_);
    std::swap(ids_, other.ids_);
    std::swap(labels_, other.labels_);
    std::swap(checksum_, other.checksum_);
  }

  std::string path_{};
  const unsigned char* base_ = nullptr;
  std::size_t size_ = 0;
  std::vector<std::size_t> field_dims_{};
  std::span<const FeatureId> ids_{};
  std::span<const float> labels_{};
  std::uint64_t checksum_ = 0;
};

}  // namespace deepfm
