// core/printable_text.hpp: bytes from data files printed escaped, never raw.
#include <catch2/catch.hpp>

#include <deepfm/core/printable_text.hpp>
#include <string>

TEST_CASE("printable_text escapes control bytes, C1 controls, the BOM and invalid UTF-8",
          "[core]") {
  using deepfm::printable_text;
  CHECK(printable_text("plain, caf\xC3\xA9 \xE2\x82\xAC\ttab") ==
        "plain, caf\xC3\xA9 \xE2\x82\xAC\ttab");
  CHECK(printable_text("\x1B[31mred") == "\\x1b[31mred");  // ESC would colour the terminal
  CHECK(printable_text("a\nb\rc\x7F") == "a\\x0ab\\x0dc\\x7f");
  CHECK(printable_text("\xC2\x9B"
                       "2J") == "\\xc2\\x9b2J");  // C1 CSI, also obeyed
  CHECK(printable_text("\xEF\xBB\xBF"
                       "0") == "\\xef\\xbb\\xbf0");
  CHECK(printable_text("caf\xE9") == "caf\\xe9");     // Latin-1, not UTF-8
  CHECK(printable_text("\xE2\x82") == "\\xe2\\x82");  // a cut sequence
  CHECK(printable_text("") == "");
}

TEST_CASE("printable_text is idempotent", "[core]") {
  const std::string once = deepfm::printable_text("\x1B\xEF\xBB\xBF\xFF\x01ok\\x41");
  CHECK(deepfm::printable_text(once) == once);
}

TEST_CASE("quoted_value quotes, cuts long values and names a byte-order mark", "[core]") {
  using deepfm::quoted_value;
  CHECK(quoted_value("7") == "'7'");
  CHECK(quoted_value("\x1B[0m") == "'\\x1b[0m'");
  CHECK(quoted_value("\xEF\xBB\xBF"
                     "0") == "'\\xef\\xbb\\xbf0' (starts with a UTF-8 byte-order mark)");
  CHECK(quoted_value(std::string(50, 'x')) == "'" + std::string(40, 'x') + "...'");
  CHECK(quoted_value(std::string(50, 'x'), 50) == "'" + std::string(50, 'x') + "'");
}
