#pragma once
/// @file
/// The container of model files and checkpoints: named, typed sections behind a magic, a
/// format version and a checksum, written atomically (core/atomic_file.hpp) and read back
/// through a read-only mapping. What goes into a model file is model_file.hpp's business.
///
/// Layout, version 2 (version 1 had the same layout, sealed by deepfm's own hand-written hash;
/// XXH3 replaced it, and this build refuses version 1 files as written by an older deepfm).
/// Little-endian; every field starts at a multiple of 8, so a payload can be used in place
/// from the mapping.
///   offset  size  content
///   0       8     magic "DEEPFMMF"
///   8       4     u32 format version (kSectionFileVersion)
///   12      4     u32 byte-order mark 0x01020304 (a big-endian writer's file reads 0x04030201)
///   16      8     u64 kind length K, then the kind's K bytes ("model", "checkpoint", ...),
///                 zero-padded to a multiple of 8
///           8     u64 section count, then per section, in the order they were added:
///                   u64 name length N, the name's N bytes zero-padded to a multiple of 8
///                   u32 element type (SectionType), u32 reserved 0
///                   u64 element count C
///                   C elements (bytes, text: 1 byte; f32, u32: 4; f64, u64: 8), zero-padded
///                   to a multiple of 8
///   end-8   8     u64 checksum: ContentHasher (data/content_hash.hpp, XXH3_64bits) of every
///                 byte before it
/// Names are unique within a file. The file ends right after the checksum.
///
/// Reading checks, in order: the magic ("not a deepfm model file"), the byte-order mark and
/// the version (an unknown one with a failing checksum is reported as possible damage); then
/// every length against the bytes that remain, before anything is allocated
/// ("truncated: ..."); then the checksum ("checksum mismatch: the file is damaged"); then the
/// kind. Every failure is a ModelFileError naming the file and the problem, never a crash or
/// an allocation sized by a damaged field.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "deepfm/core/atomic_file.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/data/content_hash.hpp"

namespace deepfm {

static_assert(std::endian::native == std::endian::little,
              "deepfm's model files are little-endian and read in place; this host is big-endian");

/// The 8 bytes every model file and checkpoint starts with.
inline constexpr char kSectionFileMagic[8] = {'D', 'E', 'E', 'P', 'F', 'M', 'M', 'F'};
/// The format version this build writes and the only one it reads. 2: the checksum is XXH3
/// (version 1 used deepfm's own hash, which this build no longer has).
inline constexpr std::uint32_t kSectionFileVersion = 2;
/// Written as a native u32; reads 0x04030201 on a machine of the other byte order.
inline constexpr std::uint32_t kSectionFileByteOrder = 0x01020304u;

/// The element type of a section, as stored in the file (values are part of the format).
enum class SectionType : std::uint32_t {
  bytes = 1,  ///< std::uint8_t
  text = 2,   ///< characters (UTF-8 by convention; not checked)
  f32 = 3,    ///< float
  f64 = 4,    ///< double
  u32 = 5,    ///< std::uint32_t
  u64 = 6,    ///< std::uint64_t
};

namespace detail {

template <typename T>
inline constexpr bool kIsSectionElement =
    std::is_same_v<T, std::uint8_t> || std::is_same_v<T, float> || std::is_same_v<T, double> ||
    std::is_same_v<T, std::uint32_t> || std::is_same_v<T, std::uint64_t>;

template <typename T>
constexpr SectionType section_type_of() noexcept {
  static_assert(kIsSectionElement<T>,
                "array sections hold std::uint8_t, float, double, std::uint32_t or std::uint64_t");
  if constexpr (std::is_same_v<T, std::uint8_t>) return SectionType::bytes;
  if constexpr (std::is_same_v<T, float>) return SectionType::f32;
  if constexpr (std::is_same_v<T, double>) return SectionType::f64;
  if constexpr (std::is_same_v<T, std::uint32_t>) return SectionType::u32;
  return SectionType::u64;
}

/// Bytes per element of a stored type tag; 0 for a tag this build does not know.
constexpr std::uint64_t section_element_bytes(std::uint32_t type) noexcept {
  switch (static_cast<SectionType>(type)) {
    case SectionType::bytes:
    case SectionType::text: return 1;
    case SectionType::f32:
    case SectionType::u32: return 4;
    case SectionType::f64:
    case SectionType::u64: return 8;
  }
  return 0;
}

inline const char* section_type_name(SectionType type) noexcept {
  switch (type) {
    case SectionType::bytes: return "bytes";
    case SectionType::text: return "text";
    case SectionType::f32: return "f32";
    case SectionType::f64: return "f64";
    case SectionType::u32: return "u32";
    case SectionType::u64: return "u64";
  }
  return "an unknown type";
}

constexpr std::uint64_t pad8(std::uint64_t bytes) noexcept { return (bytes + 7) / 8 * 8; }

/// The first bytes of a foreign file, printable, for "it starts with ..." messages.
inline std::string printable_prefix(const unsigned char* bytes, std::size_t size) {
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    if (bytes[i] >= 0x20 && bytes[i] < 0x7F && bytes[i] != '"' && bytes[i] != '\\') {
      out += static_cast<char>(bytes[i]);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", static_cast<unsigned>(bytes[i]));
      out += escaped;
    }
  }
  return out;
}

}  // namespace detail

