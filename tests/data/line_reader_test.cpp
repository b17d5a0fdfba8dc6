// LineReader: plain and gzip input, line endings, bounds and errors with file:line.
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>
#include <catch2/catch.hpp>

#include <deepfm/data/line_reader.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "support/scratch_dir.hpp"
#include "support/test_data.hpp"

namespace {

namespace fs = std::filesystem;

using deepfm::test::ScratchDir;

std::vector<std::string> read_all(const fs::path& file, std::size_t max_line_bytes = 1 << 20) {
  deepfm::LineReader reader(file.string(), max_line_bytes);
  std::vector<std::string> lines;
  std::string_view line;
  while (reader.next(line)) {
    lines.emplace_back(line);
    CHECK(reader.line_number() == lines.size());
  }
  return lines;
}

}  // namespace

TEST_CASE("LineReader reads LF, CRLF and a missing final newline alike", "[data]") {
  const ScratchDir dir;
  const std::vector<std::string> expected{"a\tb", "", "c"};
  CHECK(read_all(dir.write("lf.txt", "a\tb\n\nc\n")) == expected);
  CHECK(read_all(dir.write("crlf.txt", "a\tb\r\n\r\nc\r\n")) == expected);
  CHECK(read_all(dir.write("no_final.txt", "a\tb\r\n\r\nc")) == expected);
  CHECK(read_all(dir.write("empty.txt", "")).empty());
  // Only one trailing CR is a line ending; an inner CR is data.
  CHECK(read_all(dir.write("cr.txt", "x\ry\r\r\n")) == std::vector<std::string>{"x\ry\r"});
}

TEST_CASE("LineReader refuses CR-only line endings by name", "[data]") {
  const ScratchDir dir;
  const std::string message = ":1: the lines end in a carriage return (CR) alone";
  for (const std::string text : {"1\ta\r0\tb\r", "1\ta\r0\tb", "\r\r1\ta"}) {
    const fs::path file = dir.write("cr_only.txt", text);
    CHECK_THROWS_WITH(read_all(file), Catch::Contains(file.string() + message));
  }
  // Longer than the line bound: the CRs still name the cause, not the length.
  std::string long_file;
  for (int i = 0; i < 200; ++i) long_file += "1\tabc\r";
  const fs::path file = dir.write("cr_only_long.txt", long_file);
  CHECK_THROWS_WITH(read_all(file, 64), Catch::Contains(message));
  // One line ending in CR alone is a line, and a CR inside a line of an LF file is data.
  CHECK(read_all(dir.write("one_line.txt", "1\ta\r")) == std::vector<std::string>{"1\ta"});
  CHECK(read_all(dir.write("inner.txt", "x\ry\n")) == std::vector<std::string>{"x\ry"});
}

TEST_CASE("LineReader reads gzip input transparently", "[data]") {
  const ScratchDir dir;
  std::string text;
  for (int i = 0; i < 50000; ++i) text += std::to_string(i) + "\tvalue\r\n";
  const auto plain = read_all(dir.write("big.txt", text));
  const auto compressed = read_all(dir.write_gzip("big.txt.gz", text));
  CHECK(plain.size() == 50000);
  CHECK(plain == compressed);
  CHECK(plain.back() == "49999\tvalue");
}

TEST_CASE("LineReader handles lines that straddle its 1 MiB chunks", "[data]") {
  const ScratchDir dir;
  const std::string long_line(700000, 'x');
  const std::string text = long_line + "\n" + long_line + "y\n" + long_line;
  const auto lines = read_all(dir.write("straddle.txt", text));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == long_line);
  CHECK(lines[1] == long_line + "y");
  CHECK(lines[2] == long_line);
}

