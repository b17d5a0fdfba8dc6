// report/json_writer.hpp: one-line JSON objects, always valid, doubles exact.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <deepfm/core/random.hpp>
#include <deepfm/report/json_writer.hpp>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "support/strict_json.hpp"

namespace {

using deepfm::JsonObject;
using deepfm::test::JsonValue;
using deepfm::test::StrictJsonParser;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The text of number member `key` read back with strtod, as the bits of the double.
std::uint64_t read_back_bits(const JsonValue& object, const std::string& key) {
  const JsonValue& value = object.at(key);
  REQUIRE(value.kind == JsonValue::Kind::number);
  return std::bit_cast<std::uint64_t>(std::strtod(value.text.c_str(), nullptr));
}

deepfm::Metrics sample_metrics() {
  deepfm::Metrics m;
  m.auc = 0.78125;
  m.logloss = 0.44;
  m.accuracy = 0.8;
  m.calibration = 1.01;
  m.ne = 0.9;
  m.rows = 2000;
  return m;
}

}  // namespace

TEST_CASE("JsonObject writes every value kind as strict JSON", "[json][report]") {
  const std::vector<double> array = {1.5, kNaN, -2};
  JsonObject nested;
  nested.add("x", 1);
  JsonObject object;
  object.add("double", 0.25)
      .add("float", 0.1f)
      .add("size", std::size_t{18446744073709551615ull})
      .add("int64", std::int64_t{-9223372036854775807ll - 1})
      .add("int", -3)
      .add("yes", true)
      .add("no", false)
      .add("text", "hello")
      .add("string", std::string("world"))
      .add("null_pointer", static_cast<const char*>(nullptr))
      .add("some", std::optional<double>(2.5))
      .add("none", std::optional<double>())
      .add("array", std::span<const double>(array))
      .add("empty_array", std::span<const double>())
      .add("nested", nested)
      .add_null("null")
      .add_raw("raw", R"([true,{"a":[]}])");
  const std::string text = object.str();
  CHECK(text.find('\n') == std::string::npos);
  const JsonValue v = StrictJsonParser::parse(text);
  REQUIRE(v.kind == JsonValue::Kind::object);
  REQUIRE(v.keys.size() == 17);
  CHECK(v.keys[0] == "double");  // insertion order
  CHECK(v.at("double").text == "0.25");
  CHECK(v.at("float").text == "0.1");  // the float's own shortest form
  CHECK(v.at("size").text == "18446744073709551615");
  CHECK(v.at("int64").text == "-9223372036854775808");
  CHECK(v.at("int").text == "-3");
  CHECK(v.at("yes").kind == JsonValue::Kind::boolean);
  CHECK(v.at("yes").boolean);
  CHECK_FALSE(v.at("no").boolean);
  CHECK(v.at("text").text == "hello");
  CHECK(v.at("string").text == "world");
  CHECK(v.at("null_pointer").kind == JsonValue::Kind::null);
  CHECK(v.at("some").text == "2.5");
  CHECK(v.at("none").kind == JsonValue::Kind::null);
  REQUIRE(v.at("array").items.size() == 3);
  CHECK(v.at("array").items[1].kind == JsonValue::Kind::null);
  CHECK(v.at("empty_array").items.empty());
  CHECK(v.at("nested").at("x").text == "1");
  CHECK(v.at("null").kind == JsonValue::Kind::null);
  CHECK(v.at("raw").items.size() == 2);
  CHECK(text.find(R"("nested":{"x":1})") != std::string::npos);
}

TEST_CASE("JsonObject writes NaN and infinities as null", "[json][report]") {
  JsonObject object;
  object.add("nan", kNaN)
      .add("negative_nan", -kNaN)
      .add("inf", kInf)
      .add("minus_inf", -kInf)
      .add("float_nan", std::numeric_limits<float>::quiet_NaN())
      .add("float_inf", std::numeric_limits<float>::infinity())
      .add("optional_inf", std::optional<double>(kInf));
  const std::string text = object.str();
  const JsonValue v = StrictJsonParser::parse(text);
  for (std::size_t i = 0; i < v.keys.size(); ++i) {
    INFO(v.keys[i]);
    CHECK(v.values[i].kind == JsonValue::Kind::null);
  }
  CHECK(v.keys.size() == 7);
  for (const char* spelling : {":nan", ":-nan", ":inf", ":-inf", "Infinity", "NaN"}) {
    INFO(spelling);
    CHECK(text.find(spelling) == std::string::npos);
  }
}

