#include "epilepsyfm/config/simulate.h"

#include <algorithm>
#include <cmath>

#include "epilepsyfm/config/yaml_io.h"
#include "epilepsyfm/core/check.h"

namespace efm::config {

namespace {

void check_range_pair(const std::vector<double>& r, const std::string& path) {
  EFM_CHECK_CONFIG(r.size() == 2, "{}: expected [min, max] (2 numbers), got {} number(s)", path, r.size());
  EFM_CHECK_CONFIG(r[0] <= r[1], "{}: min ({}) must not exceed max ({})", path, r[0], r[1]);
}

}  // namespace

void SeizureTypeConfig::validate(const std::string& path) const {
  check_range_pair(duration_s, detail::join_path(path, "duration_s"));
}

void SeizureTypesConfig::validate(const std::string& path) const {
  EFM_CHECK_CONFIG(focal.weight + generalised.weight + absence.weight > 0,
                   "{}: at least one of focal.weight, generalised.weight, absence.weight must be > 0", path);
}

void SimulateSeizureConfig::validate(const std::string& path) const {
  check_range_pair(spread_delay_s, detail::join_path(path, "spread_delay_s"));
  check_range_pair(postictal_s, detail::join_path(path, "postictal_s"));
}

void SimulateArtifactConfig::validate(const std::string& path) const {
  check_range_pair(alpha_freq_hz, detail::join_path(path, "alpha_freq_hz"));
}

void SimulateConfig::validate(const std::string& path) const {
  EFM_CHECK_CONFIG(recording_duration_s == std::floor(recording_duration_s),
                   "{}: must be a whole number of seconds (EDF data records are 1 s), got {}",
                   detail::join_path(path, "recording_duration_s"), recording_duration_s);
  EFM_CHECK_CONFIG(line_freq_hz < 0.5 * double(sfreq_hz),
                   "{}: {} Hz must be below the Nyquist frequency sfreq_hz / 2 = {} Hz",
                   detail::join_path(path, "line_freq_hz"), line_freq_hz, 0.5 * double(sfreq_hz));
  EFM_CHECK_CONFIG(artifacts.alpha_freq_hz[1] < 0.5 * double(sfreq_hz), "{}: max {} Hz must be below sfreq_hz / 2",
                   detail::join_path(path, "artifacts.alpha_freq_hz"), artifacts.alpha_freq_hz[1]);
  // Shortest durations the parameter paths support (simulate/cohort.h): focal onset phase + rhythmic phase,
  // generalised 1-s ramp, absence 0.3-s ramps and lags; electrographic seizures last >= 10 s by convention anyway.
  const auto& t = seizures.types;
  EFM_CHECK_CONFIG(t.focal.duration_s[0] >= 10, "{}: focal seizures must last >= 10 s, got min {}",
                   detail::join_path(path, "seizures.types.focal.duration_s"), t.focal.duration_s[0]);
  EFM_CHECK_CONFIG(t.generalised.duration_s[0] >= 5, "{}: generalised seizures must last >= 5 s, got min {}",
                   detail::join_path(path, "seizures.types.generalised.duration_s"), t.generalised.duration_s[0]);
  EFM_CHECK_CONFIG(t.absence.duration_s[0] >= 2, "{}: absence seizures must last >= 2 s, got min {}",
                   detail::join_path(path, "seizures.types.absence.duration_s"), t.absence.duration_s[0]);
  // The longest seizure with its post-ictal phase must fit between the edge margins when seizures are forced.
  if (seizures.min_per_recording > 0) {
    // Span of the longest seizure with its post-ictal phase (none for absences), the interval and the 2-s lead.
    double span = 0;
    const double postictal = std::max(1.0, seizures.postictal_s[1]);
    if (t.focal.weight > 0) span = std::max(span, t.focal.duration_s[1] + postictal);
    if (t.generalised.weight > 0) span = std::max(span, t.generalised.duration_s[1] + postictal);
    if (t.absence.weight > 0) span = std::max(span, t.absence.duration_s[1]);
    const double need =
        double(seizures.min_per_recording) * (span + seizures.min_interval_s + 2.0) + 2 * seizures.edge_margin_s;
    EFM_CHECK_CONFIG(need <= recording_duration_s,
                     "{}: {} forced seizure(s) spanning up to {} s each (seizure + post-ictal), with {} s intervals "
                     "(+2 s lead) and {} s edge margins, need {} s, but recordings last {} s",
                     detail::join_path(path, "seizures.min_per_recording"), seizures.min_per_recording, span,
                     seizures.min_interval_s, seizures.edge_margin_s, need, recording_duration_s);
  }
}

}  // namespace efm::config

EFM_INSTANTIATE_CONFIG(efm::config::SimulateExperiment)
