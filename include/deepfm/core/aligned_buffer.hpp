#pragma once
/// @file
/// A cache-line aligned, zero-initialised array: the storage of every tensor in deepfm.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace deepfm {

/// Alignment of every buffer: one cache line, which is also one AVX-512 register.
inline constexpr std::size_t kBufferAlignment = 64;

/// Buffers of at least this many bytes (a large embedding table and its optimizer state) are
/// aligned to a 2 MB huge page and, on Linux, asked to be backed by huge pages: a batch reads
/// rows scattered over gigabytes, and with 4 KB pages nearly every row is a TLB miss too.
inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
inline constexpr std::size_t kHugePageBufferBytes = 2 * kHugePageBytes;

/// Owning, aligned, zero-initialised array of trivially copyable elements; copies are deep.
template <typename T>
class AlignedBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "AlignedBuffer holds trivially copyable types");

 public:
  AlignedBuffer() = default;
  /// Allocates `size` zeroed elements.
  explicit AlignedBuffer(std::size_t size) { resize(size); }
  AlignedBuffer(const AlignedBuffer& other) : AlignedBuffer(other.size_) {
    if (size_ != 0) std::memcpy(data_, other.data_, size_ * sizeof(T));
  }
  AlignedBuffer(AlignedBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer other) noexcept {
    swap(other);
    return *this;
  }
  ~AlignedBuffer() { release(); }

  /// Discards the contents and allocates `size` zeroed elements.
  void resize(std::size_t size) {
    release();
    if (size == 0) return;
    const std::size_t bytes = size * sizeof(T);
    data_ = static_cast<T*>(::operator new[](bytes, alignment(bytes)));
    size_ = size;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    // Advice only: where the kernel declines (THP off), the buffer works as before.
    if (bytes >= kHugePageBufferBytes) (void)::madvise(data_, bytes, MADV_HUGEPAGE);
#endif
    fill(T{});
  }

  /// Grows to at least `size` elements (contents discarded on growth); never shrinks, so a
  /// workspace reused across batches of one size allocates once.
  void ensure_size(std::size_t size) {
    if (size_ < size) resize(size);
  }

  void fill(T value) { std::fill(data_, data_ + size_, value); }
  void swap(AlignedBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
  }

  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  std::span<T> span() noexcept { return {data_, size_}; }
  std::span<const T> span() const noexcept { return {data_, size_}; }

 private:
  void release() noexcept {
    if (data_ != nullptr) ::operator delete[](data_, alignment(size_ * sizeof(T)));
    data_ = nullptr;
    size_ = 0;
  }

  static std::align_val_t alignment(std::size_t bytes) noexcept {
    return std::align_val_t{bytes >= kHugePageBufferBytes ? kHugePageBytes : kBufferAlignment};
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace deepfm
