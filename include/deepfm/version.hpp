#pragma once
/// @file
/// The library version (kept equal to the CMake project version).

namespace deepfm {

inline constexpr int kVersionMajor = 0;
inline constexpr int kVersionMinor = 1;
inline constexpr int kVersionPatch = 0;
/// "major.minor.patch".
inline constexpr const char* kVersionString = "0.1.0";

}  // namespace deepfm
