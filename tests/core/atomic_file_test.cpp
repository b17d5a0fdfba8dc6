// AtomicFileWriter: the target is replaced whole on commit() and untouched otherwise, no
// temporary survives a failure, non-regular targets are refused before anything is created,
// and a write that runs out of space (RLIMIT_FSIZE in a forked child) is an error.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deepfm/core/atomic_file.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <utility>
#include <vector>
#include "support/scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;

using deepfm::test::ScratchDir;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The error message `action` throws as a deepfm::Error (empty when it throws nothing).
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const deepfm::Error& error) {
    return error.what();
  }
  return {};
}

/// What a forked child reported: its exit status and the text it wrote to the pipe.
struct ChildResult {
  int status = -1;
  std::string message;
};

/// Runs `body` in a forked child with the file size limit set to `limit_bytes` and SIGXFSZ
/// ignored, so that a write past the limit fails with EFBIG instead of killing the process.
/// The child writes the error text it caught to a pipe and exits 3 (a DataError), 4 (another
/// deepfm::Error), 5 (anything else) or 0 (no error). No Catch2 assertion runs in the child.
ChildResult run_with_file_size_limit(rlim_t limit_bytes, const std::function<void()>& body) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    int code = 0;
    std::string message;
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{limit_bytes, limit_bytes};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
      code = 6;
      message = "setrlimit failed";
    } else {
      try {
        body();
      } catch (const deepfm::DataError& error) {
        code = 3;
        message = error.what();
      } catch (const deepfm::Error& error) {
        code = 4;
        message = error.what();
      } catch (...) {
        code = 5;
      }
    }
    const char* p = message.data();
    std::size_t left = message.size();
    while (left > 0) {
      const ssize_t n = ::write(pipe_fds[1], p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    ::close(pipe_fds[1]);
    ::_exit(code);  // no destructors: the parent's ScratchDir must survive
  }
  ::close(pipe_fds[1]);
  ChildResult result;
  char buffer[512];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    result.message.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  result.status = WEXITSTATUS(status);
  return result;
}

}  // namespace

TEST_CASE("atomic file commit replaces an existing file whole", "[atomic_file]") {
  ScratchDir dir("atomic_replace");
  const fs::path target = dir.write("model.bin", "the old contents, longer than the new ones");
  {
    deepfm::AtomicFileWriter writer(target);
    writer.write("new", 3);
    CHECK(writer.appended() == 3);
    CHECK(writer.temporary_path().parent_path() == dir.path);
    CHECK(writer.temporary_path().filename().string().rfind(".model.bin.tmp-", 0) == 0);
    CHECK(fs::exists(writer.temporary_path()));
    // Until commit() the old file is intact under the target's name.
    CHECK(read_all(target) == "the old contents, longer than the new ones");
    CHECK(dir.entries() == 2);
    writer.commit();
    CHECK(writer.fd() == -1);
    CHECK_FALSE(fs::exists(writer.temporary_path()));
  }
  CHECK(read_all(target) == "new");
  CHECK(dir.entries() == 1);
}

TEST_CASE("atomic file commit creates a new file", "[atomic_file]") {
  ScratchDir dir("atomic_new");
  const fs::path target = dir.path / "fresh.bin";
  deepfm::AtomicFileWriter writer(target);
  CHECK_FALSE(fs::exists(target));
  writer.write("abc", 3);
  writer.commit();
  CHECK(read_all(target) == "abc");
  CHECK(dir.entries() == 1);
  CHECK_THROWS_AS(writer.write("x", 1), deepfm::InvalidArgument);
  CHECK_THROWS_AS(writer.commit(), deepfm::InvalidArgument);
}

TEST_CASE("atomic file writer destroyed without commit leaves the target and no temporary",
          "[atomic_file]") {
  ScratchDir dir("atomic_abandon");
  const fs::path target = dir.write("keep.bin", "old");
  {
    deepfm::AtomicFileWriter writer(target);
    writer.write("partial new contents", 20);
    std::vector<char> large(3u << 20, 'x');  // past the buffer: reaches the temporary now
    writer.write(large.data(), large.size());
    CHECK(fs::file_size(writer.temporary_path()) > 0);
  }
  CHECK(read_all(target) == "old");
  CHECK(dir.entries() == 1);

  const fs::path absent = dir.path / "absent.bin";
  {
    deepfm::AtomicFileWriter writer(absent);
    writer.write("never", 5);
  }
  CHECK_FALSE(fs::exists(absent));
  CHECK(dir.entries() == 1);

  deepfm::AtomicFileWriter discarded(absent);
  discarded.write("never", 5);
  discarded.discard();
  CHECK(dir.entries() == 1);
  CHECK_THROWS_AS(discarded.commit(), deepfm::InvalidArgument);
  CHECK_FALSE(fs::exists(absent));
}