/// Collects named sections, then writes them as one file atomically. Arrays are not copied
/// (an embedding table may be gigabytes): their memory must stay valid and unchanged until
/// save() returns. Text and add_u64() values are copied.
class SectionFileWriter {
 public:
  /// A file of kind `kind` ("model", "checkpoint", ...), which readers check.
  explicit SectionFileWriter(std::string kind) : kind_(std::move(kind)) {}

  /// Adds a text section (copied).
  void add_text(std::string name, std::string text) {
    check_name(name);  // before storing anything, so that a refused section leaves no trace
    owned_text_.push_back(std::move(text));
    const std::string& stored = owned_text_.back();
    add(std::move(name), SectionType::text, stored.data(), stored.size());
  }

  /// Adds an array of std::uint8_t, float, double, std::uint32_t or std::uint64_t (not copied).
  template <typename T>
  void add_array(std::string name, std::span<const T> values) {
    add(std::move(name), detail::section_type_of<T>(), values.data(), values.size());
  }

  /// Adds a one-element u64 section (copied); read back with SectionFileReader::u64().
  void add_u64(std::string name, std::uint64_t value) {
    check_name(name);
    owned_numbers_.push_back(value);
    add(std::move(name), SectionType::u64, &owned_numbers_.back(), 1);
  }

  /// The kind given at construction.
  const std::string& kind() const noexcept { return kind_; }

  /// Writes the file; on any failure (a ModelFileError naming `target` and the step) the
  /// target is left as it was and no temporary remains. A target that exists and is not a
  /// regular file is refused before anything is written. Can be called more than once.
  void save(const std::filesystem::path& target) const {
    AtomicFileWriter file(target, throw_model_file_error);
    ContentHasher hasher;
    const auto emit = [&](const void* data, std::size_t bytes) {
      if (bytes == 0) return;  // an empty span's data() may be null, which memcpy must not see
      hasher.update(data, bytes);
      file.write(data, bytes);
    };
    const auto emit_u64 = [&](std::uint64_t value) { emit(&value, 8); };
    const auto emit_padding = [&](std::uint64_t bytes) {
      static constexpr char kZeros[8] = {};
      emit(kZeros, static_cast<std::size_t>(detail::pad8(bytes) - bytes));
    };
    const auto emit_string = [&](const std::string& text) {
      emit_u64(text.size());
      emit(text.data(), text.size());
      emit_padding(text.size());
    };

    emit(kSectionFileMagic, 8);
    const std::uint32_t version = kSectionFileVersion;
    const std::uint32_t byte_order = kSectionFileByteOrder;
    emit(&version, 4);
    emit(&byte_order, 4);
    emit_string(kind_);
    emit_u64(sections_.size());
    for (const Section& section : sections_) {
      emit_string(section.name);
      const auto type = static_cast<std::uint32_t>(section.type);
      const std::uint32_t reserved = 0;
      emit(&type, 4);
      emit(&reserved, 4);
      emit_u64(section.count);
      const std::uint64_t bytes =
          section.count * detail::section_element_bytes(static_cast<std::uint32_t>(section.type));
      emit(section.data, static_cast<std::size_t>(bytes));
      emit_padding(bytes);
    }
    const std::uint64_t checksum = hasher.finish();  // of every byte before it, not itself
    file.write(&checksum, 8);
    file.commit();
  }

