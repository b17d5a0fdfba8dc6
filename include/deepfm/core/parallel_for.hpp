#pragma once
/// @file
/// The one place deepfm talks to OpenMP: a blocked parallel loop with a grain threshold.
/// Kernels stay free of pragmas; work too small to pay for the threads runs inline.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace deepfm {

/// Number of threads parallel_for may use (1 without OpenMP).
inline int max_threads() noexcept {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// Sets the number of threads parallel_for uses; ignored without OpenMP.
inline void set_max_threads(int threads) noexcept {
#if defined(_OPENMP)
  if (threads > 0) omp_set_num_threads(threads);
#else
  (void)threads;
#endif
}

/// Calls `body(begin, end)` on disjoint blocks covering [0, n). Blocks hold at least `grain`
/// iterations, so loops under `grain` run inline on the calling thread. Each thread gets a few
/// blocks, handed out as threads come free, so one thread the OS delays (a busy machine) does
/// not hold the others up for its whole share. Callers split only work whose result does not
/// depend on the split (each block writes its own outputs), which keeps results identical for
/// any thread count. `body` must not throw.
template <typename Body>
void parallel_for(std::size_t n, std::size_t grain, Body&& body) {
  if (n == 0) return;
  grain = std::max<std::size_t>(grain, 1);
  constexpr std::size_t kBlocksPerThread = 4;
  const std::size_t threads = static_cast<std::size_t>(max_threads());
  // floor(n / grain) blocks at most, split as evenly as possible (sizes differ by at most
  // one), so every block holds at least n / blocks >= grain iterations and none is empty.
  const std::size_t blocks = std::min(threads * kBlocksPerThread, n / grain);
  if (threads <= 1 || blocks <= 1) {
    body(std::size_t{0}, n);
    return;
  }
  const std::size_t base = n / blocks;
  const std::size_t extra = n % blocks;  // the first `extra` blocks hold one more
  // Computed outside the pragma: clang-format would mangle a cast inside it.
  const int team = static_cast<int>(std::min(threads, blocks));
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
#else
  (void)team;
#endif
  for (std::int64_t block = 0; block < static_cast<std::int64_t>(blocks); ++block) {
    const auto b = static_cast<std::size_t>(block);
    const std::size_t begin = b * base + std::min(b, extra);
    const std::size_t end = begin + base + (b < extra ? 1 : 0);
    body(begin, end);
  }
}

/// Sets the thread count for a scope and restores the previous one after it; a count of 0
/// leaves it as it is (all cores, or OMP_NUM_THREADS).
class ThreadCountScope {
 public:
  explicit ThreadCountScope(int threads) : previous_(max_threads()) { set_max_threads(threads); }
  ~ThreadCountScope() { set_max_threads(previous_); }
  ThreadCountScope(const ThreadCountScope&) = delete;
  ThreadCountScope& operator=(const ThreadCountScope&) = delete;

 private:
  int previous_;
};

/// parallel_for whose body returns a flag: true when every block's body returned true. An AND
/// does not depend on the order the blocks finish in, so the result is deterministic.
template <typename Body>
bool parallel_all_of(std::size_t n, std::size_t grain, Body&& body) {
  std::atomic<bool> all{true};
  parallel_for(n, grain, [&](std::size_t begin, std::size_t end) {
    if (!body(begin, end)) all.store(false, std::memory_order_relaxed);
  });
  return all.load(std::memory_order_relaxed);
}

/// Iterations of `cost` elementary operations each that make a block worth a thread: about
/// 16 k operations, a few microseconds, well above the cost of waking a thread.
constexpr std::size_t grain_for(std::size_t cost) noexcept {
  constexpr std::size_t kOperationsPerBlock = std::size_t{1} << 14;
  return cost >= kOperationsPerBlock ? 1 : kOperationsPerBlock / (cost == 0 ? 1 : cost);
}

}  // namespace deepfm
