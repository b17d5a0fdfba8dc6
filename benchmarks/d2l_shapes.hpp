// Shapes the benchmarks share: the d2l CTR data's field dims.
#pragma once

#include <cstddef>
#include <vector>

namespace deepfm_bench {

/// The 34 field dims of d2l's CTR data (its test split encoded as a training file, sum 891).
inline const std::vector<std::size_t> kD2lFieldDims = {
    7, 4, 8, 31, 127, 18, 14, 8, 4, 208, 1,  4, 66, 1,  2,  3,  104,
    1, 1, 1, 7,  8,   11, 23, 1, 2, 83,  14, 1, 24, 24, 27, 28, 25};

}  // namespace deepfm_bench