TEST_CASE("JsonObject of nothing is an empty object", "[json][report]") {
  const JsonObject object;
  CHECK(object.empty());
  CHECK(object.str() == "{}");
  CHECK(StrictJsonParser::parse(object.str()).keys.empty());
}

TEST_CASE("JsonObject refuses an empty raw value", "[json][report]") {
  JsonObject object;
  CHECK_THROWS_AS(object.add_raw("k", ""), deepfm::InvalidArgument);
}

TEST_CASE("JsonObject doubles read back bit for bit", "[json][report]") {
  std::vector<double> values = {0.0,
                                -0.0,
                                1.0,
                                0.1,
                                1.0 / 3.0,
                                -2.5e-310,  // subnormal
                                std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::max(),
                                -std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::epsilon(),
                                9007199254740993.0,
                                123456789012345678.0,
                                0.6931471805599453};
  // Random bit patterns cover every exponent; the non-finite ones are skipped.
  const deepfm::RandomStream rng(7, deepfm::RngStream::synthetic, 1);
  for (std::uint64_t i = 0; values.size() < 2000; ++i) {
    const double value = std::bit_cast<double>(rng.bits(i));
    if (std::isfinite(value)) values.push_back(value);
  }
  JsonObject object;
  for (std::size_t i = 0; i < values.size(); ++i) object.add("v" + std::to_string(i), values[i]);
  const std::string text = object.str();
  const JsonValue v = StrictJsonParser::parse(text);
  REQUIRE(v.keys.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO(v.values[i].text);
    if (values[i] == 0.0) continue;  // the zeros: below
    CHECK(read_back_bits(v, "v" + std::to_string(i)) == std::bit_cast<std::uint64_t>(values[i]));
  }
  // "0" and "-0" are integer tokens, whose text the parser gives back from their value (0),
  // so the sign of zero is checked in the written text.
  CHECK(text.find(R"("v0":0,)") != std::string::npos);
  CHECK(text.find(R"("v1":-0,)") != std::string::npos);  // the sign of zero survives
}

TEST_CASE("JsonObject floats read back exactly as floats", "[json][report]") {
  const std::vector<float> values = {0.1f,     1.0f / 3.0f, 3.4028235e38f,
                                     1.4e-45f, -7.25f,      16777217.0f};
  JsonObject object;
  for (std::size_t i = 0; i < values.size(); ++i) object.add("f" + std::to_string(i), values[i]);
  const JsonValue v = StrictJsonParser::parse(object.str());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string& text = v.at("f" + std::to_string(i)).text;
    INFO(text);
    CHECK(std::strtof(text.c_str(), nullptr) == values[i]);
  }
}

TEST_CASE("JsonObject escapes strings and keys per RFC 8259", "[json][report]") {
  std::string raw = "quote\" backslash\\ slash/ newline\n tab\t cr\r bs\b ff\f";
  raw += '\0';
  raw += "\x01\x1f\x7f end";
  const std::string unicode = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";  // é € 😀
  JsonObject object;
  object.add("text", raw).add("unicode", unicode).add("key \"with\"\nescapes", 1);
  const std::string text = object.str();
  CHECK(
      text.find(R"(quote\" backslash\\ slash/ newline\n tab\t cr\r bs\b ff\f\u0000\u0001\u001f)") !=
      std::string::npos);
  const JsonValue v = StrictJsonParser::parse(text);
  CHECK(v.at("text").text == raw);
  CHECK(v.at("unicode").text == unicode);
  CHECK(text.find(unicode) != std::string::npos);  // passed through, not \u-escaped
  CHECK(v.at("key \"with\"\nescapes").text == "1");
}