TEST_CASE("atomic file writes in order, buffered, direct and positional", "[atomic_file]") {
  ScratchDir dir("atomic_mixed");
  const fs::path target = dir.path / "mixed.bin";
  std::string expected;
  {
    deepfm::AtomicFileWriter writer(target);
    for (int i = 0; i < 1000; ++i) {  // many small writes
      const std::string piece = std::to_string(i) + ",";
      writer.write(piece.data(), piece.size());
      expected += piece;
    }
    std::string large(1500000, '\0');  // larger than the buffer: written through
    for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>('a' + i % 26);
    writer.write(large.data(), large.size());
    expected += large;
    // Fills the buffer exactly from a non-empty start, then more small writes.
    std::string filler((std::size_t{1} << 20) - 7, 'f');
    writer.write("1234567", 7);
    writer.write(filler.data(), filler.size());
    writer.write("tail", 4);
    expected += "1234567" + filler + "tail";
    writer.write("", 0);
    CHECK(writer.appended() == expected.size());
    // write_at overwrites earlier bytes (including ones still buffered) without moving the
    // append position.
    writer.write_at(0, "XY", 2);
    writer.write_at(expected.size() - 2, "IL", 2);
    expected.replace(0, 2, "XY");
    expected.replace(expected.size() - 2, 2, "IL");
    writer.write("!", 1);
    expected += "!";
    writer.commit();
  }
  const std::string written = read_all(target);
  CHECK(written.size() == expected.size());
  CHECK((written == expected));  // parenthesised: Catch would print megabytes on a mismatch
}

TEST_CASE("atomic file move transfers the temporary", "[atomic_file]") {
  ScratchDir dir("atomic_move");
  const fs::path target = dir.path / "moved.bin";
  deepfm::AtomicFileWriter first(target);
  first.write("data", 4);
  deepfm::AtomicFileWriter second(std::move(first));
  CHECK(second.fd() >= 0);
  second.write("+more", 5);
  second.commit();
  CHECK(read_all(target) == "data+more");
  CHECK(dir.entries() == 1);
}

TEST_CASE("atomic file refuses a directory target before creating anything", "[atomic_file]") {
  ScratchDir dir("atomic_dir");
  const fs::path target = dir.path / "folder";
  fs::create_directory(target);
  const std::string message = error_of([&] { deepfm::AtomicFileWriter writer(target); });
  CHECK_THAT(message, Catch::Contains(target.string()) && Catch::Contains("a directory") &&
                          Catch::Contains("not a regular file"));
  CHECK_THROWS_AS(deepfm::AtomicFileWriter(target), deepfm::DataError);
  CHECK_THROWS_AS(deepfm::AtomicFileWriter(target, deepfm::throw_model_file_error),
                  deepfm::ModelFileError);
  CHECK(dir.entries() == 1);
  CHECK(fs::is_directory(target));
  CHECK(fs::is_empty(target));
}

TEST_CASE("atomic file refuses a fifo target before creating anything", "[atomic_file]") {
  ScratchDir dir("atomic_fifo");
  const fs::path target = dir.path / "pipe";
  REQUIRE(::mkfifo(target.c_str(), 0600) == 0);
  const std::string message = error_of([&] { deepfm::AtomicFileWriter writer(target); });
  CHECK_THAT(message, Catch::Contains(target.string()) && Catch::Contains("a fifo"));
  CHECK(dir.entries() == 1);
  CHECK(fs::is_fifo(target));
}

TEST_CASE("atomic file errors name the target and the failed step", "[atomic_file]") {
  ScratchDir dir("atomic_errors");
  const fs::path target = dir.path / "missing_folder" / "model.bin";
  const std::string message = error_of([&] { deepfm::AtomicFileWriter writer(target); });
  CHECK_THAT(message, Catch::StartsWith(target.string() + ": ") &&
                          Catch::Contains("cannot create a temporary file beside it") &&
                          Catch::Contains(std::strerror(ENOENT)));
  CHECK_THROWS_AS(deepfm::AtomicFileWriter(dir.path / ""), deepfm::InvalidArgument);
}

TEST_CASE("atomic file keeps a replaced file's permissions", "[atomic_file]") {
  ScratchDir dir("atomic_mode");
  const fs::path target = dir.write("private.bin", "old");
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  {
    deepfm::AtomicFileWriter writer(target);
    writer.write("new", 3);
    writer.commit();
  }
  CHECK(fs::status(target).permissions() ==
        (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));

  // A new file gets 0666 minus the umask, as open(2) would give it (not mkstemp's 0600).
  const mode_t mask = ::umask(022);
  const fs::path fresh = dir.path / "fresh.bin";
  {
    deepfm::AtomicFileWriter writer(fresh);
    writer.commit();
  }
  ::umask(mask);
  CHECK(static_cast<unsigned>(fs::status(fresh).permissions()) == 0644u);
}

