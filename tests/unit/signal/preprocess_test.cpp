#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/signal/normalize.h"
#include "epilepsyfm/signal/preprocess.h"

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::signal {
namespace {

Eigen::MatrixXf run(Preprocessor& pp, const Eigen::MatrixXf& x, int64_t chunk) {
  std::vector<Eigen::MatrixXf> parts;
  int64_t total = 0;
  for (int64_t t = 0; t < x.cols(); t += chunk) {
    parts.push_back(pp.push(x.middleCols(t, std::min(chunk, x.cols() - t))));
    total += parts.back().cols();
  }
  parts.push_back(pp.finish());
  total += parts.back().cols();
  Eigen::MatrixXf out(x.rows(), total);
  int64_t at = 0;
  for (const auto& p : parts) {
    out.middleCols(at, p.cols()) = p;
    at += p.cols();
  }
  return out;
}

Eigen::MatrixXf sine(double freq, double sfreq, int64_t n, double amplitude = 1.0) {
  Eigen::MatrixXf x(1, n);
  for (int64_t t = 0; t < n; ++t) x(0, t) = static_cast<float>(amplitude * std::sin(2 * M_PI * freq * t / sfreq));
  return x;
}

// Amplitude of the `freq` component of y (least squares on sin/cos) over samples [from, to).
double amplitude(const Eigen::MatrixXf& y, double freq, double sfreq, int64_t from, int64_t to) {
  double ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
  for (int64_t t = from; t < to; ++t) {
    const double s = std::sin(2 * M_PI * freq * t / sfreq), c = std::cos(2 * M_PI * freq * t / sfreq);
    ss += s * s;
    cc += c * c;
    sc += s * c;
    ys += y(0, t) * s;
    yc += y(0, t) * c;
  }
  const double det = ss * cc - sc * sc;
  const double a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
  return std::hypot(a, b);
}

TEST(Profiles, ArchitectureTable) {
  const PreprocessOptions e = resolve_profile("epilepsyfm");
  EXPECT_EQ(e.l_freq_hz, 0.5);
  EXPECT_EQ(e.h_freq_hz, 70.0);
  EXPECT_THAT(e.notch_hz, ElementsAre(50.0));
  EXPECT_EQ(e.sfreq_hz, 200.0);
  EXPECT_EQ(e.normalization, config::Normalization::zscore);
  const PreprocessOptions l = resolve_profile("labram");
  EXPECT_EQ(l.l_freq_hz, 0.1);
  EXPECT_EQ(l.h_freq_hz, 75.0);
  EXPECT_THAT(l.notch_hz, ElementsAre(50.0));
  EXPECT_EQ(l.normalization, config::Normalization::scale);
  EXPECT_EQ(l.scale, 0.01);
  EXPECT_FALSE(l.reject_abs_uv.has_value());
  const PreprocessOptions c = resolve_profile("cbramod");
  EXPECT_EQ(c.l_freq_hz, 0.3);
  EXPECT_THAT(c.notch_hz, ElementsAre(60.0));
  EXPECT_EQ(c.scale, 0.01);
  EXPECT_EQ(c.reject_abs_uv, 100.0);
  const PreprocessOptions n = resolve_profile("none");
  EXPECT_TRUE(n.notch_hz.empty());
  EXPECT_EQ(n.normalization, config::Normalization::none);
  EXPECT_THAT([] { resolve_profile("mne"); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "preprocess.profile: allowed values are 'epilepsyfm', 'labram', 'cbramod', 'none', but got 'mne'")));
}

TEST(Profiles, OverridesAndValidation) {
  config::PreprocessConfig cfg;
  cfg.profile = "cbramod";
  cfg.notch_hz = std::vector<double>{50.0};
  cfg.reject_abs_uv = 0.0;  // disables
  cfg.sfreq_hz = 256.0;
  const PreprocessOptions o = resolve_preprocess(cfg);
  EXPECT_EQ(o.profile, "cbramod");
  EXPECT_THAT(o.notch_hz, ElementsAre(50.0));
  EXPECT_FALSE(o.reject_abs_uv.has_value());
  EXPECT_EQ(o.sfreq_hz, 256.0);
  EXPECT_EQ(o.l_freq_hz, 0.3);
  cfg.l_freq_hz = 80.0;
  EXPECT_THAT(
      [&] { resolve_preprocess(cfg); },
      ThrowsMessage<ConfigError>(HasSubstr("preprocess.l_freq_hz (80) must be below preprocess.h_freq_hz (75)")));
}

TEST(Preprocessor, DescribesTheResolvedPipeline) {
  const Preprocessor pp(resolve_profile("epilepsyfm"), 160.0, 4);
  EXPECT_EQ(pp.fir_length(), 1057 + 1057 - 1);
  EXPECT_EQ(pp.resample_up(), 5);
  EXPECT_EQ(pp.resample_down(), 4);
  EXPECT_TRUE(pp.resample_exact());
  EXPECT_THAT(pp.describe(), HasSubstr("band-pass 0.5-70 Hz (MNE firwin hamming, 1057 taps)"));
  EXPECT_THAT(pp.describe(), HasSubstr("notch 50 Hz (1057 taps)"));
  EXPECT_THAT(pp.describe(), HasSubstr("2113-tap zero-phase FIR"));
  EXPECT_THAT(pp.describe(), HasSubstr("resample 160 -> 200 Hz (5/4 (exact), Kaiser 5.0, 101 taps)"));
  // 100 Hz input: nothing above 50 Hz to low-pass or notch.
  const Preprocessor low(resolve_profile("epilepsyfm"), 100.0, 1);
  EXPECT_THAT(low.describe(), HasSubstr("high-pass 0.5 Hz"));
  EXPECT_THAT(low.describe(), HasSubstr("low-pass 70 Hz dropped (input Nyquist 50 Hz)"));
  EXPECT_THAT(low.describe(), HasSubstr("notch 50 Hz dropped (input Nyquist 50 Hz)"));
  EXPECT_EQ(low.output_length(1000), 2000);
  const Preprocessor none(resolve_profile("none"), 200.0, 1);
  EXPECT_EQ(none.fir_length(), 1);
  EXPECT_THAT(none.describe(), HasSubstr("no filter; no resampling"));
}

TEST(Preprocessor, ExactEdfRate) {
  // mne misc sample_ecog.edf: 238 samples per 0.23814 s = 1700000/1701 Hz.
  const Preprocessor exact(resolve_profile("epilepsyfm"), edf_sampling_rate(238, "0.23814"), 2);
  EXPECT_EQ(exact.resample_up(), 1701);
  EXPECT_EQ(exact.resample_down(), 8500);
  EXPECT_TRUE(exact.resample_exact());
  // Bonn EDF header: 4097 samples in 23.59887 s. The exact ratio is too large; the approximation's drift is stated.
  const Preprocessor bonn(resolve_profile("epilepsyfm"), edf_sampling_rate(4097, "23.59887"), 1);
  EXPECT_FALSE(bonn.resample_exact());
  EXPECT_THAT(bonn.describe(), HasSubstr("approximate"));
}

TEST(Preprocessor, OutputLengthAndChunkInvariance) {
  std::mt19937 rng(4);
  std::normal_distribution<float> dist(0.0f, 30.0f);
  Eigen::MatrixXf x(6, 7001);
  for (int64_t t = 0; t < x.cols(); ++t) {
    for (int c = 0; c < 6; ++c) x(c, t) = dist(rng);
  }
  for (double sfreq : {160.0, 256.0, 173.61, 1000.0}) {
    SCOPED_TRACE(sfreq);
    Preprocessor whole_pp(resolve_profile("epilepsyfm"), sfreq, 6);
    const Eigen::MatrixXf whole = run(whole_pp, x, x.cols());
    EXPECT_EQ(whole.cols(), whole_pp.output_length(x.cols()));
    ThreadPool pool(2);
    Preprocessor pp(resolve_profile("epilepsyfm"), sfreq, 6, &pool);
    EXPECT_EQ(run(pp, x, 997), whole);
  }
  // Chunks of 1 and 7 samples (160 Hz): identical output.
  Preprocessor whole_pp(resolve_profile("epilepsyfm"), 160.0, 6);
  const Eigen::MatrixXf whole = run(whole_pp, x, x.cols());
  for (int64_t chunk : {1, 7}) {
    Preprocessor pp(resolve_profile("epilepsyfm"), 160.0, 6);
    EXPECT_EQ(run(pp, x, chunk), whole) << chunk;
  }
}

TEST(Preprocessor, ChannelGroupsOnAPoolGiveTheSameOutput) {
  std::mt19937 rng(6);
  std::normal_distribution<float> dist(0.0f, 30.0f);
  Eigen::MatrixXf x(40, 3000);  // 40 channels, 2 threads: groups of 16 and 24 channels
  for (int64_t t = 0; t < x.cols(); ++t) {
    for (int c = 0; c < 40; ++c) x(c, t) = dist(rng) + static_cast<float>(c);
  }
  Preprocessor serial(resolve_profile("epilepsyfm"), 256.0, 40);
  const Eigen::MatrixXf a = run(serial, x, 1000);
  ThreadPool pool(1);
  Preprocessor parallel(resolve_profile("epilepsyfm"), 256.0, 40, &pool);
  const Eigen::MatrixXf b = run(parallel, x, 1000);
  ASSERT_EQ(a.cols(), b.cols());
  // Same per-channel arithmetic (channels keep their FFT lane width here); allow FMA-contraction differences.
  EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-6f * a.cwiseAbs().maxCoeff());
  const ChannelStats sa = serial.stats(), sb = parallel.stats();
  ASSERT_EQ(sb.mean_uv.size(), 40u);
  for (size_t c = 0; c < 40; ++c) EXPECT_NEAR(sa.std_uv[c], sb.std_uv[c], 1e-6 * sa.std_uv[c]);
}

