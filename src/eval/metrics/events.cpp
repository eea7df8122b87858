#include "epilepsyfm/eval/metrics/events.h"

#include <algorithm>
#include <cmath>

#include "epilepsyfm/core/check.h"

// Behaviour replicated from esl-epfl/timescoring v0.0.7 (src/timescoring/scoring.py, annotations.py; read for the
// facts, not copied): 10 Hz grid, merge-then-split on both annotations, tolerance on reference events only,
// TP counted on reference events, FP = hypothesis events outside every detected widened reference window,
// FP rate = FP / (grid samples / fs / 3600 / 24).

namespace efm::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kSecondsPerDay = 3600.0 * 24.0;
/// Events may end this far past the recording end (float noise from step arithmetic); they are clipped.
constexpr double kEndSlackS = 1e-6;

/// Python's round() on a float: nearest integer, ties to even (std::nearbyint in the default rounding mode).
int64_t py_round(double x) {
  return static_cast<int64_t>(std::nearbyint(x));
}

/// numpy slice bounds [round(start·fs), round(end·fs)) clipped to [0, n].
std::pair<int64_t, int64_t> grid_slice(double start_s, double end_s, double fs, int64_t n) {
  const int64_t a = std::clamp<int64_t>(py_round(start_s * fs), 0, n);
  const int64_t b = std::clamp<int64_t>(py_round(end_s * fs), 0, n);
  return {a, std::max(a, b)};
}

std::vector<Event> checked_sorted(const char* what, const std::vector<Event>& events, double duration_s) {
  std::vector<Event> out;
  out.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    EFM_CHECK_ARG(std::isfinite(e.start_s) && std::isfinite(e.end_s), "{} event {} [{}, {}) has a non-finite time",
                  what, i, e.start_s, e.end_s);
    EFM_CHECK_ARG(e.start_s >= 0, "{} event {} [{}, {}) starts before the recording (start must be >= 0 s)", what, i,
                  e.start_s, e.end_s);
    EFM_CHECK_ARG(e.end_s > e.start_s, "{} event {} [{}, {}) has non-positive duration", what, i, e.start_s, e.end_s);
    EFM_CHECK_ARG(e.end_s <= duration_s + kEndSlackS, "{} event {} [{}, {}) ends after the recording ({} s)", what, i,
                  e.start_s, e.end_s, duration_s);
    out.push_back({e.start_s, std::min(e.end_s, duration_s)});
  }
  std::sort(out.begin(), out.end(), [](const Event& a, const Event& b) {
    return a.start_s < b.start_s || (a.start_s == b.start_s && a.end_s < b.end_s);
  });
  return out;
}

void check_duration(const char* what, double duration_s) {
  EFM_CHECK_ARG(std::isfinite(duration_s) && duration_s > 0, "{}: duration_s ({}) must be finite and > 0", what,
                duration_s);
}

void check_rate(const char* what, double rate_hz) {
  EFM_CHECK_ARG(std::isfinite(rate_hz) && rate_hz > 0, "{}: sample rate ({} Hz) must be finite and > 0", what, rate_hz);
}

/// timescoring _mergeNeighbouringEvents on sorted events.
std::vector<Event> merge_close(const std::vector<Event>& sorted, double min_gap_s) {
  std::vector<Event> out;
  for (const Event& e : sorted) {
    if (!out.empty() && e.start_s - out.back().end_s < min_gap_s) {
      out.back().end_s = std::max(out.back().end_s, e.end_s);
    } else {
      out.push_back(e);
    }
  }
  return out;
}

/// timescoring _splitLongEvents: pieces of max_s from the start (start + max_s, then + max_s again, ...).
std::vector<Event> split_long(const std::vector<Event>& events, double max_s) {
  std::vector<Event> out;
  for (Event e : events) {
    while (e.end_s - e.start_s > max_s) {
      out.push_back({e.start_s, e.start_s + max_s});
      e.start_s = e.start_s + max_s;
    }
    out.push_back(e);
  }
  return out;
}

Mask grid_mask(const std::vector<Event>& events, int64_t n, double fs) {
  Mask m(static_cast<size_t>(n), 0);
  for (const Event& e : events) {
    const auto [a, b] = grid_slice(e.start_s, e.end_s, fs, n);
    std::fill(m.begin() + a, m.begin() + b, uint8_t{1});
  }
  return m;
}

/// Index of the first nonzero sample in [a, b), or -1.
int64_t first_positive(const Mask& m, int64_t a, int64_t b) {
  for (int64_t i = a; i < b; ++i) {
    if (m[static_cast<size_t>(i)] != 0) return i;
  }
  return -1;
}

