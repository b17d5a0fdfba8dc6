#pragma once
/// @file
/// Text made safe for JSON strings (RFC 8259) and XML/SVG text and attributes (XML 1.0).
/// Both pass valid UTF-8 through and replace each byte of invalid UTF-8 with U+FFFD: the
/// reports embed user-supplied text (file names, titles), and a stray Latin-1 byte must not
/// turn a metrics log or a plot into a file that parsers reject.

#include <cstddef>
#include <string>
#include <string_view>

#include "deepfm/core/printable_text.hpp"

namespace deepfm {

namespace detail {

/// U+FFFD, the replacement character, in UTF-8.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

}  // namespace detail

/// Appends `text` as a JSON string literal, quotes included: `"` and `\` escaped, control
/// characters as \b \f \n \r \t or \u00XX, other valid UTF-8 unchanged, invalid bytes as U+FFFD.
inline void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = detail::utf8_sequence_length(text, i);
    if (length == 0) {
      out += detail::kReplacementCharacter;
      ++i;
      continue;
    }
    if (length > 1) {
      out.append(text, i, length);
      i += length;
      continue;
    }
    const char c = text[i++];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[static_cast<unsigned char>(c) >> 4];
          out += kHex[static_cast<unsigned char>(c) & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

/// `text` as a JSON string literal, quotes included (see append_json_string).
inline std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  append_json_string(out, text);
  return out;
}

/// Appends `text` escaped for XML character data and quoted attribute values alike
/// (& < > " ' as entities). Characters XML 1.0 forbids (control characters other than tab,
/// newline and carriage return; U+FFFE, U+FFFF) and invalid UTF-8 bytes become U+FFFD.
inline void append_xml_text(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = detail::utf8_sequence_length(text, i);
    if (length == 0) {
      out += detail::kReplacementCharacter;
      ++i;
      continue;
    }
    if (length > 1) {
      // U+FFFE and U+FFFF are the only well-formed sequences XML 1.0 excludes.
      const std::string_view sequence = text.substr(i, length);
      out += sequence == "\xEF\xBF\xBE" || sequence == "\xEF\xBF\xBF"
                 ? detail::kReplacementCharacter
                 : sequence;
      i += length;
      continue;
    }
    const char c = text[i++];
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\t':
      case '\n':
      case '\r': out += c; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += detail::kReplacementCharacter;
        else
          out += c;
    }
  }
}

/// `text` escaped for XML (see append_xml_text).
inline std::string xml_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_xml_text(out, text);
  return out;
}

}  // namespace deepfm