TEST(Preprocessor, SineAmplitudeAndLineNoise) {
  for (double sfreq : {160.0, 250.0, 256.0, 512.0}) {
    SCOPED_TRACE(sfreq);
    const int64_t n = static_cast<int64_t>(60 * sfreq);
    Preprocessor pass(resolve_profile("epilepsyfm"), sfreq, 1);
    const Eigen::MatrixXf y10 = run(pass, sine(10.0, sfreq, n), 4096);
    const int64_t m = y10.cols();
    // 10 Hz amplitude. Measured: 0.99977 (160 Hz), 1.0013 (250, 256, 512 Hz). The 0.1 % goal of the issue is not
    // met by the reference tools themselves: SciPy's resample_poly Kaiser(5) design has +0.13 % gain at 10 Hz and
    // MNE's 0.5-70 Hz Hamming band-pass -0.13 % at 160 Hz (scipy.signal.freqz of their kernels); we match both, so
    // the bound asserted is 0.2 %.
    EXPECT_NEAR(amplitude(y10, 10.0, 200.0, m / 10, m - m / 10), 1.0, 2e-3);
    Preprocessor stop(resolve_profile("epilepsyfm"), sfreq, 1);
    const Eigen::MatrixXf y50 = run(stop, sine(50.0, sfreq, n), 4096);
    // 50 Hz line noise: measured -55.8 to -56.0 dB (Hamming stop band, MNE notch design); the issue asks >= 40 dB.
    const double att = 20 * std::log10(amplitude(y50, 50.0, 200.0, m / 10, m - m / 10));
    EXPECT_LT(att, -50.0);
    std::cout << "[signal] " << sfreq << " Hz: 50 Hz attenuation " << att << " dB, 10 Hz gain "
              << amplitude(y10, 10.0, 200.0, m / 10, m - m / 10) << "\n";
  }
}