/// The shared score formulas of timescoring's _Scoring.computeScores.
struct Rates {
  double sensitivity, precision, f1, fp_per_day;
};
Rates compute_rates(int64_t ref_true, int64_t tp, int64_t fp, double days) {
  Rates r;
  r.sensitivity = ref_true > 0 ? static_cast<double>(tp) / static_cast<double>(ref_true) : kNaN;
  r.precision = tp + fp > 0 ? static_cast<double>(tp) / static_cast<double>(tp + fp) : kNaN;
  r.f1 = ref_true + fp == 0 ? kNaN : 2.0 * static_cast<double>(tp) / static_cast<double>(2 * tp + fp + (ref_true - tp));
  r.fp_per_day = static_cast<double>(fp) / days;
  return r;
}

void apply(EventScore& s) {
  s.false_negatives = s.n_reference - s.true_positives;
  const Rates r = compute_rates(s.n_reference, s.true_positives, s.false_positives, s.duration_s / kSecondsPerDay);
  s.sensitivity = r.sensitivity;
  s.precision = r.precision;
  s.f1 = r.f1;
  s.false_alarms_per_24h = r.fp_per_day;
}

}  // namespace

// --- event scoring ------------------------------------------------------------------------------------------------

EventScore score_events(const std::vector<Event>& reference, const std::vector<Event>& hypothesis, double duration_s,
                        const EventScoringOptions& o) {
  check_duration("score_events", duration_s);
  EFM_CHECK_ARG(o.tolerance_start_s >= 0 && o.tolerance_end_s >= 0,
                "score_events: tolerances must be >= 0 (tolerance_start_s = {}, tolerance_end_s = {})",
                o.tolerance_start_s, o.tolerance_end_s);
  EFM_CHECK_ARG(o.min_overlap >= 0 && o.min_overlap < 1, "score_events: min_overlap ({}) must be in [0, 1)",
                o.min_overlap);
  EFM_CHECK_ARG(o.max_event_duration_s > 0, "score_events: max_event_duration_s ({}) must be > 0 (+inf disables)",
                o.max_event_duration_s);
  EFM_CHECK_ARG(o.min_duration_between_events_s >= 0, "score_events: min_duration_between_events_s ({}) must be >= 0",
                o.min_duration_between_events_s);
  check_rate("score_events resolution", o.resolution_hz);
  const double fs = o.resolution_hz;

  const std::vector<Event> ref_in = checked_sorted("reference", reference, duration_s);
  const std::vector<Event> hyp_in = checked_sorted("hypothesis", hypothesis, duration_s);
  const int64_t n = py_round(duration_s * fs);
  EFM_CHECK_ARG(n > 0, "score_events: duration_s ({}) is shorter than one grid step at {} Hz", duration_s, fs);
  const double grid_duration_s = static_cast<double>(n) / fs;

  // Merge, then split (timescoring order), on both annotations.
  const std::vector<Event> ref =
      split_long(merge_close(ref_in, o.min_duration_between_events_s), o.max_event_duration_s);
  const std::vector<Event> hyp =
      split_long(merge_close(hyp_in, o.min_duration_between_events_s), o.max_event_duration_s);
  const Mask hyp_mask = grid_mask(hyp, n, fs);
  const Mask hyp_raw_mask = grid_mask(hyp_in, n, fs);  // for latency: detections as the detector gave them

  EventScore s;
  s.n_reference = static_cast<int64_t>(ref.size());
  s.n_hypothesis = static_cast<int64_t>(hyp.size());
  s.duration_s = grid_duration_s;

  // True positives: reference events widened by the tolerances, any (or min_overlap) hypothesis coverage.
  Mask tp_mask(static_cast<size_t>(n), 0);
  for (const Event& e : ref) {
    ReferenceEventResult r;
    r.event = e;
    r.window = {std::max(0.0, e.start_s - o.tolerance_start_s), std::min(grid_duration_s, e.end_s + o.tolerance_end_s)};
    const auto [a, b] = grid_slice(r.window.start_s, r.window.end_s, fs, n);
    const auto covered = std::count_if(hyp_mask.begin() + a, hyp_mask.begin() + b, [](uint8_t v) { return v != 0; });
    const double window_s = r.window.end_s - r.window.start_s;
    r.overlap_fraction = window_s > 0 ? (static_cast<double>(covered) / fs) / window_s : 0.0;
    r.detected = r.overlap_fraction > o.min_overlap + 1e-6;  // timescoring's margin
    if (r.detected) {
      ++s.true_positives;
      std::fill(tp_mask.begin() + a, tp_mask.begin() + b, uint8_t{1});
      int64_t first = first_positive(hyp_raw_mask, a, b);
      if (first < 0) first = first_positive(hyp_mask, a, b);  // only merging filled the window
      r.latency_s = static_cast<double>(first) / fs - e.start_s;
    }
    s.reference.push_back(r);
  }

  // False positives: hypothesis events that touch no detected widened reference window.
  for (const Event& e : hyp) {
    const auto [a, b] = grid_slice(e.start_s, e.end_s, fs, n);
    const bool touches = std::any_of(tp_mask.begin() + a, tp_mask.begin() + b, [](uint8_t v) { return v != 0; });
    s.hypothesis.push_back({e, !touches});
    if (!touches) ++s.false_positives;
  }
  apply(s);
  return s;
}

