#pragma once
// The allocation counter of the deepfm_allocation_tests binary (allocation_counter.cpp).
#include <atomic>
#include <cstddef>

namespace deepfm::test {

extern std::atomic<std::size_t> allocations;

/// Heap allocations made while `work` runs.
template <typename Work>
std::size_t allocations_during(Work&& work) {
  const std::size_t before = allocations.load();
  work();
  return allocations.load() - before;
}

}  // namespace deepfm::test
