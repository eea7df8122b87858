#pragma once
// Report pieces shared by the head kinds (figures and tables for report.html). Private to src/eval.
#include <string>
#include <vector>

#include "epilepsyfm/eval/finetune/heads/head.h"
#include "epilepsyfm/eval/metrics/classification.h"
#include "epilepsyfm/eval/metrics/events.h"

namespace efm::eval {

/// "a, b, c".
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

/// A recording's seizure-probability timeline: value i covers [start_s + i step_s, + step_s).
struct TimelineData {
  std::string recording_id;
  double duration_s = 0;
  double start_s = 0, step_s = 1;
  std::vector<double> values;
  std::vector<Event> reference;  ///< annotated seizures
  std::vector<Event> detected;   ///< events from the timeline
  EventScore score;
};

/// ROC and PR curves and the confusion matrix (binary, at `threshold`), or the confusion matrix and per-class
/// table (multi-class, argmax). `scores`: [n] P(class 1) for two classes, else [n, k].
void add_classification_report(EvalResult& r, const Labels& y, const Scores& scores,
                               const std::vector<std::string>& classes, double threshold);

/// Up to `max_plots` timelines (recordings with annotated seizures first) with annotated and detected events, and
/// a per-recording event table.
void add_timeline_figures(EvalResult& r, const std::vector<TimelineData>& lines, int64_t max_plots);

}  // namespace efm::eval
