// core/aligned_buffer.hpp: alignment, zeroing, deep copies, moves and ensure_size.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <deepfm/core/aligned_buffer.hpp>
#include <type_traits>
#include <utility>

namespace {

template <typename T>
bool is_aligned(const T* p) {
  return reinterpret_cast<std::uintptr_t>(p) % deepfm::kBufferAlignment == 0;
}

template <typename T>
void fill_iota(deepfm::AlignedBuffer<T>& buffer, T start) {
  for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = start + static_cast<T>(i);
}

}  // namespace

TEMPLATE_TEST_CASE("AlignedBuffer is 64-byte aligned and zeroed", "[core][aligned_buffer]", float,
                   double, std::uint32_t) {
  STATIC_REQUIRE(deepfm::kBufferAlignment == 64);
  for (const std::size_t n :
       {std::size_t{1}, std::size_t{3}, std::size_t{16}, std::size_t{17}, std::size_t{1000}}) {
    deepfm::AlignedBuffer<TestType> buffer(n);
    REQUIRE(buffer.size() == n);
    CHECK_FALSE(buffer.empty());
    CHECK(is_aligned(buffer.data()));
    CHECK(buffer.span().size() == n);
    CHECK(buffer.span().data() == buffer.data());
    for (std::size_t i = 0; i < n; ++i) REQUIRE(buffer[i] == TestType(0));
    // resize discards the contents and zeroes again.
    buffer.fill(TestType(7));
    buffer.resize(n + 5);
    CHECK(is_aligned(buffer.data()));
    for (std::size_t i = 0; i < n + 5; ++i) REQUIRE(buffer[i] == TestType(0));
  }
}

TEMPLATE_TEST_CASE("AlignedBuffer of size 0 holds nothing", "[core][aligned_buffer]", float,
                   double) {
  deepfm::AlignedBuffer<TestType> empty;
  CHECK(empty.empty());
  CHECK(empty.size() == 0);
  CHECK(empty.data() == nullptr);
  CHECK(empty.span().empty());
  deepfm::AlignedBuffer<TestType> zero(0);
  CHECK(zero.empty());
  CHECK(zero.data() == nullptr);
  deepfm::AlignedBuffer<TestType> copy(zero);  // copying an empty buffer is fine
  CHECK(copy.empty());
  deepfm::AlignedBuffer<TestType> some(4);
  some.resize(0);
  CHECK(some.empty());
  CHECK(some.data() == nullptr);
}

TEMPLATE_TEST_CASE("AlignedBuffer copies are deep", "[core][aligned_buffer]", float, double) {
  deepfm::AlignedBuffer<TestType> original(10);
  fill_iota(original, TestType(1));
  deepfm::AlignedBuffer<TestType> copy(original);
  REQUIRE(copy.size() == 10);
  CHECK(copy.data() != original.data());
  CHECK(is_aligned(copy.data()));
  for (std::size_t i = 0; i < 10; ++i) CHECK(copy[i] == original[i]);
  copy[3] = TestType(-5);
  CHECK(original[3] == TestType(4));

  deepfm::AlignedBuffer<TestType> assigned(2);
  assigned = original;
  REQUIRE(assigned.size() == 10);
  CHECK(assigned.data() != original.data());
  original[0] = TestType(100);
  CHECK(assigned[0] == TestType(1));

  // Self-assignment keeps the contents.
  auto& alias = assigned;
  assigned = alias;
  REQUIRE(assigned.size() == 10);
  CHECK(assigned[9] == TestType(10));
}

TEMPLATE_TEST_CASE("AlignedBuffer moves transfer the block", "[core][aligned_buffer]", float,
                   double) {
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<deepfm::AlignedBuffer<TestType>>);
  STATIC_REQUIRE(std::is_nothrow_move_assignable_v<deepfm::AlignedBuffer<TestType>>);
  deepfm::AlignedBuffer<TestType> original(8);
  fill_iota(original, TestType(0));
  const TestType* block = original.data();
  deepfm::AlignedBuffer<TestType> moved(std::move(original));
  CHECK(moved.data() == block);
  CHECK(moved.size() == 8);
  CHECK(moved[7] == TestType(7));
  CHECK(original.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  CHECK(original.data() == nullptr);

  deepfm::AlignedBuffer<TestType> target(3);
  target = std::move(moved);
  CHECK(target.data() == block);
  CHECK(target.size() == 8);

  deepfm::AlignedBuffer<TestType> a(2), b(5);
  const TestType* pa = a.data();
  const TestType* pb = b.data();
  a.swap(b);
  CHECK(a.data() == pb);
  CHECK(a.size() == 5);
  CHECK(b.data() == pa);
  CHECK(b.size() == 2);
}

TEMPLATE_TEST_CASE("AlignedBuffer::ensure_size grows only", "[core][aligned_buffer]", float,
                   double) {
  deepfm::AlignedBuffer<TestType> buffer;
  buffer.ensure_size(0);
  CHECK(buffer.empty());
  buffer.ensure_size(16);
  REQUIRE(buffer.size() == 16);
  const TestType* block = buffer.data();
  buffer.fill(TestType(3));
  buffer.ensure_size(8);  // smaller: same block, contents kept
  CHECK(buffer.size() == 16);
  CHECK(buffer.data() == block);
  CHECK(buffer[15] == TestType(3));
  buffer.ensure_size(16);  // equal: unchanged
  CHECK(buffer.data() == block);
  CHECK(buffer[0] == TestType(3));
  buffer.ensure_size(17);  // larger: reallocated, zeroed, aligned
  CHECK(buffer.size() == 17);
  CHECK(is_aligned(buffer.data()));
  for (std::size_t i = 0; i < 17; ++i) REQUIRE(buffer[i] == TestType(0));
}
