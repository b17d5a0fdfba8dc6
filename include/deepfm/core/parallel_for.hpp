#pragma once
/// @file
/// The one place deepfm starts threads: a blocked parallel loop with a grain threshold, on one
/// of two backends. OpenMP (the default where the compiler has it), or deepfm's own std::thread
/// pool (core/thread_pool.hpp) when DEEPFM_STD_THREADS is defined (CMake:
/// -DDEEPFM_THREAD_BACKEND=std) or OpenMP is not enabled. Both run the same blocks, so results
/// are the same bits on either. Kernels stay free of pragmas; work too small to pay for the
/// threads runs inline.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>
#include <vector>

#if defined(_OPENMP) && !defined(DEEPFM_STD_THREADS)
#define DEEPFM_OPENMP_THREADS 1
#include <omp.h>
#else
#include "deepfm/core/thread_pool.hpp"
#endif

namespace deepfm {

/// The backend parallel_for runs on: "openmp" or "std" (deepfm's std::thread pool).
#if defined(DEEPFM_OPENMP_THREADS)
inline constexpr std::string_view kThreadBackend = "openmp";
#else
inline constexpr std::string_view kThreadBackend = "std";
#endif

namespace detail {
#if !defined(DEEPFM_OPENMP_THREADS)
/// The calling thread's count from set_max_threads (0: not set), per thread as OpenMP's is.
inline thread_local int tls_max_threads = 0;
#endif

/// How parallel_for cuts [0, n) into blocks, shared by both backends so they run the same
/// blocks: at most `kBlocksPerThread` a thread and floor(n / grain), split as evenly as
/// possible (sizes differ by at most one), so every block holds at least n / blocks >= grain
/// iterations and none is empty.
struct BlockSplit {
  static constexpr std::size_t kBlocksPerThread = 4;
  std::size_t blocks = 0;
  std::size_t base = 0;
  std::size_t extra = 0;  // the first `extra` blocks hold one more

  BlockSplit(std::size_t n, std::size_t grain, std::size_t threads) noexcept
      : blocks(std::min(threads * kBlocksPerThread, n / std::max<std::size_t>(grain, 1))) {
    if (blocks == 0) return;
    base = n / blocks;
    extra = n % blocks;
  }
  std::size_t begin(std::size_t block) const noexcept {
    return block * base + std::min(block, extra);
  }
  std::size_t end(std::size_t block) const noexcept {
    return begin(block) + base + (block < extra ? 1 : 0);
  }
};
}  // namespace detail

/// Number of threads parallel_for may use on this thread: set_max_threads's count, else all
/// CPUs this process may use, or OMP_NUM_THREADS where set (on either backend).
inline int max_threads() noexcept {
#if defined(DEEPFM_OPENMP_THREADS)
  return omp_get_max_threads();
#else
  const int set = detail::tls_max_threads;
  return set > 0 ? set : static_cast<int>(detail::ThreadPool::default_threads());
#endif
}

/// Sets the number of threads parallel_for uses on the calling thread (other threads keep
/// theirs, as with omp_set_num_threads); a count of 0 or less is ignored.
inline void set_max_threads(int threads) noexcept {
#if defined(DEEPFM_OPENMP_THREADS)
  if (threads > 0) omp_set_num_threads(threads);
#else
  constexpr int kMax = static_cast<int>(detail::ThreadPool::kMaxThreads);
  if (threads > 0) detail::tls_max_threads = std::min(threads, kMax);
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
  const std::size_t threads = static_cast<std::size_t>(max_threads());
  const detail::BlockSplit split(n, grain, threads);
  if (threads <= 1 || split.blocks <= 1) {
    body(std::size_t{0}, n);
    return;
  }
  const std::size_t team = std::min(threads, split.blocks);
#if defined(DEEPFM_OPENMP_THREADS)
  // Computed outside the pragma: clang-format would mangle a cast inside it.
  const int omp_team = static_cast<int>(team);
  const auto blocks = static_cast<std::int64_t>(split.blocks);
#pragma omp parallel for schedule(dynamic, 1) num_threads(omp_team)
  for (std::int64_t block = 0; block < blocks; ++block) {
    const auto b = static_cast<std::size_t>(block);
    body(split.begin(b), split.end(b));
  }
#else
  auto run_block = [&](std::size_t b) { body(split.begin(b), split.end(b)); };
  // The pool is busy when this loop is nested in another's block, or another thread runs a
  // loop: this one then runs on its own thread (OpenMP too runs a nested loop on one thread).
  if (!detail::ThreadPool::instance().run(split.blocks, team, run_block)) body(std::size_t{0}, n);
#endif
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

/// Calls `body(i)` for every i in [0, n), in blocks of at least `grain` items as parallel_for
/// does, for independent items (a vocabulary's fields) whose body may throw: every item runs,
/// then the exception of the lowest item that threw, if any, is rethrown, the one a serial
/// loop that went on past errors would meet first.
template <typename Body>
void parallel_for_each(std::size_t n, std::size_t grain, Body&& body) {
  std::vector<std::exception_ptr> errors(n);
  parallel_for(n, grain, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      try {
        body(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  });
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
}

/// Iterations of `cost` elementary operations each that make a block worth a thread: about
/// 16 k operations, a few microseconds, well above the cost of waking a thread.
constexpr std::size_t grain_for(std::size_t cost) noexcept {
  constexpr std::size_t kOperationsPerBlock = std::size_t{1} << 14;
  return cost >= kOperationsPerBlock ? 1 : kOperationsPerBlock / (cost == 0 ? 1 : cost);
}

}  // namespace deepfm
