#pragma once
// Strict JSON (RFC 8259) for tests that check the library's JSON output, parsed by
// nlohmann::json (nlohmann-json3-dev), which rejects what lenient parsers accept: NaN,
// Infinity, leading zeros, trailing commas, comments, raw control characters in strings,
// invalid escapes and lone surrogates, invalid UTF-8, trailing text. Its SAX interface builds
// the small tree below, which keeps what a DOM would lose: members in order with duplicates,
// and a number's text as written (nlohmann hands over a float's text; an integer's is its
// value printed back, the same text for every integer but -0), so that a test can check how
// a number was written and read it back exactly.

#include <nlohmann/json.hpp>

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

class StrictJsonParser final : public nlohmann::json_sax<nlohmann::json> {
 public:
  /// Parses exactly one JSON value spanning all of `text` (whitespace around allowed).
  static JsonValue parse(std::string_view text) {
    // nlohmann skips a leading UTF-8 byte-order mark, which RFC 8259 forbids a writer to add.
    if (text.substr(0, 3) == "\xEF\xBB\xBF") throw std::runtime_error("invalid JSON: a BOM");
    StrictJsonParser parser;
    nlohmann::json::sax_parse(text, &parser, nlohmann::json::input_format_t::json,
                              /*strict=*/true, /*ignore_comments=*/false);
    if (!parser.error_.empty()) throw std::runtime_error("invalid JSON: " + parser.error_);
    return std::move(parser.root_);
  }

  bool null() override { return put({}); }
  bool boolean(bool value) override {
    JsonValue v;
    v.kind = JsonValue::Kind::boolean;
    v.boolean = value;
    return put(std::move(v));
  }
  bool number_integer(number_integer_t value) override { return number(std::to_string(value)); }
  bool number_unsigned(number_unsigned_t value) override { return number(std::to_string(value)); }
  bool number_float(number_float_t, const string_t& text) override { return number(text); }
  bool string(string_t& value) override {
    JsonValue v;
    v.kind = JsonValue::Kind::string;
    v.text = std::move(value);
    return put(std::move(v));
  }
  bool binary(binary_t&) override { return false; }  // not JSON text
  bool start_object(std::size_t) override { return open(JsonValue::Kind::object); }
  bool key(string_t& name) override {
    open_.back()->keys.push_back(std::move(name));
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(JsonValue::Kind::array); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& error) override {
    error_ = error.what();
    return false;
  }

 private:
  StrictJsonParser() = default;

  bool number(std::string text) {
    JsonValue v;
    v.kind = JsonValue::Kind::number;
    v.text = std::move(text);
    return put(std::move(v));
  }
  // Adds a value where the parse is: the root, an array's next item or an object's member.
  JsonValue* place(JsonValue v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    JsonValue& parent = *open_.back();
    auto& list = parent.kind == JsonValue::Kind::array ? parent.items : parent.values;
    list.push_back(std::move(v));
    return &list.back();
  }
  bool put(JsonValue v) {
    place(std::move(v));
    return true;
  }
  // A container stays open (and its address stable) until its end: nothing is added to its
  // parent meanwhile.
  bool open(JsonValue::Kind kind) {
    JsonValue v;
    v.kind = kind;
    open_.push_back(place(std::move(v)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  JsonValue root_;
  std::vector<JsonValue*> open_;
  std::string error_;
};

}  // namespace deepfm::test
