#pragma once
/// @file
/// Atomic replacement of a file: bytes go to a temporary file beside the target, and commit()
/// makes them the target with one rename, so a reader sees the old file or the new one, never
/// a mix, and a crash or an error at any step leaves the old file in place. POSIX only.
///
/// The steps of a save, in order; each is one private function named after it, so that a step
/// can fail (or have a fault injected) on its own, and each error names the target and step:
///   0. check    refuse a target that exists and is not a regular file ("exists and is not a
///               regular file"), before anything is created
///   1. create   the temporary ".<name>.tmp-XXXXXX" in the target's folder
///               ("cannot create a temporary file beside it: <strerror>")
///   2. write    write() / write_at(), retrying short writes and EINTR ("cannot write: ...");
///               ENOSPC, EFBIG and EDQUOT surface here (or at step 3 or 5 on some file systems)
///   --- commit():
///   3. flush    the buffered tail of write() ("cannot write: ...")
///   4. fsync    the data reaches the disk ("cannot flush to disk: ...")
///   5. close    ("cannot close: ...")
///   6. rename   the temporary replaces the target ("cannot rename the finished file into
///               place: ...")
///   7. fsync of the folder, so that the rename itself survives a crash; its failure is
///      ignored, since the target is already the complete new file
/// A file that can be made again and is checked when read (a dataset cache entry, with its
/// checksum) may skip steps 4 and 7 (Durability::unsynced): the rename is still atomic, but
/// after a crash of the machine the target may be the old file, or the new one incomplete.
/// Destroying the writer before the rename closes and removes the temporary; the target is
/// untouched. A new file gets the permissions 0666 minus the umask (what open(2) gives, not
/// mkstemp's 0600); a replaced file keeps its permission bits. A symbolic link as the target is
/// replaced by the new file, not followed.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/core/fault_injection.hpp"

namespace deepfm {

namespace detail {

/// strerror of the current errno.
inline std::string errno_text() { return std::strerror(errno); }

/// Writes all of `size` bytes at `offset`, retrying short writes and EINTR; false with errno
/// set on failure.
inline bool pwrite_all(int fd, const void* data, std::size_t size, std::uint64_t offset) noexcept {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;  // no progress and no error: retrying would spin forever
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

/// Reads all of `size` bytes at `offset`; false on error or early end of file.
inline bool pread_all(int fd, void* data, std::size_t size, std::uint64_t offset) noexcept {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

/// The folder a path's file lives in ("." for a bare file name).
inline std::filesystem::path folder_of(const std::filesystem::path& file) {
  return file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
}

/// Creates a new file ".<target name><suffix>XXXXXX" beside `target` (X: random letters and
/// digits) with O_EXCL and mode 0666 (the umask applies); returns its descriptor, or -1 with
/// errno set. Leftovers after a crash are recognisable by the name.
inline int make_temporary(const std::filesystem::path& target, std::string suffix,
                          std::filesystem::path& made) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static std::atomic<std::uint64_t> counter{0};
  const std::string stem =
      (folder_of(target) / ("." + target.filename().string() + suffix)).string();
  for (int attempt = 0; attempt < 100; ++attempt) {
    // Uniqueness comes from O_EXCL; the mix only makes collisions (and retries) rare across
    // processes and threads. SplitMix64's finaliser spreads the bits.
    std::uint64_t x =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        (static_cast<std::uint64_t>(::getpid()) << 40) ^
        (counter.fetch_add(1) * 0x9E3779B97F4A7C15ULL);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    x ^= x >> 31;
    std::string name = stem;
    for (int i = 0; i < 6; ++i, x /= 62) name += kAlphabet[x % 62];
    const int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      made = name;
      return fd;
    }
    if (errno != EEXIST) return -1;
  }
  return -1;  // errno is EEXIST
}

}  // namespace detail

/// Throws the exception a failed file operation is reported with; it must not return.
using FileErrorThrower = void (*)(const std::string& file, const std::string& what);

/// Reports a file failure as DataError(file, 0, what): data sets and caches.
[[noreturn]] inline void throw_data_error(const std::string& file, const std::string& what) {
  throw DataError(file, 0, what);
}

/// Reports a file failure as ModelFileError(file, what): model files and checkpoints.
[[noreturn]] inline void throw_model_file_error(const std::string& file, const std::string& what) {
  throw ModelFileError(file, what);
}

/// Whether commit() waits for the bytes to reach the disk (fsync) before and after the rename.
enum class Durability { synced, unsynced };

/// Writes a file under a temporary name beside `target` and renames it into place on
/// commit(); see the file comment for the steps and their errors.
class AtomicFileWriter {
 public:
  /// Checks `target` and creates the temporary. Failures are reported through `on_error`
  /// (DataError by default) naming `target`; an empty file name is an InvalidArgument.
  explicit AtomicFileWriter(std::filesystem::path target,
                            FileErrorThrower on_error = throw_data_error)
      : target_(std::move(target)), on_error_(on_error) {
    if (target_.filename().empty())
      throw InvalidArgument("AtomicFileWriter: target '" + target_.string() + "' is not a file");
    check_target();
    create_temporary();
  }

