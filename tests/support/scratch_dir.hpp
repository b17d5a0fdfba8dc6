#pragma once
// A scratch folder for tests that write files: unique per process and object, emptied on
// creation, removed with its contents when the test ends.

#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace deepfm::test {

struct ScratchDir {
  std::filesystem::path path;

  explicit ScratchDir(std::string_view tag = "test") {
    static std::atomic<unsigned> counter{0};
    std::string name = "deepfm_";
    name += tag;
    name += '_';
    name += std::to_string(::getpid());
    name += '_';
    name += std::to_string(counter++);
    path = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }

  /// Writes `bytes` to the file `name` in this folder; returns its path.
  std::filesystem::path write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path / name, std::ios::binary) << bytes;
    return path / name;
  }

  /// Writes `bytes` gzip-compressed to the file `name`; returns its path.
  std::filesystem::path write_gzip(const std::string& name, const std::string& bytes) const {
    const std::filesystem::path file = path / name;
    gzFile out = gzopen(file.c_str(), "wb");
    if (out == nullptr || gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())) !=
                              static_cast<int>(bytes.size()))
      throw std::runtime_error("cannot write " + file.string());
    gzclose(out);
    return file;
  }

  /// Number of entries in the folder.
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path),
                                                  std::filesystem::directory_iterator()));
  }
};

}  // namespace deepfm::test
