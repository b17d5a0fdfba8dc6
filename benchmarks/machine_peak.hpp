// The machine's FLOP bound, for the benchmarks' `bound_frac` counters (issue 15):
//   bound = cores x FMA pipes x SIMD lanes x 2 FLOP (one FMA) x clock
// read from this machine and from the ISA the benchmark was compiled for:
// - cores: the CPUs this process may run on (sched_getaffinity; std::thread::hardware_concurrency
//   when that fails), divided by the SMT siblings per core that /proc/cpuinfo reports
//   ("siblings" / "cpu cores"), since hyper-threads share a core's FMA pipes;
// - lanes: float lanes of deepfm::kernels::kIsa (avx512 16, avx2+fma 8, scalar 1);
// - FMA pipes per core: 2, which holds for AVX2 FMA on current x86 (Intel since Haswell, AMD
//   since Zen 2) and for AVX-512 on server Xeons (Skylake-SP Gold 6xxx/Platinum and later;
//   some Silver/Bronze parts and client cores have one 512-bit pipe); DEEPFM_FMA_PIPES
//   overrides it;
// - clock: /sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq when present (the highest
//   clock, turbo included), else the highest "cpu MHz" of /proc/cpuinfo (a VM's nominal
//   clock); DEEPFM_CPU_GHZ overrides it. AVX-512 code may run below that clock (license
//   down-clocking), so the bound is an upper one.
// Benchmarks only: nothing in include/ reads the machine.
#pragma once

#include <benchmark/benchmark.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deepfm/core/parallel_for.hpp>
#include <deepfm/kernels/isa.hpp>
#include <fstream>
#include <string>
#include <thread>

namespace deepfm_bench {

/// The figures the bound is made of, where each came from, and the bound itself.
struct MachinePeak {
  std::string cpu_model;  ///< /proc/cpuinfo "model name" ("unknown" when absent)
  int logical_cpus = 1;   ///< CPUs this process may run on
  int cores = 1;          ///< physical cores among them (SMT siblings share FMA pipes)
  int lanes = 1;          ///< float lanes of the compile-time ISA
  int fma_pipes = 2;      ///< FMA instructions issued per core per cycle
  double ghz = 0;         ///< clock in GHz (0 when unknown: the bound is then 0)
  std::string isa;        ///< deepfm::kernels::isa_name(kIsa)
  std::string pipes_source;
  std::string clock_source;

  /// FLOP per second of one core.
  double per_core_flops() const { return static_cast<double>(fma_pipes) * lanes * 2.0 * ghz * 1e9; }
  /// FLOP per second of `threads` threads: one core each, at most `cores`.
  double bound_flops(int threads) const { return per_core_flops() * std::clamp(threads, 1, cores); }
  /// FLOP per second of the whole machine.
  double bound_flops() const { return bound_flops(cores); }

  /// "2 cores x 2 FMA pipes x 16 lanes x 2 FLOP x 2.60 GHz = 332.8 GFLOP/s".
  std::string formula() const {
    char text[256];
    std::snprintf(text, sizeof text,
                  "%d cores x %d FMA pipes x %d float lanes (%s) x 2 FLOP x %.2f GHz = %.1f "
                  "GFLOP/s",
                  cores, fma_pipes, lanes, isa.c_str(), ghz, bound_flops() / 1e9);
    return text;
  }
  /// Where the pipes and the clock came from.
  std::string sources() const { return "FMA pipes: " + pipes_source + "; clock: " + clock_source; }
};

namespace detail {

inline int float_lanes(deepfm::kernels::Isa isa) {
  switch (isa) {
    case deepfm::kernels::Isa::avx512: return 16;
    case deepfm::kernels::Isa::avx2_fma: return 8;
    case deepfm::kernels::Isa::scalar: return 1;
  }
  return 1;
}

/// The value after the colon of a /proc/cpuinfo line "key<TAB>: value".
inline std::string cpuinfo_value(const std::string& line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string::npos) return "";
  const std::size_t start = line.find_first_not_of(" \t", colon + 1);
  return start == std::string::npos ? "" : line.substr(start);
}

inline bool starts_with_key(const std::string& line, const char* key) {
  const std::string k(key);
  if (line.compare(0, k.size(), k) != 0) return false;
  const std::size_t rest = line.find_first_not_of(" \t", k.size());
  return rest != std::string::npos && line[rest] == ':';
}

/// A positive number from the environment variable `name`, or 0.
inline double positive_env(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return 0;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  return (end != nullptr && *end == '\0' && value > 0) ? value : 0;
}

}  // namespace detail

