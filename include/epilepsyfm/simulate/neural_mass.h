#pragma once
/// The neural-mass model behind `epilepsyfm simulate`: one Wendling population per brain region, coupled through a
/// connectivity matrix, integrated at a fixed step and decimated to the output rate.
///
/// Model (Wendling, Bartolomei, Bellanger & Chauvel 2002, "Epileptic fast activity can be explained by a model of
/// impaired GABAergic dendritic inhibition", Eur J Neurosci 15:1499-1508), an extension of Jansen & Rit 1995
/// (Biol Cybern 73:357-366) with a fast somatic GABA_A,fast inhibitory loop. Per population (mV, s):
///   y0'' = A a S(y1 - y2 - y3)                  - 2a y0' - a^2 y0   pyramidal -> interneurons
///   y1'' = A a [p(t) + C2 S(C1 y0) + u(t)]      - 2a y1' - a^2 y1   excitatory feedback (+ input, + coupling u)
///   y2'' = B b C4 S(C3 y0)                      - 2b y2' - b^2 y2   slow dendritic inhibition (GABA_A,slow)
///   y3'' = G g C7 S(C5 y0 - C6 y4)              - 2g y3' - g^2 y3   fast somatic inhibition (GABA_A,fast)
///   y4'' = B b S(C3 y0)                         - 2b y4' - b^2 y4   slow -> fast interneuron inhibition
///   S(v) = 2 e0 / (1 + exp(r (v0 - v)));  output (the "EEG" of the population) v = y1 - y2 - y3.
/// Constants (Wendling 2002, Table 1): a = 100 /s, b = 50 /s, g = 500 /s, C = 135, C1 = C, C2 = 0.8 C,
/// C3 = C4 = 0.25 C, C5 = 0.3 C, C6 = 0.1 C, C7 = 0.8 C, e0 = 2.5 /s, v0 = 6 mV, r = 0.56 /mV; p(t) Gaussian,
/// mean 90, standard deviation 30 pulses/s. The synaptic gains A (excitation), B (slow inhibition) and G (fast
/// inhibition) set the activity type and are the parameters that seizures move along a path (see regimes below).
///
/// Coupling (Wendling, Bellanger, Bartolomei & Chauvel 2000, Biol Cybern 83:367-378): each region's pyramidal
/// firing S(v) passes through a second-order delay kernel with rate a_d = a/3 (normalised here to unit static gain)
/// and enters the excitatory input of the regions it projects to, weighted by the coupling matrix K (pulses/s per
/// spike/s).
///
/// Integration: exponential (exact) update of every linear second-order PSP block over one step with its input held
/// constant (the "exponential Euler" scheme), which is unconditionally stable for the stiff g = 500 /s loop; the
/// sigmoids and p(t) are evaluated once per step. p(t) is drawn per step with its standard deviation rescaled by
/// sqrt(rate / 512 Hz) so that its spectral density equals that of N(90, 30) drawn at 512 Hz (the sampling rate of
/// Wendling's simulations), whatever the integration rate. A fraction rho(t) of the noise can be shared by all
/// regions (common drive, used for generalised seizures, which synchronises the populations).
/// Output: the integration-rate output is low-pass filtered by a windowed-sinc FIR (Blackman window, 32 x M + 1
/// taps for decimation M, cutoff 0.4 x output rate, >= 74 dB stop band from the output Nyquist frequency; zero
/// phase) and decimated by M.
#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "epilepsyfm/simulate/rng.h"

