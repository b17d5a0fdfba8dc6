#pragma once
// The --checkpoint-dir folder of one `deepfm train` run. The run creates it, holds an
// exclusive lock on it while it lives (a second run on the same folder would overwrite the
// first's checkpoint and sweep away its save in progress), refuses to overwrite a checkpoint
// it was not asked to --resume, and removes the temporary files a killed save left.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deepfm/core/error.hpp>
#include <filesystem>
#include <string>
#include <system_error>

namespace deepfm_cli {

class CheckpointFolder {
 public:
  /// Throws ModelFileError when the folder cannot be made or another run holds it, and
  /// InvalidArgument when it holds a checkpoint and `resume` is false.
  CheckpointFolder(const std::filesystem::path& folder, bool resume)
      : checkpoint_file_(folder / "checkpoint.dfm") {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error)
      throw deepfm::ModelFileError(folder.string(),
                                   "cannot create the checkpoint folder: " + error.message());
    lock_.fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock_.fd < 0) {
      const int failure = errno;
      throw deepfm::ModelFileError(
          folder.string(),
          std::string("cannot open the checkpoint folder: ") + std::strerror(failure));
    }
    // The lock is the open folder's: the kernel drops it when the run ends, killed or not.
    if (::flock(lock_.fd, LOCK_EX | LOCK_NB) != 0) {
      const int failure = errno;
      if (failure == EWOULDBLOCK)
        throw deepfm::ModelFileError(folder.string(),
                                     "another deepfm train is using this checkpoint folder; let "
                                     "it finish or give this run its own --checkpoint-dir");
      // Some network file systems lock nothing: the run goes on, and says so.
      std::fprintf(stderr,
                   "deepfm: warning: %s: cannot lock the checkpoint folder (%s); make sure no "
                   "other run uses it\n",
                   folder.c_str(), std::strerror(failure));
    }
    if (!resume && std::filesystem::exists(checkpoint_file_, error))
      throw deepfm::InvalidArgument(
          checkpoint_file_.string() +
          " already exists and this run would overwrite it: pass --resume to continue from it, "
          "or remove it (or choose another --checkpoint-dir) to start afresh");
    // Held by this run, so every temporary here is a killed run's; one that cannot be removed
    // costs only disk space.
    const std::string stale = "." + checkpoint_file_.filename().string() + ".tmp-";
    std::filesystem::directory_iterator entry(folder, error);
    for (; !error && entry != std::filesystem::directory_iterator(); entry.increment(error))
      if (entry->path().filename().string().rfind(stale, 0) == 0) {
        std::error_code ignored;
        std::filesystem::remove(entry->path(), ignored);
      }
  }

  const std::filesystem::path& checkpoint_file() const noexcept { return checkpoint_file_; }

 private:
  /// Closes the descriptor (releasing the lock) however the run or the constructor ends.
  struct Descriptor {
    int fd = -1;
    Descriptor() = default;
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    ~Descriptor() {
      if (fd >= 0) ::close(fd);
    }
  };

  std::filesystem::path checkpoint_file_;
  Descriptor lock_;
};

}  // namespace deepfm_cli