TEST_CASE("JsonObject replaces invalid UTF-8 with U+FFFD", "[json][report]") {
  const std::string replacement = "\xEF\xBF\xBD";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"latin1 caf\xE9", "latin1 caf" + replacement},
      {"lone continuation \x80", "lone continuation " + replacement},
      {"overlong \xC0\xAF", "overlong " + replacement + replacement},
      {"surrogate \xED\xA0\x80", "surrogate " + replacement + replacement + replacement},
      {"above max \xF4\x90\x80\x80",
       "above max " + replacement + replacement + replacement + replacement},
      {"truncated \xE2\x82", "truncated " + replacement + replacement},
  };
  for (const auto& [input, expected] : cases) {
    INFO(expected);
    JsonObject object;
    object.add("s", input);
    CHECK(StrictJsonParser::parse(object.str()).at("s").text == expected);
  }
}

TEST_CASE("epoch_json writes one strict JSON line with nested set metrics", "[json][report]") {
  deepfm::EpochStats stats;
  stats.epoch = 3;
  stats.train_loss = 0.4321;
  stats.seconds = 2.125;
  stats.samples_per_second = 812345.5;
  stats.validation = sample_metrics();
  deepfm::Metrics test_metrics = sample_metrics();
  test_metrics.auc.reset();  // one class only
  test_metrics.ne.reset();
  test_metrics.logloss = kInf;
  stats.test = test_metrics;

  const std::string line = deepfm::epoch_json(stats);
  CHECK(line.find('\n') == std::string::npos);
  const JsonValue v = StrictJsonParser::parse(line);
  REQUIRE(v.keys.size() == 6);
  CHECK(v.keys[0] == "epoch");
  CHECK(v.at("epoch").text == "3");
  CHECK(v.at("train_loss").text == "0.4321");
  CHECK(v.at("seconds").text == "2.125");
  CHECK(v.at("samples_per_second").text == "812345.5");
  const JsonValue& valid = v.at("valid");
  CHECK(valid.at("auc").text == "0.78125");
  CHECK(valid.at("logloss").text == "0.44");
  CHECK(valid.at("accuracy").text == "0.8");
  CHECK(valid.at("calibration").text == "1.01");
  CHECK(valid.at("ne").text == "0.9");
  CHECK(valid.at("rows").text == "2000");
  const JsonValue& test = v.at("test");
  CHECK(test.at("auc").kind == JsonValue::Kind::null);
  CHECK(test.at("ne").kind == JsonValue::Kind::null);
  CHECK(test.at("logloss").kind == JsonValue::Kind::null);
}

TEST_CASE("epoch_json leaves out sets that were not scored", "[json][report]") {
  deepfm::EpochStats stats;
  stats.epoch = 1;
  stats.train_loss = kNaN;
  const JsonValue v = StrictJsonParser::parse(deepfm::epoch_json(stats));
  CHECK(v.keys.size() == 4);
  CHECK_FALSE(v.has("valid"));
  CHECK_FALSE(v.has("test"));
  CHECK(v.at("train_loss").kind == JsonValue::Kind::null);
}

TEST_CASE("add_metrics nests a set under its key", "[json][report]") {
  JsonObject object;
  deepfm::add_metrics(object, "valid", sample_metrics());
  const JsonValue v = StrictJsonParser::parse(object.str());
  CHECK(v.keys.size() == 1);
  CHECK(v.at("valid").keys.size() == 6);
}

TEST_CASE("the strict JSON checker rejects what JSON forbids", "[json][report]") {
  // The checker above is only as good as its rejections.
  for (const char* bad : {"{\"a\":NaN}",
                          "{\"a\":nan}",
                          "{\"a\":Infinity}",
                          "{\"a\":01}",
                          "{\"a\":1.}",
                          "{\"a\":.5}",
                          "{\"a\":1,}",
                          "[1,]",
                          "{\"a\":\"\t\"}",
                          "{\"a\":\"\\x\"}",
                          "{\"a\":1} x",
                          "{a:1}",
                          "{\"a\":\"\xC0\xAF\"}",
                          "{\"a\":\"\\ud800\"}",
                          "{\"a\":-}",
                          "{\"a\":1e}",
                          "{\"a\":\"\\udc00\"}",
                          "{\"a\":+1}",
                          "{\"a\":1}/**/",
                          "\xEF\xBB\xBF{}",
                          ""}) {
    INFO(bad);
    CHECK_THROWS(StrictJsonParser::parse(bad));
  }
  CHECK_NOTHROW(StrictJsonParser::parse(R"({"a":[-0,1e+20,2.5E-3,"\ud83d\ude00",null,true]})"));
}