EventScore score_event_masks(const Mask& reference, const Mask& hypothesis, double sample_rate_hz,
                             const EventScoringOptions& options) {
  check_rate("score_event_masks", sample_rate_hz);
  EFM_CHECK_ARG(!reference.empty(), "score_event_masks: the reference mask is empty");
  EFM_CHECK_ARG(reference.size() == hypothesis.size(),
                "score_event_masks: the reference mask has {} samples but the hypothesis mask has {}", reference.size(),
                hypothesis.size());
  const double duration_s = static_cast<double>(reference.size()) / sample_rate_hz;
  return score_events(events_from_mask(reference, sample_rate_hz), events_from_mask(hypothesis, sample_rate_hz),
                      duration_s, options);
}

EventScore pool_event_scores(const std::vector<EventScore>& scores) {
  EFM_CHECK_ARG(!scores.empty(), "pool_event_scores: no scores to pool");
  EventScore p;
  for (const EventScore& s : scores) {
    p.n_reference += s.n_reference;
    p.n_hypothesis += s.n_hypothesis;
    p.true_positives += s.true_positives;
    p.false_positives += s.false_positives;
    p.duration_s += s.duration_s;
    p.reference.insert(p.reference.end(), s.reference.begin(), s.reference.end());
    p.hypothesis.insert(p.hypothesis.end(), s.hypothesis.begin(), s.hypothesis.end());
  }
  apply(p);
  return p;
}

std::vector<double> EventScore::latencies_s() const {
  std::vector<double> out;
  for (const auto& r : reference) {
    if (r.detected) out.push_back(r.latency_s);
  }
  return out;
}

MetricSet EventScore::metrics() const {
  const LatencySummary lat = summarize_latencies(latencies_s());
  MetricSet m;
  m.set("sensitivity", sensitivity);
  m.set("precision", precision);
  m.set("f1", f1);
  m.set("false_alarms_per_24h", false_alarms_per_24h);
  m.set("n_reference", static_cast<double>(n_reference));
  m.set("true_positives", static_cast<double>(true_positives));
  m.set("false_positives", static_cast<double>(false_positives));
  m.set("duration_h", duration_s / 3600.0);
  m.set("latency_median_s", lat.median_s);
  m.set("latency_iqr_s", lat.iqr_s);
  return m;
}

// --- sample scoring -----------------------------------------------------------------------------------------------

SampleScore score_sample_masks(const Mask& reference, const Mask& hypothesis, double sample_rate_hz) {
  check_rate("score_sample_masks", sample_rate_hz);
  EFM_CHECK_ARG(!reference.empty(), "score_sample_masks: the reference mask is empty");
  EFM_CHECK_ARG(reference.size() == hypothesis.size(),
                "score_sample_masks: the reference mask has {} samples but the hypothesis mask has {}",
                reference.size(), hypothesis.size());
  SampleScore s;
  s.n_samples = static_cast<int64_t>(reference.size());
  s.sample_rate_hz = sample_rate_hz;
  for (size_t i = 0; i < reference.size(); ++i) {
    const bool r = reference[i] != 0, h = hypothesis[i] != 0;
    s.reference_positive += r;
    s.true_positives += r && h;
    s.false_positives += !r && h;
  }
  s.false_negatives = s.reference_positive - s.true_positives;
  const Rates rates = compute_rates(s.reference_positive, s.true_positives, s.false_positives,
                                    static_cast<double>(s.n_samples) / sample_rate_hz / 3600 / 24);
  s.sensitivity = rates.sensitivity;
  s.precision = rates.precision;
  s.f1 = rates.f1;
  s.false_alarms_per_24h = rates.fp_per_day;
  return s;
}

SampleScore score_samples(const std::vector<Event>& reference, const std::vector<Event>& hypothesis, double duration_s,
                          double label_rate_hz) {
  check_duration("score_samples", duration_s);
  check_rate("score_samples", label_rate_hz);
  EFM_CHECK_ARG(py_round(duration_s * label_rate_hz) > 0,
                "score_samples: duration_s ({}) is shorter than one label at {} Hz", duration_s, label_rate_hz);
  return score_sample_masks(mask_from_events(reference, duration_s, label_rate_hz),
                            mask_from_events(hypothesis, duration_s, label_rate_hz), label_rate_hz);
}

