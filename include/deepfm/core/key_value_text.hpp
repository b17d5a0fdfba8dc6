#pragma once
/// @file
/// The small "key=value" line format of model-file metadata: exact number text, lists,
/// escaping, and typed reads whose errors name the key.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deepfm/core/error.hpp"

namespace deepfm {

namespace detail {

inline std::string exact_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

inline std::string list_text(const std::vector<std::size_t>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i)
    text += (i ? "," : "") + std::to_string(values[i]);
  return text;
}

/// Parses "key=value" lines; `what` names the source for errors.
inline std::map<std::string, std::string, std::less<>> parse_key_values(std::string_view text,
                                                                        const std::string& what) {
  std::map<std::string, std::string, std::less<>> values;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      throw InvalidArgument(what + ": line '" + std::string(line) + "' is not key=value");
    values.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return values;
}

/// Typed reads of a parsed key=value map, each error naming the key.
class KeyValueReader {
 public:
  KeyValueReader(std::map<std::string, std::string, std::less<>> values, std::string what)
      : values_(std::move(values)), what_(std::move(what)) {}

  const std::string& text(std::string_view key) const {
    const auto found = values_.find(key);
    if (found == values_.end())
      throw InvalidArgument(what_ + ": '" + std::string(key) + "' is missing");
    return found->second;
  }
  std::uint64_t u64(std::string_view key) const {
    const std::string& value = text(key);
    std::uint64_t out = 0;
    const auto result = std::from_chars(value.data(), value.data() + value.size(), out);
    if (result.ec != std::errc() || result.ptr != value.data() + value.size())
      throw bad(key, value);
    return out;
  }
  double real(std::string_view key) const {
    const std::string& value = text(key);
    double out = 0;
    const auto result = std::from_chars(value.data(), value.data() + value.size(), out);
    if (result.ec != std::errc() || result.ptr != value.data() + value.size())
      throw bad(key, value);
    return out;
  }
  std::vector<std::size_t> list(std::string_view key) const {
    const std::string& value = text(key);
    std::vector<std::size_t> out;
    std::size_t at = 0;
    while (at < value.size()) {
      std::size_t number = 0;
      const auto result = std::from_chars(value.data() + at, value.data() + value.size(), number);
      if (result.ec != std::errc()) throw bad(key, value);
      out.push_back(number);
      at = static_cast<std::size_t>(result.ptr - value.data());
      if (at < value.size() && value[at++] != ',') throw bad(key, value);
    }
    return out;
  }

 private:
  InvalidArgument bad(std::string_view key, const std::string& value) const {
    return InvalidArgument(what_ + ": '" + std::string(key) + "' has the bad value '" + value +
                           "'");
  }

  std::map<std::string, std::string, std::less<>> values_;
  std::string what_;
};

/// `text` with '%', '\n', '\r' and ',' written as %XX, so any string fits one list item of
/// one key=value line.
inline std::string escape_text(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    if (c == '%' || c == '\n' || c == '\r' || c == ',') {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

/// Inverse of escape_text; InvalidArgument on a malformed escape.
inline std::string unescape_text(std::string_view text) {
  const auto digit = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw InvalidArgument("bad escape in '" + std::string(text) + "'");
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) throw InvalidArgument("bad escape in '" + std::string(text) + "'");
    out += static_cast<char>(digit(text[i + 1]) * 16 + digit(text[i + 2]));
    i += 2;
  }
  return out;
}

}  // namespace detail

}  // namespace deepfm
