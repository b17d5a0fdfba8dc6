#pragma once
/// @file
/// Numbers and durations as people read them in the trainer's reports: "1.23M", "0:12",
/// "0.4321", "1.5 GB". Every function takes any double, NaN and infinities included, and never
/// fails; output is locale-independent (std::to_chars), so a program that calls setlocale still
/// prints a decimal point.

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

namespace deepfm {

/// `value` with `decimals` digits after the point ("0.4321"); "nan", "inf", "-inf" for the
/// non-finite; no "-0.0000" (a value that rounds to zero prints unsigned).
inline std::string fixed_text(double value, int decimals) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  decimals = decimals < 0 ? 0 : decimals > 17 ? 17 : decimals;
  // A tiny negative would print as "-0.00"; the sign says nothing once rounded away.
  if (std::fabs(value) < 0.5 * std::pow(10.0, -decimals)) value = 0;
  char text[400];  // a fixed-format double needs at most 309 digits before the point
  const std::to_chars_result result =
      std::to_chars(text, text + sizeof text, value, std::chars_format::fixed, decimals);
  if (result.ec != std::errc{}) return "?";
  return std::string(text, result.ptr);
}

/// `value` to three significant digits with an SI suffix: "987", "12.3k", "1.23M", "4.56G";
/// "nan", "inf", "-inf" for the non-finite. Used for samples per second and counts.
inline std::string human_count(double value) {
  if (!std::isfinite(value)) return fixed_text(value, 0);
  if (value == 0) return "0";
  const std::string sign = value < 0 ? "-" : "";
  double magnitude = std::fabs(value);
  static constexpr const char* kSuffixes[] = {"", "k", "M", "G", "T", "P", "E"};
  std::size_t unit = 0;
  // Move up a unit whenever three significant digits would round to 1000 or more.
  while (magnitude >= 999.5 && unit + 1 < std::size(kSuffixes)) {
    magnitude /= 1000;
    ++unit;
  }
  if (unit == 0 && magnitude >= 1 && magnitude == std::floor(magnitude))
    return sign + fixed_text(magnitude, 0);  // whole numbers below 1000 need no decimals
  const int decimals = magnitude >= 99.95 ? 0 : magnitude >= 9.995 ? 1 : 2;
  return sign + fixed_text(magnitude, decimals) + kSuffixes[unit];
}

/// `seconds` rounded to whole seconds as "m:ss" below an hour, "h:mm:ss" from one hour on;
/// "--:--" when negative or not finite (an unknown estimate).
inline std::string clock_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e15) return "--:--";
  const auto total = static_cast<std::uint64_t>(std::llround(seconds));
  const std::uint64_t hours = total / 3600;
  const std::uint64_t minutes = total / 60 % 60;
  const std::uint64_t secs = total % 60;
  const auto two_digits = [](std::uint64_t v) {
    return std::string(v < 10 ? "0" : "") + std::to_string(v);
  };
  if (hours > 0) return std::to_string(hours) + ":" + two_digits(minutes) + ":" + two_digits(secs);
  return std::to_string(minutes) + ":" + two_digits(secs);
}

/// "1.50 GB", "12.3 MB", "512 kB", "100 B" (through fixed_text: a decimal point whatever the
/// C locale, where snprintf's %f would follow LC_NUMERIC).
inline std::string human_bytes(std::uint64_t bytes) {
  const auto value = static_cast<double>(bytes);
  if (bytes >= 1000000000ull) return fixed_text(value / 1e9, 2) + " GB";
  if (bytes >= 1000000ull) return fixed_text(value / 1e6, 1) + " MB";
  if (bytes >= 1000ull) return fixed_text(value / 1e3, 0) + " kB";
  return std::to_string(bytes) + " B";
}

}  // namespace deepfm
