#pragma once
/// @file
/// The memory a training run will need, by part, computed before anything large is allocated
/// (the trainer prints it; it is an estimate of the heap, not of the binary or the libraries).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "deepfm/core/config.hpp"
#include "deepfm/models/model_spec.hpp"
#include "deepfm/models/pass_layout.hpp"

namespace deepfm {

namespace detail {

/// A count whose + and * stop at 2^64 - 1 instead of wrapping: an estimate that wrapped (an
/// --mlp of 2^32-wide layers makes 2^64) would let a model of any size past the memory limit
/// it is checked against.
struct SaturatingCount {
  std::uint64_t value = 0;
  constexpr SaturatingCount(std::uint64_t v = 0) noexcept : value(v) {}  // NOLINT: implicit
  friend constexpr SaturatingCount operator+(SaturatingCount a, SaturatingCount b) noexcept {
    return a.value > UINT64_MAX - b.value ? UINT64_MAX : a.value + b.value;
  }
  friend constexpr SaturatingCount operator*(SaturatingCount a, SaturatingCount b) noexcept {
    return b.value != 0 && a.value > UINT64_MAX / b.value ? UINT64_MAX : a.value * b.value;
  }
};

}  // namespace detail

/// Bytes by part; total() is their sum.
struct MemoryEstimate {
  std::uint64_t process = 0;          ///< the program itself: code, libraries, allocator
  std::uint64_t parameters = 0;       ///< embedding table, first-order weights, dense buffer
  std::uint64_t optimizer_state = 0;  ///< moments (and lazy-exact row steps)
  std::uint64_t gradients = 0;        ///< dense gradients, sparse row gradients, slot maps
  std::uint64_t workspace = 0;        ///< one batch's activations and their gradients
  std::uint64_t datasets = 0;         ///< encoded ids and labels of every set held
  std::uint64_t evaluation = 0;       ///< logits and the AUC sort of the largest scored set
  std::uint64_t best_copy = 0;        ///< early stopping's copy of the best parameters
  std::uint64_t vocabulary = 0;       ///< kept values and their index

