#include "epilepsyfm/simulate/artifacts.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/random.h"
#include "epilepsyfm/simulate/leadfield.h"

namespace efm::sim {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Weights in electrode_names() order: FP1 FP2 F7 F3 FZ F4 F8 T7 C3 CZ C4 T8 P7 P3 PZ P4 P8 O1 O2.
const std::vector<double> kAlpha = {0.1, 0.1,  0.1, 0.15, 0.15, 0.15, 0.1, 0.25, 0.3, 0.3,
                                    0.3, 0.25, 0.5, 0.7,  0.8,  0.7,  0.5, 1.0,  1.0};
const std::vector<double> kBlink = {1.0, 1.0,  0.45, 0.4,  0.45, 0.4,  0.45, 0.08, 0.1, 0.1,
                                    0.1, 0.08, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02};
const std::vector<double> kMuscleLeft = {0.3, 0, 0.8, 0, 0, 0, 0, 1.0, 0.3, 0, 0, 0, 0.7, 0, 0, 0, 0, 0.2, 0};
const std::vector<double> kMuscleRight = {0, 0.3, 0, 0, 0, 0, 0.8, 0, 0, 0, 0.3, 1.0, 0, 0, 0, 0, 0.7, 0, 0.2};

// Cosine ramp in and out of [a, b] (1 s ramps): 1 inside, 0 outside.
double interval_weight(double t, double a, double b) {
  constexpr double ramp = 1.0;
  if (t <= a - ramp || t >= b + ramp) return 0.0;
  if (t >= a && t <= b) return 1.0;
  const double x = t < a ? (t - (a - ramp)) / ramp : ((b + ramp) - t) / ramp;
  return 0.5 - 0.5 * std::cos(kPi * x);
}

}  // namespace

const std::vector<double>& alpha_weights() {
  return kAlpha;
}
const std::vector<double>& blink_weights() {
  return kBlink;
}
std::vector<double> muscle_weights(int side) {
  EFM_CHECK_ARG(side >= 0 && side <= 2, "muscle side {} must be 0 (left), 1 (right) or 2 (both)", side);
  if (side == 0) return kMuscleLeft;
  if (side == 1) return kMuscleRight;
  std::vector<double> w(kNumElectrodes);
  for (int c = 0; c < kNumElectrodes; ++c) w[c] = std::max(kMuscleLeft[c], kMuscleRight[c]);
  return w;
}

ArtifactGenerator::ArtifactGenerator(const ArtifactOptions& options, const RecordingPlan& plan, uint64_t seed)
    : opt_(options),
      blinks_(plan.blinks),
      muscle_(plan.muscle),
      suppression_(alpha_suppression(plan)),
      line_phase_(plan.line_phase),
      rng_pink_(derive_seed(seed, "pink")),
      rng_alpha_(derive_seed(seed, "alpha")) {
  for (int c = 0; c < kNumElectrodes; ++c) rng_muscle_.emplace_back(derive_seed(seed, "muscle", uint64_t(c)));
  EFM_CHECK_ARG(opt_.sfreq_hz > 0, "sfreq_hz ({}) must be > 0", opt_.sfreq_hz);
  EFM_CHECK_ARG(
      plan.impedance_kohm.size() == size_t(kNumElectrodes) && plan.line_phase.size() == size_t(kNumElectrodes),
      "recording plan needs {} impedances and line phases", kNumElectrodes);
  for (double z : plan.impedance_kohm) line_amp_.push_back(opt_.line_noise_uv * z / 5.0);
  rows_.resize(kNumElectrodes);
  row_sum_.assign(kNumElectrodes, 0.0);
  for (int c = 0; c < kNumElectrodes; ++c) {
    for (auto& v : rows_[c]) {
      v = rng_pink_.uniform(-1.0, 1.0);
      row_sum_[c] += v;
    }
  }
  // 2nd-order Butterworth high-pass at 20 Hz (bilinear transform, prewarped).
  const double fc = std::min(20.0, 0.4 * opt_.sfreq_hz);
  const double k = std::tan(kPi * fc / opt_.sfreq_hz);
  const double q = 1.0 / std::sqrt(2.0);
  const double norm = 1.0 / (1.0 + k / q + k * k);
  hp_b_[0] = norm;
  hp_b_[1] = -2.0 * norm;
  hp_b_[2] = norm;
  hp_a_[0] = 1.0;
  hp_a_[1] = 2.0 * (k * k - 1.0) * norm;
  hp_a_[2] = (1.0 - k / q + k * k) * norm;
  // Output variance for unit white input = sum of the squared impulse response.
  double s1 = 0, s2 = 0, x1 = 0, x2 = 0, energy = 0;
  for (int i = 0; i < 4096; ++i) {
    const double x = i == 0 ? 1.0 : 0.0;
    const double y = hp_b_[0] * x + hp_b_[1] * x1 + hp_b_[2] * x2 - hp_a_[1] * s1 - hp_a_[2] * s2;
    x2 = x1;
    x1 = x;
    s2 = s1;
    s1 = y;
    energy += y * y;
  }
  hp_norm_ = 1.0 / std::sqrt(energy);
  hp_state_.assign(kNumElectrodes, {0, 0, 0, 0});
}

