#pragma once
/// @file
/// A persistent std::thread pool that runs one parallel loop at a time: parallel_for's backend
/// where OpenMP is not used (DEEPFM_STD_THREADS, or a build without OpenMP). The caller hands it
/// `blocks` numbered tasks; the caller and up to `team - 1` workers claim them one at a time
/// from an atomic counter, so a thread the OS delays holds up no more than the block it took.
///
/// Unlike an OpenMP team, the caller waits only for blocks someone has taken, never for a
/// worker to arrive: a worker that has not woken yet when the caller has run every block is
/// simply not needed. Idle workers spin briefly (the next loop of a training step is usually
/// microseconds away) and then sleep on a condition variable, so on a machine whose cores are
/// busy with other work they give their core back instead of spinning through their time slice.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

namespace deepfm::detail {

/// A short pause inside a spin loop: tells the core (and its hyper-thread twin) we are waiting.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class ThreadPool {
 public:
  /// A block of the running loop; bodies must not throw (noexcept: an escaping exception
  /// terminates, as it would out of an OpenMP region, rather than unwind past running workers).
  using Task = void (*)(void* context, std::size_t block) noexcept;

  /// At most this many threads in a team: the claim counter packs the block count into 16 bits,
  /// and parallel_for makes at most 4 blocks a thread.
  static constexpr std::size_t kMaxThreads = 4096;
  static constexpr std::size_t kMaxBlocks = 0xFFFF;

  ThreadPool() = default;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Stops and joins the workers. The shared pool (instance()) is never destroyed.
  ~ThreadPool() {
    stop_.store(true, std::memory_order_seq_cst);
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    for (const auto& worker : workers_) {
      { const std::lock_guard<std::mutex> lock(worker->mutex); }
      worker->wake.notify_one();
    }
    for (const auto& worker : workers_) worker->thread.join();
  }

  /// The pool parallel_for uses. Created on first use and deliberately never destroyed, as
  /// libgomp does with its own: a static destructor could otherwise run before another
  /// static's last parallel_for, and its sleeping workers cost nothing at exit.
  static ThreadPool& instance() {
    static ThreadPool* const pool = new ThreadPool;
    return *pool;
  }

  /// Runs `task(context, b)` for every b in [0, blocks), on the calling thread and up to
  /// `team - 1` workers, and returns true once every block has run. Returns false without
  /// running anything when the pool is already running a loop (a loop nested in a block, or a
  /// second thread's loop): the caller then runs its loop on its own thread.
  bool run(std::size_t blocks, std::size_t team, Task task, void* context) noexcept {
    if (blocks > kMaxBlocks || busy_.exchange(true, std::memory_order_acquire)) return false;
    team = std::clamp<std::size_t>(std::min(team, blocks), 1, kMaxThreads);
    team = std::min(team, add_workers(team - 1) + 1);
    task_.store(task, std::memory_order_relaxed);
    context_.store(context, std::memory_order_relaxed);
    team_.store(team, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    const std::uint32_t epoch = epoch_.load(std::memory_order_relaxed) + 1;
    claim_.store(pack(epoch, blocks, 0), std::memory_order_release);
    // seq_cst pairs with a worker's store of `sleeping` before it rereads the epoch: either
    // it sees this epoch, or this thread sees it asleep and wakes it.
    epoch_.store(epoch, std::memory_order_seq_cst);
    for (std::size_t w = 0; w + 1 < team; ++w) {
      Worker& worker = *workers_[w];
      if (!worker.sleeping.load(std::memory_order_seq_cst)) continue;
      { const std::lock_guard<std::mutex> lock(worker.mutex); }
      worker.wake.notify_one();
    }
    run_blocks(epoch);
    wait_until_done(blocks);
    busy_.store(false, std::memory_order_release);
    return true;
  }

  /// Typed form of run(): `block(b)` for every b in [0, blocks).
  template <typename Block>
  bool run(std::size_t blocks, std::size_t team, Block& block) noexcept {
    return run(
        blocks, team,
        [](void* context, std::size_t b) noexcept { (*static_cast<Block*>(context))(b); },
        static_cast<void*>(&block));
  }

  /// Threads parallel_for uses by default: OMP_NUM_THREADS when it is set (its first number,
  /// as OpenMP reads it, so that both backends take the same setting), else the CPUs this
  /// process may run on, as OpenMP counts them.
  static std::size_t default_threads() noexcept {
    static const std::size_t threads = [] {
      std::size_t count = 0;
      if (const char* text = std::getenv("OMP_NUM_THREADS")) {
        char* end = nullptr;
        const long value = std::strtol(text, &end, 10);
        if (end != text && value > 0) count = static_cast<std::size_t>(value);
      }
#if defined(__linux__)
      cpu_set_t cpus;
      if (count == 0 && sched_getaffinity(0, sizeof cpus, &cpus) == 0)
        count = static_cast<std::size_t>(CPU_COUNT(&cpus));
#endif
      if (count == 0) count = std::thread::hardware_concurrency();
      return std::clamp<std::size_t>(count, 1, kMaxThreads);
    }();
    return threads;
  }

 private:
  /// Spin this long for the next loop or for the last blocks before sleeping: a training step
  /// runs tens of loops a few microseconds apart, and a wake-up costs a few microseconds more.
  static constexpr std::chrono::microseconds kSpin{100};

  struct Worker {
    std::thread thread;
    std::mutex mutex;
    std::condition_variable wake;
    std::atomic<bool> sleeping{false};
  };

  // claim_: the loop's epoch (32 bits), its block count and the next block to claim (16 bits
  // each), changed only by compare-exchange, so a worker late from an earlier loop can never
  // claim a block of a later one.
  static constexpr std::uint64_t pack(std::uint32_t epoch, std::size_t blocks,
                                      std::size_t next) noexcept {
    return std::uint64_t{epoch} << 32 | std::uint64_t{blocks} << 16 | std::uint64_t{next};
  }
  static constexpr std::uint32_t epoch_of(std::uint64_t s) noexcept {
    return static_cast<std::uint32_t>(s >> 32);
  }
  static constexpr std::size_t blocks_of(std::uint64_t s) noexcept { return (s >> 16) & 0xFFFF; }
  static constexpr std::size_t next_of(std::uint64_t s) noexcept { return s & 0xFFFF; }

  /// Claims and runs blocks of loop `epoch` until none is left. task_ and context_ are read
  /// before the claim; a successful claim proves the loop was still unfinished then, so they
  /// cannot yet have been overwritten by the next loop.
  void run_blocks(std::uint32_t epoch) noexcept {
    std::uint64_t state = claim_.load(std::memory_order_acquire);
    const Task task = task_.load(std::memory_order_relaxed);
    void* const context = context_.load(std::memory_order_relaxed);
    for (;;) {
      if (epoch_of(state) != epoch || next_of(state) >= blocks_of(state)) return;
      if (!claim_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
        continue;
      task(context, next_of(state));
      // seq_cst pairs with the caller's store of caller_waiting_ (see wait_until_done).
      const std::size_t blocks = blocks_of(state);
      if (done_.fetch_add(1, std::memory_order_seq_cst) + 1 == blocks &&
          caller_waiting_.load(std::memory_order_seq_cst)) {
        { const std::lock_guard<std::mutex> lock(done_mutex_); }
        done_wake_.notify_one();
      }
      state = claim_.load(std::memory_order_acquire);
    }
  }

  void wait_until_done(std::size_t blocks) noexcept {
    const auto finished = [&] { return done_.load(std::memory_order_seq_cst) == blocks; };
    if (spin_until(finished)) return;
    std::unique_lock<std::mutex> lock(done_mutex_);
    caller_waiting_.store(true, std::memory_order_seq_cst);
    done_wake_.wait(lock, finished);
    caller_waiting_.store(false, std::memory_order_relaxed);
  }

  /// Spins for up to kSpin until `ready()`; true when it became ready.
  template <typename Ready>
  static bool spin_until(const Ready& ready) noexcept {
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (ready()) return true;
        cpu_relax();
      }
      if (std::chrono::steady_clock::now() >= until) return ready();
    }
  }

