// StreamingEventDetector (eval/predict.h): events from a probability series that arrives one value at a time.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/eval/inference/predict.h"

namespace efm::eval {

StreamingEventDetector::StreamingEventDetector(double step_s, const ProbabilityEventOptions& o, double start_s)
    : step_s_(step_s), start_s_(start_s), o_(o) {
  EFM_CHECK_ARG(std::isfinite(step_s) && step_s > 0, "events: step_s ({}) must be > 0", step_s);
  EFM_CHECK_ARG(o.smoothing_steps >= 1 && o.smoothing_steps % 2 == 1,
                "events: smoothing_steps ({}) must be an odd number >= 1 (1 = no smoothing)", o.smoothing_steps);
  EFM_CHECK_ARG(o.merge_gap_s >= 0 && o.min_duration_s >= 0,
                "events: merge_gap_s ({}) and min_duration_s ({}) must be >= 0", o.merge_gap_s, o.min_duration_s);
  half_ = o.smoothing_steps / 2;
}

std::vector<Event> StreamingEventDetector::push(double value) {
  EFM_CHECK_ARG(!finished_, "StreamingEventDetector: push after finish");
  EFM_CHECK_ARG(std::isfinite(value), "events: value {} at step {} is not finite", value, n_);
  buf_.push_back(value);
  ++n_;
  std::vector<Event> out;
  // Value i = n - 1 - half now has its whole centred window [i - half, i + half].
  const int64_t i = n_ - 1 - half_;
  if (i >= 0) {
    const int64_t lo = std::max<int64_t>(0, i - half_), hi = n_;
    double sum = 0;
    for (int64_t k = lo; k < hi; ++k) sum += buf_[static_cast<size_t>(k - buf_start_)];
    decide(i, sum / static_cast<double>(hi - lo), out);
    // The next decision (i + 1) needs values from i + 1 - half on.
    const int64_t keep_from = std::max<int64_t>(0, i + 1 - half_);
    if (keep_from > buf_start_) {
      buf_.erase(buf_.begin(), buf_.begin() + (keep_from - buf_start_));
      buf_start_ = keep_from;
    }
  }
  return out;
}

std::vector<Event> StreamingEventDetector::finish() {
  EFM_CHECK_ARG(!finished_, "StreamingEventDetector: finish called twice");
  finished_ = true;
  std::vector<Event> out;
  for (int64_t i = decided_; i < n_; ++i) {
    const int64_t lo = std::max<int64_t>(0, i - half_), hi = std::min(n_, i + half_ + 1);
    double sum = 0;
    for (int64_t k = lo; k < hi; ++k) sum += buf_[static_cast<size_t>(k - buf_start_)];
    decide(i, sum / static_cast<double>(hi - lo), out);
  }
  if (run_start_ >= 0) close_run(n_, out);
  if (pending_) emit(out);
  return out;
}

void StreamingEventDetector::decide(int64_t i, double v, std::vector<Event>& out) {
  decided_ = i + 1;
  const bool positive = v >= o_.threshold;
  if (positive && run_start_ < 0) run_start_ = i;
  if (!positive && run_start_ >= 0) close_run(i, out);
}

void StreamingEventDetector::close_run(int64_t end, std::vector<Event>& out) {
  const Event e{start_s_ + static_cast<double>(run_start_) * step_s_, start_s_ + static_cast<double>(end) * step_s_};
  run_start_ = -1;
  if (pending_ && o_.merge_gap_s > 0 && e.start_s - pending_->end_s < o_.merge_gap_s) {
    pending_->end_s = std::max(pending_->end_s, e.end_s);
    return;
  }
  if (pending_) emit(out);
  pending_ = e;
}

void StreamingEventDetector::emit(std::vector<Event>& out) {
  if (pending_->duration_s() >= o_.min_duration_s) out.push_back(*pending_);
  pending_.reset();
}

}  // namespace efm::eval
