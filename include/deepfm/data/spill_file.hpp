#pragma once
/// @file
/// Bytes written once, then read back in the order they were written, through a nameless
/// temporary file: what a one-read encode keeps of every record until the vocabulary is known
/// (encoder.hpp), so memory follows the vocabulary, not the file. The file is unlinked as soon
/// as it is made: the kernel frees it however the process ends.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "deepfm/core/atomic_file.hpp"
#include "deepfm/core/error.hpp"

namespace deepfm {

class SpillFile {
 public:
  /// A new spill file in `folder` (which must exist). Errors, here and later, are DataErrors
  /// naming the folder.
  explicit SpillFile(const std::filesystem::path& folder) : folder_(folder.string()) {
    std::filesystem::path made;
    fd_ = detail::make_temporary(folder / "spill", ".tmp-", made);
    if (fd_ < 0) fail("cannot create a temporary file in it: " + detail::errno_text());
    ::unlink(made.c_str());
    buffer_.reserve(kBufferBytes);
  }
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;
  ~SpillFile() { ::close(fd_); }

  /// Appends `size` bytes (buffered).
  void write(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    if (buffer_.size() + size > kBufferBytes) flush();
    if (size >= kBufferBytes) {
      write_through(bytes, size);
    } else {
      buffer_.insert(buffer_.end(), bytes, bytes + size);
    }
  }

  /// Fills `data` with the next `size` bytes written; false at the end of what was written
  /// (nothing is read then). The first read ends the writing.
  bool read(void* data, std::size_t size) {
    flush();
    if (size == 0) return read_at_ < written_;
    if (read_at_ + size > written_) return false;
    if (!detail::pread_all(fd_, data, size, read_at_))
      fail("cannot read back a temporary file: " + detail::errno_text());
    read_at_ += size;
    return true;
  }

  /// Bytes written so far.
  std::uint64_t bytes() const noexcept { return written_ + buffer_.size(); }

 private:
  static constexpr std::size_t kBufferBytes = std::size_t{1} << 20;

  void flush() {
    if (buffer_.empty()) return;
    write_through(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

  void write_through(const char* data, std::size_t size) {
    if (!detail::pwrite_all(fd_, data, size, written_))
      fail("cannot write a temporary file (disk full?): " + detail::errno_text());
    written_ += size;
  }

  [[noreturn]] void fail(const std::string& what) const { throw DataError(folder_, 0, what); }

  std::string folder_;
  int fd_ = -1;
  std::vector<char> buffer_;
  std::uint64_t written_ = 0;
  std::uint64_t read_at_ = 0;
};

}  // namespace deepfm