MetricSet SampleScore::metrics() const {
  MetricSet m;
  m.set("sensitivity", sensitivity);
  m.set("precision", precision);
  m.set("f1", f1);
  m.set("false_alarms_per_24h", false_alarms_per_24h);
  return m;
}

// --- conversions ------------------------------------------------------------------------------------------------

std::vector<Event> events_from_mask(const Mask& mask, double sample_rate_hz) {
  check_rate("events_from_mask", sample_rate_hz);
  std::vector<Event> out;
  size_t i = 0;
  while (i < mask.size()) {
    if (mask[i] == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < mask.size() && mask[j] != 0) ++j;
    out.push_back({static_cast<double>(i) / sample_rate_hz, static_cast<double>(j) / sample_rate_hz});
    i = j;
  }
  return out;
}

Mask mask_from_events(const std::vector<Event>& events, double duration_s, double sample_rate_hz) {
  check_duration("mask_from_events", duration_s);
  check_rate("mask_from_events", sample_rate_hz);
  const std::vector<Event> sorted = checked_sorted("mask_from_events:", events, duration_s);
  return grid_mask(sorted, py_round(duration_s * sample_rate_hz), sample_rate_hz);
}

std::vector<Event> events_from_probabilities(const std::vector<double>& values, double step_s,
                                             const ProbabilityEventOptions& o, double start_s) {
  EFM_CHECK_ARG(std::isfinite(step_s) && step_s > 0, "events_from_probabilities: step_s ({}) must be > 0", step_s);
  EFM_CHECK_ARG(std::isfinite(start_s), "events_from_probabilities: start_s ({}) must be finite", start_s);
  EFM_CHECK_ARG(!std::isnan(o.threshold), "events_from_probabilities: threshold is NaN");
  EFM_CHECK_ARG(o.smoothing_steps >= 1 && o.smoothing_steps % 2 == 1,
                "events_from_probabilities: smoothing_steps ({}) must be an odd number >= 1 (1 = no smoothing)",
                o.smoothing_steps);
  EFM_CHECK_ARG(o.merge_gap_s >= 0 && o.min_duration_s >= 0,
                "events_from_probabilities: merge_gap_s ({}) and min_duration_s ({}) must be >= 0", o.merge_gap_s,
                o.min_duration_s);
  for (size_t i = 0; i < values.size(); ++i) {
    EFM_CHECK_ARG(std::isfinite(values[i]), "events_from_probabilities: values[{}] is {}; values must be finite", i,
                  values[i]);
  }
  const size_t n = values.size();
  const size_t half = static_cast<size_t>(o.smoothing_steps / 2);
  std::vector<double> prefix(n + 1, 0.0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + values[i];
  Mask positive(n, 0);
  for (size_t i = 0; i < n; ++i) {
    double v = values[i];
    if (half > 0) {
      const size_t lo = i >= half ? i - half : 0;
      const size_t hi = std::min(n, i + half + 1);
      v = (prefix[hi] - prefix[lo]) / static_cast<double>(hi - lo);
    }
    positive[i] = v >= o.threshold ? 1 : 0;
  }
  std::vector<Event> runs;
  for (const Event& e : events_from_mask(positive, 1.0)) {  // in step units
    runs.push_back({start_s + e.start_s * step_s, start_s + e.end_s * step_s});
  }
  if (o.merge_gap_s > 0) runs = merge_close(runs, o.merge_gap_s);
  std::vector<Event> out;
  for (const Event& e : runs) {
    if (e.duration_s() >= o.min_duration_s) out.push_back(e);
  }
  return out;
}

// --- latency ----------------------------------------------------------------------------------------------------

double percentile(std::vector<double> values, double q) {
  EFM_CHECK_ARG(!values.empty(), "percentile: no values");
  EFM_CHECK_ARG(q >= 0 && q <= 100, "percentile: q ({}) must be in [0, 100]", q);
  std::sort(values.begin(), values.end());
  const double index = q / 100.0 * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(index));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  const double t = index - static_cast<double>(lo);
  const double a = values[lo], b = values[hi];
  // numpy's _lerp: interpolate from the nearer end for accuracy.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

LatencySummary summarize_latencies(const std::vector<double>& latencies_s) {
  std::vector<double> v;
  for (double x : latencies_s) {
    if (!std::isnan(x)) v.push_back(x);
  }
  LatencySummary s;
  s.n = static_cast<int64_t>(v.size());
  if (v.empty()) return s;
  s.median_s = percentile(v, 50);
  s.q25_s = percentile(v, 25);
  s.q75_s = percentile(v, 75);
  s.iqr_s = s.q75_s - s.q25_s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean_s = sum / static_cast<double>(v.size());
  s.min_s = *std::min_element(v.begin(), v.end());
  s.max_s = *std::max_element(v.begin(), v.end());
  return s;
}

}  // namespace efm::eval