TEST(Preprocessor, StatisticsMatchTheOutput) {
  std::mt19937 rng(8);
  std::normal_distribution<float> dist(0.0f, 25.0f);
  Eigen::MatrixXf x(3, 6000);
  for (int64_t t = 0; t < x.cols(); ++t) {
    for (int c = 0; c < 3; ++c) x(c, t) = dist(rng) * static_cast<float>(c + 1);
  }
  Preprocessor pp(resolve_profile("none"), 250.0, 3);
  const Eigen::MatrixXf y = run(pp, x, 777);
  const ChannelStats s = pp.stats();
  ASSERT_EQ(s.count, y.cols());
  for (int c = 0; c < 3; ++c) {
    const Eigen::ArrayXd row = y.row(c).cast<double>().transpose().array();
    const double mean = row.mean();
    const double sd = std::sqrt((row - mean).square().mean());
    EXPECT_NEAR(s.mean_uv[static_cast<size_t>(c)], mean, 1e-9 * sd);
    EXPECT_NEAR(s.std_uv[static_cast<size_t>(c)], sd, 1e-9 * sd);
    EXPECT_EQ(s.max_abs_uv[static_cast<size_t>(c)], row.abs().maxCoeff());
  }
  // Large offset: chunked two-pass + pairwise merge keeps full precision (a naive sum of squares would not).
  StatsAccumulator acc(1);
  for (int k = 0; k < 100; ++k)
    acc.add(Eigen::MatrixXf::Constant(1, 1000, 1e6f) + Eigen::MatrixXf::Constant(1, 1000, k % 2 ? 1.0f : -1.0f));
  EXPECT_NEAR(acc.stats().std_uv[0], 1.0, 1e-12);
  EXPECT_NEAR(acc.stats().mean_uv[0], 1e6, 1e-6);
}

