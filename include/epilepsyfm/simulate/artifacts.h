#pragma once
/// Non-neural and non-epileptic components added to the simulated scalp EEG, per electrode, in microvolts.
/// All are phenomenological (documented shapes and spatial weights, not physical models):
/// - background 1/f noise: Voss-McCartney pink noise (12 octave rows + white, ~0.03 Hz to Nyquist), independent per
///   channel, RMS `background_noise_uv`;
/// - posterior alpha rhythm: one waxing-and-waning oscillation (Ornstein-Uhlenbeck envelope with tau 1.5 s,
///   frequency jittering +-0.2 Hz around the subject's peak), RMS `alpha_uv` at O1/O2, weights falling off towards
///   the front (O 1.0, PZ 0.8, P3/P4 0.7, P7/P8 0.5, central 0.3, T7/T8 0.25, F3/FZ/F4 0.15, FP/F7/F8 0.1);
///   suppressed (1-s cosine ramps) during seizures and early post-ictal phases;
/// - eye blinks: raised-cosine positive deflections of 0.3-0.5 s, weights FP1/FP2 1.0, F7/FZ/F8 0.45, F3/F4 0.4,
///   central 0.1, T7/T8 0.08, posterior 0.02;
/// - muscle (EMG) bursts: per-channel white noise high-passed at 20 Hz (2nd-order Butterworth), 0.2-s tapered
///   envelope, on the temporal chain of one side (T7/T8 1.0, F7/F8 0.8, P7/P8 0.7, FP 0.3, C3/C4 0.3, O 0.2) or both;
/// - line noise: a sinusoid at the mains frequency with amplitude line_noise_uv x impedance / 5 kOhm and a random
///   phase per channel.
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "epilepsyfm/simulate/cohort.h"
#include "epilepsyfm/simulate/rng.h"

namespace efm::sim {

struct ArtifactOptions {
  double sfreq_hz = 256;
  double line_freq_hz = 50;
  double background_noise_uv = 5;
  double alpha_uv = 15;
  double alpha_freq_hz = 10;
  double line_noise_uv = 2;
};

/// Spatial weight of each component per electrode (size 19, electrode_names() order); exposed for tests.
const std::vector<double>& alpha_weights();
const std::vector<double>& blink_weights();
/// side 0 = left, 1 = right, 2 = both.
std::vector<double> muscle_weights(int side);

/// Generates the artefacts of one recording block by block (blocks must be consecutive).
class ArtifactGenerator {
 public:
  ArtifactGenerator(const ArtifactOptions& options, const RecordingPlan& plan, uint64_t seed);
  /// Adds samples [position(), position() + n) of every component to out[c][0..n) for the 19 electrodes.
  void add(int64_t n, std::vector<std::vector<double>>& out);
  int64_t position() const { return pos_; }

 private:
  ArtifactOptions opt_;
  std::vector<BlinkEvent> blinks_;
  std::vector<MuscleEvent> muscle_;
  std::vector<std::pair<double, double>> suppression_;
  std::vector<double> line_amp_, line_phase_;
  // One random stream per component (and per channel for muscle) so that the output does not depend on how the
  // recording is cut into blocks.
  Rng rng_pink_, rng_alpha_;
  std::vector<Rng> rng_muscle_;
  int64_t pos_ = 0;
  // Pink noise (Voss-McCartney) per channel.
  static constexpr int kRows = 12;
  std::vector<std::array<double, kRows>> rows_;
  std::vector<double> row_sum_;
  uint64_t counter_ = 0;
  // Alpha generator state.
  double alpha_env_ = 0, alpha_df_ = 0, alpha_phase_ = 0;
  // Muscle: 2nd-order high-pass biquad state per channel, gain normalising its output to unit RMS.
  std::vector<std::array<double, 4>> hp_state_;
  double hp_b_[3], hp_a_[3], hp_norm_ = 1;
  size_t muscle_active_ = 0;
  std::vector<double> scratch_;
};

}  // namespace efm::sim
