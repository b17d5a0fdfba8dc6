// byte_mask and byte_mask_tail (kernels/byte_masks.hpp) against a byte-by-byte loop, on every
// ISA the build targets: random bytes (NULs and bytes above 127 among them), every tail length.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <deepfm/kernels/byte_masks.hpp>
#include <random>
#include <string>

namespace {

std::uint64_t reference_mask(const char* text, std::size_t n, char a, char b) {
  std::uint64_t mask = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (text[i] == a || text[i] == b) mask |= std::uint64_t{1} << i;
  return mask;
}

}  // namespace

TEST_CASE("byte_mask finds two bytes in 64, and in any shorter tail", "[kernels]") {
  std::mt19937 random(11);
  const char alphabet[] = {'\t', '\n', ',', '\0', 'a', '\r', static_cast<char>(0xC3)};
  for (int round = 0; round < 200; ++round) {
    std::string text(64, ' ');
    for (char& c : text) c = alphabet[random() % sizeof alphabet];
    for (const auto& [a, b] : {std::pair{'\t', '\n'}, std::pair{',', '\n'}, std::pair{'\0', '\0'},
                               std::pair{static_cast<char>(0xC3), 'a'}}) {
      CAPTURE(round, static_cast<int>(a), static_cast<int>(b));
      CHECK(deepfm::kernels::byte_mask(text.data(), a, b) == reference_mask(text.data(), 64, a, b));
      for (std::size_t n = 0; n < 64; ++n)
        CHECK(deepfm::kernels::byte_mask_tail(text.data(), n, a, b) ==
              reference_mask(text.data(), n, a, b));
    }
  }
}
