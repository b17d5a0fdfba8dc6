#pragma once
// The BadLine a parser throws for a line, for tests of the format parsers' error rules.

#include <catch2/catch.hpp>

#include <deepfm/data/record.hpp>
#include <string_view>

namespace deepfm::test {

/// The BadLine `parser.parse(line)` throws (fails the test when none is thrown).
inline BadLine bad_line(RecordParser& parser, std::string_view line) {
  RawRecord record;
  try {
    parser.parse(line, record);
  } catch (const BadLine& error) {
    return error;
  }
  FAIL("no BadLine for: " << line);
  return BadLine("unreachable");
}

}  // namespace deepfm::test