namespace efm::sim {

/// Average synaptic gains of one population, in mV.
struct WendlingGains {
  double A = 3.25;  ///< excitatory
  double B = 22.0;  ///< slow dendritic inhibitory
  double G = 10.0;  ///< fast somatic inhibitory
};

/// Points of the (A, B, G) space used by the seizure paths. Activity types from Wendling 2002 Fig. 4 (A = 5 mV);
/// the others were chosen here and measured with this integrator (1024 Hz, p ~ N(90, 30)), as noted.
namespace regimes {
/// Normal background. A is lowered from Wendling's 5 mV so that a region stays in the background regime for inputs
/// up to ~150 pulses/s (measured; it starts spiking at ~170), i.e. when seizing neighbours drive it through the
/// coupling (which must stay weak: a seizing region fires at ~4 spikes/s, so coupling x 4 x neighbours is the extra
/// input).
inline constexpr WendlingGains kBackground{4.0, 45.0, 15.0};
/// Interictal spike (Wendling 2002 types 2-3 lie between B = 40 and B = 25 at A = 5; a brief excursion to this point
/// fires one spike-wave complex).
inline constexpr WendlingGains kSpike{5.0, 30.0, 15.0};
/// Low-voltage rapid discharges of seizure onset (Wendling 2002 type 5: A = 5, B = 5, G = 25), ~15 Hz.
inline constexpr WendlingGains kLowVoltageFast{5.0, 5.0, 25.0};
/// Slow quasi-sinusoidal ictal rhythm (Wendling 2002 type 6: A = 5, B = 15, G = 0), ~10.5 Hz, large amplitude.
inline constexpr WendlingGains kQuasiSinusoidal{5.0, 15.0, 0.0};
/// Late ictal rhythmic spikes, ~4 Hz (between Wendling 2002 type 3, B = 25, and type 2, B = 40).
inline constexpr WendlingGains kRhythmicSpikes{5.0, 30.0, 15.0};
/// Sustained ~3.1 Hz spike-and-wave discharge (measured: peak 3.1 Hz at B = 36, 3.4 Hz at B = 34), used for
/// absence seizures.
inline constexpr WendlingGains kSpikeWave3Hz{5.0, 36.0, 15.0};
/// Propagated ictal rhythm in recruited regions: ~11 Hz, about half the amplitude of kQuasiSinusoidal (measured:
/// output SD 1.6-1.8 mV vs 3.9 mV for inputs of 90-170 pulses/s).
inline constexpr WendlingGains kPropagated{4.2, 15.0, 10.0};
/// Post-ictal state: reduced excitability (A = 3 mV) with raised slow and weak fast inhibition; quiet (output SD
/// ~0.2 mV vs ~0.26 mV in the background, i.e. mild suppression) for inputs up to at least 170 pulses/s. In its
/// quiet regimes the model's spectrum is shaped by the PSP kernels and does not slow down, so the post-ictal
/// slowing itself is added phenomenologically (simulate.h: decaying delta-band activity in the involved regions).
inline constexpr WendlingGains kPostictal{3.0, 30.0, 5.0};
}  // namespace regimes

struct NeuralMassOptions {
  double rate_hz = 1024.0;                ///< integration rate
  double a = 100.0, b = 50.0, g = 500.0;  ///< PSP rates, 1/s (Wendling 2002)
  double ad = 100.0 / 3.0;                ///< coupling delay-kernel rate, 1/s (a/3, Wendling 2000)
  double C = 135.0;
  double c1 = 1.0, c2 = 0.8, c3 = 0.25, c4 = 0.25, c5 = 0.3, c6 = 0.1, c7 = 0.8;  ///< C_i = c_i x C
  double e0 = 2.5, v0 = 6.0, r = 0.56;                                            ///< sigmoid
  double input_mean = 90.0;                                                       ///< pulses/s
  double input_std = 30.0;                                                        ///< pulses/s at the reference rate
  double input_reference_hz = 512.0;  ///< rate at which input_std is defined
};

/// A knot of a piecewise-linear time course; values are held constant before the first and after the last knot.
struct GainKnot {
  double t_s = 0;
  WendlingGains gains;
};
struct ScalarKnot {
  double t_s = 0;
  double value = 0;
};

/// Time courses of the network's parameters. Knots must be sorted by time (equal times allowed: a step change).
struct NetworkSchedule {
  std::vector<std::vector<GainKnot>> gains;  ///< per region; at least one knot each
  std::vector<ScalarKnot> shared_input;      ///< fraction in [0, 1] of the input noise common to all regions
};

/// The coupled network, streamed: `next(n)` returns the next n output samples of every region.
class NeuralMassNetwork {
 public:
  /// @param coupling [regions, regions]: K(i, j) = input to region i per unit of delayed firing of region j (>= 0).
  /// @param decimation output rate = options.rate_hz / decimation (>= 1).
  /// @param start_s time of the first output sample; the state is first relaxed from rest over `burn_in_s`
  ///        seconds (with the parameters of the schedule at that time), which is discarded.
  NeuralMassNetwork(const NeuralMassOptions& options, Eigen::MatrixXd coupling, NetworkSchedule schedule,
                    int decimation, uint64_t seed, double start_s = 0.0, double burn_in_s = 5.0);

  int n_regions() const { return n_; }
  double output_rate_hz() const { return opt_.rate_hz / decim_; }
  /// Appends the next `n` output samples (mV, v = y1 - y2 - y3 after the anti-aliasing filter) of region r to
  /// out[r] (out is resized to n_regions()).
  void next(int64_t n, std::vector<std::vector<double>>& out);
  /// The decimation filter taps (length 32 x decimation + 1, unit DC gain; a single tap 1 when decimation is 1).
  const std::vector<double>& fir() const { return fir_; }

 private:
  // Advances n_steps integration steps; when `record`, appends v of every region per step to buffer_.
  void integrate_steps(int64_t n_steps, bool record);

  NeuralMassOptions opt_;
  int n_;
  Eigen::MatrixXd k_;
  NetworkSchedule schedule_;
  int decim_;
  Rng rng_;
  double dt_;
  int64_t step_;  // index of the next integration step; time = step_ * dt_
  // State, structure of arrays: y0..y4 and the coupling kernel z (index 5), with derivatives.
  std::vector<double> y_[6], yd_[6];
  // Exact one-step propagators of y'' = k w - 2k y' - k^2 y for k = a, b, g, ad: [y, y'] <- P [y, y'] + Q w.
  struct Propagator {
    double p00, p01, p10, p11, q0, q1;
  };
  Propagator pa_, pb_, pg_, pd_;
  std::vector<size_t> knot_;  // current knot per region
  size_t rho_knot_ = 0;
  double noise_scale_;
  // Decimation: raw outputs interleaved [step][region], starting at global step buffer_start_.
  std::vector<double> fir_;
  int64_t half_;  // (taps - 1) / 2
  std::vector<double> buffer_;
  int64_t buffer_start_ = 0;
  int64_t origin_ = 0;    // step index of output sample 0
  int64_t next_out_ = 0;  // index of the next output sample
  std::vector<double> gA_, gB_, gG_, arg_, sig_, w_, coupling_, noise_;
};

/// Exact propagator of the critically damped PSP block y'' = k w - 2k y' - k^2 y over one step dt with w held
/// constant (exposed for tests): returns {p00, p01, p10, p11, q0, q1}.
std::vector<double> psp_propagator(double k, double dt);

}  // namespace efm::sim
