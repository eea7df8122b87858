#include "epilepsyfm/train/signals.h"

#include <atomic>
#include <csignal>

namespace efm::train {

namespace {
std::atomic<int> g_pending{0};
static_assert(std::atomic<int>::is_always_lock_free, "signal flag must be lock-free");
struct sigaction g_old_int, g_old_term;
int g_depth = 0;

extern "C" void on_signal(int sig) {
  int expected = 0;
  if (!g_pending.compare_exchange_strong(expected, sig)) {
    // second signal: give up gracefulness
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}
}  // namespace

SignalGuard::SignalGuard() {
  if (g_depth++ > 0) return;
  g_pending.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

SignalGuard::~SignalGuard() {
  if (--g_depth > 0) return;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

int SignalGuard::pending() {
  return g_pending.load();
}

void SignalGuard::clear() {
  g_pending.store(0);
}

}  // namespace efm::train