TEST(Preprocessor, Errors) {
  Preprocessor pp(resolve_profile("epilepsyfm"), 256.0, 2);
  Eigen::MatrixXf x = Eigen::MatrixXf::Zero(2, 10);
  x(1, 5) = std::nanf("");
  EXPECT_THAT([&] { pp.push(x); },
              ThrowsMessage<DataError>(HasSubstr("channel 1 has a non-finite value (nan) at sample 5")));
  // With a pool the groups check their own channels; the message still names the first bad value in time order.
  ThreadPool pool(1);
  Preprocessor grouped(resolve_profile("epilepsyfm"), 256.0, 40, &pool);
  grouped.push(Eigen::MatrixXf::Zero(40, 100));
  Eigen::MatrixXf y = Eigen::MatrixXf::Zero(40, 50);
  y(35, 9) = std::numeric_limits<float>::infinity();
  y(3, 12) = std::nanf("");
  EXPECT_THAT([&] { grouped.push(y); },
              ThrowsMessage<DataError>(HasSubstr("channel 35 has a non-finite value (inf) at sample 109")));
  EXPECT_THAT([&] { pp.push(Eigen::MatrixXf::Zero(3, 10)); },
              ThrowsMessage<ArgumentError>(HasSubstr("chunk has 3 channels, expected 2")));
  EXPECT_THAT([] { Preprocessor(resolve_profile("epilepsyfm"), 0.0, 2); },
              ThrowsMessage<ArgumentError>(HasSubstr("input rate must be > 0")));
  PreprocessOptions hp = resolve_profile("epilepsyfm");
  hp.l_freq_hz = 60.0;
  hp.h_freq_hz = 0.0;
  EXPECT_THAT(
      [&] { Preprocessor(hp, 100.0, 1); },
      ThrowsMessage<ConfigError>(HasSubstr("preprocess.l_freq_hz (60 Hz) must be below the Nyquist frequency")));
}

TEST(Normalize, ZscoreScaleNoneAndRejection) {
  ChannelStats s;
  s.mean_uv = {10.0, 0.0};
  s.std_uv = {2.0, 0.0};  // flat second channel
  Eigen::MatrixXf w(2, 2);
  w << 12, 8, 5, 5;
  PreprocessOptions o = resolve_profile("epilepsyfm");
  Eigen::MatrixXf z = w;
  normalize_in_place(z, o, s);
  EXPECT_FLOAT_EQ(z(0, 0), 1.0f);
  EXPECT_FLOAT_EQ(z(0, 1), -1.0f);
  EXPECT_FLOAT_EQ(z(1, 0), static_cast<float>(5.0 / kMinStdUv));
  o = resolve_profile("labram");
  Eigen::MatrixXf sc = w;
  normalize_in_place(sc, o, s);
  EXPECT_FLOAT_EQ(sc(0, 0), 0.12f);
  o = resolve_profile("cbramod");
  EXPECT_FALSE(exceeds_rejection(w, o));
  w(1, 1) = -100.0f;
  EXPECT_TRUE(exceeds_rejection(w, o));
  EXPECT_FALSE(exceeds_rejection(w, resolve_profile("labram")));
  ChannelStats wrong;
  wrong.mean_uv = {0.0};
  wrong.std_uv = {1.0};
  EXPECT_THAT([&] { normalize_in_place(w, resolve_profile("epilepsyfm"), wrong); },
              ThrowsMessage<ArgumentError>(HasSubstr("statistics for 1 channels, window has 2")));
}

}  // namespace
}  // namespace efm::signal
