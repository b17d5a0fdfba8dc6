#pragma once
/// @file
/// Parameter initialisation as MXNet's `init.Xavier()` (the reference's): uniform in
/// ±sqrt(6 / (fan_in + fan_out)). A weight of shape (out, in) has fan_in = in, fan_out = out;
/// an embedding table of N rows × k columns has fan_in = k, fan_out = N.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "deepfm/core/random.hpp"

namespace deepfm {

/// Fills `values` with Xavier-uniform draws from the init stream `tensor_id` of `seed`.
template <typename T>
void xavier_uniform(std::span<T> values, std::size_t fan_in, std::size_t fan_out,
                    std::uint64_t seed, std::uint16_t tensor_id) {
  const T bound = static_cast<T>(std::sqrt(6.0 / static_cast<double>(fan_in + fan_out)));
  const RandomStream stream(seed, RngStream::init, tensor_id);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = stream.uniform<T>(i, -bound, bound);
}

}  // namespace deepfm
