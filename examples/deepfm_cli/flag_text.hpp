#pragma once
// What the `deepfm` tool's value flags accept, read from the text as it was typed: whole
// numbers, finite real numbers in a range, memory sizes. Each rule reads the text once with
// std::from_chars, which takes no sign, space, hex prefix or trailing text that the rule did not
// ask for, and gives either the canonical text that CLI11 then converts (standing for exactly
// the value checked) or the rest of a sentence whose subject is the flag:
// "must be a whole number from 1 to 1000000, got 1.5".
// Free of CLI11, so that the rules are tested on their own; flag_checks.hpp turns them into
// CLI11 validators.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace deepfm_cli {

/// A flag's text as a rule read it: `canonical` when the rule accepts it, else `problem`.
struct FlagReading {
  std::string canonical{};  ///< the accepted value, spelled so that CLI11 converts it exactly
  std::string problem{};    ///< "must be ..., got TEXT": the predicate of a sentence on the flag
  /// Whether the rule accepted the text.
  bool accepted() const noexcept { return problem.empty(); }
};

/// The longest part of a refused text that a message repeats: a flag value is short, and a
/// message must stay one readable line whatever was typed.
inline constexpr std::size_t kMaxQuotedBytes = 40;

/// `text` as a message shows it: as typed when it is plain (printable ASCII, no space and no
/// quote), otherwise in single quotes with other bytes as \xNN, so that an empty value, a
/// leading space or a control byte is visible; cut after kMaxQuotedBytes bytes.
inline std::string typed_value(std::string_view text) {
  const std::string_view shown = text.substr(0, kMaxQuotedBytes);
  const std::string_view cut = shown.size() < text.size() ? "..." : "";
  const auto plain = [](char c) { return c > ' ' && c <= '~' && c != '\'' && c != '\\'; };
  if (!text.empty() && std::all_of(shown.begin(), shown.end(), plain))
    return std::string(shown) + std::string(cut);
  std::string quoted = "'";
  for (const char c : shown) {
    if (c == '\'' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (c >= ' ' && c <= '~') {
      quoted += c;
    } else {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02x", static_cast<unsigned char>(c));
      quoted += escape;
    }
  }
  return quoted + "'" + std::string(cut);
}

namespace detail {

inline FlagReading refused(std::string_view expectation, std::string_view text) {
  return {{}, std::string(expectation) + ", got " + typed_value(text)};
}

/// A bound as a person writes it: the shortest text that reads back as `value`.
inline std::string shortest_text(double value) {
  std::array<char, 32> text{};
  const auto end = std::to_chars(text.data(), text.data() + text.size(), value).ptr;
  return std::string(text.data(), end);
}

inline std::string bound_text(std::uint64_t value) {
  return value == std::numeric_limits<std::uint64_t>::max() ? "2^64-1" : std::to_string(value);
}

}  // namespace detail

/// Whole numbers from `min` to `max`, in decimal digits only. The canonical text drops leading
/// zeros, which CLI11's own conversion (strtoull, base 0) would read as octal: "010" is 10.
class WholeNumberRule {
 public:
  constexpr WholeNumberRule(std::uint64_t min, std::uint64_t max) noexcept : min_(min), max_(max) {}

  /// "a whole number from 1 to 1000000", or for the items of a list flag ("30,20,10")
  /// "whole numbers from 1 to 65536".
  std::string describe(bool list_items = false) const {
    return std::string(list_items ? "whole numbers" : "a whole number") + " from " +
           detail::bound_text(min_) + " to " + detail::bound_text(max_);
  }

  /// Reads one value.
  FlagReading read(std::string_view text) const {
    if (const std::optional<std::uint64_t> value = parse(text)) return {std::to_string(*value), {}};
    return detail::refused("must be " + describe(), text);
  }

  /// Reads a comma-separated list ("30,20,10"), every item by this rule. An empty item
  /// ("30,,10", a trailing comma) is refused: CLI11's own list splitting drops it, so a typo
  /// would quietly give another model. The message quotes the first bad item, or the whole
  /// list where that item is empty.
  FlagReading read_list(std::string_view text) const {
    std::string canonical;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = std::min(text.find(',', start), text.size());
      const std::string_view item = text.substr(start, comma - start);
      const std::optional<std::uint64_t> value = parse(item);
      if (!value) return detail::refused("must list " + describe(true), item.empty() ? text : item);
      canonical += (start > 0 ? "," : "") + std::to_string(*value);
      if (comma == text.size()) return {std::move(canonical), {}};
      start = comma + 1;
    }
  }

 private:
  std::optional<std::uint64_t> parse(std::string_view text) const {
    if (text.empty()) return std::nullopt;
    std::uint64_t value = 0;
    const char* const end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc() || stop != end || value < min_ || value > max_) return std::nullopt;
    return value;
  }

  std::uint64_t min_;
  std::uint64_t max_;
};

