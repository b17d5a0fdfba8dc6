#pragma once
// Ctrl-C (SIGINT) and SIGTERM during training: instead of dying mid-step, the run finishes
// the step, checkpoints when checkpoints are on, says what it kept and exits 128 + the
// signal's number (130 for Ctrl-C). A second signal is not caught (SA_RESETHAND), so a run
// that does not stop soon enough can still be ended at once.

#include <signal.h>

#include <csignal>

namespace deepfm_cli {

namespace detail {
/// The signal received (0: none). A handler may only store to a volatile sig_atomic_t.
inline volatile std::sig_atomic_t stop_signal = 0;
extern "C" inline void record_stop_signal(int signal) { stop_signal = signal; }
}  // namespace detail

/// Catches SIGINT and SIGTERM while it lives; the previous handlers come back afterwards.
class StopSignals {
 public:
  StopSignals() {
    detail::stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = detail::record_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND | SA_RESTART;  // writes in progress are not cut short
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  ~StopSignals() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }

  /// The signal that asked the run to stop, or 0.
  int received() const noexcept { return detail::stop_signal; }

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace deepfm_cli
