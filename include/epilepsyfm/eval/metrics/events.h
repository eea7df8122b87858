#pragma once
/// Event-level and sample-level seizure scoring equivalent to SzCORE's `timescoring` library (esl-epfl/timescoring
/// v0.0.7, src/timescoring/scoring.py: EventScoring and SampleScoring), plus turning a probability series into
/// events and detection latency. Plain vectors, no torch.
///
///   std::vector<Event> ref = {{600, 660}};                          // seconds from the recording start
///   std::vector<Event> hyp = events_from_probabilities(p, /*step_s=*/1.0);
///   EventScore s = score_events(ref, hyp, /*duration_s=*/3600);      // SzCORE defaults
///   s.sensitivity, s.precision, s.f1, s.false_alarms_per_24h;  s.metrics() -> "sensitivity", ...
///
/// Event scoring, step by step (what timescoring does, in its order):
///  1. Both annotations are put on a 10 Hz grid of round(duration_s · 10) samples; an event [start, end) covers
///     samples round(start · 10) .. round(end · 10) − 1 (round half to even, as Python's round).
///  2. Merge: in each annotation separately, consecutive events separated by a gap < min_duration_between_events_s
///     (90 s) become one event spanning both (the gap becomes part of the event).
///  3. Split: then each event longer than max_event_duration_s (300 s) is cut into pieces of that length plus a
///     shorter remainder (700 s -> 300 + 300 + 100). Splitting happens after merging, so merged events can split.
///  4. Tolerance applies to the **reference** only: each reference event is widened to [start − 30 s, end + 60 s],
///     clipped to the recording. It is a true positive when the hypothesis covers more than `min_overlap` of that
///     widened window (default 0: any overlap). Sensitivity counts reference events.
///  5. A hypothesis event (after its own merge and split) is a false positive when it touches none of the widened
///     windows of detected reference events; otherwise it is not counted at all. So one long detection spanning
///     two seizures gives TP = 2, FP = 0, and two detections of one seizure give TP = 1, FP = 0.
///  6. sensitivity = TP / n_reference; precision = TP / (TP + FP) (a reference-side count over a mixed sum, as in
///     timescoring); F1 = 2TP / (2TP + FP + FN) with
///     FN = n_reference − TP; false alarms per 24 h = FP / (duration on the grid in days). Undefined values are NaN,
///     as in timescoring: sensitivity without reference events, precision without TP and FP, F1 when
///     n_reference + FP = 0. A recording without seizures is routine, so nothing here throws for it.
/// Inputs are sorted by start first (timescoring assumes sorted events, as produced from a mask), and a merged
/// event ends at the later of the two ends (timescoring takes the second event's end, which differs only for an
/// event nested inside another). For sorted, non-nested input the results are identical: counts and scores were
/// checked against timescoring itself on 144 random cases (tests/unit/eval/timescoring_golden_test.cpp, which
/// runs when `import timescoring` works).
///
/// Sample scoring (timescoring SampleScoring): both annotations on a label grid (1 Hz by default); TP/FP/FN are
/// counted in samples; "false alarms per 24 h" is then false-positive *samples* per day, as timescoring defines it.
#include <cstdint>
#include <limits>
#include <vector>

#include "epilepsyfm/eval/metrics/metric_set.h"

namespace efm::eval {

/// A time interval [start_s, end_s) in seconds from the recording start.
struct Event {
  double start_s = 0;
  double end_s = 0;
  double duration_s() const { return end_s - start_s; }
  bool operator==(const Event& o) const { return start_s == o.start_s && end_s == o.end_s; }
};

/// A binary label series on a regular grid: nonzero = seizure.
using Mask = std::vector<uint8_t>;

/// SzCORE event-scoring parameters (timescoring EventScoring.Parameters; defaults are SzCORE's).
struct EventScoringOptions {
  double tolerance_start_s = 30.0;              ///< reference events widened this much before their onset
  double tolerance_end_s = 60.0;                ///< ... and this much after their offset
  double min_overlap = 0.0;                     ///< fraction of the widened window to cover; 0 = any overlap
  double max_event_duration_s = 300.0;          ///< longer events are split; +inf disables
  double min_duration_between_events_s = 90.0;  ///< closer events are merged; 0 disables (for disjoint events)
  double resolution_hz = 10.0;                  ///< time grid (timescoring fixes 10 Hz)
};

/// What happened to one reference event (after merging and splitting).
struct ReferenceEventResult {
  Event event;                  ///< the scored event
  Event window;                 ///< the event widened by the tolerances, clipped to the recording
  double overlap_fraction = 0;  ///< fraction of `window` covered by the (merged) hypothesis
  bool detected = false;        ///< overlap_fraction > min_overlap
  /// Detection onset minus reference onset, seconds (NaN when not detected). The detection onset is the first
  /// positive instant of the hypothesis *as given* (before merging, on the grid) inside `window`; if merging alone
  /// made the event detected, the first positive instant of the merged hypothesis inside `window`. So it lies in
  /// [−tolerance_start_s, duration + tolerance_end_s]; negative = the detector fired before the annotated onset.
  double latency_s = std::numeric_limits<double>::quiet_NaN();
};

/// What happened to one hypothesis event (after merging and splitting).
struct HypothesisEventResult {
  Event event;
  bool false_alarm = false;
};

/// Event-scoring result for one recording.
struct EventScore {
  int64_t n_reference = 0;   ///< reference events after merging and splitting (timescoring refTrue)
  int64_t n_hypothesis = 0;  ///< hypothesis events after merging and splitting
  int64_t true_positives = 0;
  int64_t false_positives = 0;
  int64_t false_negatives = 0;  ///< n_reference − true_positives
  double duration_s = 0;        ///< recording duration on the scoring grid
  double sensitivity = 0, precision = 0, f1 = 0, false_alarms_per_24h = 0;
  std::vector<ReferenceEventResult> reference;
  std::vector<HypothesisEventResult> hypothesis;

