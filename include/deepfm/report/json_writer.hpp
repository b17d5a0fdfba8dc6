#pragma once
/// @file
/// One-line JSON objects for the trainer's machine-readable output (`--metrics` JSON lines,
/// `--json` summaries). Two promises: the text is always valid JSON (RFC 8259) — NaN and
/// infinities become null, strings are escaped, invalid UTF-8 is replaced — and every double
/// reads back bit for bit (the shortest round-trip text of std::to_chars, locale-independent).
///
/// Metrics nest under their set's key rather than being flattened into prefixed keys:
///   {"epoch":3,"train_loss":0.43,"seconds":2.1,"samples_per_second":812345.6,
///    "valid":{"auc":0.78,"logloss":0.44,"accuracy":0.8,"calibration":1.01,"ne":0.9,"rows":2000},
///    "test":{...}}
/// so that every set reads the same way (`.valid.auc`, `.test.auc` in jq) and a set that was
/// not evaluated is simply absent.

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "deepfm/core/error.hpp"
#include "deepfm/metrics/epoch_stats.hpp"
#include "deepfm/metrics/metrics.hpp"
#include "deepfm/report/text_escape.hpp"

namespace deepfm {

namespace detail {

/// Appends the shortest text that reads back as exactly `value`, or null when not finite.
template <typename F>
void append_json_number(std::string& out, F value) {
  static_assert(std::is_floating_point_v<F>);
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char text[64];  // the shortest form of a double is at most 24 characters
  const std::to_chars_result result = std::to_chars(text, text + sizeof text, value);
  DEEPFM_ASSERT(result.ec == std::errc{});
  out.append(text, result.ptr);
}

/// Integer types that print as JSON numbers: not bool (true/false) and not the character types.
template <typename I>
concept JsonInteger =
    std::integral<I> && !std::same_as<I, bool> && !std::same_as<I, char> &&
    !std::same_as<I, signed char> && !std::same_as<I, unsigned char> && !std::same_as<I, wchar_t> &&
    !std::same_as<I, char8_t> && !std::same_as<I, char16_t> && !std::same_as<I, char32_t>;

}  // namespace detail

/// Builds one JSON object, member by member, in insertion order. Keys are escaped like any
/// string; the builder does not check that they are unique (the caller's keys are literals).
class JsonObject {
 public:
  /// A number; NaN and infinities become null (JSON has no spelling for them).
  JsonObject& add(std::string_view key, double value) {
    detail::append_json_number(begin_member(key), value);
    return *this;
  }

  /// A float's own shortest text ("0.1", not the double 0.10000000149011612).
  JsonObject& add(std::string_view key, float value) {
    detail::append_json_number(begin_member(key), value);
    return *this;
  }

  /// Any integer type other than bool and characters (size_t, uint64_t, int64_t, int...).
  template <detail::JsonInteger I>
  JsonObject& add(std::string_view key, I value) {
    char text[24];
    const std::to_chars_result result = std::to_chars(text, text + sizeof text, value);
    begin_member(key).append(text, result.ptr);
    return *this;
  }

  /// true or false.
  JsonObject& add(std::string_view key, bool value) {
    begin_member(key) += value ? "true" : "false";
    return *this;
  }

  /// A string, escaped (see append_json_string).
  JsonObject& add(std::string_view key, std::string_view value) {
    append_json_string(begin_member(key), value);
    return *this;
  }

  /// A C string (without this overload a literal would convert to bool); null pointer → null.
  JsonObject& add(std::string_view key, const char* value) {
    if (value == nullptr) return add_null(key);
    return add(key, std::string_view(value));
  }

  /// An optional value: the value, or null when empty.
  template <typename T>
  JsonObject& add(std::string_view key, const std::optional<T>& value) {
    if (!value) return add_null(key);
    return add(key, *value);
  }

  /// An array of numbers (non-finite elements as null).
  JsonObject& add(std::string_view key, std::span<const double> values) {
    std::string& out = begin_member(key);
    out += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      detail::append_json_number(out, values[i]);
    }
    out += ']';
    return *this;
  }

  /// A nested object.
  JsonObject& add(std::string_view key, const JsonObject& object) {
    begin_member(key) += object.str();
    return *this;
  }

  /// null.
  JsonObject& add_null(std::string_view key) {
    begin_member(key) += "null";
    return *this;
  }

  /// A value that is already JSON text, inserted as is; the caller vouches that it is valid.
  JsonObject& add_raw(std::string_view key, std::string_view json) {
    if (json.empty()) throw InvalidArgument("JsonObject::add_raw: empty JSON value for a key");
    begin_member(key) += json;
    return *this;
  }

  /// The object on one line: {"key":value,...}, or {} when nothing was added.
  std::string str() const { return "{" + members_ + "}"; }

  /// Whether nothing was added.
  bool empty() const noexcept { return members_.empty(); }

 private:
  std::string& begin_member(std::string_view key) {
    if (!members_.empty()) members_ += ',';
    append_json_string(members_, key);
    members_ += ':';
    return members_;
  }

  std::string members_;
};

/// `metrics` as an object: auc, logloss, accuracy, calibration, ne (null when undefined), rows.
inline JsonObject metrics_json(const Metrics& metrics) {
  JsonObject object;
  object.add("auc", metrics.auc)
      .add("logloss", metrics.logloss)
      .add("accuracy", metrics.accuracy)
      .add("calibration", metrics.calibration)
      .add("ne", metrics.ne)
      .add("rows", metrics.rows);
  return object;
}

/// Adds `metrics` to `object` as the nested object `key` (e.g. "valid", "test").
inline void add_metrics(JsonObject& object, std::string_view key, const Metrics& metrics) {
  object.add(key, metrics_json(metrics));
}

/// One line of the `--metrics` file for an epoch, without the newline: epoch, train_loss,
/// seconds, samples_per_second, then "valid" and "test" objects when those sets were scored.
inline std::string epoch_json(const EpochStats& stats) {
  JsonObject object;
  object.add("epoch", stats.epoch)
      .add("train_loss", stats.train_loss)
      .add("seconds", stats.seconds)
      .add("samples_per_second", stats.samples_per_second);
  if (stats.validation) add_metrics(object, "valid", *stats.validation);
  if (stats.test) add_metrics(object, "test", *stats.test);
  return object.str();
}

}  // namespace deepfm
