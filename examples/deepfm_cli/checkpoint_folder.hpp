#pragma once
// The --checkpoint-dir folder of one `deepfm train` run. The run creates it, holds an
// exclusive lock on it while it lives (a second run on the same folder would overwrite the
// first's checkpoint and sweep away its save in progress), refuses to overwrite a checkpoint
// it was not asked to --resume, and removes the temporary files a killed save left.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
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
    lock_ = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock_ < 0)
      throw deepfm::ModelFileError(
          folder.string(),
          std::string("cannot open the checkpoint folder: ") + std::strerror(errno));
    // The lock is the open folder's: the kernel drops it when the run ends, killed or not.
    // A file system without flock (ENOLCK, some network mounts) runs unlocked, as before.
    if (::flock(lock_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
      ::close(lock_);
      throw deepfm::ModelFileError(folder.string(),
                                   "another deepfm train is using this checkpoint folder; let it "
                                   "finish or give this run its own --checkpoint-dir");
    }
    if (!resume && std::filesystem::exists(checkpoint_file_)) {
      ::close(lock_);
      throw deepfm::InvalidArgument(
          checkpoint_file_.string() +
          " already exists and this run would overwrite it: pass --resume to continue from it, "
          "or remove it (or choose another --checkpoint-dir) to start afresh");
    }
    // Held by this run, so every temporary here is a killed run's.
    const std::string stale = "." + checkpoint_file_.filename().string() + ".tmp-";
    for (const auto& entry : std::filesystem::directory_iterator(folder, error))
      if (entry.path().filename().string().rfind(stale, 0) == 0)
        std::filesystem::remove(entry.path(), error);  // one that stays costs only disk space
  }

  CheckpointFolder(const CheckpointFolder&) = delete;
  CheckpointFolder& operator=(const CheckpointFolder&) = delete;
  ~CheckpointFolder() { ::close(lock_); }

  const std::filesystem::path& checkpoint_file() const noexcept { return checkpoint_file_; }

 private:
  std::filesystem::path checkpoint_file_;
  int lock_ = -1;
};

}  // namespace deepfm_cli
