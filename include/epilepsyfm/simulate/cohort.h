#pragma once
/// The synthetic cohort: subjects (seizure type, onset regions, excitability, medication response, RFTC target and
/// outcome), their recordings (day, seizure schedule, interictal spikes, artefact events, electrode impedances) and
/// the neural-mass parameter paths that realise the seizures. Everything random is drawn here, from the run seed,
/// so a recording is a deterministic function of its plan.
///
/// Seizure parameter paths (per region; T0 = annotated onset, T1 = annotated offset, D = T1 - T0, P = post-ictal
/// duration; regimes in neural_mass.h). The model's discharges lag its parameters (a limit cycle needs ~1 s to build
/// up and outlasts the ramp out of its regime by 1.4-2.1 s, measured), so the ramps are placed such that the
/// annotations match the visible discharge (checked by tests/unit/data/physiology_test.cpp to within 1.5 s):
/// - focal, onset region: background -> low-voltage fast activity over [T0 - 1.5, T0] (the ramp crosses the
///   spiking regime and fires sentinel spikes around T0), held for L = clamp(0.15 D, 2, 6) s -> quasi-sinusoidal
///   ~10 Hz rhythm (2-s ramp) -> evolving linearly to ~4 Hz rhythmic spikes at T1 - 2.4 -> post-ictal regime at
///   T1 - 1.4 (the discharge stops at ~T1), held for 40% of P, then back to background by T1 + P; decaying
///   post-ictal delta activity is added in every involved region (simulate.h).
/// - focal, recruited regions (all neighbours of the onset region, second-order neighbours with probability
///   `secondary_spread_prob`): join at T0 + L + a delay drawn from `spread_delay_s` (twice that for second-order
///   neighbours) with the weaker ~11 Hz propagated rhythm (2-s ramp), and end with the onset region. A region whose
///   recruitment would come later than T1 - 4 s is not recruited.
/// - generalised: every region ramps to the quasi-sinusoidal rhythm over [T0 - 1.5, T0 - 0.5] (+ a fixed onset
///   spread of up to 0.3 s across regions), evolves to rhythmic spikes and ends like focal seizures; 90% of the
///   input noise is shared (common drive), which synchronises the regions.
/// - absence: every region ramps to the ~3 Hz spike-and-wave regime over [T0 - 1.15, T0 - 0.85] and back to
///   background over [T1 - 2.25, T1 - 1.95]; 98% shared input; no post-ictal phase.
/// - interictal spikes: a 0.35-s excursion to the spike regime of one onset region (focal subjects) or of all
///   regions with shared input (generalised and absence subjects: generalised discharges); they keep >= 5 s away
///   from seizures and >= 1 s from each other.
///
/// Seizure types are allotted to subjects in proportion to the weights (largest remainder), in a seeded random
/// order, so that small cohorts contain every type with a non-negligible weight (6 subjects, weights 0.5/0.25/0.25
/// -> 3/2/1).
///
/// Labels (synthetic, derived from the simulated parameters):
/// - excitability z ~ N(0, 1) per subject scales the seizure and interictal spike rates by exp(0.5 z);
/// - medication response: P(responder) = logistic(logit(responder_fraction) - 1.5 z) (more excitable subjects
///   respond less often, as high pre-treatment seizure frequency predicts drug resistance); after the medication
///   change day a responder's rates are multiplied by responder_rate_factor, a non-responder's by
///   nonresponder_rate_factor;
/// - RFTC: the thermocoagulated region is the (first) onset region with probability rftc_on_target_prob, else
///   another region; the outcome is good (Engel I) iff the subject has a focal, unifocal onset and the lesioned
///   region is that onset region (then flipped with probability rftc_label_noise).
#include <cstdint>
#include <string>
#include <vector>

#include "epilepsyfm/config/simulate.h"
#include "epilepsyfm/simulate/neural_mass.h"

