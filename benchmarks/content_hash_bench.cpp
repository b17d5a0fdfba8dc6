// Content hashes (data/content_hash.hpp): deepfm's ContentHasher against xxHash's XXH3_64bits
// (one shot, and a streaming XXH3 state fed in 64 KiB chunks, as hash_file feeds a file) and
// XXH64, on 4 KiB, 1 MiB and 64 MiB buffers. bytes_per_second is the figure to read.
// "Legacy" is the hand-written 32-byte-stripe hash deepfm used before XXH3 (section files and
// binary data sets of format version 1), kept here only to reproduce the comparison.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <deepfm/data/content_hash.hpp>  // includes xxhash.h inline (XXH_INLINE_ALL): XXH64 too
#include <vector>

namespace {

/// deepfm's hash of format version 1 (content_hash.hpp before the switch to XXH3), verbatim
/// in its arithmetic; little-endian hosts only, which is all a benchmark needs.
class LegacyHasher {
 public:
  static constexpr std::uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL,
                                 P3 = 0x165667B19E3779F9ULL, P4 = 0x85EBCA77C2B2AE63ULL;

  void update(const void* data, std::size_t size) noexcept {
    if (size == 0) return;
    const auto* p = static_cast<const unsigned char*>(data);
    total_ += size;
    if (buffered_ > 0) {
      const std::size_t take = std::min(size, std::size_t{32} - buffered_);
      std::memcpy(buffer_ + buffered_, p, take);
      buffered_ += take;
      p += take;
      size -= take;
      if (buffered_ < 32) return;
      for (int i = 0; i < 4; ++i) lanes_[i] = round(lanes_[i], load(buffer_ + 8 * i));
      buffered_ = 0;
    }
    std::uint64_t v0 = lanes_[0], v1 = lanes_[1], v2 = lanes_[2], v3 = lanes_[3];
    for (; size >= 32; p += 32, size -= 32) {
      v0 = round(v0, load(p));
      v1 = round(v1, load(p + 8));
      v2 = round(v2, load(p + 16));
      v3 = round(v3, load(p + 24));
    }
    lanes_[0] = v0, lanes_[1] = v1, lanes_[2] = v2, lanes_[3] = v3;
    if (size > 0) {
      std::memcpy(buffer_, p, size);
      buffered_ = size;
    }
  }

  std::uint64_t finish() const noexcept {
    std::uint64_t h = std::rotl(lanes_[0], 1) + std::rotl(lanes_[1], 7) + std::rotl(lanes_[2], 12) +
                      std::rotl(lanes_[3], 18);
    for (const std::uint64_t lane : lanes_) h = (h ^ round(0, lane)) * P1 + P4;
    for (std::size_t at = 0; at < buffered_; at += 8) {
      unsigned char word[8] = {};
      std::memcpy(word, buffer_ + at, std::min<std::size_t>(8, buffered_ - at));
      h = std::rotl(h ^ round(0, load(word)), 27) * P1 + P4;
    }
    h ^= total_ * P3;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
  }

 private:
  static std::uint64_t load(const unsigned char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  static std::uint64_t round(std::uint64_t acc, std::uint64_t w) noexcept {
    return std::rotl(acc + w * P2, 31) * P1;
  }

  std::uint64_t lanes_[4] = {P1, P2, P3, P4};
  std::uint64_t total_ = 0;
  unsigned char buffer_[32] = {};
  std::size_t buffered_ = 0;
};

constexpr std::size_t kChunk = std::size_t{64} << 10;  // the streaming variants' chunk

/// A buffer of `bytes` pseudo-random bytes (the content does not change any of these hashes'
/// speed; random keeps the page cache and the compiler honest).
std::vector<unsigned char> buffer(std::size_t bytes) {
  std::vector<unsigned char> data(bytes);
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (unsigned char& b : data) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = static_cast<unsigned char>(x);
  }
  return data;
}

void set_bytes(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes));
}

template <typename Hasher>
void BM_Streaming(benchmark::State& state) {
  const auto data = buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    Hasher hasher;
    for (std::size_t at = 0; at < data.size(); at += kChunk)
      hasher.update(data.data() + at, std::min(kChunk, data.size() - at));
    benchmark::DoNotOptimize(hasher.finish());
  }
  set_bytes(state, data.size());
}

void BM_ContentHash(benchmark::State& state) {  // the library's one-shot entry point
  const auto data = buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(deepfm::content_hash(data.data(), data.size()));
  set_bytes(state, data.size());
}

void BM_XXH3_OneShot(benchmark::State& state) {
  const auto data = buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(XXH3_64bits(data.data(), data.size()));
  set_bytes(state, data.size());
}

void BM_XXH3_Stream64K(benchmark::State& state) {
  const auto data = buffer(static_cast<std::size_t>(state.range(0)));
  XXH3_state_t xxh;
  for (auto _ : state) {
    XXH3_64bits_reset(&xxh);
    for (std::size_t at = 0; at < data.size(); at += kChunk)
      XXH3_64bits_update(&xxh, data.data() + at, std::min(kChunk, data.size() - at));
    benchmark::DoNotOptimize(XXH3_64bits_digest(&xxh));
  }
  set_bytes(state, data.size());
}

void BM_XXH64_OneShot(benchmark::State& state) {
  const auto data = buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(XXH64(data.data(), data.size(), 0));
  set_bytes(state, data.size());
}

void sizes(benchmark::internal::Benchmark* b) { b->Arg(4 << 10)->Arg(1 << 20)->Arg(64 << 20); }

}  // namespace

BENCHMARK_TEMPLATE(BM_Streaming, LegacyHasher)->Name("Legacy_Stream64K")->Apply(sizes);
BENCHMARK_TEMPLATE(BM_Streaming, deepfm::ContentHasher)
    ->Name("ContentHasher_Stream64K")
    ->Apply(sizes);
BENCHMARK(BM_ContentHash)->Apply(sizes);
BENCHMARK(BM_XXH3_OneShot)->Apply(sizes);
BENCHMARK(BM_XXH3_Stream64K)->Apply(sizes);
BENCHMARK(BM_XXH64_OneShot)->Apply(sizes);

BENCHMARK_MAIN();
