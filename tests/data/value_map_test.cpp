// ValueKey and ValueMap: values of every length up to and past the inline limit, read without
// touching the bytes around them, equal and hashed alike however a key holds them.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <deepfm/data/value_map.hpp>
#include <string>
#include <string_view>
#include <vector>

TEST_CASE("ValueKey holds values of every length exactly", "[data]") {
  for (std::size_t n = 0; n <= 40; ++n) {
    CAPTURE(n);
    std::string value;
    for (std::size_t i = 0; i < n; ++i) value += static_cast<char>('a' + i % 26);
    // The value between other bytes: a key must take none of them.
    const std::string around = "\x01\x02" + value + "\x03\x04";
    const deepfm::ValueKey key(std::string_view(around).substr(2, n));
    CHECK(key.view() == value);
    CHECK(key.is_inline() == (n <= deepfm::ValueKey::kInlineBytes));
    const deepfm::ValueKey same(value);
    CHECK(key == same);
    CHECK(deepfm::ValueKeyHash{}(key) == deepfm::ValueKeyHash{}(std::string_view(value)));
    if (n > 0) {
      std::string other = value;
      other.back() = '#';
      CHECK_FALSE(key == deepfm::ValueKey(other));
    }
  }
  CHECK_FALSE(deepfm::ValueKey("ab") == deepfm::ValueKey(std::string_view("ab\0", 3)));
}

TEST_CASE("ValueKey::from_padded is the key of the value, whatever bytes follow it", "[data]") {
  for (std::size_t n = 0; n <= deepfm::ValueKey::kInlineBytes; ++n) {
    CAPTURE(n);
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text += static_cast<char>('0' + i % 10);
    const std::string value = text;
    text += "\t\xff\x01zzzzzzzzzzzzzzzz";  // 16 readable bytes from the value's start
    const deepfm::ValueKey key = deepfm::ValueKey::from_padded(text.data(), n);
    CHECK(key == deepfm::ValueKey(value));
    CHECK(key.view() == value);
    CHECK(std::memcmp(key.bytes(), deepfm::ValueKey(value).bytes(), 16) == 0);
    CHECK(deepfm::ValueKeyHash{}(key) == deepfm::ValueKeyHash{}(std::string_view(value)));
  }
}

TEST_CASE("ValueMap finds long values whose bytes live in an arena", "[data]") {
  deepfm::StringArena arena;
  deepfm::ValueMap<int> map;
  const std::string long_value(100, 'x');
  map.emplace(deepfm::ValueKey(arena.keep(long_value)), 7);
  map.emplace(deepfm::ValueKey("short"), 3);
  std::string probe = long_value;  // another copy: found by content, not by address
  CHECK(map.find(deepfm::ValueKey(probe))->second == 7);
  CHECK(map.find(deepfm::ValueKey("short"))->second == 3);
  probe.back() = 'y';
  CHECK(map.find(deepfm::ValueKey(probe)) == map.end());
  CHECK(map.find(deepfm::ValueKey(std::string(20, 'x'))) == map.end());
}

TEST_CASE("value_less orders keys as std::string orders their values", "[data]") {
  // Prefixes, zero bytes (inside, at the end), bytes past 0x7f, and values on both sides of
  // the inline limit.
  std::vector<std::string> values = {"",      "a",     "ab", "a\0", "a\0b",    "a\x7f",
                                     "a\x80", "a\xff", "b",  "\0",  "\xff\xff"};
  values.emplace_back("a\0", 2);
  values.emplace_back("a\0b", 3);
  values.emplace_back("\0", 1);
  for (const std::size_t n : {7, 8, 9, 14, 15, 16, 17, 30}) {
    values.push_back(std::string(n, 'x'));
    values.push_back(std::string(n - 1, 'x') + '\0');
    values.push_back(std::string(n - 1, 'x') + '\xf0');
    values.push_back(std::string(n, 'x') + "y");
  }
  for (const std::string& a : values)
    for (const std::string& b : values) {
      CAPTURE(a, b);
      CHECK(deepfm::value_less(deepfm::ValueKey(a), deepfm::ValueKey(b)) == (a < b));
    }
}
