#pragma once
// Locating the real CTR samples of ../shared/data: $DEEPFM_DATA_DIR first, then the folder
// beside the checkout. Tests whose file is absent report "SKIPPED: ..." (CTest counts them as
// skipped), never a silent pass.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace deepfm::test {

/// The path of `relative` under the shared data folder, if that file exists.
inline std::optional<std::filesystem::path> shared_data_file(std::string_view relative) {
  std::filesystem::path roots[2];
  if (const char* env = std::getenv("DEEPFM_DATA_DIR")) roots[0] = env;
#ifdef DEEPFM_TEST_DATA_DIR
  roots[1] = DEEPFM_TEST_DATA_DIR;
#endif
  for (const auto& root : roots) {
    if (root.empty()) continue;
    const auto path = root / relative;
    std::error_code error;
    if (std::filesystem::is_regular_file(path, error)) return path;
  }
  return std::nullopt;
}

}  // namespace deepfm::test

/// Declares `var` as the path of a shared data file, or reports the test skipped and returns.
#define DEEPFM_REQUIRE_DATA_OR_SKIP(var, relative)                                          \
  const auto var##_found = ::deepfm::test::shared_data_file(relative);                      \
  if (!var##_found) {                                                                       \
    WARN("SKIPPED: " << relative << " not found under $DEEPFM_DATA_DIR or ../shared/data"); \
    return;                                                                                 \
  }                                                                                         \
  const std::filesystem::path var = *var##_found