  /// Starts workers until there are `count`; returns how many there are (fewer when the
  /// system refuses a thread: the loops then run on the threads there are).
  std::size_t add_workers(std::size_t count) noexcept {
    while (workers_.size() < count) {
      try {
        auto worker = std::make_unique<Worker>();
        Worker* const self = worker.get();  // stays put when workers_ grows
        const std::size_t index = workers_.size();
        const std::uint32_t seen = epoch_.load(std::memory_order_relaxed);
        self->thread = std::thread([this, self, index, seen] { work(*self, index, seen); });
        workers_.push_back(std::move(worker));
      } catch (...) {
        break;
      }
    }
    return workers_.size();
  }

  /// A worker's life: wait for a loop it is part of, run blocks, repeat. Worker `index` is
  /// part of loops whose team has more than index + 1 threads (the caller is the first).
  void work(Worker& self, std::size_t index, std::uint32_t seen) noexcept {
    // True once an epoch after `seen` calls this worker (or the pool stops).
    const auto called = [&] {
      const std::uint32_t epoch = epoch_.load(std::memory_order_seq_cst);
      if (epoch == seen) return false;
      seen = epoch;
      return stop_.load(std::memory_order_relaxed) ||
             index + 1 < team_.load(std::memory_order_relaxed);
    };
    for (;;) {
      if (!spin_until(called)) {
        std::unique_lock<std::mutex> lock(self.mutex);
        // seq_cst pairs with run()'s store of the epoch: see there.
        self.sleeping.store(true, std::memory_order_seq_cst);
        self.wake.wait(lock, called);
        self.sleeping.store(false, std::memory_order_relaxed);
      }
      if (stop_.load(std::memory_order_relaxed)) return;
      run_blocks(seen);
    }
  }

  alignas(64) std::atomic<std::uint64_t> claim_{0};
  alignas(64) std::atomic<std::size_t> done_{0};
  alignas(64) std::atomic<std::uint32_t> epoch_{0};
  std::atomic<Task> task_{nullptr};
  std::atomic<void*> context_{nullptr};
  std::atomic<std::size_t> team_{1};
  std::atomic<bool> stop_{false};
  alignas(64) std::atomic<bool> busy_{false};
  std::atomic<bool> caller_waiting_{false};
  std::mutex done_mutex_;
  std::condition_variable done_wake_;
  std::vector<std::unique_ptr<Worker>> workers_;  // changed only by the thread holding busy_
};

}  // namespace deepfm::detail