 private:
  struct Section {
    std::string name;
    SectionType type;
    std::uint64_t count;
    const void* data;
  };

  void check_name(const std::string& name) const {
    if (name.empty()) throw InvalidArgument("SectionFileWriter: a section needs a name");
    if (names_.count(name) != 0)
      throw InvalidArgument("SectionFileWriter: section '" + name + "' added twice");
  }

  void add(std::string name, SectionType type, const void* data, std::size_t count) {
    check_name(name);
    names_.insert(name);
    sections_.push_back({std::move(name), type, count, data});
  }

  std::string kind_;
  std::vector<Section> sections_{};
  std::set<std::string, std::less<>> names_{};
  // Deques: sections point into these, and a deque's push_back never moves what it holds.
  std::deque<std::string> owned_text_{};
  std::deque<std::uint64_t> owned_numbers_{};
};

/// A section file mapped read-only and verified whole; sections are read by name. Typed reads
/// of a missing section, of another type or of another size are ModelFileErrors naming the
/// file and the section.
class SectionFileReader {
 public:
  /// Maps and verifies `path` (see the file comment); its kind must be one of
  /// `accepted_kinds`, or anything when that is empty.
  static SectionFileReader open(const std::filesystem::path& path,
                                std::span<const std::string_view> accepted_kinds = {}) {
    SectionFileReader file(path.string());
    file.map();
    file.parse();
    if (!accepted_kinds.empty() && std::find(accepted_kinds.begin(), accepted_kinds.end(),
                                             file.kind_) == accepted_kinds.end()) {
      std::string expected;
      for (std::size_t i = 0; i < accepted_kinds.size(); ++i)
        expected += (i == 0 ? "'" : " or '") + std::string(accepted_kinds[i]) + "'";
      file.fail("a '" + file.kind_ + "' file, where a " + expected + " file is expected");
    }
    return file;
  }

  SectionFileReader(SectionFileReader&& other) noexcept { swap(other); }
  SectionFileReader& operator=(SectionFileReader&& other) noexcept {
    SectionFileReader moved(std::move(other));
    swap(moved);
    return *this;
  }
  SectionFileReader(const SectionFileReader&) = delete;
  SectionFileReader& operator=(const SectionFileReader&) = delete;
  ~SectionFileReader() {
    if (base_ != nullptr) ::munmap(const_cast<unsigned char*>(base_), size_);
  }

  /// The file's kind ("model", "checkpoint", ...).
  const std::string& kind() const noexcept { return kind_; }
  /// The path the file was opened with (as errors name it).
  const std::string& path() const noexcept { return path_; }

  /// Whether a section of that name exists.
  bool has(std::string_view name) const { return index_.find(name) != index_.end(); }