  /// sensitivity, precision, f1, false_alarms_per_24h, n_reference, true_positives, false_positives,
  /// duration_h, then latency_median_s and latency_iqr_s (NaN without detections).
  MetricSet metrics() const;
  /// Latencies of the detected reference events, in reference order.
  std::vector<double> latencies_s() const;
};

/// Scores `hypothesis` against `reference` for a recording of `duration_s` seconds. Throws ArgumentError when
/// duration_s <= 0, an option is out of range, or an event is malformed (non-finite, start < 0, end <= start,
/// end > duration_s — the message names reference/hypothesis, index and times).
EventScore score_events(const std::vector<Event>& reference, const std::vector<Event>& hypothesis, double duration_s,
                        const EventScoringOptions& options = {});
/// The same from two label masks at `sample_rate_hz` (timescoring Annotation(mask, fs)); they must have the same
/// length, which sets the duration.
EventScore score_event_masks(const Mask& reference, const Mask& hypothesis, double sample_rate_hz,
                             const EventScoringOptions& options = {});

/// Pools several recordings (e.g. all of one subject): counts and durations are summed and the rates recomputed
/// from the sums (micro-average). Per-event lists are concatenated in input order (each event's times stay in its
/// own recording's time axis), so latencies pool too. Throws ArgumentError for an empty list.
EventScore pool_event_scores(const std::vector<EventScore>& scores);

/// Sample-scoring result (timescoring SampleScoring).
struct SampleScore {
  int64_t n_samples = 0;
  int64_t reference_positive = 0;  ///< positive reference samples
  int64_t true_positives = 0;
  int64_t false_positives = 0;
  int64_t false_negatives = 0;
  double sample_rate_hz = 1.0;
  double sensitivity = 0, precision = 0, f1 = 0;
  double false_alarms_per_24h = 0;  ///< false-positive samples per day (timescoring's definition)

  /// sensitivity, precision, f1, false_alarms_per_24h.
  MetricSet metrics() const;
};

/// Scores on a grid of `label_rate_hz` (default 1 Hz, as SzCORE): round(duration_s · rate) samples.
SampleScore score_samples(const std::vector<Event>& reference, const std::vector<Event>& hypothesis, double duration_s,
                          double label_rate_hz = 1.0);
/// Scores two masks sample by sample at their own rate (same length required).
SampleScore score_sample_masks(const Mask& reference, const Mask& hypothesis, double sample_rate_hz);

// ---------------------------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------------------------

/// Runs of nonzero samples as events: a run of samples i..j−1 gives [i / rate, j / rate).
std::vector<Event> events_from_mask(const Mask& mask, double sample_rate_hz);
/// round(duration_s · rate) samples; sample round(start · rate) .. round(end · rate) − 1 of each event set
/// (Python round: half to even). Events must lie inside [0, duration_s].
Mask mask_from_events(const std::vector<Event>& events, double duration_s, double sample_rate_hz);

/// Turning a detector's output series into events (for `predict` and for event scoring of segment models).
struct ProbabilityEventOptions {
  double threshold = 0.5;       ///< positive when the (smoothed) value >= threshold
  int64_t smoothing_steps = 1;  ///< centred moving average over this many values (odd; 1 = none); at the edges
                                ///< the average is over the values available
  double merge_gap_s = 0.0;     ///< events separated by less than this are joined (before the duration filter)
  double min_duration_s = 0.0;  ///< events shorter than this are dropped (after joining)
};
/// Events from a series where value i describes [start_s + i·step_s, start_s + (i+1)·step_s) — e.g. one
/// probability per 1-s step of a sliding window. Throws ArgumentError for step_s <= 0, a non-finite value, an even
/// or non-positive smoothing_steps, or negative gaps/durations.
std::vector<Event> events_from_probabilities(const std::vector<double>& values, double step_s,
                                             const ProbabilityEventOptions& options = {}, double start_s = 0.0);

// ---------------------------------------------------------------------------------------------------------------
// Latency
// ---------------------------------------------------------------------------------------------------------------

/// Distribution of detection latencies (seconds).
struct LatencySummary {
  int64_t n = 0;
  double median_s = std::numeric_limits<double>::quiet_NaN();
  double q25_s = std::numeric_limits<double>::quiet_NaN();  ///< 25th percentile (linear interpolation, numpy)
  double q75_s = std::numeric_limits<double>::quiet_NaN();
  double iqr_s = std::numeric_limits<double>::quiet_NaN();  ///< q75 − q25
  double mean_s = std::numeric_limits<double>::quiet_NaN();
  double min_s = std::numeric_limits<double>::quiet_NaN();
  double max_s = std::numeric_limits<double>::quiet_NaN();
};
/// Summary of `latencies_s` (NaN entries are ignored; all fields NaN and n = 0 when none remain).
LatencySummary summarize_latencies(const std::vector<double>& latencies_s);

/// Percentile q in [0, 100] of `values` with linear interpolation between order statistics (numpy.percentile's
/// default). Throws ArgumentError for empty input or q outside [0, 100].
double percentile(std::vector<double> values, double q);

}  // namespace efm::eval
