// The acceptance tests of the simulated seizures: line length and spectra of seizure vs background segments, the
// focal onset appearing first on the onset region's channels, and annotations that match the visible discharge.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "epilepsyfm/simulate/leadfield.h"
#include "epilepsyfm/simulate/simulate.h"
#include "signal_stats.h"

namespace efm::sim {
namespace {

constexpr double kFs = 256;

struct Simulated {
  config::SimulateConfig config;
  Cohort cohort;
  std::vector<std::vector<double>> eeg;  // [19][n]
  const RecordingPlan& rec() const { return cohort.recordings[0]; }
  const SubjectProfile& subject() const { return cohort.subjects[0]; }
};

// One subject with one 150-s recording holding one seizure of the given type.
Simulated simulate(SeizureType type, uint64_t seed) {
  Simulated s;
  auto& c = s.config;
  c.n_subjects = 1;
  c.recordings_per_subject = 1;
  c.recording_duration_s = 150;
  c.seizures.types.focal.weight = type == SeizureType::focal;
  c.seizures.types.generalised.weight = type == SeizureType::generalised;
  c.seizures.types.absence.weight = type == SeizureType::absence;
  c.seizures.types.focal.duration_s = {30, 40};
  c.seizures.types.generalised.duration_s = {20, 30};
  c.seizures.types.absence.duration_s = {8, 12};
  c.seizures.postictal_s = {20, 30};
  c.seizures.rate_per_h = 0;
  c.seizures.min_per_recording = 1;
  c.seizures.edge_margin_s = 40;
  c.seizures.multifocal_fraction = 0;
  s.cohort = plan_cohort(c, seed);
  EXPECT_EQ(s.rec().seizures.size(), 1u);
  s.eeg = synthesize_recording(c, s.subject(), s.rec());
  return s;
}

size_t sample(double t) {
  return size_t(std::max(0.0, std::round(t * kFs)));
}

// Background: the recording minus [onset - 5 s, end of post-ictal + 5 s].
double background_line_length(const Simulated& s, int ch) {
  const auto& e = s.rec().seizures[0];
  const auto& x = s.eeg[ch];
  const size_t a = sample(e.onset_s - 5), b = std::min(x.size(), sample(e.end_s() + 5));
  const double la = test::line_length(x, 0, a), lb = test::line_length(x, b, x.size());
  return (la * double(a) + lb * double(x.size() - b)) / double(a + x.size() - b);
}

// Mean over channels of line length (seizure) / line length (background).
double line_length_ratio(const Simulated& s) {
  const auto& e = s.rec().seizures[0];
  double r = 0;
  for (int c = 0; c < kNumElectrodes; ++c) {
    r += test::line_length(s.eeg[c], sample(e.onset_s), sample(e.offset_s())) / background_line_length(s, c);
  }
  return r / kNumElectrodes;
}

// Mean over the onset region's channels of line length (seizure) / line length (background).
double region_ratio(const Simulated& s) {
  const auto& e = s.rec().seizures[0];
  double r = 0;
  int n = 0;
  for (int c = 0; c < kNumElectrodes; ++c) {
    if (electrode_regions()[c] != e.onset_region) continue;
    r += test::line_length(s.eeg[c], sample(e.onset_s), sample(e.offset_s())) / background_line_length(s, c);
    ++n;
  }
  return r / n;
}

// Times (s) of 1-s windows (0.25-s hop) whose line length exceeds `factor` x the channel's background.
std::vector<bool> active(const Simulated& s, int ch, double factor, std::vector<double>& centres) {
  const double base = background_line_length(s, ch);
  std::vector<bool> out;
  centres.clear();
  const auto& x = s.eeg[ch];
  for (size_t a = 0; a + size_t(kFs) <= x.size(); a += size_t(kFs / 4)) {
    centres.push_back((double(a) + kFs / 2) / kFs);
    out.push_back(test::line_length(x, a, a + size_t(kFs)) > factor * base);
  }
  return out;
}

// First time after `from` at which channel ch is active (1-s line length > 3x background); +inf when never.
double first_crossing(const Simulated& s, int ch, double from) {
  std::vector<double> t;
  const auto act = active(s, ch, 3.0, t);
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] >= from && act[i]) return t[i];
  }
  return INFINITY;
}

// Detected discharge: the contiguous stretch (gaps < 0.5 s allowed) of 1-s windows with >= 2 channels active
// around the middle of the annotated seizure; returns its [start, end] in seconds.
std::pair<double, double> detected_discharge(const Simulated& s) {
  std::vector<double> t;
  std::vector<int> count;
  for (int c = 0; c < kNumElectrodes; ++c) {
    const auto act = active(s, c, 3.0, t);
    count.resize(act.size(), 0);
    for (size_t i = 0; i < act.size(); ++i) count[i] += act[i];
  }
  const auto& e = s.rec().seizures[0];
  const double mid = 0.5 * (e.onset_s + e.offset_s());
  size_t m = 0;
  while (m + 1 < t.size() && t[m] < mid) ++m;
  auto on = [&](size_t i) { return count[i] >= 2; };
  if (!on(m)) return {INFINITY, -INFINITY};
  size_t lo = m, hi = m;
  for (size_t i = m; i-- > 0;) {
    if (on(i))
      lo = i;
    else if (lo - i > 2)
      break;
  }
  for (size_t i = m; i < t.size(); ++i) {
    if (on(i))
      hi = i;
    else if (i - hi > 2)
      break;
  }
  return {t[lo] - 0.5, t[hi] + 0.5};
}

