#include "epilepsyfm/core/progress.h"

#include <cmath>
#include <cstdlib>

#include "core/detail/terminal.h"
#include "epilepsyfm/core/log.h"

namespace efm {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

ProgressBar::ProgressBar(ProgressOptions options)
    : opt_(std::move(options)), tty_(detail::stderr_is_terminal() && !opt_.plain_lines) {
  if (opt_.interval_s < 0) {
    opt_.interval_s = 10.0;
    if (const char* env = std::getenv("EPILEPSYFM_PROGRESS_INTERVAL"); env && *env) {
      opt_.interval_s = std::max(0.0, std::atof(env));
    }
  }
  start_ = last_print_ = std::chrono::steady_clock::now();
}

ProgressBar::~ProgressBar() {
  try {
    finish();
  } catch (...) {
  }
}

void ProgressBar::advance(int64_t n, const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ += n;
  if (!note.empty()) note_ = note;
  maybe_print_locked(false);
}

void ProgressBar::set(int64_t done, const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_ == 0 && start_done_ == 0) start_done_ = done;  // resuming: rate counts only new work
  done_ = done;
  if (!note.empty()) note_ = note;
  maybe_print_locked(false);
}

int64_t ProgressBar::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_;
}

std::string ProgressBar::status_line() const {
  std::lock_guard<std::mutex> lock(mu_);
  return line_locked(false);
}

std::string ProgressBar::line_locked(bool final_line) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_ - start_done_) / elapsed : 0.0;
  std::string s = fmt::format("[{}] {}", opt_.label, done_);
  if (opt_.total > 0) {
    const double pct = 100.0 * static_cast<double>(done_) / static_cast<double>(opt_.total);
    s += fmt::format("/{} {} ({:.0f}%)", opt_.total, opt_.unit_name, pct);
  } else {
    s += " " + opt_.unit_name;
  }
  s += fmt::format(", {:.3g} {}/s", rate, opt_.unit_name);
  if (final_line) {
    s += ", took " + format_duration(elapsed);
  } else if (opt_.total > 0 && rate > 0) {
    s += ", ETA " + format_duration(static_cast<double>(opt_.total - done_) / rate);
  }
  if (!note_.empty()) s += ", " + note_;
  return s;
}

void ProgressBar::maybe_print_locked(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (tty_) {
    if (force || since >= 0.1) {
      last_print_ = now;
      detail::terminal_set_status(line_locked(false));
    }
  } else if (force || since >= opt_.interval_s) {
    last_print_ = now;
    EFM_LOG_INFO("{}", line_locked(false));
  }
}

void ProgressBar::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (tty_) detail::terminal_set_status("");
  EFM_LOG_INFO("{}", line_locked(true));
}

}  // namespace efm
