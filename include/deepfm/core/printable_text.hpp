#pragma once
/// @file
/// Bytes from data files made safe to print. A message that quotes a value, or a path, can
/// carry anything a file holds: an ESC sequence would recolour the user's terminal, and a
/// UTF-8 byte-order mark is invisible, so "found '0'" would hide why '0' was refused. Both
/// functions keep printable ASCII and well-formed UTF-8 text as it is and write every other
/// byte as \xNN; they are idempotent (their output passes through them unchanged).

#include <cstddef>
#include <string>
#include <string_view>

namespace deepfm {

namespace detail {

/// Length (1-4) of the well-formed UTF-8 sequence starting at text[i] (RFC 3629: no overlong
/// forms, no surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
inline std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) -> unsigned {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0x100u;
  };
  const auto continuation = [](unsigned b) { return b >= 0x80 && b <= 0xBF; };
  const unsigned lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(byte(1)) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned second = byte(1);
    const bool ok_second = lead == 0xE0   ? second >= 0xA0 && second <= 0xBF  // no overlong
                           : lead == 0xED ? second >= 0x80 && second <= 0x9F  // no surrogates
                                          : continuation(second);
    return ok_second && continuation(byte(2)) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned second = byte(1);
    const bool ok_second = lead == 0xF0   ? second >= 0x90 && second <= 0xBF  // no overlong
                           : lead == 0xF4 ? second >= 0x80 && second <= 0x8F  // <= U+10FFFF
                                          : continuation(second);
    return ok_second && continuation(byte(2)) && continuation(byte(3)) ? 4 : 0;
  }
  return 0;
}

/// The UTF-8 byte-order mark, U+FEFF.
inline constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

inline void append_hex_byte(std::string& out, char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(c);
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 15];
}

}  // namespace detail

/// `text` safe for a terminal: control characters (C0, DEL, and the C1 range U+0080-U+009F,
/// which terminals also obey), the invisible byte-order mark and bytes that are not UTF-8
/// become \xNN, one per byte; all else is unchanged. Tabs are kept, newlines are not.
inline std::string printable_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = detail::utf8_sequence_length(text, i);
    const std::string_view sequence = text.substr(i, length == 0 ? 1 : length);
    const auto lead = static_cast<unsigned char>(text[i]);
    const bool control = length == 1 ? (lead < 0x20 && lead != '\t') || lead == 0x7F
                                     : length == 2 && lead == 0xC2 &&
                                           static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if (length == 0 || control || sequence == detail::kByteOrderMark) {
      for (const char c : sequence) detail::append_hex_byte(out, c);
    } else {
      out += sequence;
    }
    i += sequence.size();
  }
  return out;
}

/// A value from a data file for a message: in single quotes, printable (see printable_text),
/// cut after `max_bytes` bytes of the value with "..." (a wrong file can hold a long column),
/// and followed by a note when it starts with a byte-order mark, which is otherwise invisible
/// in an editor: `'\xef\xbb\xbf0' (starts with a UTF-8 byte-order mark)`.
inline std::string quoted_value(std::string_view value, std::size_t max_bytes = 40) {
  const bool cut = value.size() > max_bytes;
  std::string out = "'";
  out += printable_text(value.substr(0, max_bytes));
  out += cut ? "...'" : "'";
  if (value.substr(0, detail::kByteOrderMark.size()) == detail::kByteOrderMark)
    out += " (starts with a UTF-8 byte-order mark)";
  return out;
}

}  // namespace deepfm