void ArtifactGenerator::add(int64_t n, std::vector<std::vector<double>>& out) {
  EFM_CHECK_ARG(out.size() == size_t(kNumElectrodes), "artefacts need {} output channels, got {}", kNumElectrodes,
                out.size());
  for (const auto& o : out) EFM_CHECK_ARG(int64_t(o.size()) >= n, "artefact output block too short");
  const double fs = opt_.sfreq_hz, dt = 1.0 / fs;
  const double t0 = double(pos_) * dt;

  // 1/f noise (Voss-McCartney): row k is redrawn every 2^k samples; sum of rows + a white term.
  if (opt_.background_noise_uv > 0) {
    const double scale = opt_.background_noise_uv / std::sqrt((kRows + 1) / 3.0);
    for (int64_t i = 0; i < n; ++i) {
      ++counter_;
      int row = 0;
      uint64_t c = counter_;
      while ((c & 1) == 0 && row < kRows) {
        c >>= 1;
        ++row;
      }
      for (int ch = 0; ch < kNumElectrodes; ++ch) {
        if (row < kRows) {
          const double v = rng_pink_.uniform(-1.0, 1.0);
          row_sum_[ch] += v - rows_[ch][row];
          rows_[ch][row] = v;
        }
        out[ch][i] += scale * (row_sum_[ch] + rng_pink_.uniform(-1.0, 1.0));
      }
    }
  }

  // Alpha: Ornstein-Uhlenbeck envelope (tau 1.5 s, sd 0.5) and frequency jitter (tau 2 s, sd 0.2 Hz).
  if (opt_.alpha_uv > 0) {
    const double a_env = std::exp(-dt / 1.5), s_env = 0.5 * std::sqrt(1 - a_env * a_env);
    const double a_f = std::exp(-dt / 2.0), s_f = 0.2 * std::sqrt(1 - a_f * a_f);
    const double amp = opt_.alpha_uv * std::sqrt(2.0);  // RMS alpha_uv for a unit mean envelope
    scratch_.resize(size_t(n));
    for (int64_t i = 0; i < n; ++i) {
      const double t = t0 + double(i) * dt;
      alpha_env_ = a_env * alpha_env_ + s_env * rng_alpha_.normal();
      alpha_df_ = a_f * alpha_df_ + s_f * rng_alpha_.normal();
      alpha_phase_ = std::fmod(alpha_phase_ + 2 * kPi * (opt_.alpha_freq_hz + alpha_df_) * dt, 2 * kPi);
      double keep = 1.0;
      for (const auto& [a, b] : suppression_) keep = std::min(keep, 1.0 - interval_weight(t, a, b));
      scratch_[i] = keep * amp * std::max(0.0, 1.0 + alpha_env_) * std::sin(alpha_phase_);
    }
    for (int ch = 0; ch < kNumElectrodes; ++ch) {
      const double w = kAlpha[ch];
      for (int64_t i = 0; i < n; ++i) out[ch][i] += w * scratch_[i];
    }
  }

  // Blinks (sorted by time).
  const double t1 = t0 + double(n) * dt;
  for (const auto& b : blinks_) {
    if (b.t_s >= t1) break;
    if (b.t_s + b.duration_s <= t0) continue;
    const int64_t i0 = std::max<int64_t>(0, int64_t(std::ceil((b.t_s - t0) * fs)));
    const int64_t i1 = std::min<int64_t>(n, int64_t(std::ceil((b.t_s + b.duration_s - t0) * fs)));
    for (int64_t i = i0; i < i1; ++i) {
      const double s = std::sin(kPi * (t0 + double(i) * dt - b.t_s) / b.duration_s);
      const double v = b.amplitude_uv * s * s;
      for (int ch = 0; ch < kNumElectrodes; ++ch) out[ch][i] += kBlink[ch] * v;
    }
  }

  // Muscle bursts (sorted, non-overlapping).
  while (muscle_active_ < muscle_.size() && muscle_[muscle_active_].t_s + muscle_[muscle_active_].duration_s <= t0) {
    ++muscle_active_;
  }
  for (size_t m = muscle_active_; m < muscle_.size(); ++m) {
    const auto& e = muscle_[m];
    if (e.t_s >= t1) break;
    const auto w = muscle_weights(e.side);
    const int64_t i0 = std::max<int64_t>(0, int64_t(std::ceil((e.t_s - t0) * fs)));
    const int64_t i1 = std::min<int64_t>(n, int64_t(std::ceil((e.t_s + e.duration_s - t0) * fs)));
    const double taper = std::min(0.2, 0.5 * e.duration_s);
    for (int ch = 0; ch < kNumElectrodes; ++ch) {
      if (w[ch] == 0) continue;
      auto& st = hp_state_[ch];  // x1, x2, y1, y2
      for (int64_t i = i0; i < i1; ++i) {
        const double tau = t0 + double(i) * dt - e.t_s;
        const double env = std::min({1.0, tau / taper, (e.duration_s - tau) / taper});
        const double x = rng_muscle_[size_t(ch)].normal();
        const double y = hp_b_[0] * x + hp_b_[1] * st[0] + hp_b_[2] * st[1] - hp_a_[1] * st[2] - hp_a_[2] * st[3];
        st[1] = st[0];
        st[0] = x;
        st[3] = st[2];
        st[2] = y;
        out[ch][i] += w[ch] * e.amplitude_uv * hp_norm_ * std::max(0.0, env) * y;
      }
    }
  }

  // Line noise (phase from the whole number of cycles removed, exact over long recordings).
  if (opt_.line_noise_uv > 0) {
    for (int ch = 0; ch < kNumElectrodes; ++ch) {
      const double a = line_amp_[ch], ph = line_phase_[ch];
      for (int64_t i = 0; i < n; ++i) {
        const double cycles = opt_.line_freq_hz * double(pos_ + i) / fs;
        out[ch][i] += a * std::sin(2 * kPi * (cycles - std::floor(cycles)) + ph);
      }
    }
  }
  pos_ += n;
}

}  // namespace efm::sim
