#pragma once
// Outputs that would overwrite inputs. `deepfm train --train x.tsv --save x.tsv` would replace
// the training data with the model, exit 0; every output flag is therefore compared with every
// input (and with the other outputs) before anything is read or written. Files that exist are
// compared by identity (device and inode), which sees through links, `./` and `..`; paths
// that do not exist yet can only clash with each other, compared after resolving what exists
// of them.

#include <sys/stat.h>

#include <deepfm/core/error.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace deepfm_cli {

/// A path a command was given, with the flag that gave it (for the message).
struct FlagPath {
  std::string flag;
  std::string path;
};

namespace detail {

/// (device, inode) of the file `path` names, links followed; nothing when it does not exist.
inline std::optional<std::pair<dev_t, ino_t>> file_identity(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return std::pair{info.st_dev, info.st_ino};
}

inline bool same_file(const std::string& a, const std::string& b) {
  const auto id_a = file_identity(a);
  const auto id_b = file_identity(b);
  if (id_a || id_b) return id_a == id_b;
  std::error_code error_a;
  std::error_code error_b;
  const std::filesystem::path canonical_a =
      std::filesystem::weakly_canonical(std::filesystem::absolute(a, error_a), error_a);
  const std::filesystem::path canonical_b =
      std::filesystem::weakly_canonical(std::filesystem::absolute(b, error_b), error_b);
  return !error_a && !error_b && canonical_a == canonical_b;
}

/// Streams such as /dev/stdout are meant to be shared (two reports to one terminal).
inline bool is_stream(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode);
}

}  // namespace detail

/// Throws InvalidArgument (a usage error) when an output names the same file as an input or
/// as another output. Empty paths (flags not given) are ignored.
inline void refuse_overwriting_inputs(const std::vector<FlagPath>& inputs,
                                      const std::vector<FlagPath>& outputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const FlagPath& output = outputs[i];
    if (output.path.empty() || detail::is_stream(output.path)) continue;
    for (const FlagPath& input : inputs)
      if (!input.path.empty() && detail::same_file(output.path, input.path))
        throw deepfm::InvalidArgument(
            output.flag + " " + output.path + " is the " + input.flag + " file" +
            (output.path == input.path ? "" : " (" + input.path + ")") +
            ": writing it would destroy that input; choose another " + output.flag + " path");
    for (std::size_t j = 0; j < i; ++j)
      if (!outputs[j].path.empty() && detail::same_file(output.path, outputs[j].path))
        throw deepfm::InvalidArgument(output.flag + " and " + outputs[j].flag +
                                      " name the same file (" + output.path +
                                      "): one would overwrite the other; give each its own path");
  }
}

}  // namespace deepfm_cli
