#pragma once
/// @file
/// Streams the lines of a text file, plain or gzip-compressed (zlib detects which), in a
/// bounded buffer: memory is O(max_line_bytes), never O(file). LF and CRLF endings are both
/// accepted, and so is a missing final newline; CR-only endings are refused by name. The buffer
/// starts at the file's size (small files are common: prediction requests, tests, fuzz inputs) and
/// doubles as long lines need, up to the bound + 2 bytes.

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "deepfm/core/error.hpp"

namespace deepfm {

/// Default bound on one line's length (1 MiB); longer lines are a DataError, not an allocation.
inline constexpr std::size_t kDefaultMaxLineBytes = std::size_t{1} << 20;
/// The largest bound a LineReader takes (1 GiB): its buffer may grow to bound + 2 bytes, and a
/// bound near SIZE_MAX made that size wrap to a buffer too small to hold a line, which then
/// ended the file early without an error.
inline constexpr std::size_t kMaxLineBytesLimit = std::size_t{1} << 30;

/// What breaks LineReader's rules in a line.
enum class LineFault { none, cr_endings, too_long, nul_byte };

/// Whether `text` holds a CR that ends no CRLF.
inline bool holds_lone_cr(std::string_view text) noexcept {
  for (std::size_t i = text.find('\r'); i != std::string_view::npos; i = text.find('\r', i + 1))
    if (i + 1 < text.size() && text[i + 1] != '\n') return true;
  return false;
}

/// Strips one trailing '\r' from `line` (its '\n' already gone) and checks it by LineReader's
/// rules. `only_line`: it is the file's first line and no '\n' follows it, so a CR in it means
/// the file's lines end in CR alone (a CR inside a line of an LF file stays data).
inline LineFault check_line(std::string_view& line, std::size_t max_line_bytes,
                            bool only_line) noexcept {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (only_line && line.find('\r') != std::string_view::npos) return LineFault::cr_endings;
  if (line.size() > max_line_bytes) return LineFault::too_long;
  if (std::memchr(line.data(), '\0', line.size()) != nullptr) return LineFault::nul_byte;
  return LineFault::none;
}

/// What a DataError says of a LineFault (the file and line are the error's own).
inline std::string line_fault_message(LineFault fault, std::size_t max_line_bytes) {
  switch (fault) {
    case LineFault::cr_endings:
      return "the lines end in a carriage return (CR) alone, not LF or CRLF (old Mac line "
             "endings), which deepfm does not read; convert the file first, e.g. "
             "tr '\\r' '\\n' <IN >OUT";
    case LineFault::too_long:
      return "line longer than " + std::to_string(max_line_bytes) + " bytes (--max-line-bytes)";
    case LineFault::nul_byte: return "line holds a NUL byte (binary data?)";
    case LineFault::none: break;
  }
  return "line breaks no rule";
}

/// How many '\n' `text` holds (a loop the compiler vectorises: memchr per line is a call).
inline std::size_t count_newlines(std::string_view text) noexcept {
  std::size_t count = 0;
  for (const char c : text) count += c == '\n' ? 1 : 0;
  return count;
}

/// Reads a file line by line. Lines exclude the '\n' and one trailing '\r'. A line holding a
/// NUL byte or longer than max_line_bytes (not counting the '\r' of a CRLF ending, so LF and
/// CRLF files pass alike) is a DataError naming the file and line.
/// A max_line_bytes above kMaxLineBytesLimit is an InvalidArgument.
class LineReader {
 public:
  explicit LineReader(std::string path, std::size_t max_line_bytes = kDefaultMaxLineBytes)
      : path_(std::move(path)), max_line_bytes_(max_line_bytes) {
    if (max_line_bytes_ > kMaxLineBytesLimit)
      throw InvalidArgument("max_line_bytes " + std::to_string(max_line_bytes_) +
                            " is above the limit of " + std::to_string(kMaxLineBytesLimit));
    std::error_code error;
    const auto status = std::filesystem::status(path_, error);
    if (error || !std::filesystem::exists(status))
      throw DataError(path_, 0, "cannot open: no such file");
    if (std::filesystem::is_directory(status))
      throw DataError(path_, 0, "cannot open: is a directory, not a file");
    // zlib allocates its buffers (input and twice that for output) on every open: no more
    // than the file needs.
    const std::uintmax_t file_bytes = std::filesystem::file_size(path_, error);
    const std::size_t file_size =
        error ? kChunkBytes
              : static_cast<std::size_t>(std::min<std::uintmax_t>(file_bytes, kChunkBytes));
    input_bytes_ = error ? 0 : static_cast<std::uint64_t>(file_bytes);
    buffer_limit_ = std::max(kChunkBytes, max_line_bytes_ + 2);
    buffer_.resize(std::clamp(file_size + 2, kMinBufferBytes, buffer_limit_));  // may throw
    file_ = gzopen(path_.c_str(), "rb");  // nothing after this throws: the destructor closes it
    if (file_ == nullptr)
      throw DataError(path_, 0, std::string("cannot open: ") + std::strerror(errno));
    gzbuffer(file_, static_cast<unsigned>(
                        std::clamp<std::size_t>(file_size, kMinBufferBytes, kZlibBufferBytes)));
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ~LineReader() {
    if (file_ != nullptr) gzclose(file_);
  }

  /// The next line in `line` (valid until the next call); false at the end of the file.
  bool next(std::string_view& line) {
    for (;;) {
      const char* begin = buffer_.data() + start_;
      const std::size_t available = end_ - start_;
      if (const void* newline = std::memchr(begin, '\n', available)) {
        const auto length = static_cast<std::size_t>(static_cast<const char*>(newline) - begin);
        start_ += length + 1;
        return emit(begin, length, line, false);
      }
      if (eof_) {
        if (available == 0) return false;
        start_ = end_;
        return emit(begin, available, line, true);
      }
      // Past the bound even if the line ends in "\r\n" (the '\r' is not part of it).
      if (available > max_line_bytes_ + 1) too_long(line_number_ + 1);
      refill();
    }
  }

  /// Appends whole lines to `out` as they are in the file, each with its '\n' (the file's
  /// last may lack one), until `out` holds at least `min_bytes` or the file ends. Returns
  /// false when the file had no more. The lines are counted but not checked: whoever splits
  /// them applies check_line. A line passing the bound before its end, or a failed read, is
  /// a DataError after the lines before it were appended. Not to be mixed with next().
  bool read_lines(std::string& out, std::size_t min_bytes) {
    bool appended = false;
    for (;;) {
      const std::string_view available(buffer_.data() + start_, end_ - start_);
      // Whole lines up to about the bytes still wanted: the last '\n' before that point, or
      // the first after it.
      const std::size_t wanted = min_bytes > out.size() ? min_bytes - out.size() : 1;
      std::size_t cut = std::string_view::npos;
      if (available.size() > wanted) cut = available.find('\n', wanted - 1);
      if (cut == std::string_view::npos) cut = available.rfind('\n');
      if (cut != std::string_view::npos) {
        const std::string_view lines = available.substr(0, cut + 1);
        out.append(lines);
        line_number_ += count_newlines(lines);
        bytes_read_ += lines.size();
        start_ += lines.size();
        appended = true;
        if (out.size() >= min_bytes) return true;
        continue;
      }
      if (eof_) {
        if (available.empty()) return appended;
        out.append(available);
        ++line_number_;
        bytes_read_ += available.size() + 1;
        start_ = end_;
        return true;
      }
      if (available.size() > max_line_bytes_ + 1) too_long(line_number_ + 1);
      refill();
    }
  }

  /// 1-based number of the line `next` returned last (0 before the first).
  std::size_t line_number() const noexcept { return line_number_; }
  const std::string& path() const noexcept { return path_; }
  /// The file's size as stored (0 where it cannot be told), and how much of it zlib has read
  /// (compressed bytes for gzip; a buffer ahead of the lines returned).
  std::uint64_t input_bytes() const noexcept { return input_bytes_; }
  std::uint64_t input_offset() const noexcept {
    const z_off_t offset = gzoffset(file_);
    return offset < 0 ? 0 : static_cast<std::uint64_t>(offset);
  }
  /// Bytes of (decompressed) text consumed so far.
  std::uint64_t bytes_read() const noexcept { return bytes_read_; }

 private:
  static constexpr std::size_t kChunkBytes = std::size_t{1} << 20;  // largest read
  static constexpr std::size_t kMinBufferBytes = std::size_t{1} << 12;
  static constexpr std::size_t kZlibBufferBytes = std::size_t{1} << 18;

  bool emit(const char* begin, std::size_t length, std::string_view& line, bool last_line) {
    ++line_number_;
    bytes_read_ += length + 1;
    line = std::string_view(begin, length);
    const LineFault fault = check_line(line, max_line_bytes_, line_number_ == 1 && last_line);
    if (fault == LineFault::too_long) too_long(line_number_);
    if (fault != LineFault::none)
      throw DataError(path_, line_number_, line_fault_message(fault, max_line_bytes_));
    return true;
  }

  [[noreturn]] void too_long(std::size_t line) const {
    // A long first line holding a CR that ends no CRLF is most likely a whole CR-only file.
    const LineFault fault =
        line == 1 && holds_lone_cr(std::string_view(buffer_.data() + start_, end_ - start_))
            ? LineFault::cr_endings
            : LineFault::too_long;
    throw DataError(path_, line, line_fault_message(fault, max_line_bytes_));
  }

  /// zlib's message without the "path: " it prefixes (DataError adds the path itself).
  std::string zlib_error() const {
    int code = 0;
    std::string message = gzerror(file_, &code);
    const std::string prefix = path_ + ": ";
    if (message.compare(0, prefix.size(), prefix) == 0) message.erase(0, prefix.size());
    return message;
  }

  /// Moves the unread tail to the front and reads more after it; doubles the buffer (up to
  /// its limit) when the tail fills more than half of it, so a long line costs O(its length).
  void refill() {
    const std::size_t tail = end_ - start_;
    if (tail > buffer_.size() / 2 && buffer_.size() < buffer_limit_) {
      const std::size_t grown = std::min(buffer_.size() * 2, buffer_limit_);
      buffer_.reserve(grown);  // exactly: resize alone may take up to twice as much
      buffer_.resize(grown);
    }
    std::memmove(buffer_.data(), buffer_.data() + start_, tail);
    start_ = 0;
    end_ = tail;
    const std::size_t room = buffer_.size() - end_;
    const int got = gzread(file_, buffer_.data() + end_, static_cast<unsigned>(room));
    if (got < 0) {
      throw DataError(path_, line_number_ + 1, "read failed: " + zlib_error());
    }
    end_ += static_cast<std::size_t>(got);
    if (got == 0) {
      int code = 0;
      gzerror(file_, &code);
      if (code != Z_OK && code != Z_STREAM_END)
        throw DataError(path_, line_number_ + 1, "read failed: " + zlib_error());
      eof_ = true;
    }
  }

  std::string path_;
  std::size_t max_line_bytes_;
  gzFile file_ = nullptr;
  std::vector<char> buffer_;
  std::size_t buffer_limit_ = 0;  // max(kChunkBytes, max_line_bytes_ + 2)
  std::size_t start_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  std::size_t line_number_ = 0;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t input_bytes_ = 0;
};

}  // namespace deepfm
