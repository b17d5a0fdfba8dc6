// data/rollover_sampler.hpp: d2l's shuffled rollover batch order, derived independently from
// the documented rule with deepfm::shuffle and RandomStream.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deepfm/data/rollover_sampler.hpp>
#include <numeric>
#include <span>
#include <vector>

namespace {

using deepfm::RolloverSampler;
using Rows = std::vector<std::uint32_t>;

/// Epoch e's permutation of 0..rows-1: Fisher–Yates on the shuffle stream, sequence = e.
Rows permutation(std::size_t rows, std::uint64_t seed, std::uint64_t epoch) {
  Rows p(rows);
  std::iota(p.begin(), p.end(), 0u);
  deepfm::shuffle(std::span<std::uint32_t>(p),
                  deepfm::RandomStream(seed, deepfm::RngStream::shuffle, 0, epoch));
  return p;
}

Rows slice(const Rows& v, std::size_t begin, std::size_t end) {
  return Rows(v.begin() + static_cast<std::ptrdiff_t>(begin),
              v.begin() + static_cast<std::ptrdiff_t>(end));
}

Rows concat(Rows a, const Rows& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("RolloverSampler yields d2l's rollover order over three epochs", "[data]") {
  // 10 rows, batch 4, seed 5.
  const std::uint64_t seed = 5;
  const Rows p0 = permutation(10, seed, 0), p1 = permutation(10, seed, 1),
             p2 = permutation(10, seed, 2), p3 = permutation(10, seed, 3);
  // The permutations really differ from epoch to epoch (else the test proves little).
  REQUIRE(p0 != p1);
  REQUIRE(p1 != p2);

  RolloverSampler sampler(10, 4, seed);
  CHECK(sampler.batch_size() == 4);
  CHECK(sampler.epoch() == 0);
  CHECK(sampler.leftover().empty());

  // Epoch 1: the first 8 of p0; its last 2 roll over.
  const Rows e1 = sampler.next_epoch();
  CHECK(e1 == slice(p0, 0, 8));
  CHECK(Rows(sampler.leftover().begin(), sampler.leftover().end()) == slice(p0, 8, 10));
  CHECK(sampler.epoch() == 1);

  // Epoch 2: those 2, then all of p1: 12 rows, 3 batches, nothing left over.
  const Rows e2 = sampler.next_epoch();
  CHECK(e2 == concat(slice(p0, 8, 10), p1));
  CHECK(e2.size() == 12);
  CHECK(sampler.leftover().empty());

  // Epoch 3: the first 8 of p2 again; epoch 4: p2's last 2 then p3.
  const Rows e3 = sampler.next_epoch();
  CHECK(e3 == slice(p2, 0, 8));
  const Rows e4 = sampler.next_epoch();
  CHECK(e4 == concat(slice(p2, 8, 10), p3));
  CHECK(sampler.epoch() == 4);
}

TEST_CASE("RolloverSampler epochs are whole batches and lose no row", "[data]") {
  for (const std::size_t rows : {std::size_t{7}, std::size_t{10}, std::size_t{33}}) {
    for (const std::size_t batch :
         {std::size_t{1}, std::size_t{3}, std::size_t{4}, std::size_t{7}}) {
      INFO(rows << " rows, batch " << batch);
      RolloverSampler sampler(rows, batch, 11);
      std::vector<std::size_t> seen(rows, 0);
      std::size_t yielded = 0;
      Rows carried;
      for (int e = 0; e < 6; ++e) {
        const Rows order = sampler.next_epoch();
        REQUIRE(order.size() % batch == 0);
        // An epoch starts with the previous epoch's leftovers.
        CHECK(slice(order, 0, carried.size()) == carried);
        for (const std::uint32_t row : order) {
          REQUIRE(row < rows);
          ++seen[row];
        }
        yielded += order.size();
        carried.assign(sampler.leftover().begin(), sampler.leftover().end());
        CHECK(carried.size() < batch);
        // Every row appears in this epoch or in what carries over, once per epoch so far.
        for (const std::uint32_t row : carried) ++seen[row];
        for (std::size_t r = 0; r < rows; ++r) CHECK(seen[r] == static_cast<std::size_t>(e + 1));
        for (const std::uint32_t row : carried) --seen[row];
      }
      CHECK(yielded + carried.size() == 6 * rows);
    }
  }
}

TEST_CASE("RolloverSampler with fewer rows than a batch yields all rows each epoch", "[data]") {
  RolloverSampler sampler(3, 8, 2);
  CHECK(sampler.batch_size() == 3);
  for (std::uint64_t e = 0; e < 3; ++e) {
    const Rows order = sampler.next_epoch();
    CHECK(order == permutation(3, 2, e));
    CHECK(sampler.leftover().empty());
  }
  // One row, any batch: always {0}.
  RolloverSampler single(1, 5, 9);
  CHECK(single.next_epoch() == Rows{0});
  CHECK(single.next_epoch() == Rows{0});
}

TEST_CASE("RolloverSampler with rows equal to the batch yields one shuffled batch", "[data]") {
  RolloverSampler sampler(6, 6, 4);
  CHECK(sampler.batch_size() == 6);
  for (std::uint64_t e = 0; e < 3; ++e) {
    CHECK(sampler.next_epoch() == permutation(6, 4, e));
    CHECK(sampler.leftover().empty());
  }
}

TEST_CASE("RolloverSampler depends on the seed and starts at first_epoch", "[data]") {
  RolloverSampler a(50, 8, 1), b(50, 8, 1), c(50, 8, 2);
  const Rows a1 = a.next_epoch();
  CHECK(a1 == b.next_epoch());
  CHECK(a1 != c.next_epoch());
  // A sampler resumed at epoch 3 draws p3 (with no leftovers carried, it is a fresh start).
  RolloverSampler resumed(10, 4, 5, 3);
  CHECK(resumed.epoch() == 3);
  CHECK(resumed.next_epoch() == slice(permutation(10, 5, 3), 0, 8));
  CHECK(resumed.epoch() == 4);
}

TEST_CASE("RolloverSampler rejects zero rows and zero batch size", "[data]") {
  CHECK_THROWS_AS(RolloverSampler(0, 4, 1), deepfm::InvalidArgument);
  CHECK_THROWS_WITH(RolloverSampler(0, 4, 1), Catch::Contains("no rows"));
  CHECK_THROWS_AS(RolloverSampler(10, 0, 1), deepfm::InvalidArgument);
  CHECK_THROWS_WITH(RolloverSampler(10, 0, 1), Catch::Contains("batch size"));
}

TEST_CASE("RolloverSampler restored from its epoch and leftover continues the same order",
          "[data]") {
  deepfm::RolloverSampler original(23, 5, 9);
  original.next_epoch();
  original.next_epoch();
  const std::vector<std::uint32_t> leftover(original.leftover().begin(), original.leftover().end());
  REQUIRE_FALSE(leftover.empty());
  deepfm::RolloverSampler restored(23, 5, 9, original.epoch(), leftover);
  for (int e = 0; e < 3; ++e) CHECK(restored.next_epoch() == original.next_epoch());
  CHECK_THROWS_AS(deepfm::RolloverSampler(23, 5, 9, 0, {1, 2, 3, 4, 5}), deepfm::InvalidArgument);
  CHECK_THROWS_AS(deepfm::RolloverSampler(23, 5, 9, 0, {23}), deepfm::InvalidArgument);
}