  /// The sum, 2^64 - 1 when it does not fit.
  std::uint64_t total() const noexcept {
    using C = detail::SaturatingCount;
    return (C(process) + parameters + optimizer_state + gradients + workspace + datasets +
            evaluation + best_copy + vocabulary)
        .value;
  }
};

/// Resident memory of the `deepfm` tool before any data (code, libraries, the OpenMP
/// runtime): 4.9 MB peak RSS for `deepfm train --help` (/usr/bin/time, x86-64 Debian 12).
inline constexpr std::uint64_t kProcessBaselineBytes = 5'000'000;

/// What training `spec` with `element_bytes`-wide parameters needs for `train_rows` training
/// rows, `eval_rows` rows scored per epoch (largest set), batches of `batch_size`, a
/// vocabulary of `vocabulary_bytes` of kept strings in `vocabulary_values` entries.
inline MemoryEstimate estimate_training_memory(const ModelSpec& spec, std::size_t element_bytes,
                                               std::uint64_t train_rows, std::uint64_t eval_rows,
                                               std::uint64_t held_rows, std::size_t batch_size,
                                               bool early_stop, std::uint64_t vocabulary_values,
                                               std::uint64_t vocabulary_bytes) {
  using C = detail::SaturatingCount;  // every sum and product below saturates
  C table_rows = 0;
  for (const std::size_t dim : spec.field_dims) table_rows = table_rows + dim;
  const C fields = spec.field_dims.size();
  const C k = spec.factors;
  const C width = fields * k;
  C dense = 2;  // first-order head
  C hidden_sum = 0;
  if (spec.kind == ModelKind::deepfm) {
    C in = width;
    for (const std::size_t out : spec.mlp) {
      dense = dense + in * out + out;
      hidden_sum = hidden_sum + out;
      in = out;
    }
    dense = dense + in + 1;
  }
  const C parameter_count = table_rows * (k + 1) + dense;
  const C batch = std::min<std::uint64_t>(batch_size, train_rows);
  const C bytes = element_bytes;
  MemoryEstimate m;
  m.process = kProcessBaselineBytes;
  m.parameters = (parameter_count * bytes).value;
  const C moments = spec.optimizer.kind == Optimizer::adam      ? 2
                    : spec.optimizer.kind == Optimizer::adagrad ? 1
                                                                : 0;
  C optimizer_state = moments * m.parameters;
  if (spec.optimizer.kind == Optimizer::adam && spec.optimizer.adam_mode == AdamMode::lazy_exact)
    optimizer_state = optimizer_state + C(2) * table_rows * sizeof(std::uint64_t);
  m.optimizer_state = optimizer_state.value;
  // Dense gradients, one row gradient per (sample, field) at most, and a slot per table row
  // for each of the two tables; where the dense weights are small, a partial sum of them per
  // chunk of the batch's rows (models/pass_layout.hpp).
  const C dense_bytes = dense * bytes;
  const C weight_partials =
      spec.kind == ModelKind::deepfm && pass_layout::small_weights(dense_bytes.value)
          ? C(pass_layout::weight_chunks(static_cast<std::size_t>(batch.value))) * dense_bytes
          : C(0);
  m.gradients = (dense_bytes + weight_partials + batch * fields * (k + 1) * bytes +
                 C(2) * table_rows * sizeof(std::uint32_t))
                    .value;
  // Gathered embeddings and their gradient, MLP activations and their gradients.
  m.workspace = (batch * width * bytes * 2 + batch * hidden_sum * (C(3) * bytes + 4) +
                 C(4) * batch * bytes + batch * fields * 4 * 2)
                    .value;
  m.datasets = (C(held_rows) * (fields * 4 + 4)).value;
  m.evaluation =
      (C(eval_rows) * (bytes + 16) + C(std::min<std::uint64_t>(eval_rows, 4096)) * width * bytes)
          .value;
  m.best_copy = early_stop ? m.parameters : 0;
  // A kept value: its bytes, a string and a hash-map node (~96 bytes on 64-bit libstdc++).
  m.vocabulary = (C(vocabulary_bytes) + C(vocabulary_values) * 96).value;
  return m;
}

/// The smallest memory limit among the cgroups this process is in, from its own cgroup up to
/// the root of each hierarchy (a limit set on a parent, e.g. a systemd slice, binds too); 0
/// when none has one. `cgroup_root` is where cgroupfs is mounted (/sys/fs/cgroup) and
/// `membership` the text of /proc/self/cgroup: "0::/path" for cgroup v2, "N:memory:/path"
/// (among others) for v1. Inside a container with its own cgroup namespace the path is "/",
/// and the root's file holds the container's limit.
inline std::uint64_t cgroup_memory_limit(const std::filesystem::path& cgroup_root,
                                         const std::string& membership) {
  std::uint64_t smallest = 0;
  const auto consider = [&](const std::filesystem::path& file) {
    std::ifstream in(file);
    std::uint64_t bytes = 0;
    // "max" (v2) or a huge number (v1) mean no limit.
    if (in >> bytes && bytes > 0 && bytes < (std::uint64_t{1} << 60) &&
        (smallest == 0 || bytes < smallest))
      smallest = bytes;
  };
  std::istringstream lines(membership);
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = "," + line.substr(first + 1, second - first - 1) + ",";
    std::filesystem::path base = cgroup_root;
    const char* limit_file = "memory.max";
    if (controllers != ",,") {
      if (controllers.find(",memory,") == std::string::npos) continue;
      base /= "memory";
      limit_file = "memory.limit_in_bytes";
    }
    for (std::filesystem::path relative =
             std::filesystem::path(line.substr(second + 1)).relative_path().lexically_normal();
         ; relative = relative.parent_path()) {
      if (relative == ".") relative.clear();
      consider(base / relative / limit_file);
      if (relative.empty()) break;
    }
  }
  return smallest;
}

/// The memory a run may use by default: the smaller of the machine's available memory
/// (MemAvailable in /proc/meminfo) and the limit of the cgroups the process is in
/// (cgroup_memory_limit). `source` says which one it was. 0 when neither can be read.
inline std::uint64_t default_memory_limit(std::string* source = nullptr) {
  std::uint64_t limit = 0;
  std::string from;
  {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::uint64_t kilobytes = 0;
    std::string unit;
    while (meminfo >> key >> kilobytes >> unit)
      if (key == "MemAvailable:") {
        limit = kilobytes * 1024;
        from = "available memory";
        break;
      }
  }
  std::ifstream self("/proc/self/cgroup");
  std::string membership((std::istreambuf_iterator<char>(self)), std::istreambuf_iterator<char>());
  if (membership.empty()) membership = "0::/\n1:memory:/\n";  // the roots, at least
  const std::uint64_t cgroup = cgroup_memory_limit("/sys/fs/cgroup", membership);
  if (cgroup > 0 && (limit == 0 || cgroup < limit)) {
    limit = cgroup;
    from = "the cgroup's memory limit";
  }
  if (source) *source = from;
  return limit;
}

}  // namespace deepfm
