#pragma once
/// Configuration of `epilepsyfm simulate`: a synthetic cohort of epileptic EEG recordings (neural-mass model,
/// simulate/). Every value has a default; configs/simulate/{test,demo,cohort}.yaml are complete examples.
/// The random seed is `run.seed`; the output directory is `run.out` (`--out DIR`).
#include <cstdint>
#include <string>
#include <vector>

#include "epilepsyfm/config/run.h"
#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/core/enum_names.h"

namespace efm::config {

/// simulate.file_format: edf (16-bit EDF+) | bdf (24-bit BDF+); the name is also the file extension.
enum class SimulatedFileFormat { edf, bdf };
inline constexpr EnumNames<SimulatedFileFormat, 2> kSimulatedFileFormatNames{
    {{SimulatedFileFormat::edf, "edf"}, {SimulatedFileFormat::bdf, "bdf"}}};
constexpr const auto& enum_names(SimulatedFileFormat) {
  return kSimulatedFileFormatNames;
}

/// The neural-mass model (Wendling et al. 2002, Eur J Neurosci 15:1499-1508; one population per brain region).
struct SimulateModelConfig {
  /// Integration rate = oversample x sfreq_hz (e.g. 4 x 256 = 1024 Hz); the output is decimated with an FIR
  /// anti-aliasing filter.
  int64_t oversample = 4;
  /// Inter-regional coupling: extra input (pulses/s) per unit of delayed pyramidal firing rate (s^-1) of each
  /// neighbouring region (Wendling et al. 2000 coupling, normalised to unit static gain). Keep it small: seizing
  /// regions fire at ~4 spikes/s and background regions start spiking when their input exceeds ~150 pulses/s.
  double coupling = 1.0;
  /// Scalp microvolts per millivolt of regional model output (before the lead-field mixing).
  double source_gain_uv_per_mv = 60.0;
  double input_mean = 90.0;  ///< mean of the Gaussian input p(t), pulses/s (Wendling 2002)
  double input_std = 30.0;   ///< standard deviation of p(t), pulses/s, as drawn at 512 Hz (Wendling 2002)