/// The numbers of lists that WholeNumberRule::read_list accepted (its canonical text), in
/// order: what a list flag's callback stores.
inline std::vector<std::uint64_t> list_values(const std::vector<std::string>& canonical_lists) {
  std::vector<std::uint64_t> values;
  for (const std::string& list : canonical_lists) {
    for (std::size_t start = 0; start < list.size();) {
      const std::size_t comma = std::min(list.find(',', start), list.size());
      std::uint64_t value = 0;
      const std::from_chars_result read =
          std::from_chars(list.data() + start, list.data() + comma, value);
      static_cast<void>(read);  // the text is read_list's own: digits only, in range
      values.push_back(value);
      start = comma + 1;
    }
  }
  return values;
}

/// Finite real numbers in a range, in decimal or scientific notation ("0.01", "1e-3"); NaN and
/// the infinities are refused whatever the range. The canonical text is the value's exact
/// hexadecimal form: CLI11 converts through long double, and a decimal text could round twice
/// (to long double, then to double) onto a neighbour outside the range that was checked.
class RealNumberRule {
 public:
  /// From `min` to `max`, both included.
  static RealNumberRule between(double min, double max) {
    return RealNumberRule(
        min, max, true,
        "a number from " + detail::shortest_text(min) + " to " + detail::shortest_text(max));
  }
  /// Above 0 (a learning rate).
  static RealNumberRule positive() {
    return RealNumberRule(0, std::numeric_limits<double>::max(), false, "a positive finite number");
  }
  /// 0 or above (a penalty).
  static RealNumberRule non_negative() {
    return RealNumberRule(0, std::numeric_limits<double>::max(), true,
                          "0 or a positive finite number");
  }

  /// "a number from 0 to 0.99", "a positive finite number", ...
  const std::string& describe() const noexcept { return description_; }

  /// Reads one value.
  FlagReading read(std::string_view text) const {
    if (text.empty()) return detail::refused("must be " + description_, text);
    double value = 0;
    const char* const end = text.data() + text.size();
    // chars_format::general: decimal and scientific only, no "0x" (which strtold would take).
    const auto [stop, error] = std::from_chars(text.data(), end, value, std::chars_format::general);
    const bool above_min = min_included_ ? value >= min_ : value > min_;
    if (error != std::errc() || stop != end || !std::isfinite(value) || !above_min || value > max_)
      return detail::refused("must be " + description_, text);
    if (value == 0) value = 0;  // "-0" is zero to a person; keep the sign out of the model
    std::array<char, 40> hex{};
    const auto hex_end =
        std::to_chars(hex.data(), hex.data() + hex.size(), value, std::chars_format::hex).ptr;
    // to_chars writes no "0x", which strtold needs to read the digits as hexadecimal.
    std::string canonical(hex.data(), hex_end);
    canonical.insert(canonical.front() == '-' ? 1 : 0, "0x");
    return {std::move(canonical), {}};
  }

 private:
  RealNumberRule(double min, double max, bool min_included, std::string description)
      : min_(min), max_(max), min_included_(min_included), description_(std::move(description)) {}

  double min_;
  double max_;
  bool min_included_;
  std::string description_;
};

/// Reads one of a few words (`--format`, `--model`, ...), spelled exactly as listed:
/// "must be one of d2l, criteo or csv, got parquet".
inline FlagReading read_choice(std::string_view text, const std::vector<std::string>& choices) {
  std::string listed;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == text) return {choices[i], {}};
    listed += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  }
  return detail::refused("must be one of " + listed, text);
}

/// The value `--max-memory none` reads as: a limit that no memory estimate exceeds.
inline constexpr std::uint64_t kNoMemoryLimit = std::numeric_limits<std::uint64_t>::max();

/// What a memory limit must be, said as a person would ask for it.
inline constexpr std::string_view kMemoryLimitExpectation =
    "must be a size above 0 such as 8G or 512M, or none for no limit";

/// Reads a memory limit: `none` (kNoMemoryLimit), or a whole number of bytes above 0 with an
/// optional unit K, M, G or T (also written KB, KiB, ...; case does not matter), each a power
/// of 1024 as CLI11's AsSizeValue(false) read them. 0 is refused rather than read as "no
/// limit": a reader could not tell which of the two it means.
inline FlagReading read_memory_limit(std::string_view text) {
  const auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  };
  if (lower(text) == "none") return {std::to_string(kNoMemoryLimit), {}};
  if (text.empty()) return detail::refused(kMemoryLimitExpectation, text);
  std::uint64_t count = 0;
  const char* const end = text.data() + text.size();
  const auto [unit_start, error] = std::from_chars(text.data(), end, count);
  if (error != std::errc() || count == 0) return detail::refused(kMemoryLimitExpectation, text);
  const std::string unit = lower(text.substr(static_cast<std::size_t>(unit_start - text.data())));
  int shift = -1;
  constexpr std::array<std::string_view, 5> kPrefixes = {"", "k", "m", "g", "t"};
  for (std::size_t power = 0; power < kPrefixes.size(); ++power) {
    const std::string prefix(kPrefixes[power]);
    if (unit == prefix || unit == prefix + "b" || (power > 0 && unit == prefix + "ib"))
      shift = static_cast<int>(10 * power);
  }
  if (shift < 0 || count > (kNoMemoryLimit >> shift))
    return detail::refused(kMemoryLimitExpectation, text);
  return {std::to_string(count << shift), {}};
}

}  // namespace deepfm_cli
