#pragma once
/// @file
/// Test-only crash points. With DEEPFM_FAULT=NAME (or NAME@N) in the environment, the first
/// (or N-th) time the program reaches fault_point(NAME) it kills itself with SIGKILL, as a
/// power cut or the OOM killer would: no destructor, no flush. Tests use it to prove that a
/// save interrupted at any of its steps leaves the previous file whole. Without the variable
/// a fault point costs one comparison.
///
/// The points (core/atomic_file.hpp, in the order a save passes them):
///   save:created         the temporary file exists, nothing written
///   save:written         all bytes written, not yet flushed to disk
///   save:synced          fsync done, not yet renamed
///   save:renamed         renamed over the target, the folder not yet synced

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <string_view>

namespace deepfm::detail {

struct FaultSpec {
  std::string name;
  unsigned long occurrence = 1;
};

inline FaultSpec parse_fault_spec(const char* text) {
  FaultSpec spec;
  if (text == nullptr) return spec;
  const std::string_view value(text);
  const std::size_t at = value.find('@');
  spec.name = std::string(value.substr(0, at));
  if (at != std::string_view::npos) {
    const std::string count(value.substr(at + 1));
    spec.occurrence = std::strtoul(count.c_str(), nullptr, 10);
    if (spec.occurrence == 0) spec.occurrence = 1;
  }
  return spec;
}

/// Kills the process here when DEEPFM_FAULT names this point (and occurrence).
inline void fault_point(std::string_view name) {
  static const FaultSpec spec = parse_fault_spec(std::getenv("DEEPFM_FAULT"));
  static std::atomic<unsigned long> passed{0};
  if (spec.name.empty() || spec.name != name) return;
  if (passed.fetch_add(1) + 1 == spec.occurrence) ::kill(::getpid(), SIGKILL);
}

}  // namespace deepfm::detail
