#include "core/detail/terminal.h"

#include <unistd.h>

#include <cstdio>
#include <mutex>

namespace efm::detail {
namespace {
std::mutex& mu() {
  static std::mutex m;
  return m;
}
std::string& status() {
  static std::string s;
  return s;
}
}  // namespace

bool stderr_is_terminal() {
  static const bool tty = ::isatty(STDERR_FILENO) == 1;
  return tty;
}

void terminal_set_status(const std::string& line) {
  if (!stderr_is_terminal()) return;
  std::lock_guard<std::mutex> lock(mu());
  status() = line;
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  if (line.empty()) std::fprintf(stderr, "\r");
  std::fflush(stderr);
}

void terminal_clear_status() {
  if (!stderr_is_terminal()) return;
  std::lock_guard<std::mutex> lock(mu());
  if (!status().empty()) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

void terminal_redraw_status() {
  if (!stderr_is_terminal()) return;
  std::lock_guard<std::mutex> lock(mu());
  if (!status().empty()) {
    std::fprintf(stderr, "%s", status().c_str());
    std::fflush(stderr);
  }
}

}  // namespace efm::detail
