#pragma once
/// Graceful stop on SIGINT/SIGTERM. While a SignalGuard lives, the first SIGINT or SIGTERM only records the signal
/// number (async-signal-safe: one lock-free atomic store); the trainer polls `pending()` after each step, saves a
/// checkpoint and throws efm::Interrupted(sig), which `main` turns into exit code 128 + sig. A second signal while
/// one is pending restores the default action and re-raises it, so a hung process can still be stopped with a
/// second Ctrl-C. The previous handlers are restored when the guard is destroyed.
namespace efm::train {

class SignalGuard {
 public:
  SignalGuard();
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

  /// The recorded signal number, 0 if none.
  static int pending();
  /// Forgets a recorded signal.
  static void clear();
};

}  // namespace efm::train
