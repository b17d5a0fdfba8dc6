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

  /// 1-based number of the line `next` returned last (0 before the first).
  std::size_t line_number() const noexcept { return line_number_; }
  const std::string& path() const noexcept { return path_; }
  /// Bytes of (decompressed) text consumed so far.
  std::uint64_t bytes_read() const noexcept { return bytes_read_; }

 private:
  static constexpr std::size_t kChunkBytes = std::size_t{1} << 20;  // largest read
  static constexpr std::size_t kMinBufferBytes = std::size_t{1} << 12;
  static constexpr std::size_t kZlibBufferBytes = std::size_t{1} << 18;

  bool emit(const char* begin, std::size_t length, std::string_view& line, bool last_line) {
    ++line_number_;
    bytes_read_ += length + 1;
    if (length > 0 && begin[length - 1] == '\r') --length;
    // A file whose lines end in CR alone would read as one line of every record run together
    // (3400 fields where there are 34): refuse it by name. It is a file without LF whose one
    // line holds a CR; a CR inside a line of an LF file stays data.
    if (line_number_ == 1 && last_line && std::memchr(begin, '\r', length) != nullptr)
      cr_line_endings(line_number_);
    if (length > max_line_bytes_) too_long(line_number_);
    if (std::memchr(begin, '\0', length) != nullptr)
      throw DataError(path_, line_number_, "line holds a NUL byte (binary data?)");
    line = std::string_view(begin, length);
    return true;
  }

  [[noreturn]] void cr_line_endings(std::size_t line) const {
    throw DataError(path_, line,
                    "the lines end in a carriage return (CR) alone, not LF or CRLF (old Mac line "
                    "endings), which deepfm does not read; convert the file first, e.g. "
                    "tr '\\r' '\\n' <IN >OUT");
  }

  [[noreturn]] void too_long(std::size_t line) const {
    // A long first line holding a CR that ends no CRLF is most likely a whole CR-only file.
    if (line == 1)
      for (std::size_t i = start_; i + 1 < end_; ++i)
        if (buffer_[i] == '\r' && buffer_[i + 1] != '\n') cr_line_endings(line);
    throw DataError(
        path_, line,
        "line longer than " + std::to_string(max_line_bytes_) + " bytes (--max-line-bytes)");
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
};

}  // namespace deepfm
