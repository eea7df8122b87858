#include "epilepsyfm/simulate/cohort.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "epilepsyfm/simulate/leadfield.h"

namespace efm::sim {
namespace {

config::SimulateConfig big_cohort() {
  config::SimulateConfig c;
  c.n_subjects = 300;
  c.recordings_per_subject = 4;
  c.recording_duration_s = 3600;
  c.seizures.rate_per_h = 6;
  c.seizures.min_interval_s = 20;
  return c;
}

TEST(Cohort, SameSeedSamePlanOtherSeedOther) {
  config::SimulateConfig c;
  const auto a = plan_cohort(c, 3), b = plan_cohort(c, 3), d = plan_cohort(c, 4);
  ASSERT_EQ(a.recordings.size(), 12u);
  auto onsets = [](const Cohort& x) {
    std::vector<double> v;
    for (const auto& r : x.recordings) {
      for (const auto& e : r.seizures) v.push_back(e.onset_s);
      v.push_back(double(r.signal_seed % 1000003));
    }
    return v;
  };
  EXPECT_EQ(onsets(a), onsets(b));
  EXPECT_NE(onsets(a), onsets(d));
  EXPECT_EQ(a.subjects[0].id, "sub-01");
  EXPECT_EQ(a.recordings[1].relative_path, "sub-01/sub-01_rec-02.edf");
}

TEST(Cohort, SeizureSchedulesRespectTypesMarginsAndIntervals) {
  auto c = big_cohort();
  c.n_subjects = 60;
  c.seizures.min_per_recording = 2;
  const auto cohort = plan_cohort(c, 7);
  const auto& sc = c.seizures;
  int64_t n = 0;
  for (const auto& rec : cohort.recordings) {
    const auto& subj = cohort.subjects[rec.subject];
    ASSERT_GE(int64_t(rec.seizures.size()), sc.min_per_recording) << rec.relative_path;
    double prev_end = -1e9;
    for (const auto& e : rec.seizures) {
      ++n;
      EXPECT_EQ(e.type, subj.seizure_type);
      const auto& range = e.type == SeizureType::focal         ? sc.types.focal.duration_s
                          : e.type == SeizureType::generalised ? sc.types.generalised.duration_s
                                                               : sc.types.absence.duration_s;
      EXPECT_GE(e.duration_s, range[0] - 1e-3);
      EXPECT_LE(e.duration_s, range[1] + 1e-3);
      EXPECT_GE(e.onset_s, sc.edge_margin_s);
      EXPECT_LE(e.end_s() + sc.edge_margin_s, rec.duration_s + 1e-9);
      EXPECT_GE(e.onset_s, prev_end + sc.min_interval_s + 2.0 - 1e-3) << rec.relative_path;  // + 2-s ramp lead
      EXPECT_DOUBLE_EQ(e.onset_s, std::round(e.onset_s * 1000) / 1000);  // millisecond grid (exact annotations)
      prev_end = e.end_s();
      if (e.type == SeizureType::focal) {
        EXPECT_NE(std::find(subj.onset_regions.begin(), subj.onset_regions.end(), e.onset_region),
                  subj.onset_regions.end());
        double last = -1e9;
        for (size_t k = 0; k < e.recruited.size(); ++k) {
          EXPECT_NE(e.recruited[k], e.onset_region);
          EXPECT_GE(e.recruited_at_s[k], last);
          EXPECT_GT(e.recruited_at_s[k], e.onset_s + 2.0);
          EXPECT_LE(e.recruited_at_s[k], e.offset_s() - 4.0);
          last = e.recruited_at_s[k];
        }
      } else {
        EXPECT_EQ(e.onset_region, -1);
        EXPECT_TRUE(e.recruited.empty());
      }
    }
    double prev_spike = -1e9;
    for (const auto& s : rec.spikes) {
      EXPECT_GE(s.t_s - prev_spike, 1.0);
      prev_spike = s.t_s;
      for (const auto& e : rec.seizures) EXPECT_TRUE(s.t_s < e.onset_s - 5.0 || s.t_s > e.end_s() + 5.0);
    }
    // The parameter path of every recording is a valid schedule (sorted knots): the network accepts it.
    const auto sch = make_schedule(subj, rec);
    for (const auto& region : sch.gains) {
      for (size_t k = 1; k < region.size(); ++k) ASSERT_GE(region[k].t_s, region[k - 1].t_s) << rec.relative_path;
    }
  }
  EXPECT_GT(n, 60 * 4 * 2 - 1);
}

config::SimulateConfig many_subjects() {
  auto c = big_cohort();
  c.recordings_per_subject = 1;  // subject-level draws only
  c.recording_duration_s = 60;
  return c;
}

TEST(Cohort, TypeMixFollowsTheWeightsExactly) {
  auto count = [](const config::SimulateConfig& c, uint64_t seed) {
    std::map<SeizureType, int> n;
    for (const auto& s : plan_cohort(c, seed).subjects) ++n[s.seizure_type];
    return n;
  };
  auto c = many_subjects();  // 300 subjects, weights 0.6 / 0.2 / 0.2
  auto n = count(c, 11);
  EXPECT_EQ(n[SeizureType::focal], 180);
  EXPECT_EQ(n[SeizureType::generalised], 60);
  EXPECT_EQ(n[SeizureType::absence], 60);
  // Largest remainder: 6 subjects with weights 0.5 / 0.25 / 0.25 -> 3 / 1.5 / 1.5 -> 3 + one of the halves.
  c.n_subjects = 6;
  c.seizures.types.focal.weight = 0.5;
  c.seizures.types.generalised.weight = 0.25;
  c.seizures.types.absence.weight = 0.25;
  n = count(c, 11);
  EXPECT_EQ(n[SeizureType::focal], 3);
  EXPECT_EQ(n[SeizureType::generalised] + n[SeizureType::absence], 3);
  EXPECT_GE(n[SeizureType::generalised], 1);
  EXPECT_GE(n[SeizureType::absence], 1);
  // The order is shuffled by the seed.
  std::vector<SeizureType> a, b;
  for (const auto& s : plan_cohort(many_subjects(), 1).subjects) a.push_back(s.seizure_type);
  for (const auto& s : plan_cohort(many_subjects(), 2).subjects) b.push_back(s.seizure_type);
  EXPECT_NE(a, b);
}

TEST(Cohort, RftcOutcomeFollowsTheDocumentedRule) {
  auto c = many_subjects();
  const auto cohort = plan_cohort(c, 12);
  int focal = 0, on_target = 0;
  for (const auto& s : cohort.subjects) {
    const bool unifocal = s.seizure_type == SeizureType::focal && s.onset_regions.size() == 1;
    EXPECT_EQ(s.rftc_good_outcome, unifocal && s.rftc_lesion_region == s.onset_regions[0]) << s.id;
    EXPECT_GE(s.rftc_lesion_region, 0);
    EXPECT_LT(s.rftc_lesion_region, kNumRegions);
    if (s.seizure_type == SeizureType::focal) {
      ++focal;
      on_target += s.rftc_lesion_region == s.onset_regions[0];
      ASSERT_GE(s.onset_regions.size(), 1u);
      ASSERT_LE(s.onset_regions.size(), 2u);
    } else {
      EXPECT_TRUE(s.onset_regions.empty());
    }
  }
  const double p = c.cohort.rftc_on_target_prob;
  EXPECT_NEAR(double(on_target) / focal, p, 4 * std::sqrt(p * (1 - p) / focal));
  // With label noise every outcome is flipped with that probability.
  c.cohort.rftc_label_noise = 1.0;
  for (const auto& s : plan_cohort(c, 12).subjects) {
    const bool unifocal = s.seizure_type == SeizureType::focal && s.onset_regions.size() == 1;
    EXPECT_NE(s.rftc_good_outcome, unifocal && s.rftc_lesion_region == s.onset_regions[0]);
  }
}

TEST(Cohort, RespondersSeizeLessAfterTheMedicationChange) {
  auto c = big_cohort();
  const auto cohort = plan_cohort(c, 13);
  double seiz[2][2] = {{0, 0}, {0, 0}}, spikes[2][2] = {{0, 0}, {0, 0}};  // [responder][after]
  double z[2] = {0, 0};
  int n[2] = {0, 0};
  for (const auto& s : cohort.subjects) {
    z[s.responder] += s.excitability_z;
    ++n[s.responder];
  }
  for (const auto& r : cohort.recordings) {
    const bool resp = cohort.subjects[r.subject].responder;
    seiz[resp][r.after_medication_change] += double(r.seizures.size());
    spikes[resp][r.after_medication_change] += double(r.spikes.size());
  }
  // 2 recordings before (days 7.5, 22.5) and 2 after (37.5, 52.5) the change at day 30.
  const double resp_ratio = seiz[1][1] / seiz[1][0], non_ratio = seiz[0][1] / seiz[0][0];
  EXPECT_LT(resp_ratio, 0.45) << "responders: rate x 0.25 after the change";
  EXPECT_GT(non_ratio, 0.8) << "non-responders: unchanged";
  EXPECT_LT(non_ratio, 1.25);
  EXPECT_LT(spikes[1][1] / spikes[1][0], 0.4);
  // More excitable subjects respond less often (logistic in -1.5 z).
  EXPECT_LT(z[1] / n[1], z[0] / n[0] - 0.5);
}

TEST(Cohort, ForcedSeizuresWhenTheRateIsZero) {
  config::SimulateConfig c;
  c.seizures.rate_per_h = 0;
  c.seizures.min_per_recording = 3;
  for (const auto& r : plan_cohort(c, 5).recordings) {
    ASSERT_EQ(r.seizures.size(), 3u);
    for (size_t i = 1; i < r.seizures.size(); ++i) {
      EXPECT_GE(r.seizures[i].onset_s, r.seizures[i - 1].end_s() + c.seizures.min_interval_s + 2.0 - 1e-3);
    }
    EXPECT_LE(r.seizures.back().end_s(), r.duration_s - c.seizures.edge_margin_s + 1e-9);
  }
}

}  // namespace
}  // namespace efm::sim
