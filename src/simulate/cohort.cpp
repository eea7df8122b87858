#include "epilepsyfm/simulate/cohort.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/random.h"
#include "epilepsyfm/simulate/leadfield.h"

namespace efm::sim {

namespace {

double logistic(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

std::string two_digits(int i, int total) {
  const int width = std::max(2, int(std::to_string(total).size()));
  return fmt::format("{:0{}d}", i, width);
}

const config::SeizureTypeConfig& type_config(const config::SimulateSeizureConfig& s, SeizureType t) {
  switch (t) {
    case SeizureType::focal: return s.types.focal;
    case SeizureType::generalised: return s.types.generalised;
    case SeizureType::absence: return s.types.absence;
  }
  return s.types.focal;
}

// Shares of the input noise common to all regions (common drive synchronising generalised discharges).
constexpr double kSharedGeneralised = 0.9;
constexpr double kSharedAbsence = 0.98;
constexpr double kSpikeExcursion_s = 0.35;
// Timing of the paths relative to the annotations. The model's discharges lag its parameters: measured with this
// simulator (1-s line length > 3x baseline on >= 2 channels, 3 seeds x 2 seizures per type), a discharge outlasts
// the end of the ramp out of the ictal regime by ~1.4 s (focal, generalised) and ~2.1 s (absence), and spike-wave
// and generalised rhythms need ~1 s to build up. The ramps are shifted by these lags so that the annotated onset
// and offset match the visible discharge.
// Focal onset: the 1.5-s ramp into low-voltage fast activity ends at the annotated onset (crossing the spiking
// regime fires sentinel spikes around it).
constexpr double kFocalOnsetRamp_s = 1.5;
constexpr double kOffsetLag_s = 1.4;         // focal/generalised: post-ictal regime reached this long before offset
constexpr double kOffsetRamp_s = 1.0;        // duration of the ramp into the post-ictal regime
constexpr double kGeneralisedLead_s = 1.0;   // generalised: ramp [-1.5, -0.5] s around the annotated onset
constexpr double kAbsenceLead_s = 1.0;       // absence: ramp [-1.15, -0.85] s around the annotated onset
constexpr double kAbsenceOffsetLag_s = 2.1;  // absence: ramp back [-2.25, -1.95] s around the annotated offset
// Seizures start at least kLead_s after the previous post-ictal end plus min_interval_s (room for the ramps above).
constexpr double kLead_s = 2.0;

// Places seizures as a Poisson process of rate `rate_per_s` with no overlap of (seizure + post-ictal + interval).
std::vector<SeizureEvent> place_seizures(const config::SimulateConfig& cfg, const SubjectProfile& subj,
                                         double rate_per_s, double duration_s, Rng& rng) {
  const auto& sc = cfg.seizures;
  const auto& tc = type_config(sc, subj.seizure_type);
  auto draw = [&](double onset) {
    SeizureEvent e;
    e.type = subj.seizure_type;
    e.onset_s = std::round(onset * 1000.0) / 1000.0;  // millisecond grid (exact in EDF+ annotations and CSV)
    e.duration_s = std::round(rng.uniform(tc.duration_s[0], tc.duration_s[1]) * 1000.0) / 1000.0;
    e.postictal_s = subj.seizure_type == SeizureType::absence ? 0.0 : rng.uniform(sc.postictal_s[0], sc.postictal_s[1]);
    return e;
  };
  auto fits = [&](const SeizureEvent& e) { return e.end_s() + sc.edge_margin_s <= duration_s; };
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::vector<SeizureEvent> out;
    double t = sc.edge_margin_s;
    if (rate_per_s > 0) {
      while (true) {
        t += rng.exponential(rate_per_s);
        SeizureEvent e = draw(t);
        if (!fits(e)) break;
        out.push_back(e);
        t = e.end_s() + sc.min_interval_s + kLead_s;
      }
    }
    if (int64_t(out.size()) >= sc.min_per_recording) return out;
  }
  // The Poisson draws keep giving too few seizures (low rate): place the forced number evenly, jittered.
  std::vector<SeizureEvent> out;
  const int64_t n = sc.min_per_recording;
  const double slot = (duration_s - 2 * sc.edge_margin_s) / double(n);
  for (int64_t i = 0; i < n; ++i) {
    SeizureEvent e = draw(0);
    const double room = slot - (e.end_s() + sc.min_interval_s + kLead_s);  // onset 0 here: end_s() is the span
    e.onset_s =
        std::round((sc.edge_margin_s + kLead_s + double(i) * slot + rng.uniform() * std::max(0.0, room)) * 1000.0) /
        1000.0;
    out.push_back(e);
  }
  return out;
}

void add_spread(const config::SimulateSeizureConfig& sc, SeizureEvent& e, double rhythmic_start_s, Rng& rng) {
  const auto& adj = region_neighbours();
  std::vector<int> first = adj[e.onset_region];
  std::vector<std::pair<double, int>> joins;
  std::vector<bool> taken(kNumRegions, false);
  taken[e.onset_region] = true;
  for (int r : first) {
    taken[r] = true;
    joins.emplace_back(rhythmic_start_s + rng.uniform(sc.spread_delay_s[0], sc.spread_delay_s[1]), r);
  }
  for (int r1 : first) {
    for (int r2 : adj[r1]) {
      if (taken[r2]) continue;
      taken[r2] = true;
      const bool recruit = rng.bernoulli(sc.secondary_spread_prob);
      const double at = rhythmic_start_s + 2 * rng.uniform(sc.spread_delay_s[0], sc.spread_delay_s[1]);
      if (recruit) joins.emplace_back(at, r2);
    }
  }
  std::sort(joins.begin(), joins.end());
  for (const auto& [at, r] : joins) {
    if (at > e.offset_s() - 4.0) continue;
    e.recruited.push_back(r);
    e.recruited_at_s.push_back(at);
  }
}

double lvfa_duration(double duration_s) {
  return std::clamp(0.15 * duration_s, 2.0, 6.0);
}

}  // namespace

std::string seizure_type_name(SeizureType type) {
  switch (type) {
    case SeizureType::focal: return "focal";
    case SeizureType::generalised: return "generalised";
    case SeizureType::absence: return "absence";
  }
  return "focal";
}

std::string seizure_label(SeizureType type) {
  return "seizure_" + seizure_type_name(type);
}

namespace {

// Seizure types are allotted in proportion to the weights (largest remainder), then shuffled over the subjects,
// so that small cohorts still contain every type with a non-negligible weight.
std::vector<SeizureType> allot_seizure_types(const config::SimulateConfig& cfg, uint64_t seed) {
  const auto& sc = cfg.seizures;
  const int n_sub = int(cfg.n_subjects);
  const double w_focal = sc.types.focal.weight, w_gen = sc.types.generalised.weight, w_abs = sc.types.absence.weight;
  std::vector<SeizureType> types;
  const double w[3] = {w_focal, w_gen, w_abs};
  const double w_sum = w[0] + w[1] + w[2];
  int count[3], assigned = 0;
  double rem[3];
  for (int t = 0; t < 3; ++t) {
    const double exact = double(n_sub) * w[t] / w_sum;
    count[t] = int(std::floor(exact));
    rem[t] = exact - count[t];
    assigned += count[t];
  }
  for (; assigned < n_sub; ++assigned) {
    const auto t = std::max_element(rem, rem + 3) - rem;
    ++count[t];
    rem[t] = -1;  // each type gets at most one of the left-over subjects
  }
  for (int t = 0; t < 3; ++t) types.insert(types.end(), size_t(count[t]), SeizureType(t));
  Rng shuffle(derive_seed(seed, "simulate/types"));
  for (size_t i = types.size(); i > 1; --i) std::swap(types[i - 1], types[size_t(shuffle.below(int64_t(i)))]);
  return types;
}

SubjectProfile plan_subject(const config::SimulateConfig& cfg, uint64_t seed, int s, SeizureType type) {
  const auto& sc = cfg.seizures;
  const auto& ac = cfg.artifacts;
  const auto& cc = cfg.cohort;
  const int n_sub = int(cfg.n_subjects);
  Rng rng(derive_seed(seed, "simulate/subject", uint64_t(s)));
  SubjectProfile p;
  p.index = s;
  p.id = "sub-" + two_digits(s + 1, n_sub);
  p.seizure_type = type;
  if (p.seizure_type == SeizureType::focal) {
    const int first = int(rng.below(kNumRegions));
    p.onset_regions.push_back(first);
    if (rng.bernoulli(sc.multifocal_fraction)) {
      int second = int(rng.below(kNumRegions - 1));
      if (second >= first) ++second;
      p.onset_regions.push_back(second);
    }
  }
  p.excitability_z = rng.normal();
  const double rate_scale = std::exp(0.5 * p.excitability_z);
  p.seizure_rate_per_h = sc.rate_per_h * rate_scale;
  p.spike_rate_per_min = sc.interictal_spike_rate_per_min * rate_scale;
  p.alpha_freq_hz = rng.uniform(ac.alpha_freq_hz[0], ac.alpha_freq_hz[1]);
  p.amplitude_scale = std::exp(ac.amplitude_scale_sd * rng.normal());
  for (int r = 0; r < kNumRegions; ++r) {
    WendlingGains g = regimes::kBackground;
    g.A += rng.uniform(-0.15, 0.15);
    g.B += rng.uniform(-3.0, 3.0);
    g.G += rng.uniform(-2.0, 2.0);
    p.background.push_back(g);
  }
  p.medication_change_day = cc.medication_change_day;
  const double f = cc.responder_fraction;
  p.responder = rng.bernoulli(logistic(std::log(f / (1 - f)) - 1.5 * p.excitability_z));
  const bool on_target = rng.bernoulli(cc.rftc_on_target_prob);
  if (!p.onset_regions.empty() && on_target) {
    p.rftc_lesion_region = p.onset_regions[0];
  } else {
    int lesion = int(rng.below(kNumRegions - (p.onset_regions.empty() ? 0 : 1)));
    if (!p.onset_regions.empty() && lesion >= p.onset_regions[0]) ++lesion;
    p.rftc_lesion_region = lesion;
  }
  bool good =
      p.seizure_type == SeizureType::focal && p.onset_regions.size() == 1 && p.rftc_lesion_region == p.onset_regions[0];
  if (rng.bernoulli(cc.rftc_label_noise)) good = !good;
  p.rftc_good_outcome = good;
  return p;
}

RecordingPlan plan_recording(const config::SimulateConfig& cfg, uint64_t seed, const SubjectProfile& p, int k) {
  const auto& sc = cfg.seizures;
  const auto& ac = cfg.artifacts;
  const auto& cc = cfg.cohort;
  const int s = p.index;
  const int n_rec = int(cfg.recordings_per_subject);
  Rng rr(derive_seed(seed, "simulate/recording/" + std::to_string(s), uint64_t(k)));
  RecordingPlan rec;
  rec.subject = s;
  rec.index = k;
  rec.relative_path =
      p.id + "/" + p.id + "_rec-" + two_digits(k + 1, n_rec) + "." + std::string(enum_name(cfg.file_format));
  rec.day = (double(k) + 0.5) * cc.follow_up_days / double(n_rec);
  rec.after_medication_change = rec.day >= cc.medication_change_day;
  rec.duration_s = cfg.recording_duration_s;
  const double factor =
      rec.after_medication_change ? (p.responder ? cc.responder_rate_factor : cc.nonresponder_rate_factor) : 1.0;
  rec.seizures = place_seizures(cfg, p, p.seizure_rate_per_h * factor / 3600.0, rec.duration_s, rr);
  for (auto& e : rec.seizures) {
    if (e.type != SeizureType::focal) continue;
    e.onset_region = p.onset_regions[size_t(rr.below(int64_t(p.onset_regions.size())))];
    add_spread(sc, e, e.onset_s + lvfa_duration(e.duration_s), rr);
  }
  // Interictal spikes: Poisson, away from seizures (5 s margin) and the recording edges.
  const double spike_rate = p.spike_rate_per_min * factor / 60.0;
  if (spike_rate > 0) {
    // At least 1 s apart so that the 0.35-s excursions never overlap.
    for (double t = 2.0 + rr.exponential(spike_rate); t < rec.duration_s - 2.0; t += 1.0 + rr.exponential(spike_rate)) {
      bool clear = true;
      for (const auto& e : rec.seizures) clear = clear && (t < e.onset_s - 5.0 || t > e.end_s() + 5.0);
      if (!clear) continue;
      SpikeEvent sp;
      sp.t_s = t;
      sp.region = p.onset_regions.empty() ? -1 : p.onset_regions[size_t(rr.below(int64_t(p.onset_regions.size())))];
      rec.spikes.push_back(sp);
    }
  }
  if (ac.blink_rate_per_min > 0) {
    const double rate = ac.blink_rate_per_min / 60.0;
    for (double t = rr.exponential(rate); t < rec.duration_s; t += 0.5 + rr.exponential(rate)) {
      rec.blinks.push_back({t, rr.uniform(0.3, 0.5), ac.blink_uv * std::exp(0.3 * rr.normal())});
    }
  }
  if (ac.muscle_rate_per_min > 0) {
    const double rate = ac.muscle_rate_per_min / 60.0;
    for (double t = rr.exponential(rate); t < rec.duration_s; t += rr.exponential(rate)) {
      MuscleEvent m;
      m.t_s = t;
      m.duration_s = rr.uniform(0.5, 3.0);
      m.amplitude_uv = ac.muscle_uv * std::exp(0.4 * rr.normal());
      const double side = rr.uniform();
      m.side = side < 0.4 ? 0 : (side < 0.8 ? 1 : 2);
      rec.muscle.push_back(m);
      t += m.duration_s;
    }
  }
  for (int e = 0; e < kNumElectrodes; ++e) {
    rec.impedance_kohm.push_back(5.0 * std::exp(ac.impedance_sd * rr.normal()));
    rec.channel_gain.push_back(std::exp(0.05 * rr.normal()));
    rec.line_phase.push_back(rr.uniform(0.0, 2 * 3.14159265358979323846));
  }
  rec.signal_seed = derive_seed(seed, "simulate/signal/" + std::to_string(s), uint64_t(k));
  return rec;
}

}  // namespace

Cohort plan_cohort(const config::SimulateConfig& cfg, uint64_t seed) {
  Cohort cohort;
  const std::vector<SeizureType> types = allot_seizure_types(cfg, seed);
  for (int s = 0; s < int(cfg.n_subjects); ++s) {
    const SubjectProfile p = plan_subject(cfg, seed, s, types[size_t(s)]);
    cohort.subjects.push_back(p);
    for (int k = 0; k < int(cfg.recordings_per_subject); ++k)
      cohort.recordings.push_back(plan_recording(cfg, seed, p, k));
  }
  return cohort;
}

NetworkSchedule make_schedule(const SubjectProfile& subj, const RecordingPlan& rec) {
  NetworkSchedule sch;
  sch.gains.resize(kNumRegions);
  const double t_end = rec.duration_s + 10.0;
  for (int r = 0; r < kNumRegions; ++r) sch.gains[r].push_back({-1e9, subj.background[r]});
  sch.shared_input.push_back({-1e9, 0.0});
  auto add = [&](int r, double t, const WendlingGains& g) {
    auto& v = sch.gains[r];
    EFM_CHECK_STATE(t >= v.back().t_s, "seizure path knots out of order in region {} at {} s", r, t);
    v.push_back({t, g});
  };
  auto add_rho = [&](double t, double value) { sch.shared_input.push_back({t, value}); };
  // Merge seizures and spikes in time order (they never overlap: spikes keep 5 s away from seizures).
  struct Item {
    double t;
    const SeizureEvent* seizure;
    const SpikeEvent* spike;
  };
  std::vector<Item> items;
  for (const auto& e : rec.seizures) items.push_back({e.onset_s, &e, nullptr});
  for (const auto& s : rec.spikes) items.push_back({s.t_s, nullptr, &s});
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.t < b.t; });
  double busy_until = -1e9;
  for (const auto& it : items) {
    if (it.spike) {
      const auto& s = *it.spike;
      const double t0 = s.t_s, d = kSpikeExcursion_s;
      EFM_CHECK_STATE(t0 >= busy_until, "interictal spike at {} s overlaps the previous event", t0);
      busy_until = t0 + d;
      for (int r = 0; r < kNumRegions; ++r) {
        if (s.region >= 0 && r != s.region) continue;
        add(r, t0, subj.background[r]);
        add(r, t0 + 0.1, regimes::kSpike);
        add(r, t0 + d - 0.1, regimes::kSpike);
        add(r, t0 + d, subj.background[r]);
      }
      if (s.region < 0) {
        add_rho(t0, 0.0);
        add_rho(t0 + 0.1, kSharedGeneralised);
        add_rho(t0 + d, kSharedGeneralised);
        add_rho(t0 + d + 0.1, 0.0);
      }
      continue;
    }
    const auto& e = *it.seizure;
    const double t0 = e.onset_s, D = e.duration_s, P = e.postictal_s, off = e.offset_s();
    busy_until = e.end_s();
    const double end_ictal = off - kOffsetLag_s;  // post-ictal regime reached here
    auto ictal_tail = [&](int r, const WendlingGains& at_offset) {
      // Evolution to `at_offset`, a 1-s ramp into the post-ictal state (the discharge stops ~kOffsetLag_s later, at
      // the annotated offset), held for 40% of the post-ictal time, then recovery to the background.
      add(r, end_ictal - kOffsetRamp_s, at_offset);
      add(r, end_ictal, regimes::kPostictal);
      add(r, end_ictal + 0.4 * P, regimes::kPostictal);
      add(r, std::max(end_ictal + 0.4 * P, off + std::max(P, 1.0)), subj.background[r]);
    };
    switch (e.type) {
      case SeizureType::focal: {
        const int r0 = e.onset_region;
        const double lvfa = lvfa_duration(D);
        add(r0, t0 - kFocalOnsetRamp_s, subj.background[r0]);
        add(r0, t0, regimes::kLowVoltageFast);
        add(r0, t0 + lvfa, regimes::kLowVoltageFast);
        add(r0, t0 + lvfa + 2.0, regimes::kQuasiSinusoidal);
        ictal_tail(r0, regimes::kRhythmicSpikes);
        for (size_t i = 0; i < e.recruited.size(); ++i) {
          const int r = e.recruited[i];
          const double at = e.recruited_at_s[i];
          add(r, at, subj.background[r]);
          add(r, std::min(at + 2.0, end_ictal - kOffsetRamp_s), regimes::kPropagated);
          ictal_tail(r, regimes::kPropagated);
        }
        break;
      }
      case SeizureType::generalised: {
        const double start = t0 - kGeneralisedLead_s;
        for (int r = 0; r < kNumRegions; ++r) {
          const double jitter = 0.3 * double(r) / double(kNumRegions - 1);  // deterministic spread of onsets
          add(r, start - 0.5 + jitter, subj.background[r]);
          add(r, start + 0.5 + jitter, regimes::kQuasiSinusoidal);
          ictal_tail(r, regimes::kRhythmicSpikes);
        }
        add_rho(start - 0.5, 0.0);
        add_rho(start + 0.5, kSharedGeneralised);
        add_rho(end_ictal - kOffsetRamp_s, kSharedGeneralised);
        add_rho(end_ictal, 0.0);
        break;
      }
      case SeizureType::absence: {
        const double start = t0 - kAbsenceLead_s, stop = off - kAbsenceOffsetLag_s;
        for (int r = 0; r < kNumRegions; ++r) {
          add(r, start - 0.15, subj.background[r]);
          add(r, start + 0.15, regimes::kSpikeWave3Hz);
          add(r, stop - 0.15, regimes::kSpikeWave3Hz);
          add(r, stop + 0.15, subj.background[r]);
        }
        add_rho(start - 0.15, 0.0);
        add_rho(start + 0.15, kSharedAbsence);
        add_rho(stop - 0.15, kSharedAbsence);
        add_rho(stop + 0.15, 0.0);
        break;
      }
    }
  }
  for (int r = 0; r < kNumRegions; ++r) sch.gains[r].push_back({t_end, sch.gains[r].back().gains});
  return sch;
}

std::vector<std::pair<double, double>> alpha_suppression(const RecordingPlan& rec) {
  std::vector<std::pair<double, double>> out;
  for (const auto& e : rec.seizures) out.emplace_back(e.onset_s, e.offset_s() + 0.5 * e.postictal_s);
  return out;
}

}  // namespace efm::sim