  /// Before the work whose result will be saved to `target` (hours of training, say): fails,
  /// as a save would and naming `target`, unless steps 0 and 1 of a save succeed. The probe's
  /// temporary is removed at once, and no fault point fires: it is not a save. A disk that
  /// fills up in the meantime still fails the save itself, leaving the old file whole.
  static void check_destination(const std::filesystem::path& target,
                                FileErrorThrower on_error = throw_data_error) {
    AtomicFileWriter probe(target, on_error, Probe{});
  }

  AtomicFileWriter(AtomicFileWriter&& other) noexcept
      : target_(std::move(other.target_)),
        temporary_(std::move(other.temporary_)),
        on_error_(other.on_error_),
        fd_(std::exchange(other.fd_, -1)),
        buffer_(std::move(other.buffer_)),
        flushed_(other.flushed_),
        committed_(std::exchange(other.committed_, true)),
        keep_mode_(other.keep_mode_),
        mode_(other.mode_) {}
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(AtomicFileWriter&&) = delete;
  /// Without a successful commit(), closes and removes the temporary; the target is untouched.
  ~AtomicFileWriter() { discard(); }

  /// Appends `bytes` bytes (buffered; large writes go straight to the file).
  void write(const void* data, std::size_t bytes) {
    require_open("write");
    if (bytes <= kBufferBytes - buffer_.size()) {
      if (buffer_.capacity() < kBufferBytes) buffer_.reserve(kBufferBytes);
      const auto* p = static_cast<const char*>(data);
      buffer_.insert(buffer_.end(), p, p + bytes);
      if (buffer_.size() == kBufferBytes) flush();
      return;
    }
    flush();
    if (bytes >= kBufferBytes) {
      write_through(data, bytes, flushed_);
      flushed_ += bytes;
    } else {
      write(data, bytes);
    }
  }

  /// Writes `bytes` bytes at `offset`, unbuffered; the append position of write() stays.
  void write_at(std::uint64_t offset, const void* data, std::size_t bytes) {
    require_open("write_at");
    flush();  // so that an overlapping write_at lands after the bytes appended before it
    write_through(data, bytes, offset);
  }

  /// Bytes appended with write() so far: the offset the next write() lands at.
  std::uint64_t appended() const noexcept { return flushed_ + buffer_.size(); }

  /// The temporary's descriptor (read back, ftruncate); -1 once committed or discarded.
  int fd() const noexcept { return fd_; }

  /// Flushes, fsyncs, closes, renames onto the target and fsyncs the folder (no fsync where
  /// `durability` is unsynced). On failure the target is untouched and the temporary is
  /// removed (now or by the destructor).
  void commit(Durability durability = Durability::synced) {
    require_open("commit");
    flush();
    detail::fault_point("save:written");
    if (durability == Durability::synced) sync_file();
    detail::fault_point("save:synced");
    close_file();
    rename_into_place();
    detail::fault_point("save:renamed");
    if (durability == Durability::synced) sync_folder();
  }