namespace efm::sim {

enum class SeizureType { focal, generalised, absence };
/// "focal", "generalised", "absence".
std::string seizure_type_name(SeizureType type);
/// The annotation text and seizures.csv label: "seizure_focal", "seizure_generalised", "seizure_absence".
std::string seizure_label(SeizureType type);

struct SeizureEvent {
  SeizureType type = SeizureType::focal;
  double onset_s = 0;     ///< electrographic onset (annotated), seconds from the recording start
  double duration_s = 0;  ///< annotated duration (onset to end of ictal activity)
  double postictal_s = 0;
  int onset_region = -1;               ///< focal only; -1 for generalised/absence
  std::vector<int> recruited;          ///< focal: regions recruited by spread (in order of recruitment)
  std::vector<double> recruited_at_s;  ///< focal: absolute time each recruited region joins
  double offset_s() const { return onset_s + duration_s; }
  /// End of the post-ictal phase: the offset for absences; at least 1 s after the offset otherwise (the ramp into
  /// the post-ictal state).
  double end_s() const {
    return offset_s() + (type == SeizureType::absence ? 0.0 : (postictal_s > 1.0 ? postictal_s : 1.0));
  }
};

struct SpikeEvent {
  double t_s = 0;
  int region = -1;  ///< -1 = generalised (all regions)
};

struct BlinkEvent {
  double t_s = 0;
  double duration_s = 0.4;
  double amplitude_uv = 100;  ///< peak at FP1/FP2
};

struct MuscleEvent {
  double t_s = 0;
  double duration_s = 1;
  double amplitude_uv = 20;  ///< RMS at the nearest temporal electrode
  int side = 0;              ///< 0 left, 1 right, 2 both
};

struct SubjectProfile {
  int index = 0;
  std::string id;  ///< "sub-01"
  SeizureType seizure_type = SeizureType::focal;
  std::vector<int> onset_regions;  ///< focal: 1 (unifocal) or 2 (multifocal); empty otherwise
  double excitability_z = 0;
  double seizure_rate_per_h = 0;  ///< before the medication change
  double spike_rate_per_min = 0;  ///< before the medication change
  double alpha_freq_hz = 10;
  double amplitude_scale = 1;
  std::vector<WendlingGains> background;  ///< per region (jittered around regimes::kBackground)
  double medication_change_day = 0;
  bool responder = false;
  int rftc_lesion_region = 0;
  bool rftc_good_outcome = false;  ///< Engel I
};

struct RecordingPlan {
  int subject = 0;            ///< index into Cohort::subjects
  int index = 0;              ///< recording number within the subject (0-based)
  std::string relative_path;  ///< "sub-01/sub-01_rec-01.edf" (or .bdf)
  double day = 0;
  bool after_medication_change = false;
  double duration_s = 0;
  std::vector<SeizureEvent> seizures;  ///< sorted, non-overlapping (including post-ictal phases)
  std::vector<SpikeEvent> spikes;
  std::vector<BlinkEvent> blinks;
  std::vector<MuscleEvent> muscle;
  std::vector<double> impedance_kohm;  ///< per electrode (19)
  std::vector<double> channel_gain;    ///< per electrode (19), multiplies the whole channel
  std::vector<double> line_phase;      ///< per electrode (19), radians
  uint64_t signal_seed = 0;            ///< seed of the neural-mass input noise and of the noise artefacts
};

struct Cohort {
  std::vector<SubjectProfile> subjects;
  std::vector<RecordingPlan> recordings;  ///< subject-major order
};

/// Draws the whole cohort. Deterministic for (config, seed).
Cohort plan_cohort(const config::SimulateConfig& config, uint64_t seed);

/// The neural-mass parameter time courses realising a recording's seizures and interictal spikes.
NetworkSchedule make_schedule(const SubjectProfile& subject, const RecordingPlan& recording);

/// Intervals during which the posterior alpha rhythm is suppressed (seizures and the first half of the post-ictal
/// phase), as [start, end] seconds.
std::vector<std::pair<double, double>> alpha_suppression(const RecordingPlan& recording);

}  // namespace efm::sim