TEST_CASE("LineReader grows its buffer from the file's size to the longest line", "[data]") {
  // Compressed, these files are a few KiB: the buffer starts there and must grow to lines of
  // 300 KB and then 3 MB (a bound of 4 MiB), never cutting a line.
  const ScratchDir dir;
  std::string text = "short\n";
  for (int i = 0; i < 4; ++i) text += std::string(300000, static_cast<char>('a' + i)) + "\n";
  const std::string huge(3000000, 'z');
  text += huge + "\nend";
  const auto file = dir.write_gzip("growing.gz", text);
  REQUIRE(fs::file_size(file) < 64 * 1024);
  const auto lines = read_all(file, 4 << 20);
  REQUIRE(lines.size() == 7);
  CHECK(lines[0] == "short");
  CHECK(lines[4] == std::string(300000, 'd'));
  CHECK(lines[5] == huge);
  CHECK(lines[6] == "end");
  CHECK_THROWS_WITH(read_all(file, 2 << 20), Catch::Contains("growing.gz:6: line longer"));
}

TEST_CASE("LineReader errors name the file and the line", "[data]") {
  const ScratchDir dir;
  using Catch::Contains;
  SECTION("a line longer than max_line_bytes") {
    const auto file = dir.write("long.txt", "ok\n" + std::string(100, 'x') + "\nok\n");
    CHECK_THROWS_WITH(read_all(file, 50), Contains("long.txt:2: line longer than 50 bytes"));
    CHECK(read_all(file, 100).size() == 3);  // exactly the bound is fine
  }
  SECTION("the bound does not count a CRLF line's '\\r'") {
    const auto crlf = dir.write("crlf.txt", "ok\r\n" + std::string(100, 'x') + "\r\nok\r\n");
    CHECK(read_all(crlf, 100).size() == 3);
    CHECK_THROWS_WITH(read_all(crlf, 99), Contains("crlf.txt:2: line longer than 99 bytes"));
    // The first read of a small gzip file fills the 4 KiB starting buffer, ending at the '\r':
    // the line must not be judged too long before its '\n' arrives.
    const auto edge = dir.write_gzip("edge.gz", std::string(4095, 'x') + "\r\nok\n");
    CHECK(read_all(edge, 4095).size() == 2);
    CHECK_THROWS_WITH(read_all(edge, 4094), Contains("edge.gz:1: line longer"));
    const auto last = dir.write("crlf_last.txt", "ok\r\n" + std::string(100, 'x') + "\r");
    CHECK(read_all(last, 100).size() == 2);
    CHECK_THROWS_WITH(read_all(last, 99), Contains("crlf_last.txt:2: line longer"));
  }
  SECTION("a long last line without a newline") {
    const auto file = dir.write("long_last.txt", "ok\n" + std::string(100, 'x'));
    CHECK_THROWS_WITH(read_all(file, 50), Contains("long_last.txt:2: line longer"));
  }
  SECTION("a NUL byte") {
    const auto file = dir.write("nul.txt", std::string("a\nb\0c\n", 6));
    CHECK_THROWS_AS(read_all(file), deepfm::DataError);
    CHECK_THROWS_WITH(read_all(file), Contains("nul.txt:2: line holds a NUL byte"));
  }
  SECTION("a missing file and a directory") {
    CHECK_THROWS_WITH(read_all(dir.path / "absent.txt"),
                      Contains("absent.txt: cannot open: no such file"));
    CHECK_THROWS_WITH(read_all(dir.path), Contains("is a directory"));
  }
  SECTION("a truncated gzip file") {
    std::string text;
    for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i * 7919 % 10007) + "\n";
    const auto whole = dir.write_gzip("whole.gz", text);
    std::ifstream in(whole, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto cut = dir.write("cut.gz", bytes.substr(0, bytes.size() / 2));
    try {
      read_all(cut);
      FAIL("a truncated gzip file read without error");
    } catch (const deepfm::DataError& e) {
      CHECK(e.file() == cut.string());
      CHECK(e.line() > 0);
      CHECK_THAT(e.what(), Contains("unexpected end of file"));
    }
  }
}