  /// Closes and removes the temporary unless committed; the writer is spent afterwards.
  void discard() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!committed_ && !temporary_.empty()) ::unlink(temporary_.c_str());
    committed_ = true;  // spent: a later discard() must not unlink a new file of that name
  }

  /// The file that commit() replaces.
  const std::filesystem::path& target() const noexcept { return target_; }
  /// The temporary's name (no longer exists after commit() or discard()).
  const std::filesystem::path& temporary_path() const noexcept { return temporary_; }

 private:
  static constexpr std::size_t kBufferBytes = std::size_t{1} << 20;

  struct Probe {};
  AtomicFileWriter(std::filesystem::path target, FileErrorThrower on_error, Probe)
      : target_(std::move(target)), on_error_(on_error) {
    if (target_.filename().empty())
      throw InvalidArgument("AtomicFileWriter: target '" + target_.string() + "' is not a file");
    check_target();
    open_temporary();
  }

  [[noreturn]] void fail(const std::string& what) const {
    if (on_error_ != nullptr) on_error_(target_.string(), what);
    throw Error(target_.string() + ": " + what);  // in case a thrower returns after all
  }

  void require_open(const char* operation) const {
    if (fd_ < 0)
      throw InvalidArgument(std::string("AtomicFileWriter: ") + operation + " on '" +
                            target_.string() + "' after commit() or discard()");
  }

  // Step 0: rename() would replace a fifo or a device node and fail only at the end on a
  // directory, so refuse them before writing anything.
  void check_target() {
    struct stat info {};
    if (::stat(target_.c_str(), &info) != 0) return;  // absent (or unreachable: step 1 says)
    if (!S_ISREG(info.st_mode))
      fail(std::string("exists and is not a regular file (") + file_kind(info.st_mode) +
           "); refusing to replace it");
    mode_ = info.st_mode & 07777;
    keep_mode_ = true;
  }

  // Step 1.
  void create_temporary() {
    open_temporary();
    // Best effort: a replaced file keeps its permissions; failing to copy them is no reason to
    // refuse the save.
    if (keep_mode_) static_cast<void>(::fchmod(fd_, mode_));
    detail::fault_point("save:created");
  }

  void open_temporary() {
    fd_ = detail::make_temporary(target_, ".tmp-", temporary_);
    if (fd_ < 0) fail("cannot create a temporary file beside it: " + detail::errno_text());
  }

  // Step 2.
  void write_through(const void* data, std::size_t bytes, std::uint64_t offset) {
    if (!detail::pwrite_all(fd_, data, bytes, offset))
      fail("cannot write: " + detail::errno_text());
  }

  // Step 3.
  void flush() {
    if (buffer_.empty()) return;
    write_through(buffer_.data(), buffer_.size(), flushed_);
    flushed_ += buffer_.size();
    buffer_.clear();
  }

  // Step 4.
  void sync_file() {
    if (::fsync(fd_) != 0) fail("cannot flush to disk: " + detail::errno_text());
  }

  // Step 5. Linux releases the descriptor even when close() fails, so it is never retried.
  void close_file() {
    const int closed = ::close(fd_);
    fd_ = -1;
    if (closed != 0) fail("cannot close: " + detail::errno_text());
  }

  // Step 6. Until here a failure leaves committed_ false and discard() removes the temporary.
  void rename_into_place() {
    if (::rename(temporary_.c_str(), target_.c_str()) != 0)
      fail("cannot rename the finished file into place: " + detail::errno_text());
    committed_ = true;
  }

  // Step 7.
  void sync_folder() noexcept {
    const int dir = ::open(detail::folder_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      static_cast<void>(::fsync(dir));
      ::close(dir);
    }
  }

  static const char* file_kind(mode_t mode) noexcept {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a fifo";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    return "not a plain file";
  }

  std::filesystem::path target_;
  std::filesystem::path temporary_{};
  FileErrorThrower on_error_;
  int fd_ = -1;
  std::vector<char> buffer_{};
  std::uint64_t flushed_ = 0;  // bytes of write() already in the file
  bool committed_ = false;
  bool keep_mode_ = false;
  mode_t mode_ = 0;
};

}  // namespace deepfm
