#pragma once
/// A progress bar for long loops (files ingested, training steps).
///
///   ProgressBar bar(ProgressOptions("ingest", files.size()).unit("files"));
///   for (...) { ...; bar.advance(); }
///   bar.finish();
///
/// On a terminal it redraws one line on stderr (at most 10 times a second) with count, percent, rate and ETA; log
/// lines printed meanwhile appear above it. When stderr is not a terminal (CI, nohup, Slurm) it logs a plain line
/// every `interval_s` seconds instead (default 10 s, or EPILEPSYFM_PROGRESS_INTERVAL). Thread-safe.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace efm {

struct ProgressOptions {
  ProgressOptions(std::string label_text, int64_t total_count) : label(std::move(label_text)), total(total_count) {}
  ProgressOptions& unit(std::string u) {
    unit_name = std::move(u);
    return *this;
  }
  ProgressOptions& every(double seconds) {
    interval_s = seconds;
    return *this;
  }
  ProgressOptions& force_plain(bool plain) {
    plain_lines = plain;
    return *this;
  }

  std::string label;
  int64_t total = 0;  ///< 0 = unknown (no percent/ETA)
  std::string unit_name = "it";
  double interval_s = -1;    ///< plain-line interval; < 0 = EPILEPSYFM_PROGRESS_INTERVAL or 10 s
  bool plain_lines = false;  ///< force plain lines even on a terminal
};

class ProgressBar {
 public:
  explicit ProgressBar(ProgressOptions options);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Adds `n` done items; `note` (e.g. "loss 3.21") is shown after the counters.
  void advance(int64_t n = 1, const std::string& note = {});
  /// Sets the absolute count (e.g. when resuming at step 500).
  void set(int64_t done, const std::string& note = {});
  /// Prints the final line (count, elapsed, mean rate). Called by the destructor if not called before.
  void finish();

  int64_t done() const;
  /// The text of the current status line (without terminal control codes); used by tests.
  std::string status_line() const;

 private:
  void maybe_print_locked(bool force);
  std::string line_locked(bool final_line) const;

  ProgressOptions opt_;
  bool tty_;
  bool finished_ = false;
  int64_t done_ = 0;
  int64_t start_done_ = 0;
  std::string note_;
  std::chrono::steady_clock::time_point start_, last_print_;
  mutable std::mutex mu_;
};

/// Formats seconds as "1h02m", "3m05s" or "42s".
std::string format_duration(double seconds);

}  // namespace efm