TEST_CASE("LineReader reads the shared d2l sample", "[data]") {
  DEEPFM_REQUIRE_DATA_OR_SKIP(path, "d2l-ctr/test.csv");
  const auto lines = read_all(path);  // CRLF, no final newline
  REQUIRE(lines.size() == 3000);
  CHECK(lines.front().find('\r') == std::string::npos);
  CHECK(lines.back().find('\r') == std::string::npos);
}

TEST_CASE("LineReader bounds lines at 1 MiB by default", "[data]") {
  const ScratchDir dir;
  const std::string longest(deepfm::kDefaultMaxLineBytes, 'x');
  const auto fits = dir.write("fits.txt", "a\n" + longest + "\n");
  deepfm::LineReader reader(fits.string());  // the default bound
  std::string_view line;
  REQUIRE(reader.next(line));
  REQUIRE(reader.next(line));
  CHECK(line.size() == deepfm::kDefaultMaxLineBytes);
  const auto over = dir.write("over.txt", "a\n" + longest + "y\n");
  deepfm::LineReader too_long(over.string());
  REQUIRE(too_long.next(line));
  CHECK_THROWS_WITH(
      too_long.next(line),
      Catch::Contains("over.txt:2: line longer than 1048576 bytes (--max-line-bytes)"));
}

namespace {

/// Root reads any file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), and CI runs as root: for its
/// lifetime this clears the two from the calling thread's effective set (they stay permitted,
/// so the destructor raises them again). Does nothing where they were not effective.
class WithoutFilePermissionOverride {
 public:
  WithoutFilePermissionOverride() {
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct lowered[2] = {saved_[0], saved_[1]};
    lowered[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    dropped_ = ::syscall(SYS_capset, &header_, lowered) == 0;
  }
  ~WithoutFilePermissionOverride() {
    if (dropped_) ::syscall(SYS_capset, &header_, saved_);
  }
  WithoutFilePermissionOverride(const WithoutFilePermissionOverride&) = delete;
  WithoutFilePermissionOverride& operator=(const WithoutFilePermissionOverride&) = delete;

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_[2]{};
  bool dropped_ = false;
};

}  // namespace

TEST_CASE("LineReader refuses an unreadable file naming it", "[data]") {
  const ScratchDir dir;
  const auto file = dir.write("locked.txt", "1\ta\n");
  fs::permissions(file, fs::perms::none);
  const WithoutFilePermissionOverride as_a_user;
  if (std::ifstream(file).good()) {
    WARN("SKIPPED: " << file << " is readable despite mode 000 and dropped capabilities");
    return;
  }
  try {
    read_all(file);
    FAIL("read a file of mode 000");
  } catch (const deepfm::DataError& error) {
    CHECK(error.file() == file.string());
    CHECK(error.line() == 0);
    CHECK_THAT(error.what(), Catch::Contains("locked.txt: cannot open: Permission denied"));
  }
}

// Found reviewing LineReader for tests/fuzz: its buffer is the bound + 2 bytes, so a bound near
// SIZE_MAX wrapped to a 1 MiB buffer; a longer line then filled it, the next read asked zlib
// for 0 bytes, and the 0 it got read as the end of the file: the line came back cut at 1 MiB
// and the lines after it were silently lost.
TEST_CASE("LineReader refuses a bound above 1 GiB instead of ending the file early", "[data]") {
  const ScratchDir dir;
  const fs::path file = dir.write("long.txt", std::string((3 << 19), 'a') + "\nb\nc\n");
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  for (const std::size_t bound : {kMax, kMax - 1, deepfm::kMaxLineBytesLimit + 1})
    CHECK_THROWS_AS(deepfm::LineReader(file.string(), bound), deepfm::InvalidArgument);
  const std::vector<std::string> lines = read_all(file, 2 << 20);  // a bound that fits
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].size() == (3 << 19));
  CHECK(lines[2] == "c");
}
