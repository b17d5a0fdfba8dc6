// core/thread_pool.hpp: every block runs exactly once, on no more threads than the team; a
// nested or concurrent run is refused (its caller runs the loop itself); the pool's workers
// sleep and wake again, and a pool's destructor joins them. Tested on pools of its own, so it
// runs whichever backend parallel_for uses.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deepfm/core/thread_pool.hpp>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace {

using deepfm::detail::ThreadPool;

/// Runs `blocks` blocks on `pool` with `team` threads; counts each block's runs and the
/// threads that ran them.
struct Tally {
  std::vector<std::atomic<int>> runs;
  std::mutex mutex;
  std::set<std::thread::id> threads;

  explicit Tally(std::size_t blocks) : runs(blocks) {}

  bool run(ThreadPool& pool, std::size_t team) {
    auto block = [&](std::size_t b) {
      runs[b].fetch_add(1, std::memory_order_relaxed);
      const std::lock_guard<std::mutex> lock(mutex);
      threads.insert(std::this_thread::get_id());
    };
    return pool.run(runs.size(), team, block);
  }
  bool each_once() const {
    for (const auto& count : runs)
      if (count.load() != 1) return false;
    return true;
  }
};

}  // namespace

TEST_CASE("ThreadPool runs every block once on at most the team", "[core][thread_pool][threads]") {
  ThreadPool pool;
  for (const std::size_t team : {1u, 2u, 3u, 5u}) {
    for (const std::size_t blocks : {1u, 2u, 7u, 64u}) {
      CAPTURE(team, blocks);
      Tally tally(blocks);
      REQUIRE(tally.run(pool, team));
      CHECK(tally.each_once());
      CHECK(tally.threads.size() <= team);
      CHECK(tally.threads.size() <= blocks);
    }
  }
}

TEST_CASE("ThreadPool refuses a run nested in its own block", "[core][thread_pool][threads]") {
  ThreadPool pool;
  std::atomic<int> refused{0};
  std::atomic<int> ran{0};
  auto outer = [&](std::size_t) {
    auto inner = [&](std::size_t) { ++ran; };
    if (!pool.run(4, 2, inner)) ++refused;
  };
  REQUIRE(pool.run(6, 3, outer));
  CHECK(refused.load() == 6);
  CHECK(ran.load() == 0);
}

TEST_CASE("ThreadPool refuses more blocks than its counter holds", "[core][thread_pool]") {
  ThreadPool pool;
  auto nothing = [](std::size_t) {};
  CHECK_FALSE(pool.run(ThreadPool::kMaxBlocks + 1, 2, nothing));
  CHECK(pool.run(ThreadPool::kMaxBlocks, 2, nothing));
  // No blocks, or a team of 0 (taken as the caller alone), are no error either.
  CHECK(pool.run(0, 2, nothing));
  Tally tally(3);
  CHECK(tally.run(pool, 0));
  CHECK(tally.each_once());
}

TEST_CASE("ThreadPool wakes sleeping workers", "[core][thread_pool][threads]") {
  // Pauses longer than the workers spin put them to sleep between runs; every run must still
  // complete, and with blocks that wait for a second thread both threads must take part.
  ThreadPool pool;
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::atomic<int> arrived{0};
    std::atomic<bool> both{false};
    auto rendezvous = [&](std::size_t) {
      // The first block waits (at most a second) for the second: while it waits, only a woken
      // worker can run the other block.
      if (++arrived != 1) return;
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (arrived.load() < 2 && std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
      both = arrived.load() >= 2;
    };
    REQUIRE(pool.run(2, 2, rendezvous));
    CHECK(both.load());
  }
}

TEST_CASE("ThreadPool serves callers on several threads", "[core][thread_pool][threads]") {
  // One run at a time: a caller that finds the pool busy gets false and runs its blocks
  // itself, as parallel_for does; no block is lost or run twice either way.
  ThreadPool pool;
  constexpr int kCallers = 3;
  constexpr int kRounds = 200;
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t)
    callers.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        std::vector<std::atomic<int>> runs(16);
        auto block = [&](std::size_t b) { runs[b].fetch_add(1, std::memory_order_relaxed); };
        if (!pool.run(runs.size(), 3, block))
          for (std::size_t b = 0; b < runs.size(); ++b) block(b);
        for (const auto& count : runs)
          if (count.load() != 1) ++wrong;
      }
    });
  for (std::thread& caller : callers) caller.join();
  CHECK(wrong.load() == 0);
}

TEST_CASE("ThreadPool's default thread count is at least one", "[core][thread_pool]") {
  CHECK(ThreadPool::default_threads() >= 1);
  CHECK(ThreadPool::default_threads() <= ThreadPool::kMaxThreads);
}
