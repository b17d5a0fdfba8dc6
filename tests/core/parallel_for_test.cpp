// core/parallel_for.hpp: blocks cover [0, n) exactly once and hold at least `grain` each.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <deepfm/core/parallel_for.hpp>
#include <mutex>
#include <utility>
#include <vector>

namespace {

struct Blocks {
  std::vector<int> hits;
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
};

Blocks run(std::size_t n, std::size_t grain) {
  Blocks out;
  out.hits.assign(n, 0);
  std::mutex mutex;
  deepfm::parallel_for(n, grain, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) ++out.hits[i];  // disjoint blocks: no race
    const std::lock_guard<std::mutex> lock(mutex);
    out.ranges.emplace_back(begin, end);
  });
  std::sort(out.ranges.begin(), out.ranges.end());
  return out;
}

/// Restores the thread count a test changed.
struct ThreadCountGuard {
  int saved = deepfm::max_threads();
  ~ThreadCountGuard() { deepfm::set_max_threads(saved); }
};

void check_cover(std::size_t n, std::size_t grain) {
  INFO("n " << n << ", grain " << grain << ", threads " << deepfm::max_threads());
  const Blocks blocks = run(n, grain);
  for (std::size_t i = 0; i < n; ++i) REQUIRE(blocks.hits[i] == 1);
  if (n == 0) {
    CHECK(blocks.ranges.empty());
    return;
  }
  REQUIRE_FALSE(blocks.ranges.empty());
  // Sorted ranges tile [0, n) without gaps or overlap, none empty.
  CHECK(blocks.ranges.front().first == 0);
  CHECK(blocks.ranges.back().second == n);
  for (std::size_t b = 0; b < blocks.ranges.size(); ++b) {
    CHECK(blocks.ranges[b].first < blocks.ranges[b].second);
    if (b > 0) CHECK(blocks.ranges[b].first == blocks.ranges[b - 1].second);
  }
  // Every block holds at least `grain` iterations (a sole block may hold fewer: n < grain),
  // there are never more than four blocks a thread, and sizes differ by at most one.
  const std::size_t g = std::max<std::size_t>(grain, 1);
  std::size_t smallest = n, largest = 0;
  for (const auto& [begin, end] : blocks.ranges) {
    smallest = std::min(smallest, end - begin);
    largest = std::max(largest, end - begin);
  }
  if (blocks.ranges.size() > 1) CHECK(smallest >= g);
  CHECK(largest - smallest <= 1);
  CHECK(blocks.ranges.size() <= 4 * static_cast<std::size_t>(deepfm::max_threads()));
  if (n < g || deepfm::max_threads() == 1) CHECK(blocks.ranges.size() == 1);
}

}  // namespace

TEST_CASE("parallel_for covers every index exactly once", "[core][parallel_for]") {
  const ThreadCountGuard guard;
  for (const int threads : {1, 2, 3, 8}) {
    deepfm::set_max_threads(threads);
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{1000}})
      for (const std::size_t grain : {std::size_t{0}, std::size_t{1}, std::size_t{3},
                                      std::size_t{64}, std::size_t{1000}, std::size_t{5000}})
        check_cover(n, grain);
  }
}

TEST_CASE("parallel_for runs work under the grain inline in one block", "[core][parallel_for]") {
  const ThreadCountGuard guard;
  deepfm::set_max_threads(4);
  const Blocks small = run(99, 100);
  REQUIRE(small.ranges.size() == 1);
  CHECK(small.ranges[0] == std::make_pair(std::size_t{0}, std::size_t{99}));
#if defined(_OPENMP)
  // With 4 threads and a grain of 10, 1000 iterations split into 16 blocks (four a thread):
  // 1000 = 16 * 62 + 8, so the first 8 hold 63 and the rest 62.
  const Blocks split = run(1000, 10);
  REQUIRE(split.ranges.size() == 16);
  for (std::size_t b = 0; b < 16; ++b)
    CHECK(split.ranges[b].second - split.ranges[b].first == (b < 8 ? 63u : 62u));
  // 25 iterations at grain 10: two blocks (a third would hold fewer than 10), 13 + 12.
  const Blocks few = run(25, 10);
  CHECK(few.ranges == std::vector<std::pair<std::size_t, std::size_t>>{{0, 13}, {13, 25}});
  // 10 iterations at grain 2 on 4 threads: 5 blocks of 2 (a sixth would hold fewer than 2).
  const Blocks uneven = run(10, 2);
  CHECK(uneven.ranges ==
        std::vector<std::pair<std::size_t, std::size_t>>{{0, 2}, {2, 4}, {4, 6}, {6, 8}, {8, 10}});
#endif
}

TEST_CASE("set_max_threads ignores non-positive counts", "[core][parallel_for]") {
  const ThreadCountGuard guard;
  deepfm::set_max_threads(3);
#if defined(_OPENMP)
  CHECK(deepfm::max_threads() == 3);
#else
  CHECK(deepfm::max_threads() == 1);
#endif
  const int before = deepfm::max_threads();
  deepfm::set_max_threads(0);
  CHECK(deepfm::max_threads() == before);
  deepfm::set_max_threads(-2);
  CHECK(deepfm::max_threads() == before);
}
