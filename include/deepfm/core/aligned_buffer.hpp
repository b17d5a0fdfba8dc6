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

namespace deepfm {

/// Alignment of every buffer: one cache line, which is also one AVX-512 register.
inline constexpr std::size_t kBufferAlignment = 64;

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
    data_ = static_cast<T*>(::operator new[](size * sizeof(T), std::align_val_t{kBufferAlignment}));
    size_ = size;
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
    if (data_ != nullptr) ::operator delete[](data_, std::align_val_t{kBufferAlignment});
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace deepfm