/// Reads this machine's figures (cheap: a few small files; call it once).
inline MachinePeak read_machine_peak() {
  MachinePeak peak;
  peak.isa = std::string(deepfm::kernels::isa_name(deepfm::kernels::kIsa));
  peak.lanes = detail::float_lanes(deepfm::kernels::kIsa);

  int logical = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) logical = CPU_COUNT(&set);
  if (logical <= 0) logical = static_cast<int>(std::thread::hardware_concurrency());
  peak.logical_cpus = std::max(logical, 1);

  double max_mhz = 0;
  int siblings = 0, cpu_cores = 0;
  if (std::ifstream cpuinfo("/proc/cpuinfo"); cpuinfo) {
    std::string line;
    while (std::getline(cpuinfo, line)) {
      if (peak.cpu_model.empty() && detail::starts_with_key(line, "model name"))
        peak.cpu_model = detail::cpuinfo_value(line);
      else if (detail::starts_with_key(line, "cpu MHz"))
        max_mhz = std::max(max_mhz, std::atof(detail::cpuinfo_value(line).c_str()));
      else if (siblings == 0 && detail::starts_with_key(line, "siblings"))
        siblings = std::atoi(detail::cpuinfo_value(line).c_str());
      else if (cpu_cores == 0 && detail::starts_with_key(line, "cpu cores"))
        cpu_cores = std::atoi(detail::cpuinfo_value(line).c_str());
    }
  }
  if (peak.cpu_model.empty()) peak.cpu_model = "unknown";
  const int smt =
      (siblings > 0 && cpu_cores > 0 && siblings > cpu_cores) ? siblings / cpu_cores : 1;
  peak.cores = std::max(peak.logical_cpus / smt, 1);

  if (const double pipes = detail::positive_env("DEEPFM_FMA_PIPES"); pipes > 0) {
    peak.fma_pipes = static_cast<int>(pipes);
    peak.pipes_source = "DEEPFM_FMA_PIPES";
  } else {
    peak.fma_pipes = 2;
    peak.pipes_source =
        peak.isa == "avx512"
            ? "assumed 2 (server Xeon with two 512-bit FMA units; set DEEPFM_FMA_PIPES=1 for one)"
            : "assumed 2 (current x86 cores; set DEEPFM_FMA_PIPES to change)";
  }

  if (const double ghz = detail::positive_env("DEEPFM_CPU_GHZ"); ghz > 0) {
    peak.ghz = ghz;
    peak.clock_source = "DEEPFM_CPU_GHZ";
  } else {
    double khz = 0;
    if (std::ifstream f("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"); f) f >> khz;
    if (khz > 0) {
      peak.ghz = khz / 1e6;
      peak.clock_source = "cpufreq cpuinfo_max_freq";
    } else if (max_mhz > 0) {
      peak.ghz = max_mhz / 1e3;
      peak.clock_source = "/proc/cpuinfo cpu MHz (max over CPUs; set DEEPFM_CPU_GHZ for turbo)";
    } else {
      peak.clock_source = "unknown (set DEEPFM_CPU_GHZ)";
    }
  }
  return peak;
}

/// Adds the machine to Google Benchmark's context (printed above the results and written to
/// the JSON output's "context"): the ISA the kernels were compiled for, the threads deepfm may
/// use and their backend, the CPU model and the FLOP bound with its formula. Call before
/// RunSpecifiedBenchmarks.
inline void add_benchmark_context(const MachinePeak& peak) {
  benchmark::AddCustomContext("deepfm_isa", peak.isa);
  benchmark::AddCustomContext("deepfm_max_threads", std::to_string(deepfm::max_threads()));
  benchmark::AddCustomContext("deepfm_thread_backend", std::string(deepfm::kThreadBackend));
  benchmark::AddCustomContext("cpu_model", peak.cpu_model);
  benchmark::AddCustomContext("cpu_cores", std::to_string(peak.cores) + " cores (" +
                                               std::to_string(peak.logical_cpus) +
                                               " logical CPUs)");
  benchmark::AddCustomContext("flop_bound", peak.formula());
  benchmark::AddCustomContext("flop_bound_sources", peak.sources());
}

}  // namespace deepfm_bench
