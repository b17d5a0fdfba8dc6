// Fuzz target: the LineReader over gzip-compressed (or plain) bytes, with the default line
// bound and a short one. For plain input, zlib's transparent mode passes the bytes through,
// so the lines must be exactly the input split at '\n', one trailing '\r' dropped per line.
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

/// The lines of plain (not gzip) text as stored, '\r' included.
std::vector<std::string_view> raw_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    lines.push_back(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  }
  return lines;
}

/// A raw line as LineReader returns it: one trailing '\r' dropped.
std::string_view without_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void read_all(const std::string& path, std::size_t max_line_bytes, std::string_view plain) {
  const bool gzip = plain.size() > 1 && plain[0] == '\x1f' && plain[1] == '\x8b';
  const std::vector<std::string_view> expected =
      gzip ? std::vector<std::string_view>() : raw_lines(plain);
  std::size_t count = 0;
  deepfm::fuzz::expect_errors([&] {
    deepfm::LineReader reader(path, max_line_bytes);
    std::string_view line;
    while (reader.next(line)) {
      ++count;
      deepfm::fuzz::check(reader.line_number() == count, "line numbers skip");
      deepfm::fuzz::check(line.size() <= max_line_bytes, "a line longer than the bound");
      deepfm::fuzz::check(line.find('\n') == std::string_view::npos, "a line holds a newline");
      deepfm::fuzz::check(line.find('\0') == std::string_view::npos, "a line holds a NUL");
      if (!gzip && (count > expected.size() || line != without_cr(expected[count - 1])))
        deepfm::fuzz::finding("line " + std::to_string(count) + " differs from the input's");
    }
    if (!gzip)
      deepfm::fuzz::check(count == expected.size(), "lines missing at the end of the input");
  });
  // Plain text fails only on a NUL byte, a line past the bound, or CR-only line endings (a
  // file without LF whose one line holds a CR besides a last one), and then exactly there.
  if (!gzip && count < expected.size()) {
    const std::string_view failed = expected[count];
    // The bound is on the line as returned: a CRLF line's '\r' does not count.
    const bool cr_only = plain.find('\n') == std::string_view::npos &&
                         without_cr(failed).find('\r') != std::string_view::npos;
    deepfm::fuzz::check(without_cr(failed).size() > max_line_bytes ||
                            without_cr(failed).find('\0') != std::string_view::npos || cr_only,
                        "LineReader failed on line " + std::to_string(count + 1) +
                            ", which is neither too long nor holds a NUL, in a file with LF");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static deepfm::fuzz::ScratchFile file("gzip");
  const std::string& path = file.write(data, size);
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  read_all(path, deepfm::kDefaultMaxLineBytes, bytes);
  read_all(path, 16, bytes);
  return 0;
}
