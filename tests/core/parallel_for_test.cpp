// core/parallel_for.hpp: blocks cover [0, n) exactly once and hold at least `grain` each, the
// same blocks on either backend; nested loops and loops from several threads at once run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <deepfm/core/parallel_for.hpp>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
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
}

TEST_CASE("set_max_threads ignores non-positive counts", "[core][parallel_for]") {
  const ThreadCountGuard guard;
  deepfm::set_max_threads(3);
  CHECK(deepfm::max_threads() == 3);
  const int before = deepfm::max_threads();
  deepfm::set_max_threads(0);
  CHECK(deepfm::max_threads() == before);
  deepfm::set_max_threads(-2);
  CHECK(deepfm::max_threads() == before);
}

TEST_CASE("parallel_for runs on the backend the build chose", "[core][parallel_for]") {
#if defined(DEEPFM_STD_THREADS) || !defined(_OPENMP)
  CHECK(deepfm::kThreadBackend == "std");
#else
  CHECK(deepfm::kThreadBackend == "openmp");
#endif
  CHECK(deepfm::max_threads() >= 1);
}

TEST_CASE("A loop nested in a block covers its range", "[core][parallel_for][threads]") {
  const ThreadCountGuard guard;
  deepfm::set_max_threads(3);
  constexpr std::size_t kOuter = 12;
  constexpr std::size_t kInner = 100;
  std::vector<int> hits(kOuter * kInner, 0);
  deepfm::parallel_for(kOuter, 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t o = begin; o < end; ++o)
      deepfm::parallel_for(kInner, 1, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) ++hits[o * kInner + i];
      });
  });
  CHECK(std::count(hits.begin(), hits.end(), 1) == static_cast<std::ptrdiff_t>(hits.size()));
}

TEST_CASE("Loops from several threads at once each cover their range",
          "[core][parallel_for][threads]") {
  // Each thread's count is its own (set_max_threads, as omp_set_num_threads, is per thread).
  constexpr std::size_t kCallers = 4;
  constexpr std::size_t kN = 1000;
  std::vector<std::vector<int>> hits(kCallers, std::vector<int>(kN, 0));
  std::atomic<int> wrong_count{0};
  std::vector<std::thread> callers;
  for (std::size_t t = 0; t < kCallers; ++t)
    callers.emplace_back([&, t] {
      deepfm::set_max_threads(static_cast<int>(t) + 1);
      for (int repeat = 0; repeat < 50; ++repeat) {
        deepfm::parallel_for(kN, 10, [&](std::size_t begin, std::size_t end) {
          for (std::size_t i = begin; i < end; ++i) ++hits[t][i];
        });
        if (deepfm::max_threads() != static_cast<int>(t) + 1) ++wrong_count;
      }
    });
  for (std::thread& caller : callers) caller.join();
  CHECK(wrong_count.load() == 0);
  for (std::size_t t = 0; t < kCallers; ++t)
    CHECK(std::count(hits[t].begin(), hits[t].end(), 50) == static_cast<std::ptrdiff_t>(kN));
}

TEST_CASE("Many short loops in a row all complete", "[core][parallel_for][threads]") {
  // The shape of a training step: tens of loops of a few microseconds, back to back. Each
  // loop's writes must be visible to the caller when parallel_for returns.
  const ThreadCountGuard guard;
  for (const int threads : {2, 3}) {
    deepfm::set_max_threads(threads);
    std::vector<std::size_t> values(256, 0);
    for (std::size_t round = 1; round <= 2000; ++round) {
      deepfm::parallel_for(values.size(), 8, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) values[i] += i;
      });
      REQUIRE(values[255] == 255 * round);
    }
    for (std::size_t i = 0; i < values.size(); ++i) CHECK(values[i] == i * 2000);
  }
}

TEST_CASE("parallel_for_each runs every item and rethrows the lowest item's error",
          "[core][parallel_for]") {
  for (const int threads : {1, 2, 3}) {
    const deepfm::ThreadCountScope scope(threads);
    std::vector<std::atomic<int>> runs(40);
    try {
      deepfm::parallel_for_each(runs.size(), 1, [&](std::size_t i) {
        ++runs[i];
        if (i == 31 || i == 7 || i == 23) throw std::runtime_error(std::to_string(i));
      });
      FAIL("no error");
    } catch (const std::runtime_error& error) {
      CHECK(std::string(error.what()) == "7");
    }
    for (const std::atomic<int>& count : runs) CHECK(count.load() == 1);
  }
}