class SeizurePhysiology : public ::testing::TestWithParam<std::tuple<SeizureType, uint64_t>> {};

TEST_P(SeizurePhysiology, LineLengthRisesDuringSeizures) {
  const auto [type, seed] = GetParam();
  const auto s = simulate(type, seed);
  const double ratio = line_length_ratio(s);

  // Measured (seeds 1-3), mean over all 19 channels: focal 2.1-2.6 (3.8-5.2 over the onset region's channels; the
  // first seconds of low-voltage fast activity barely change line length, and distant regions stay uninvolved),
  // generalised 5.4-7.5, absence 4.6-7.4. Asserted with ~20% margin below the lowest measured value.
  if (type == SeizureType::focal) {
    EXPECT_GT(ratio, 1.7) << "seed " << seed;
    EXPECT_GT(region_ratio(s), 3.0) << "seed " << seed;
  } else {
    EXPECT_GT(ratio, type == SeizureType::generalised ? 4.3 : 3.7) << seizure_type_name(type) << " seed " << seed;
  }
}

TEST_P(SeizurePhysiology, AnnotationsMatchTheVisibleDischarge) {
  const auto [type, seed] = GetParam();
  const auto s = simulate(type, seed);
  const auto& e = s.rec().seizures[0];
  const auto [first, last] = detected_discharge(s);

  // The end of the discharge is annotated within 1.5 s (window resolution 0.25 s, 1-s windows).
  EXPECT_NEAR(last, e.offset_s(), 1.5) << seizure_type_name(type) << " seed " << seed;
  if (type == SeizureType::focal) {
    // Focal seizures start with low-voltage fast activity in one region, which line length barely sees; the
    // rhythmic discharge follows after the LVFA phase (clamp(0.15 D, 2, 6) s, cohort.h) and its 2-s ramp.
    const double lvfa = std::clamp(0.15 * e.duration_s, 2.0, 6.0);
    EXPECT_GE(first, e.onset_s - 1.0) << "seed " << seed;
    EXPECT_LE(first, e.onset_s + lvfa + 4.0) << "seed " << seed;
  } else {
    EXPECT_NEAR(first, e.onset_s, 1.5) << seizure_type_name(type) << " seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, SeizurePhysiology,
                         ::testing::Combine(::testing::Values(SeizureType::focal, SeizureType::generalised,
                                                              SeizureType::absence),
                                            ::testing::Values(uint64_t(1), uint64_t(2), uint64_t(3))));

TEST(SeizurePhysiology, AbsencesAreThreeHertzSpikeAndWave) {
  for (uint64_t seed : {1, 2}) {
    const auto s = simulate(SeizureType::absence, seed);
    const auto& e = s.rec().seizures[0];
    const auto f = test::freq_grid(1.0, 20.0, 0.25);
    std::vector<double> ps(f.size(), 0.0), pb(f.size(), 0.0);
    for (int c = 0; c < kNumElectrodes; ++c) {
      const auto a = test::welch(s.eeg[c], sample(e.onset_s), sample(e.offset_s()), kFs, f);
      const auto b = test::welch(s.eeg[c], 0, sample(e.onset_s - 5), kFs, f);
      for (size_t i = 0; i < f.size(); ++i) {
        ps[i] += a[i];
        pb[i] += b[i];
      }
    }
    const double peak = test::peak_frequency(ps, f);
    EXPECT_GE(peak, 2.5) << "seed " << seed;
    EXPECT_LE(peak, 3.5) << "seed " << seed;
    // 2.5-3.5 Hz power: measured ~2 orders of magnitude above the background.
    EXPECT_GT(test::band_power(ps, f, 2.5, 3.5) / test::band_power(pb, f, 2.5, 3.5), 30.0) << "seed " << seed;
  }
}

TEST(SeizurePhysiology, FocalOnsetAppearsFirstOnTheOnsetRegion) {
  for (uint64_t seed : {1, 2, 3, 4}) {
    const auto s = simulate(SeizureType::focal, seed);
    const auto& e = s.rec().seizures[0];
    double onset_region_first = INFINITY, others_first = INFINITY;
    for (int c = 0; c < kNumElectrodes; ++c) {
      const double t = first_crossing(s, c, e.onset_s - 2.0);
      if (electrode_regions()[c] == e.onset_region) {
        onset_region_first = std::min(onset_region_first, t);
      } else {
        others_first = std::min(others_first, t);
      }
    }
    ASSERT_TRUE(std::isfinite(onset_region_first)) << "seed " << seed;
    EXPECT_LE(onset_region_first, e.offset_s());
    EXPECT_LT(onset_region_first, others_first)
        << "seed " << seed << ": onset region " << region_names()[e.onset_region];
  }
}

}  // namespace
}  // namespace efm::sim
