#include "epilepsyfm/eval/metrics/events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "epilepsyfm/core/error.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::eval {
namespace {

// Expected values are derived by hand from the SzCORE / timescoring rules documented in events.h (tolerance
// 30 s before and 60 s after reference events, merge gaps < 90 s, split events > 300 s, 10 Hz grid). Ratios of
// small integers are compared with 1e-15 (one division's rounding).
constexpr double kTol = 1e-15;
constexpr double kHour = 3600;

TEST(EventScoring, DetectionTwentySecondsBeforeOnsetCounts) {
  // Reference [1000, 1060) widened to [970, 1120); a detection [980, 985) lies inside the 30-s tolerance.
  const EventScore s = score_events({{1000, 1060}}, {{980, 985}}, kHour);
  EXPECT_EQ(s.n_reference, 1);
  EXPECT_EQ(s.true_positives, 1);
  EXPECT_EQ(s.false_positives, 0);
  EXPECT_EQ(s.sensitivity, 1.0);
  EXPECT_EQ(s.precision, 1.0);
  EXPECT_EQ(s.f1, 1.0);
  EXPECT_EQ(s.false_alarms_per_24h, 0.0);
  ASSERT_EQ(s.reference.size(), 1u);
  EXPECT_EQ(s.reference[0].window, (Event{970, 1120}));
  EXPECT_NEAR(s.reference[0].latency_s, -20.0, 1e-9);  // first detected instant 980 s minus onset 1000 s
}

TEST(EventScoring, DetectionFortySecondsBeforeOnsetDoesNot) {
  // [955, 960) ends 40 s before the onset, outside the widened window [970, 1120): a miss and a false alarm.
  // sensitivity 0/1, precision 0/(0+1), F1 = 0 / (0 + 1 + 1) = 0, FP rate 1 / (1/24 day) = 24.
  const EventScore s = score_events({{1000, 1060}}, {{955, 960}}, kHour);
  EXPECT_EQ(s.true_positives, 0);
  EXPECT_EQ(s.false_positives, 1);
  EXPECT_EQ(s.false_negatives, 1);
  EXPECT_EQ(s.sensitivity, 0.0);
  EXPECT_EQ(s.precision, 0.0);
  EXPECT_EQ(s.f1, 0.0);
  EXPECT_NEAR(s.false_alarms_per_24h, 24.0, 1e-12);
  EXPECT_TRUE(std::isnan(s.reference[0].latency_s));
  EXPECT_TRUE(s.hypothesis[0].false_alarm);
}

TEST(EventScoring, SixtySecondToleranceAfterOffset) {
  // Reference [1000, 1060) -> window ends at 1120: a detection from 1110 counts, one from 1130 does not.
  EXPECT_EQ(score_events({{1000, 1060}}, {{1110, 1115}}, kHour).true_positives, 1);
  const EventScore late = score_events({{1000, 1060}}, {{1130, 1135}}, kHour);
  EXPECT_EQ(late.true_positives, 0);
  EXPECT_EQ(late.false_positives, 1);
}

TEST(EventScoring, ReferenceEventsSixtySecondsApartAreMerged) {
  // Gap 1090 - 1030 = 60 s < 90 s: one reference event [1000, 1120).
  const EventScore merged = score_events({{1000, 1030}, {1090, 1120}}, {{1100, 1110}}, kHour);
  EXPECT_EQ(merged.n_reference, 1);
  EXPECT_EQ(merged.reference[0].event, (Event{1000, 1120}));
  EXPECT_EQ(merged.true_positives, 1);
  EXPECT_EQ(merged.sensitivity, 1.0);
  // Gap exactly 90 s is not "< 90": two events, and the detection at 1200 only reaches the second one's window.
  const EventScore apart = score_events({{1000, 1030}, {1120, 1150}}, {{1200, 1205}}, kHour);
  EXPECT_EQ(apart.n_reference, 2);
  EXPECT_EQ(apart.true_positives, 1);
  EXPECT_NEAR(apart.sensitivity, 0.5, kTol);
}

TEST(EventScoring, SevenHundredSecondEventIsSplitIntoThree) {
  // [1000, 1700) -> [1000, 1300), [1300, 1600), [1600, 1700). A detection [1000, 1010) touches only the first
  // widened window [970, 1360): TP 1 of 3, FP 0 -> sensitivity 1/3, precision 1, F1 = 2 / (2 + 0 + 2) = 1/2.
  const EventScore s = score_events({{1000, 1700}}, {{1000, 1010}}, kHour);
  ASSERT_EQ(s.n_reference, 3);
  EXPECT_EQ(s.reference[0].event, (Event{1000, 1300}));
  EXPECT_EQ(s.reference[1].event, (Event{1300, 1600}));
  EXPECT_EQ(s.reference[2].event, (Event{1600, 1700}));
  EXPECT_EQ(s.true_positives, 1);
  EXPECT_NEAR(s.sensitivity, 1.0 / 3.0, kTol);
  EXPECT_EQ(s.precision, 1.0);
  EXPECT_NEAR(s.f1, 0.5, kTol);
}

TEST(EventScoring, MergingHappensBeforeSplitting) {
  // [1000, 1200) and [1250, 1400): gap 50 s -> merged [1000, 1400) (400 s) -> split [1000, 1300), [1300, 1400).
  const EventScore s = score_events({{1000, 1200}, {1250, 1400}}, {}, kHour);
  ASSERT_EQ(s.n_reference, 2);
  EXPECT_EQ(s.reference[1].event, (Event{1300, 1400}));
}

TEST(EventScoring, ThreeFalseAlarmsInTwelveHoursAreSixPerDay) {
  // 12 h = 0.5 day, 3 false alarms (far apart, no reference) -> 6 per 24 h. No reference events: sensitivity is
  // undefined (NaN); precision 0 / 3 = 0; F1 = 0 / (0 + 3 + 0) = 0.
  const EventScore s = score_events({}, {{1000, 1010}, {10000, 10010}, {20000, 20010}}, 12 * kHour);
  EXPECT_EQ(s.false_positives, 3);
  EXPECT_NEAR(s.false_alarms_per_24h, 6.0, 1e-12);
  EXPECT_TRUE(std::isnan(s.sensitivity));
  EXPECT_EQ(s.precision, 0.0);
  EXPECT_EQ(s.f1, 0.0);
}

TEST(EventScoring, NoDetectionsAndNoEvents) {
  // Only a reference: sensitivity 0, precision undefined (no TP, no FP), F1 = 0 / (0 + 0 + 1) = 0.
  const EventScore missed = score_events({{40, 60}}, {}, kHour);
  EXPECT_EQ(missed.sensitivity, 0.0);
  EXPECT_TRUE(std::isnan(missed.precision));
  EXPECT_EQ(missed.f1, 0.0);
  EXPECT_EQ(missed.false_alarms_per_24h, 0.0);
  // Nothing at all: sensitivity, precision and F1 undefined, no false alarms.
  const EventScore empty = score_events({}, {}, kHour);
  EXPECT_TRUE(std::isnan(empty.sensitivity));
  EXPECT_TRUE(std::isnan(empty.precision));
  EXPECT_TRUE(std::isnan(empty.f1));
  EXPECT_EQ(empty.false_alarms_per_24h, 0.0);
}

TEST(EventScoring, ToleranceOnlyWidensReference) {
  // tolerance_start 0, tolerance_end 10, no merging: reference [40, 60) -> window [40, 70).
  // Hypotheses [10, 20) (outside: FP) and [42, 65) (TP). Precision 1/2, FP rate 1 / (1/24) = 24.
  EventScoringOptions o;
  o.tolerance_start_s = 0;
  o.tolerance_end_s = 10;
  o.min_duration_between_events_s = 0;
  const EventScore s = score_events({{40, 60}}, {{10, 20}, {42, 65}}, kHour, o);
  EXPECT_EQ(s.sensitivity, 1.0);
  EXPECT_NEAR(s.precision, 0.5, kTol);
  EXPECT_NEAR(s.false_alarms_per_24h, 24.0, 1e-12);
}

TEST(EventScoring, LongHypothesisIsSplitToo) {
  // Hypothesis [42, 425) -> [42, 342) + [342, 425). Reference [40, 60) -> window [10, 120): the first piece is the
  // detection, the second touches no detected window -> FP. Precision 1/2, 24 FP/day.
  const EventScore s = score_events({{40, 60}}, {{42, 425}}, kHour);
  EXPECT_EQ(s.n_hypothesis, 2);
  EXPECT_EQ(s.sensitivity, 1.0);
  EXPECT_NEAR(s.precision, 0.5, kTol);
  EXPECT_NEAR(s.false_alarms_per_24h, 24.0, 1e-12);
}

TEST(EventScoring, OneDetectionSpanningTwoSeizuresAndTwoDetectionsOfOne) {
  EventScoringOptions o;
  o.min_duration_between_events_s = 0;  // keep the events apart
  // One 200-s detection over seizures at 1000 and 1150: both detected, the detection is no false alarm.
  const EventScore span = score_events({{1000, 1020}, {1150, 1170}}, {{990, 1190}}, kHour, o);
  EXPECT_EQ(span.true_positives, 2);
  EXPECT_EQ(span.false_positives, 0);
  EXPECT_EQ(span.precision, 1.0);
  // Two detections within one seizure: TP 1 (reference side), FP 0.
  const EventScore two = score_events({{1000, 1100}}, {{1010, 1020}, {1050, 1060}}, kHour, o);
  EXPECT_EQ(two.true_positives, 1);
  EXPECT_EQ(two.false_positives, 0);
  EXPECT_EQ(two.precision, 1.0);
}

TEST(EventScoring, MinimumOverlapOnTenthSecondMasks) {
  // Grid of 68 samples at 10 Hz (6.8 s); tolerances and merging off.
  //   reference [0.8, 1.4), [3.0, 3.7), [4.8, 5.1)
  //   hypothesis [0.8, 1.4), [2.6, 3.3), [5.1, 5.4), [6.4, 6.8)
  // Any overlap: ref 1 covered fully, ref 2 covered 0.3 of 0.7 s, ref 3 only touched end-to-start (no shared
  // sample) -> TP 2, sensitivity 2/3; hypotheses 3 and 4 touch no detected window -> FP 2, precision 2/4.
  // min_overlap 0.5: ref 2 (3/7 < 0.5) is missed -> TP 1, sensitivity 1/3; hypothesis 2 becomes a false alarm
  // -> FP 3, precision 1/4.
  EventScoringOptions o;
  o.tolerance_start_s = 0;
  o.tolerance_end_s = 0;
  o.min_duration_between_events_s = 0;
  const std::vector<Event> ref{{0.8, 1.4}, {3.0, 3.7}, {4.8, 5.1}};
  const std::vector<Event> hyp{{0.8, 1.4}, {2.6, 3.3}, {5.1, 5.4}, {6.4, 6.8}};
  const Mask ref_mask = mask_from_events(ref, 6.8, 10);
  const Mask hyp_mask = mask_from_events(hyp, 6.8, 10);
  ASSERT_EQ(ref_mask.size(), 68u);
  EventScore any = score_event_masks(ref_mask, hyp_mask, 10, o);
  EXPECT_NEAR(any.sensitivity, 2.0 / 3.0, kTol);
  EXPECT_NEAR(any.precision, 0.5, kTol);
  EXPECT_NEAR(any.reference[1].overlap_fraction, 3.0 / 7.0, 1e-12);
  o.min_overlap = 0.5;
  EventScore half = score_event_masks(ref_mask, hyp_mask, 10, o);
  EXPECT_NEAR(half.sensitivity, 1.0 / 3.0, kTol);
  EXPECT_NEAR(half.precision, 0.25, kTol);
}

TEST(EventScoring, LatencyUsesTheDetectionAsGiven) {
  // A blip [930, 935) and a detection [1012, 1030) are 77 s apart, so the hypothesis is merged into [930, 1030) for
  // scoring (one event, touching the window [970, 1120): no false alarm). The latency is measured on the detector's
  // own output: the first positive instant inside the window is 1012 -> +12 s (the merged mask would say 970).
  const EventScore s = score_events({{1000, 1060}}, {{930, 935}, {1012, 1030}}, kHour);
  EXPECT_EQ(s.n_hypothesis, 1);
  EXPECT_EQ(s.false_positives, 0);
  EXPECT_NEAR(s.reference[0].latency_s, 12.0, 1e-9);
  EXPECT_EQ(s.latencies_s().size(), 1u);
  const MetricSet m = s.metrics();
  EXPECT_NEAR(m.at("latency_median_s"), 12.0, 1e-9);
  EXPECT_EQ(m.at("latency_iqr_s"), 0.0);
  EXPECT_NEAR(m.at("duration_h"), 1.0, kTol);
}

TEST(EventScoring, PoolingSumsCountsAndDurations) {
  // Recording A (1 h): 1 seizure detected, 1 false alarm. Recording B (11 h): 1 seizure missed, no alarm.
  // Pooled: TP 1 of 2 -> sensitivity 1/2; precision 1/2; FP rate 1 per 12 h = 2 per 24 h.
  const EventScore a = score_events({{1000, 1060}}, {{1000, 1010}, {3000, 3010}}, kHour);
  const EventScore b = score_events({{500, 560}}, {}, 11 * kHour);
  const EventScore p = pool_event_scores({a, b});
  EXPECT_EQ(p.n_reference, 2);
  EXPECT_EQ(p.true_positives, 1);
  EXPECT_EQ(p.false_positives, 1);
  EXPECT_NEAR(p.sensitivity, 0.5, kTol);
  EXPECT_NEAR(p.precision, 0.5, kTol);
  EXPECT_NEAR(p.false_alarms_per_24h, 2.0, 1e-12);
  EXPECT_EQ(p.reference.size(), 2u);
  EXPECT_THAT([] { pool_event_scores({}); }, ThrowsMessage<ArgumentError>(HasSubstr("no scores to pool")));
}

TEST(EventScoring, UnsortedInputIsSorted) {
  const EventScore s = score_events({{2000, 2010}, {1000, 1010}}, {{2005, 2006}}, kHour);
  EXPECT_EQ(s.reference[0].event, (Event{1000, 1010}));
  EXPECT_EQ(s.true_positives, 1);
}

TEST(EventScoring, MalformedEventsAreRejected) {
  EXPECT_THAT(
      [] {
        score_events({{10, 5}}, {}, kHour);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("reference event 0 [10, 5) has non-positive duration")));
  EXPECT_THAT(
      [] {
        score_events({}, {{1, 2}, {-1, 2}}, kHour);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("hypothesis event 1 [-1, 2) starts before the recording")));
  EXPECT_THAT(
      [] {
        score_events({{3590, 3700}}, {}, kHour);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("reference event 0 [3590, 3700) ends after the recording (3600 s)")));
  EXPECT_THAT([] { score_events({}, {}, 0); }, ThrowsMessage<ArgumentError>(HasSubstr("duration_s (0) must be")));
  EventScoringOptions o;
  o.min_overlap = 1.0;
  EXPECT_THAT([&] { score_events({}, {}, kHour, o); },
              ThrowsMessage<ArgumentError>(HasSubstr("min_overlap (1) must be in [0, 1)")));
  EXPECT_THAT(
      [] {
        score_event_masks(Mask{0, 1}, Mask{0}, 1);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("the reference mask has 2 samples but the hypothesis mask has 1")));
}

TEST(SampleScoring, CountsSamples) {
  // ref  1 1 1 0 0 0 1 1 1 0
  // hyp  0 1 1 0 1 1 0 0 1 0   -> TP 3 of 6 reference samples, FP 2 -> precision 3/5,
  // FP samples per day = 2 / (10 s / 86400) = 17280.
  const SampleScore s = score_sample_masks({1, 1, 1, 0, 0, 0, 1, 1, 1, 0}, {0, 1, 1, 0, 1, 1, 0, 0, 1, 0}, 1);
  EXPECT_EQ(s.true_positives, 3);
  EXPECT_EQ(s.false_positives, 2);
  EXPECT_NEAR(s.sensitivity, 0.5, kTol);
  EXPECT_NEAR(s.precision, 0.6, kTol);
  EXPECT_NEAR(s.f1, 6.0 / 11.0, kTol);  // 2*3 / (2*3 + 2 + 3)
  EXPECT_NEAR(s.false_alarms_per_24h, 17280.0, 1e-8);
}

TEST(SampleScoring, EventsAreResampledToTheLabelRate) {
  // 10 s at 1 Hz. Reference (1.2, 5.4), (7.1, 8.7) -> samples [1, 5) and [7, 9) = 6 samples;
  // hypothesis (3, 5), (6.8, 9.2) -> [3, 5) and [7, 9) = 4 samples, all inside -> sensitivity 4/6, precision 1.
  const SampleScore s = score_samples({{1.2, 5.4}, {7.1, 8.7}}, {{3, 5}, {6.8, 9.2}}, 10);
  EXPECT_EQ(s.n_samples, 10);
  EXPECT_EQ(s.reference_positive, 6);
  EXPECT_NEAR(s.sensitivity, 4.0 / 6.0, kTol);
  EXPECT_EQ(s.precision, 1.0);
  EXPECT_EQ(s.false_alarms_per_24h, 0.0);
}

TEST(Conversions, MaskAndEventsRoundTrip) {
  // At 10 Hz, runs 1..2 and 6..8 -> [0.1, 0.3) and [0.6, 0.9).
  const std::vector<Event> e = events_from_mask({0, 1, 1, 0, 0, 0, 1, 1, 1, 0}, 10);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_DOUBLE_EQ(e[0].start_s, 0.1);
  EXPECT_DOUBLE_EQ(e[0].end_s, 0.3);
  EXPECT_DOUBLE_EQ(e[1].end_s, 0.9);
  EXPECT_EQ(mask_from_events(e, 1.0, 10), (Mask{0, 1, 1, 0, 0, 0, 1, 1, 1, 0}));
  // Runs touching both edges.
  EXPECT_EQ(events_from_mask({1, 1, 0, 1}, 1), (std::vector<Event>{{0, 2}, {3, 4}}));
  EXPECT_TRUE(events_from_mask({0, 0}, 1).empty());
  // Python rounding is half-to-even: [0.5, 2.5) at 1 Hz covers samples round(0.5) = 0 .. round(2.5) - 1 = 1.
  EXPECT_EQ(mask_from_events({{0.5, 2.5}}, 4, 1), (Mask{1, 1, 0, 0}));
}

TEST(Conversions, EventsFromProbabilities) {
  const std::vector<double> p{0, 0.75, 0.75, 0, 1, 0, 0, 1, 1, 1};
  // Threshold 0.5 (inclusive): positive steps 1, 2, 4, 7, 8, 9 -> [1, 3), [4, 5), [7, 10).
  EXPECT_EQ(events_from_probabilities(p, 1.0), (std::vector<Event>{{1, 3}, {4, 5}, {7, 10}}));
  // Step 2 s from t = 100 s.
  EXPECT_EQ(events_from_probabilities(p, 2.0, {}, 100.0), (std::vector<Event>{{102, 106}, {108, 110}, {114, 120}}));
  // Joining gaps < 1.5 s: [1, 5); then dropping events < 3.5 s drops [7, 10).
  ProbabilityEventOptions o;
  o.merge_gap_s = 1.5;
  o.min_duration_s = 3.5;
  EXPECT_EQ(events_from_probabilities(p, 1.0, o), (std::vector<Event>{{1, 5}}));
  // Centred 3-step average (edges average what is available): 0.375, 0.5, 0.5, 0.5833, 0.3333, 0.3333, 0.3333,
  // 0.6667, 1, 1 -> positive steps 1..3 and 7..9.
  ProbabilityEventOptions smooth;
  smooth.smoothing_steps = 3;
  EXPECT_EQ(events_from_probabilities(p, 1.0, smooth), (std::vector<Event>{{1, 4}, {7, 10}}));
  smooth.smoothing_steps = 2;
  EXPECT_THAT([&] { events_from_probabilities(p, 1.0, smooth); },
              ThrowsMessage<ArgumentError>(HasSubstr("smoothing_steps (2) must be an odd number >= 1")));
  EXPECT_THAT(
      [&] {
        events_from_probabilities({0.1, std::nan("")}, 1.0);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("values[1] is nan")));
}

TEST(Latency, MedianAndInterquartileRange) {
  // Sorted -20, 5, 12, 30 (NaN ignored): median (5 + 12) / 2 = 8.5; q25 at rank 0.75: -20 + 25 * 0.75 = -1.25;
  // q75 at rank 2.25: 12 + 18 * 0.25 = 16.5; IQR 17.75; mean 27 / 4 = 6.75.
  const LatencySummary s = summarize_latencies({12, -20, std::nan(""), 5, 30});
  EXPECT_EQ(s.n, 4);
  EXPECT_DOUBLE_EQ(s.median_s, 8.5);
  EXPECT_DOUBLE_EQ(s.q25_s, -1.25);
  EXPECT_DOUBLE_EQ(s.q75_s, 16.5);
  EXPECT_DOUBLE_EQ(s.iqr_s, 17.75);
  EXPECT_DOUBLE_EQ(s.mean_s, 6.75);
  EXPECT_EQ(s.min_s, -20);
  EXPECT_EQ(s.max_s, 30);
  const LatencySummary none = summarize_latencies({});
  EXPECT_EQ(none.n, 0);
  EXPECT_TRUE(std::isnan(none.median_s));
  EXPECT_THAT([] { percentile({1.0}, 101); }, ThrowsMessage<ArgumentError>(HasSubstr("q (101) must be in [0, 100]")));
}

}  // namespace
}  // namespace efm::eval
