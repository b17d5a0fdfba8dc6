#pragma once
// The `deepfm` tool's CLI11 validators: the rules of flag_text.hpp (numbers, words, memory
// sizes) and file and folder names that must not be empty, each refusing a value with the rest
// of a sentence about its flag ("must be a positive finite number, got -0.01"); and
// usage_error_line, which prints CLI11's errors as the tool's other errors read:
// "deepfm: error: --lr must be ...".
//
// The number validators rewrite the text into its canonical spelling (flag_text.hpp says why),
// so attach them with Option::transform: Option::check runs a validator on a copy of the text
// and would throw the rewrite away. Either way they run on the text before CLI11 converts it.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <deepfm/core/printable_text.hpp>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flag_text.hpp"

namespace deepfm_cli {

namespace detail {

/// A validator that applies `read` and keeps its canonical text; `description` is what the
/// help shows after the value's type.
template <class Read>
CLI::Validator reading_validator(Read read, std::string description) {
  return CLI::Validator(
      [read = std::move(read)](std::string& text) {
        FlagReading reading = read(text);
        if (!reading.accepted()) return std::move(reading.problem);
        text = std::move(reading.canonical);
        return std::string();
      },
      std::move(description));
}

inline std::string range_text(std::uint64_t min, std::uint64_t max) {
  return bound_text(min) + " to " + bound_text(max);
}

}  // namespace detail

/// Whole numbers from `min` to `max` (attach with transform).
inline CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  const WholeNumberRule rule(min, max);
  return detail::reading_validator([rule](std::string_view text) { return rule.read(text); },
                                   detail::range_text(min, max));
}

/// A list flag's every argument ("30,20,10"): whole numbers from `min` to `max`, separated by
/// commas, no item empty (attach with transform to an option without a delimiter, whose
/// callback reads list_values(); CLI11's own delimiter would drop an empty item unseen).
inline CLI::Validator whole_number_list(std::uint64_t min, std::uint64_t max) {
  const WholeNumberRule rule(min, max);
  return detail::reading_validator([rule](std::string_view text) { return rule.read_list(text); },
                                   "each " + detail::range_text(min, max));
}

/// Finite numbers from `min` to `max`, both included (attach with transform).
inline CLI::Validator real_number(double min, double max) {
  const RealNumberRule rule = RealNumberRule::between(min, max);
  return detail::reading_validator(
      [rule](std::string_view text) { return rule.read(text); },
      detail::shortest_text(min) + " to " + detail::shortest_text(max));
}

/// Finite numbers above 0 (attach with transform).
inline CLI::Validator positive_finite() {
  const RealNumberRule rule = RealNumberRule::positive();
  return detail::reading_validator([rule](std::string_view text) { return rule.read(text); },
                                   "above 0");
}

/// 0 and finite numbers above it (attach with transform).
inline CLI::Validator non_negative_finite() {
  const RealNumberRule rule = RealNumberRule::non_negative();
  return detail::reading_validator([rule](std::string_view text) { return rule.read(text); },
                                   "0 or more");
}

/// One of `choices`, as CLI::IsMember, with a message that reads as a sentence.
inline CLI::Validator one_of(std::vector<std::string> choices) {
  std::string listed;
  for (const std::string& choice : choices) listed += (listed.empty() ? "{" : ",") + choice;
  return CLI::Validator([choices = std::move(choices)](
                            const std::string& text) { return read_choice(text, choices).problem; },
                        listed + "}");
}

/// A memory limit: "8G", "512M", a number of bytes, or "none" (attach with transform).
inline CLI::Validator memory_limit() { return detail::reading_validator(read_memory_limit, ""); }

/// A value that names a file: an empty one (`--save ''`, easily made by an unset shell
/// variable) would otherwise mean "no file" and quietly skip the output.
inline CLI::Validator file_name() {
  return CLI::Validator(
      [](const std::string& text) { return text.empty() ? "needs a file name" : std::string(); },
      "");
}

/// A value that names a folder, like file_name().
inline CLI::Validator folder_name() {
  return CLI::Validator(
      [](const std::string& text) { return text.empty() ? "needs a folder name" : std::string(); },
      "");
}

/// The words that open the tool's check messages (this file's, and those a command's own
/// CLI::ValidationError gives, as --early-stop's): each the predicate of a sentence on a flag.
inline constexpr std::string_view kFlagPredicates[] = {"must ", "needs "};

/// The line the tool prints for a CLI11 parse error: "deepfm: error: " and the message. CLI11
/// words a failed check "FLAG: MESSAGE"; where the message is one of ours (it opens with a
/// predicate) the colon goes, so that the line reads as a sentence: "--lr must be a positive
/// finite number, got -0.01". A flag without its value ("FLAG: 1 required TEXT missing", also
/// from `--save=`) reads "FLAG needs a value". CLI11's other messages keep their form, with a
/// lower-case start.
inline std::string usage_error_line(const CLI::Error& error) {
  std::string message = error.what();
  const std::size_t colon = message.find(": ");
  const bool names_a_flag =
      colon != std::string::npos && message.starts_with("-") && message.find(' ') > colon;
  const std::string_view after_colon =
      names_a_flag ? std::string_view(message).substr(colon + 2) : std::string_view();
  if (names_a_flag && dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr &&
      after_colon.starts_with("1 required ") && after_colon.ends_with(" missing")) {
    message = message.substr(0, colon) + " needs a value";
  } else if (names_a_flag && dynamic_cast<const CLI::ValidationError*>(&error) != nullptr &&
             std::any_of(
                 std::begin(kFlagPredicates), std::end(kFlagPredicates),
                 [&](std::string_view predicate) { return after_colon.starts_with(predicate); })) {
    message.erase(colon, 1);
  }
  // "The following arguments...", "A subcommand is required": not "I" or an acronym.
  if (message.size() > 1 && message[0] >= 'A' && message[0] <= 'Z' && message[0] != 'I' &&
      (message[1] == ' ' || (message[1] >= 'a' && message[1] <= 'z')))
    message[0] = static_cast<char>(message[0] - 'A' + 'a');
  // An argument can hold any bytes (an ESC sequence pasted from a log): never print them raw.
  return "deepfm: error: " + deepfm::printable_text(message) + "\n";
}

}  // namespace deepfm_cli
