#pragma once
/// The synthetic cohort: subjects (seizure type, onset regions, excitability, medication response, RFTC target and
/// outcome), their recordings (day, seizure schedule, interictal spikes, artefact events, electrode impedances) and
/// the neural-mass parameter paths that realise the seizures. Everything random is drawn here, from the run seed,
/// so a recording is a deterministic function of its plan.
///
/// Seizure parameter paths (per region, times relative to the region's onset; regimes in neural_mass.h):
/// - focal, onset region: background -> low-voltage fast activity (1.5 s ramp, which crosses the spiking regime
///   and fires a few sentinel spikes) held for max(3, min(10, 0.2 D)) s -> quasi-sinusoidal ~10 Hz rhythm (2 s
///   ramp) -> evolving linearly to ~4 Hz rhythmic spikes at the offset D -> post-ictal (1 s ramp), held for 40% of
///   the post-ictal time, then back to background over the rest; post-ictal delta activity is added in every
///   involved region (simulate.h).
/// - focal, recruited regions (neighbours of the onset region, each with probability 1, second-order neighbours
///   with `secondary_spread_prob`): join the rhythmic phase `spread_delay` (x2 for second-order) after it starts in
///   the onset region (2 s ramp) with the weaker propagated ~11 Hz rhythm, and end with the onset region. A region
///   whose recruitment would come later than 3 s before the offset is not recruited.
/// - generalised: every region (onset jitter <= 0.3 s) ramps in 1 s to the quasi-sinusoidal rhythm, evolves to
///   rhythmic spikes at the offset, then post-ictal like focal seizures; 90% of the input noise is shared
///   (common drive) so the regions synchronise.
/// - absence: every region ramps in 0.3 s to the ~3 Hz spike-and-wave regime, holds it, and returns to background
///   in 0.3 s; 98% shared input; no post-ictal phase.
/// - interictal spikes: a 0.35 s excursion of the onset region (focal subjects; one of the onset regions) or of
///   all regions with shared input (generalised/absence subjects) to the spike regime.
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
#include "epilepsyfm/data/simulate/neural_mass.h"

namespace efm::data::sim {

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

}  // namespace efm::data::sim