TEST_CASE("atomic file with a bare file name writes in the working folder", "[atomic_file]") {
  ScratchDir dir("atomic_relative");
  // chdir in a child, so that the test process's working folder never changes.
  const ChildResult result = run_with_file_size_limit(RLIM_INFINITY, [&] {
    if (::chdir(dir.path.c_str()) != 0) throw deepfm::Error("chdir failed");
    deepfm::AtomicFileWriter writer("relative.bin");
    writer.write("here", 4);
    writer.commit();
  });
  CHECK(result.status == 0);
  CHECK(result.message.empty());
  CHECK(read_all(dir.path / "relative.bin") == "here");
  CHECK(dir.entries() == 1);
}

TEST_CASE("atomic file running out of space is an error and leaves the old target",
          "[atomic_file]") {
  ScratchDir dir("atomic_full");
  const std::string old_contents(10000, 'o');  // larger than the limit: only new writes count
  const fs::path target = dir.write("model.bin", old_contents);
  const std::string too_large(8192, 'n');
  const auto check_untouched = [&] {
    CHECK((read_all(target) == old_contents));  // parenthesised: no 10 kB dump on a mismatch
    CHECK(dir.entries() == 1);
  };

  SECTION("a large write fails in write()") {
    const ChildResult result = run_with_file_size_limit(4096, [&] {
      deepfm::AtomicFileWriter writer(target);
      std::vector<char> large(2u << 20, 'n');
      writer.write(large.data(), large.size());
      writer.commit();
    });
    CHECK(result.status == 3);
    CHECK_THAT(result.message, Catch::StartsWith(target.string() + ": cannot write: ") &&
                                   Catch::Contains(std::strerror(EFBIG)));
    check_untouched();
  }
  SECTION("buffered writes fail in commit()") {
    const ChildResult result = run_with_file_size_limit(4096, [&] {
      deepfm::AtomicFileWriter writer(target);
      writer.write(too_large.data(), too_large.size());  // still in the buffer: no error yet
      writer.commit();
    });
    CHECK(result.status == 3);
    CHECK_THAT(result.message, Catch::StartsWith(target.string() + ": cannot write: ") &&
                                   Catch::Contains(std::strerror(EFBIG)));
    check_untouched();
  }
  SECTION("a positional write across the limit fails after a short write") {
    const ChildResult result = run_with_file_size_limit(4096, [&] {
      deepfm::AtomicFileWriter writer(target, deepfm::throw_model_file_error);
      writer.write_at(4000, too_large.data(), 200);
      writer.commit();
    });
    CHECK(result.status == 4);
    CHECK_THAT(result.message, Catch::StartsWith(target.string() + ": cannot write: ") &&
                                   Catch::Contains(std::strerror(EFBIG)));
    check_untouched();
  }
  SECTION("within the limit the same writes succeed") {
    const ChildResult result = run_with_file_size_limit(16384, [&] {
      deepfm::AtomicFileWriter writer(target);
      writer.write(too_large.data(), too_large.size());
      writer.commit();
    });
    CHECK(result.status == 0);
    CHECK((read_all(target) == too_large));
    CHECK(dir.entries() == 1);
  }
}

TEST_CASE("atomic file check_destination probes a save without leaving anything", "[atomic_file]") {
  ScratchDir dir("atomic_probe");
  // A new file and a file to replace: accepted, nothing created, nothing changed.
  CHECK_NOTHROW(deepfm::AtomicFileWriter::check_destination(dir.path / "new.dfm"));
  std::ofstream(dir.path / "old.dfm") << "kept";
  CHECK_NOTHROW(deepfm::AtomicFileWriter::check_destination(dir.path / "old.dfm"));
  CHECK(dir.entries() == 1);
  CHECK(read_all(dir.path / "old.dfm") == "kept");
  // What a save would refuse, the probe refuses with the same message and exception type.
  fs::create_directory(dir.path / "folder");
  CHECK_THAT(error_of([&] { deepfm::AtomicFileWriter::check_destination(dir.path / "folder"); }),
             Catch::Contains("folder: exists and is not a regular file (a directory)"));
  const fs::path missing = dir.path / "missing_folder" / "model.dfm";
  CHECK_THAT(error_of([&] { deepfm::AtomicFileWriter::check_destination(missing); }),
             Catch::StartsWith(missing.string() + ": ") &&
                 Catch::Contains("cannot create a temporary file beside it"));
  CHECK_THROWS_AS(
      deepfm::AtomicFileWriter::check_destination(missing, deepfm::throw_model_file_error),
      deepfm::ModelFileError);
  CHECK_THROWS_AS(deepfm::AtomicFileWriter::check_destination(dir.path / ""),
                  deepfm::InvalidArgument);
  CHECK(dir.entries() == 2);  // old.dfm and folder
  CHECK(fs::is_empty(dir.path / "folder"));
}