  /// Section names in file order (the order they were added).
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(sections_.size());
    for (const Entry& entry : sections_) out.push_back(entry.name);
    return out;
  }

  /// The element type of a section.
  SectionType type(std::string_view name) const { return entry(name).type; }
  /// The element count of a section (characters for text).
  std::uint64_t count(std::string_view name) const { return entry(name).count; }

  /// A text section's contents.
  std::string text(std::string_view name) const {
    const Entry& found = typed_entry(name, SectionType::text);
    return std::string(reinterpret_cast<const char*>(base_ + found.offset),
                       static_cast<std::size_t>(found.count));
  }

  /// An array section's values, copied.
  template <typename T>
  std::vector<T> array(std::string_view name) const {
    const std::span<const T> values = view<T>(name);
    return std::vector<T>(values.begin(), values.end());
  }

  /// Copies an array section into `out`, whose size must be the section's element count; the
  /// only copy of the data is the one into `out`.
  template <typename T>
  void read_into(std::string_view name, std::span<T> out) const {
    const std::span<const T> values = view<T>(name);
    if (values.size() != out.size())
      fail("section '" + std::string(name) + "' holds " + std::to_string(values.size()) +
           " values; " + std::to_string(out.size()) + " were expected");
    if (!values.empty()) std::memcpy(out.data(), values.data(), values.size() * sizeof(T));
  }

  /// An array section in place, without a copy; valid while this reader lives.
  template <typename T>
  std::span<const T> view(std::string_view name) const {
    const Entry& found = typed_entry(name, detail::section_type_of<T>());
    // Payloads start at multiples of 8 in a page-aligned mapping, so the cast is aligned.
    return {reinterpret_cast<const T*>(base_ + found.offset),
            static_cast<std::size_t>(found.count)};
  }

  /// A one-element u64 section's value (add_u64()).
  std::uint64_t u64(std::string_view name) const {
    const std::span<const std::uint64_t> values = view<std::uint64_t>(name);
    if (values.size() != 1)
      fail("section '" + std::string(name) + "' holds " + std::to_string(values.size()) +
           " values, not one number");
    return values[0];
  }

 private:
  struct Entry {
    std::string name;
    SectionType type = SectionType::bytes;
    std::uint64_t count = 0;
    std::uint64_t offset = 0;  // of the payload, from the start of the file
  };

  // The smallest possible file: header, empty kind, zero sections, checksum.
  static constexpr std::uint64_t kMinimumBytes = 16 + 8 + 8 + 8;

  explicit SectionFileReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& what) const { throw ModelFileError(path_, what); }

  void swap(SectionFileReader& other) noexcept {
    std::swap(path_, other.path_);
    std::swap(kind_, other.kind_);
    std::swap(sections_, other.sections_);
    std::swap(index_, other.index_);
    std::swap(base_, other.base_);
    std::swap(size_, other.size_);
  }

  // Opens, checks the 16-byte header with pread (so that a foreign file is never mapped),
  // then maps the whole file.
  void map() {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open: " + detail::errno_text());
    try {
      struct stat info {};
      if (::fstat(fd, &info) != 0) fail("cannot stat: " + detail::errno_text());
      if (S_ISDIR(info.st_mode)) fail("is a directory, not a deepfm model file");
      if (!S_ISREG(info.st_mode)) fail("is not a regular file");
      const auto size = static_cast<std::uint64_t>(info.st_size);
      if (size == 0) fail("not a deepfm model file: the file is empty");
      unsigned char head[16] = {};
      const auto head_bytes = static_cast<std::size_t>(std::min<std::uint64_t>(size, 16));
      if (!detail::pread_all(fd, head, head_bytes, 0)) fail("cannot read: " + detail::errno_text());
      check_header(head, head_bytes, size);
      void* mapped = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (mapped == MAP_FAILED) fail("cannot map: " + detail::errno_text());
      base_ = static_cast<const unsigned char*>(mapped);
      size_ = static_cast<std::size_t>(size);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);  // the mapping keeps the file open
  }

  void check_header(const unsigned char* head, std::size_t head_bytes, std::uint64_t size) const {
    const std::size_t magic_bytes = std::min<std::size_t>(head_bytes, 8);
    if (std::memcmp(head, kSectionFileMagic, magic_bytes) != 0)
      fail("not a deepfm model file (it starts with \"" +
           detail::printable_prefix(head, magic_bytes) + "\", not \"DEEPFMMF\")");
    if (head_bytes < 16)
      fail("truncated: " + std::to_string(size) + " bytes, shorter than the 16-byte header");
  }

  // With the file mapped: a version or byte-order mark this build does not know is genuine
  // when the checksum holds, and most likely damage when it does not (one flipped bit in the
  // version field must not read as "a newer deepfm").
  void check_version() const {
    std::uint32_t version = 0;
    std::uint32_t byte_order = 0;
    std::memcpy(&version, base_ + 8, 4);
    std::memcpy(&byte_order, base_ + 12, 4);
    if (byte_order == kSectionFileByteOrder && version == kSectionFileVersion) return;
    if (byte_order == 0x04030201u)
      fail("written on a big-endian machine; this build reads little-endian files");
    const bool sealed = checksum_holds();
    if (byte_order != kSectionFileByteOrder)
      fail(sealed ? "unknown byte-order mark " + hex(byte_order) + " (expected 0x01020304)"
                  : "checksum mismatch: the file is damaged (byte-order mark " + hex(byte_order) +
                        ")");
    std::string what = "format version " + std::to_string(version) + "; this build reads version " +
                       std::to_string(kSectionFileVersion);
    if (version == 1)  // sealed by the old hash, which this build cannot check
      what +=
          " (written by an older deepfm, whose checksum this build no longer computes: "
          "train the model again)";
    else if (!sealed)
      what += " (or the file is damaged: its checksum does not match)";
    else if (version > kSectionFileVersion)
      what += " (written by a newer deepfm)";
    fail(what);
  }

  bool checksum_holds() const noexcept {
    if (size_ < 24) return false;
    std::uint64_t stored = 0;
    std::memcpy(&stored, base_ + size_ - 8, 8);
    return content_hash(base_, size_ - 8) == stored;
  }

  static std::string hex(std::uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(value));
    return text;
  }

  // Walks the sections (lengths checked against the bytes left before anything is allocated
  // or read), then verifies the checksum. A problem other than running off the end is only
  // reported once the checksum holds, so that damage reads as damage.
  void parse() {
    check_version();
    const std::uint64_t size = size_;
    if (size < kMinimumBytes)
      fail("truncated: " + std::to_string(size) + " bytes, shorter than the smallest model file");
    const std::uint64_t end = size - 8;  // where the checksum starts
    std::uint64_t at = 16;
    std::string problem;

    const auto truncated = [&](const std::string& where) {
      fail("truncated: the file (" + std::to_string(size) + " bytes) ends inside " + where);
    };
    const auto read_u64 = [&](const std::string& where) {
      if (end - at < 8) truncated(where);
      std::uint64_t value = 0;
      std::memcpy(&value, base_ + at, 8);
      at += 8;
      return value;
    };
    const auto read_string = [&](const std::string& where) {
      const std::uint64_t length = read_u64(where);
      if (length > end - at || detail::pad8(length) > end - at) truncated(where);
      std::string text(reinterpret_cast<const char*>(base_ + at), static_cast<std::size_t>(length));
      at += detail::pad8(length);
      return text;
    };

    kind_ = read_string("the kind");
    const std::uint64_t count = read_u64("the section count");
    // Each section takes at least 24 bytes (name length, type, count).
    if (count > (end - at) / 24)
      truncated("the sections (" + std::to_string(count) + " claimed, room for at most " +
                std::to_string((end - at) / 24) + ")");
    for (std::uint64_t i = 0; i < count && problem.empty(); ++i) {
      const std::string where = "section " + std::to_string(i + 1) + " of " + std::to_string(count);
      Entry entry;
      entry.name = read_string("the name of " + where);
      const std::string quoted = "section '" + entry.name + "'";
      const std::uint64_t type_word = read_u64("the header of " + quoted);
      const auto type = static_cast<std::uint32_t>(type_word & 0xFFFFFFFFu);
      entry.count = read_u64("the header of " + quoted);
      const std::uint64_t element = detail::section_element_bytes(type);
      if (element == 0) {
        problem = quoted + " has an unknown element type " + std::to_string(type);
        break;  // its size is unknown, so nothing after it can be found
      }
      if ((type_word >> 32) != 0) problem = quoted + " has a non-zero reserved field";
      entry.type = static_cast<SectionType>(type);
      if (entry.count > (end - at) / element || detail::pad8(entry.count * element) > end - at)
        truncated(quoted + " (" + std::to_string(entry.count) + " " +
                  detail::section_type_name(entry.type) + " values)");
      entry.offset = at;
      at += detail::pad8(entry.count * element);
      if (index_.find(entry.name) != index_.end()) {
        problem = quoted + " appears twice";
        break;
      }
      index_.emplace(entry.name, sections_.size());
      sections_.push_back(std::move(entry));
    }
    if (problem.empty() && at != end)
      problem = std::to_string(end - at) + " unexpected bytes after the last section";

    if (!checksum_holds()) fail("checksum mismatch: the file is damaged");
    if (!problem.empty()) fail("malformed: " + problem);
  }

  const Entry& entry(std::string_view name) const {
    const auto found = index_.find(name);
    if (found == index_.end()) fail("section '" + std::string(name) + "' is missing");
    return sections_[found->second];
  }

  const Entry& typed_entry(std::string_view name, SectionType type) const {
    const Entry& found = entry(name);
    if (found.type != type)
      fail("section '" + std::string(name) + "' holds " + detail::section_type_name(found.type) +
           ", not " + detail::section_type_name(type));
    return found;
  }

  std::string path_{};
  std::string kind_{};
  std::vector<Entry> sections_{};
  std::map<std::string, std::size_t, std::less<>> index_{};
  const unsigned char* base_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace deepfm
