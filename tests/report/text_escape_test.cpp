// report/text_escape.hpp: user text made safe for JSON strings and XML.
#include <catch2/catch.hpp>

#include <deepfm/report/text_escape.hpp>
#include <string>

namespace {
const std::string kReplacement = "\xEF\xBF\xBD";
}  // namespace

TEST_CASE("utf8_sequence_length accepts exactly the well-formed sequences",
          "[text_escape][report]") {
  using deepfm::detail::utf8_sequence_length;
  CHECK(utf8_sequence_length("a", 0) == 1);
  CHECK(utf8_sequence_length("\xC3\xA9", 0) == 2);
  CHECK(utf8_sequence_length("\xE2\x82\xAC", 0) == 3);
  CHECK(utf8_sequence_length("\xF0\x9F\x98\x80", 0) == 4);
  CHECK(utf8_sequence_length("\xF4\x8F\xBF\xBF", 0) == 4);  // U+10FFFF
  CHECK(utf8_sequence_length("\xED\x9F\xBF", 0) == 3);      // U+D7FF, just below surrogates
  CHECK(utf8_sequence_length("\x80", 0) == 0);              // lone continuation
  CHECK(utf8_sequence_length("\xC1\xBF", 0) == 0);          // overlong 2-byte
  CHECK(utf8_sequence_length("\xE0\x9F\xBF", 0) == 0);      // overlong 3-byte
  CHECK(utf8_sequence_length("\xF0\x8F\xBF\xBF", 0) == 0);  // overlong 4-byte
  CHECK(utf8_sequence_length("\xED\xA0\x80", 0) == 0);      // surrogate U+D800
  CHECK(utf8_sequence_length("\xF4\x90\x80\x80", 0) == 0);  // above U+10FFFF
  CHECK(utf8_sequence_length("\xF5\x80\x80\x80", 0) == 0);
  CHECK(utf8_sequence_length("\xC3", 0) == 0);  // truncated at the end
  CHECK(utf8_sequence_length("\xE2\x82x", 0) == 0);
  CHECK(utf8_sequence_length("x\xC3\xA9", 1) == 2);
}

TEST_CASE("json_string escapes quotes, backslashes and control characters",
          "[text_escape][report]") {
  CHECK(deepfm::json_string("") == "\"\"");
  CHECK(deepfm::json_string("a\"b\\c/d") == "\"a\\\"b\\\\c/d\"");
  CHECK(deepfm::json_string("\b\f\n\r\t") == "\"\\b\\f\\n\\r\\t\"");
  CHECK(deepfm::json_string(std::string("\0\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\x7f\"");
  CHECK(deepfm::json_string("caf\xC3\xA9") == "\"caf\xC3\xA9\"");
  CHECK(deepfm::json_string("caf\xE9!") == "\"caf" + kReplacement + "!\"");
}

TEST_CASE("xml_text escapes markup and removes what XML forbids", "[text_escape][report]") {
  CHECK(deepfm::xml_text("a<b>&\"c\"'d'") == "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
  CHECK(deepfm::xml_text("tab\tnewline\ncr\r") == "tab\tnewline\ncr\r");
  CHECK(deepfm::xml_text(std::string("\0\x01x", 3)) == kReplacement + kReplacement + "x");
  CHECK(deepfm::xml_text("\xEF\xBF\xBE\xEF\xBF\xBF") == kReplacement + kReplacement);
  CHECK(deepfm::xml_text("\xF0\x9F\x98\x80 ok") == "\xF0\x9F\x98\x80 ok");
  CHECK(deepfm::xml_text("bad \xFF") == "bad " + kReplacement);
}
