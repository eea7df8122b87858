#include "epilepsyfm/simulate/neural_mass.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "epilepsyfm/core/error.h"
#include "signal_stats.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::sim {
namespace {

using test::band_power;
using test::freq_grid;
using test::peak_frequency;
using test::stddev;
using test::welch;

// One isolated population held at `gains`: 30 s at 1024 Hz, decimated to 256 Hz.
std::vector<double> simulate_single(const WendlingGains& gains, uint64_t seed, double seconds = 20.0) {
  NetworkSchedule sch;
  sch.gains = {{GainKnot{0.0, gains}}};
  NeuralMassNetwork net(NeuralMassOptions{}, Eigen::MatrixXd::Zero(1, 1), sch, /*decimation=*/4, seed);
  std::vector<std::vector<double>> out;
  net.next(int64_t(seconds * 256), out);
  return out[0];
}

struct RegimeStats {
  double sd_mv, peak_hz;
};

RegimeStats stats(const std::vector<double>& x) {
  const size_t skip = 2 * 256;              // transient
  const auto f = freq_grid(1.0, 30, 0.25);  // from 1 Hz: the pipeline high-passes at 0.5 Hz anyway
  const auto p = welch(x, skip, x.size(), 256, f);
  return {stddev(x, skip, x.size()), peak_frequency(p, f)};
}

TEST(NeuralMass, PspPropagatorIsTheExactSolution) {
  // y'' = k w - 2k y' - k^2 y with w constant, from (y, y') = (0.5, -2), over one step; reference: RK4 with 10^4
  // sub-steps (error ~1e-15 at this step size).
  const double k = 100, dt = 1.0 / 1024, w = 3.0;
  const auto P = psp_propagator(k, dt);
  const double y1 = P[0] * 0.5 + P[1] * -2.0 + P[4] * w, yd1 = P[2] * 0.5 + P[3] * -2.0 + P[5] * w;
  double y = 0.5, yd = -2.0;
  const int n = 10000;
  const double h = dt / n;
  auto f = [&](double a, double b) { return std::pair<double, double>{b, k * w - 2 * k * b - k * k * a}; };
  for (int i = 0; i < n; ++i) {
    const auto [a1, b1] = f(y, yd);
    const auto [a2, b2] = f(y + h / 2 * a1, yd + h / 2 * b1);
    const auto [a3, b3] = f(y + h / 2 * a2, yd + h / 2 * b2);
    const auto [a4, b4] = f(y + h * a3, yd + h * b3);
    y += h / 6 * (a1 + 2 * a2 + 2 * a3 + a4);
    yd += h / 6 * (b1 + 2 * b2 + 2 * b3 + b4);
  }
  EXPECT_NEAR(y1, y, 1e-12);
  EXPECT_NEAR(yd1, yd, 1e-9);
  // Static gain: y -> w / k (the PSP kernel's steady state).
  double ys = 0, yds = 0;
  for (int i = 0; i < 5000; ++i) {
    const double yn = P[0] * ys + P[1] * yds + P[4] * w;
    yds = P[2] * ys + P[3] * yds + P[5] * w;
    ys = yn;
  }
  EXPECT_NEAR(ys, w / k, 1e-12);
}

TEST(NeuralMass, DecimationFilterIsFlatInBandAndStopsAliases) {
  NetworkSchedule sch;
  sch.gains = {{GainKnot{}}};
  NeuralMassNetwork net(NeuralMassOptions{}, Eigen::MatrixXd::Zero(1, 1), sch, 4, 1);
  const auto& h = net.fir();
  ASSERT_EQ(h.size(), 129u);  // 32 x 4 + 1
  auto gain = [&](double f_hz) {
    std::complex<double> s = 0;
    for (size_t k = 0; k < h.size(); ++k) s += h[k] * std::polar(1.0, -2 * 3.14159265358979 * f_hz / 1024 * double(k));
    return std::abs(s);
  };
  EXPECT_NEAR(gain(0), 1.0, 1e-12);
  for (double f = 0; f <= 70; f += 1) EXPECT_NEAR(gain(f), 1.0, 0.01) << f << " Hz";  // pass band, < 0.1 dB
  for (double f = 128; f <= 512; f += 1) EXPECT_LT(gain(f), 2e-4) << f << " Hz";      // aliases: < -74 dB
}

TEST(NeuralMass, ActivityTypesOfWendling2002) {
  // Bands and amplitudes measured with this integrator (sd in mV of v = y1 - y2 - y3; peak of the 0.5-40 Hz Welch
  // spectrum, 0.25 Hz grid): background 0.27 mV broadband; low-voltage fast 0.27 mV at 15.5 Hz and quasi-sinusoidal
  // 4.0 mV at 10.5 Hz (Wendling 2002 Fig. 4 types 5 and 6: "low-voltage rapid" and "slow quasi-sinusoidal"
  // activity); propagated 1.7 mV at 11.25 Hz; rhythmic spikes 6.0 mV at 4 Hz; spike-and-wave 5.9 mV at 3.25 Hz;
  // post-ictal 0.20 mV. The bounds leave room for other seeds, not for a change of activity type.
  const auto bg = stats(simulate_single(regimes::kBackground, 11));
  const auto lvfa = stats(simulate_single(regimes::kLowVoltageFast, 12));
  const auto qs = stats(simulate_single(regimes::kQuasiSinusoidal, 13));
  const auto prop = stats(simulate_single(regimes::kPropagated, 14));
  const auto rs = stats(simulate_single(regimes::kRhythmicSpikes, 15));
  const auto swd = stats(simulate_single(regimes::kSpikeWave3Hz, 16));
  const auto post = stats(simulate_single(regimes::kPostictal, 17));
  EXPECT_LT(bg.sd_mv, 0.4);
  EXPECT_LT(lvfa.sd_mv, 0.4);
  EXPECT_GE(lvfa.peak_hz, 12.0);
  EXPECT_LE(lvfa.peak_hz, 20.0);
  EXPECT_GT(qs.sd_mv, 3.0);
  EXPECT_GE(qs.peak_hz, 9.5);
  EXPECT_LE(qs.peak_hz, 12.0);
  EXPECT_GT(prop.sd_mv, 1.0);
  EXPECT_LT(prop.sd_mv, 2.5);
  EXPECT_GE(prop.peak_hz, 9.5);
  EXPECT_LE(prop.peak_hz, 12.0);
  EXPECT_GT(rs.sd_mv, 4.0);
  EXPECT_GE(rs.peak_hz, 3.5);
  EXPECT_LE(rs.peak_hz, 5.0);
  EXPECT_GT(swd.sd_mv, 4.0);
  EXPECT_GE(swd.peak_hz, 2.75);
  EXPECT_LE(swd.peak_hz, 3.5);
  EXPECT_LT(post.sd_mv, 0.85 * bg.sd_mv);
}

TEST(NeuralMass, SameSeedSameOutputOtherSeedOther) {
  const auto a = simulate_single(regimes::kBackground, 5, 4.0);
  const auto b = simulate_single(regimes::kBackground, 5, 4.0);
  const auto c = simulate_single(regimes::kBackground, 6, 4.0);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(NeuralMass, StreamingInChunksEqualsOneCall) {
  NetworkSchedule sch;
  sch.gains = {{GainKnot{0, regimes::kBackground}, GainKnot{1.0, regimes::kQuasiSinusoidal}},
               {GainKnot{0, regimes::kBackground}}};
  const Eigen::MatrixXd K = Eigen::MatrixXd::Constant(2, 2, 1.0);
  NeuralMassNetwork one(NeuralMassOptions{}, K, sch, 4, 9),
      chunks(NeuralMassNetwork(NeuralMassOptions{}, K, sch, 4, 9));
  std::vector<std::vector<double>> a, b;
  one.next(1000, a);
  for (int n : {1, 7, 256, 300, 436}) chunks.next(n, b);
  EXPECT_EQ(a, b);
}

TEST(NeuralMass, SharedInputSynchronisesRegions) {
  auto corr = [](double rho) {
    NetworkSchedule sch;
    sch.gains = {{GainKnot{0, regimes::kSpikeWave3Hz}}, {GainKnot{0, regimes::kSpikeWave3Hz}}};
    sch.shared_input = {{0.0, rho}};
    NeuralMassNetwork net(NeuralMassOptions{}, Eigen::MatrixXd::Zero(2, 2), sch, 4, 21);
    std::vector<std::vector<double>> out;
    net.next(20 * 256, out);
    return test::correlation(out[0], out[1], 4 * 256, out[0].size());
  };
  // Independent inputs: the two limit cycles drift apart; common input (90% for generalised seizures, 98% for
  // absences) locks them.
  const double c0 = corr(0.0), c90 = corr(0.9), c98 = corr(0.98);
  EXPECT_LT(std::fabs(c0), 0.35);
  EXPECT_GT(c90, 0.5);
  EXPECT_GT(c98, 0.8);
}

TEST(NeuralMass, RejectsInvalidSchedulesAndCoupling) {
  NetworkSchedule bad;
  bad.gains = {{GainKnot{2.0, {}}, GainKnot{1.0, {}}}};
  EXPECT_THAT([&] { NeuralMassNetwork(NeuralMassOptions{}, Eigen::MatrixXd::Zero(1, 1), bad, 4, 1); },
              ThrowsMessage<ArgumentError>(HasSubstr("knot 1 at 1 s precedes knot 0 at 2 s")));
  NetworkSchedule ok;
  ok.gains = {{GainKnot{}}};
  EXPECT_THAT([&] { NeuralMassNetwork(NeuralMassOptions{}, Eigen::MatrixXd::Zero(2, 2), ok, 4, 1); },
              ThrowsMessage<ArgumentError>(HasSubstr("schedule has 1 regions; the coupling matrix has 2")));
  EXPECT_THAT([&] { NeuralMassNetwork(NeuralMassOptions{}, Eigen::MatrixXd::Constant(1, 1, -1.0), ok, 4, 1); },
              ThrowsMessage<ArgumentError>(HasSubstr("coupling weights must be >= 0")));
  ok.shared_input = {{0.0, 1.5}};
  EXPECT_THAT([&] { NeuralMassNetwork(NeuralMassOptions{}, Eigen::MatrixXd::Zero(1, 1), ok, 4, 1); },
              ThrowsMessage<ArgumentError>(HasSubstr("shared_input knot 0 value 1.5 must be in [0, 1]")));
}

}  // namespace
}  // namespace efm::sim