  template <class V>
  void visit(V& v) {
    v("oversample", oversample, in_range(2, 16));
    v("coupling", coupling, non_negative());
    v("source_gain_uv_per_mv", source_gain_uv_per_mv, positive());
    v("input_mean", input_mean, in_range(0, 200));
    v("input_std", input_std, non_negative());
  }
};

/// One seizure type: its share of the cohort's subjects and its duration range.
struct SeizureTypeConfig {
  double weight = 1.0;               ///< relative probability that a subject has this seizure type
  std::vector<double> duration_s{};  ///< [min, max] seconds of ictal activity (annotated onset to offset)
  template <class V>
  void visit(V& v) {
    v("weight", weight, non_negative());
    v("duration_s", duration_s, positive());
  }
  void validate(const std::string& path) const;
};

struct SeizureTypesConfig {
  SeizureTypeConfig focal{0.6, {20.0, 90.0}};        ///< focal onset in one region, spread to neighbours
  SeizureTypeConfig generalised{0.2, {20.0, 60.0}};  ///< all regions at once (tonic-clonic-like evolution)
  SeizureTypeConfig absence{0.2, {4.0, 15.0}};       ///< generalised ~3 Hz spike-and-wave, no post-ictal phase
  template <class V>
  void visit(V& v) {
    v("focal", focal);
    v("generalised", generalised);
    v("absence", absence);
  }
  void validate(const std::string& path) const;
};

struct SimulateSeizureConfig {
  double rate_per_h = 6.0;                       ///< cohort mean seizure rate before any medication change
  int64_t min_per_recording = 0;                 ///< force at least this many seizures into every recording
  SeizureTypesConfig types;                      ///< type mix and durations
  double multifocal_fraction = 0.2;              ///< share of focal subjects with two onset regions
  std::vector<double> spread_delay_s{2.0, 8.0};  ///< [min, max] delay of recruitment of each neighbouring region
  double secondary_spread_prob = 0.3;            ///< probability that a second-order neighbour is recruited (2 x delay)
  std::vector<double> postictal_s{20.0, 60.0};   ///< [min, max] post-ictal slowing after focal/generalised seizures
  double min_interval_s = 30.0;                ///< quiet time between the end of a post-ictal phase and the next onset
  double edge_margin_s = 10.0;                 ///< no seizure onset closer than this to the start or end of a recording
  double interictal_spike_rate_per_min = 2.0;  ///< cohort mean rate of interictal epileptiform discharges
  template <class V>
  void visit(V& v) {
    v("rate_per_h", rate_per_h, non_negative());
    v("min_per_recording", min_per_recording, non_negative());
    v("types", types);
    v("multifocal_fraction", multifocal_fraction, fraction());
    v("spread_delay_s", spread_delay_s, positive());
    v("secondary_spread_prob", secondary_spread_prob, fraction());
    v("postictal_s", postictal_s, non_negative());
    v("min_interval_s", min_interval_s, non_negative());
    v("edge_margin_s", edge_margin_s, non_negative());
    v("interictal_spike_rate_per_min", interictal_spike_rate_per_min, non_negative());
  }
  void validate(const std::string& path) const;
};

/// Non-neural signal components and recording variability (amplitudes in microvolts).
struct SimulateArtifactConfig {
  double background_noise_uv = 5.0;  ///< 1/f (pink) noise per channel, RMS
  double alpha_uv = 15.0;            ///< posterior alpha rhythm, RMS at O1/O2 (eyes closed, waxing and waning)
  std::vector<double> alpha_freq_hz{8.5, 11.5};  ///< [min, max] of the per-subject alpha peak frequency
  double blink_rate_per_min = 10.0;              ///< eye blinks (frontal channels)
  double blink_uv = 120.0;                       ///< typical blink peak at FP1/FP2
  double muscle_rate_per_min = 1.0;              ///< muscle (EMG) bursts on temporal channels
  double muscle_uv = 20.0;                       ///< typical RMS of a muscle burst at the nearest temporal channel
  double line_noise_uv = 2.0;                    ///< mains interference amplitude at a 5 kOhm electrode
  double amplitude_scale_sd = 0.2;               ///< per-subject log-normal amplitude scale (skull/scalp variation)
  double impedance_sd = 0.4;                     ///< per-channel log-normal electrode impedance spread (median 5 kOhm)
  template <class V>
  void visit(V& v) {
    v("background_noise_uv", background_noise_uv, non_negative());
    v("alpha_uv", alpha_uv, non_negative());
    v("alpha_freq_hz", alpha_freq_hz, positive());
    v("blink_rate_per_min", blink_rate_per_min, non_negative());
    v("blink_uv", blink_uv, non_negative());
    v("muscle_rate_per_min", muscle_rate_per_min, non_negative());
    v("muscle_uv", muscle_uv, non_negative());
    v("line_noise_uv", line_noise_uv, non_negative());
    v("amplitude_scale_sd", amplitude_scale_sd, in_range(0, 2));
    v("impedance_sd", impedance_sd, in_range(0, 2));
  }
  void validate(const std::string& path) const;
};

/// Synthetic patient-level labels for the `asm_efficacy` and `rftc_outcome` heads.
struct SimulateCohortConfig {
  double follow_up_days = 60.0;           ///< recordings are spread evenly over this period
  double medication_change_day = 30.0;    ///< anti-seizure medication change; rates change after it
  double responder_fraction = 0.5;        ///< share of responders at average excitability
  double responder_rate_factor = 0.25;    ///< seizure and spike rate multiplier after the change, responders
  double nonresponder_rate_factor = 1.0;  ///< the same for non-responders
  double rftc_on_target_prob = 0.7;       ///< probability that the thermocoagulated region is the (first) onset region
  double rftc_label_noise = 0.0;          ///< probability of flipping the derived RFTC outcome
  template <class V>
  void visit(V& v) {
    v("follow_up_days", follow_up_days, positive());
    v("medication_change_day", medication_change_day, non_negative());
    v("responder_fraction", responder_fraction, open_fraction());
    v("responder_rate_factor", responder_rate_factor, non_negative());
    v("nonresponder_rate_factor", nonresponder_rate_factor, non_negative());
    v("rftc_on_target_prob", rftc_on_target_prob, fraction());
    v("rftc_label_noise", rftc_label_noise, fraction());
  }
};

struct SimulateConfig {
  int64_t n_subjects = 6;
  int64_t recordings_per_subject = 2;
  double recording_duration_s = 600.0;  ///< whole seconds (EDF data records are 1 s)
  int64_t sfreq_hz = 256;
  double line_freq_hz = 50.0;  ///< 50 (Europe) or 60 (Americas); must be below sfreq_hz / 2
  SimulatedFileFormat file_format = SimulatedFileFormat::edf;
  double physical_max_uv = 3200.0;  ///< EDF physical range is [-physical_max_uv, physical_max_uv]
  SimulateModelConfig model;
  SimulateSeizureConfig seizures;
  SimulateArtifactConfig artifacts;
  SimulateCohortConfig cohort;

  template <class V>
  void visit(V& v) {
    v("n_subjects", n_subjects, in_range(1, 9999));
    v("recordings_per_subject", recordings_per_subject, in_range(1, 999));
    v("recording_duration_s", recording_duration_s, in_range(10, 7 * 24 * 3600));
    v("sfreq_hz", sfreq_hz, in_range(64, 4096));
    v("line_freq_hz", line_freq_hz, positive());
    v("file_format", file_format);
    v("physical_max_uv", physical_max_uv, in_range(100, 1e6));
    v("model", model);
    v("seizures", seizures);
    v("artifacts", artifacts);
    v("cohort", cohort);
  }
  void validate(const std::string& path) const;
};

struct SimulateExperiment {
  RunConfig run;
  SimulateConfig simulate;
  template <class V>
  void visit(V& v) {
    v("run", run);
    v("simulate", simulate);
  }
};

}  // namespace efm::config
