#pragma once
// A small strict JSON parser (RFC 8259) for tests that check the library's JSON output:
// rejects what lenient parsers accept (NaN, Infinity, leading zeros, trailing commas, raw
// control characters in strings, invalid escapes, invalid UTF-8, trailing text). Numbers keep
// their text so that a test can check how they were written and read them back exactly.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deepfm::test {

struct JsonValue {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  std::string text;  // a number's text, or a string's decoded UTF-8
  std::vector<JsonValue> items;
  // An object's members in order, duplicates kept (two vectors: a pair would need
  // JsonValue complete here).
  std::vector<std::string> keys;
  std::vector<JsonValue> values;

  /// The member `key` of an object; throws when absent.
  const JsonValue& at(std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return values[i];
    throw std::runtime_error("no member " + std::string(key));
  }
  bool has(std::string_view key) const {
    for (const std::string& name : keys)
      if (name == key) return true;
    return false;
  }
};

class StrictJsonParser {
 public:
  /// Parses exactly one JSON value spanning all of `text` (whitespace around allowed).
  static JsonValue parse(std::string_view text) {
    StrictJsonParser parser(text);
    parser.skip_space();
    JsonValue value = parser.value(0);
    parser.skip_space();
    if (parser.pos_ != text.size()) parser.fail("trailing text");
    return value;
  }

 private:
  explicit StrictJsonParser(std::string_view text) : text_(text) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("invalid JSON at " + std::to_string(pos_) + ": " + what);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= text_.size(); }
  void expect(char c) {
    if (peek() != c || at_end()) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      ++pos_;
  }
  void literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) fail("bad literal");
    pos_ += word.size();
  }

  JsonValue value(int depth) {
    if (depth > 64) fail("nested too deep");
    JsonValue v;
    if (at_end()) fail("unexpected end");
    switch (peek()) {
      case 'n': literal("null"); return v;
      case 't':
        literal("true");
        v.kind = JsonValue::Kind::boolean;
        v.boolean = true;
        return v;
      case 'f':
        literal("false");
        v.kind = JsonValue::Kind::boolean;
        return v;
      case '"':
        v.kind = JsonValue::Kind::string;
        v.text = string();
        return v;
      case '[': {
        v.kind = JsonValue::Kind::array;
        ++pos_;
        skip_space();
        if (peek() == ']' && !at_end()) {
          ++pos_;
          return v;
        }
        for (;;) {
          skip_space();
          v.items.push_back(value(depth + 1));
          skip_space();
          if (peek() == ',' && !at_end()) {
            ++pos_;
            continue;
          }
          expect(']');
          return v;
        }
      }
      case '{': {
        v.kind = JsonValue::Kind::object;
        ++pos_;
        skip_space();
        if (peek() == '}' && !at_end()) {
          ++pos_;
          return v;
        }
        for (;;) {
          skip_space();
          if (peek() != '"') fail("expected a key");
          std::string key = string();
          skip_space();
          expect(':');
          skip_space();
          v.keys.push_back(std::move(key));
          v.values.push_back(value(depth + 1));
          skip_space();
          if (peek() == ',' && !at_end()) {
            ++pos_;
            continue;
          }
          expect('}');
          return v;
        }
      }
      default:
        v.kind = JsonValue::Kind::number;
        v.text = number();
        return v;
    }
  }

  std::string number() {
    const std::size_t start = pos_;
    const auto digit = [&] { return !at_end() && peek() >= '0' && peek() <= '9'; };
    if (peek() == '-') ++pos_;
    if (!digit()) fail("bad number");
    if (peek() == '0') {
      ++pos_;
      if (digit()) fail("leading zero");
    } else {
      while (digit()) ++pos_;
    }
    if (!at_end() && peek() == '.') {
      ++pos_;
      if (!digit()) fail("digit expected after '.'");
      while (digit()) ++pos_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (!digit()) fail("digit expected in exponent");
      while (digit()) ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  unsigned hex4() {
    unsigned code = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = peek();
      if (at_end()) fail("short \\u escape");
      code <<= 4;
      if (c >= '0' && c <= '9')
        code |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        code |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        code |= static_cast<unsigned>(c - 'A' + 10);
      else
        fail("bad hex digit");
      ++pos_;
    }
    return code;
  }

  static void append_utf8(std::string& out, std::uint32_t code) {
    const auto put = [&](std::uint32_t b) {
      out += static_cast<char>(static_cast<unsigned char>(b));
    };
    if (code < 0x80) {
      put(code);
    } else if (code < 0x800) {
      put(0xC0 | (code >> 6));
      put(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      put(0xE0 | (code >> 12));
      put(0x80 | ((code >> 6) & 0x3F));
      put(0x80 | (code & 0x3F));
    } else {
      put(0xF0 | (code >> 18));
      put(0x80 | ((code >> 12) & 0x3F));
      put(0x80 | ((code >> 6) & 0x3F));
      put(0x80 | (code & 0x3F));
    }
  }

  // Validates one UTF-8 sequence independently of the library's own decoder.
  void utf8_sequence(std::string& out) {
    const auto lead = static_cast<unsigned char>(peek());
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (lead >= 0xC0 && lead < 0xE0) {
      length = 2;
      code = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead < 0xF0) {
      length = 3;
      code = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead < 0xF8) {
      length = 4;
      code = lead & 0x07u;
    } else {
      fail("invalid UTF-8 lead byte");
    }
    if (pos_ + length > text_.size()) fail("truncated UTF-8");
    for (std::size_t k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(text_[pos_ + k]);
      if ((b & 0xC0) != 0x80) fail("invalid UTF-8 continuation");
      code = (code << 6) | (b & 0x3Fu);
    }
    const std::uint32_t minimum = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
    if (code < minimum) fail("overlong UTF-8");
    if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) fail("UTF-8 out of range");
    out.append(text_.substr(pos_, length));
    pos_ += length;
  }

  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string");
      const char c = peek();
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (byte < 0x20) fail("raw control character in string");
      if (byte >= 0x80) {
        utf8_sequence(out);
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) fail("unterminated escape");
      const char e = peek();
      ++pos_;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t code = hex4();
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u") fail("lone high surrogate");
            pos_ += 2;
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("bad low surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            fail("lone low surrogate");
          }
          append_utf8(out, code);
          break;
        }
        default: fail("invalid escape");
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace deepfm::test
