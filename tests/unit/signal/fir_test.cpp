#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/signal/filter_design.h"
#include "epilepsyfm/signal/fir.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::signal {
namespace {

Eigen::MatrixXf random_signal(int channels, int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 20.0f);
  Eigen::MatrixXf x(channels, n);
  for (int64_t t = 0; t < n; ++t) {
    for (int c = 0; c < channels; ++c) x(c, t) = dist(rng) + 30.0f * static_cast<float>(c % 3);  // offsets per channel
  }
  return x;
}

// Direct O(n L) zero-phase filtering in double with MNE's reflect_limited padding (mne/cuda.py _smart_pad).
Eigen::MatrixXd reference_filter(const std::vector<double>& h, const Eigen::MatrixXf& x) {
  const int64_t n = x.cols(), L = static_cast<int64_t>(h.size()), D = (L - 1) / 2;
  const int64_t edge = std::min(L, n) - 1;
  Eigen::MatrixXd y(x.rows(), n);
  for (int c = 0; c < x.rows(); ++c) {
    auto ext = [&](int64_t i) -> double {
      if (i >= 0 && i < n) return x(c, i);
      if (i < 0) return -i <= edge ? 2.0 * x(c, 0) - x(c, -i) : 0.0;
      const int64_t k = i - (n - 1);
      return k <= edge ? 2.0 * x(c, n - 1) - x(c, n - 1 - k) : 0.0;
    };
    for (int64_t t = 0; t < n; ++t) {
      double acc = 0;
      for (int64_t k = 0; k < L; ++k) acc += h[static_cast<size_t>(k)] * ext(t + D - k);
      y(c, t) = acc;
    }
  }
  return y;
}

Eigen::MatrixXf run_chunks(ZeroPhaseFir& fir, const Eigen::MatrixXf& x, int64_t chunk) {
  std::vector<Eigen::MatrixXf> parts;
  int64_t total = 0;
  for (int64_t t = 0; t < x.cols(); t += chunk) {
    parts.push_back(fir.push(x.middleCols(t, std::min(chunk, x.cols() - t))));
    total += parts.back().cols();
    EXPECT_LE(fir.samples_out(), fir.samples_in());
  }
  parts.push_back(fir.finish());
  total += parts.back().cols();
  Eigen::MatrixXf out(x.rows(), total);
  int64_t at = 0;
  for (const auto& p : parts) {
    out.middleCols(at, p.cols()) = p;
    at += p.cols();
  }
  return out;
}

double relative_error(const Eigen::MatrixXf& ours, const Eigen::MatrixXd& ref) {
  return (ours.cast<double>() - ref).cwiseAbs().maxCoeff() / ref.cwiseAbs().maxCoeff();
}

TEST(ZeroPhaseFir, MatchesDirectConvolutionWithReflectLimitedPadding) {
  const auto h = design_fir_filter(160.0, 0.5, 70.0);  // 1057 taps
  // n >= L, (L-1)/2 < n < L, n <= (L-1)/2, tiny.
  for (int64_t n : {3000, 800, 400, 5, 2, 1}) {
    SCOPED_TRACE(n);
    const Eigen::MatrixXf x = random_signal(3, n, 7);
    ZeroPhaseFir fir(h, 3);
    const Eigen::MatrixXf y = run_chunks(fir, x, 1000);
    ASSERT_EQ(y.cols(), n);
    // float32 data and FFT vs double direct sums: ~1e-7 of the signal scale; 2e-6 catches any padding/alignment slip.
    EXPECT_LT(relative_error(y, reference_filter(h, x)), 2e-6);
  }
}

TEST(ZeroPhaseFir, StreamingIsInvariantToChunking) {
  const auto h = design_notch_filter(250.0, {50.0, 100.0});
  const Eigen::MatrixXf x = random_signal(19, 4000, 3);
  ZeroPhaseFir whole_fir(h, 19);
  const Eigen::MatrixXf whole = run_chunks(whole_fir, x, x.cols());
  for (int64_t chunk : {1, 7, 1000}) {
    SCOPED_TRACE(chunk);
    ZeroPhaseFir fir(h, 19);
    // The FFT blocks sit at the same stream positions whatever the chunking: outputs are bit-identical.
    EXPECT_EQ(run_chunks(fir, x, chunk), whole);
  }
}

TEST(ZeroPhaseFir, ChannelPackingAndThreadsDoNotChangeResults) {
  const auto h = design_fir_filter(256.0, 1.0, 40.0);
  const Eigen::MatrixXf x = random_signal(37, 3000, 5);  // 16 + 16 + 5 channels: wide and narrow packs
  const Eigen::MatrixXf all = filter_zero_phase(h, x);
  ThreadPool pool(2);
  EXPECT_EQ(filter_zero_phase(h, x, &pool), all);
  for (int c : {0, 15, 16, 33, 36}) {
    const Eigen::MatrixXf one = filter_zero_phase(h, x.row(c));
    // Lane width may differ (8 vs 4 lanes): same operations per lane, at most FMA contraction differences.
    EXPECT_LT((one - all.row(c)).cwiseAbs().maxCoeff(), 1e-6f * all.row(c).cwiseAbs().maxCoeff()) << c;
  }
  FirOptions big;
  big.fft_size = 16384;
  ZeroPhaseFir fir(h, 37, big);
  EXPECT_EQ(fir.fft_size(), 16384);
  EXPECT_LT(relative_error(run_chunks(fir, x, 500), all.cast<double>()), 1e-6);
}

TEST(ZeroPhaseFir, LookAheadAndCounts) {
  const auto h = design_fir_filter(160.0, 0.5, 70.0);
  ZeroPhaseFir fir(h, 2);
  EXPECT_EQ(fir.kernel_length(), 1057);
  EXPECT_EQ(fir.delay_samples(), 528);
  // Nothing can be final before D look-ahead samples and a full FFT block.
  EXPECT_EQ(fir.push_outputs(500), 0);
  EXPECT_EQ(fir.push(Eigen::MatrixXf::Ones(2, 500)).cols(), 0);
  const int64_t predicted = fir.push_outputs(20000);
  const Eigen::MatrixXf rest = fir.push(Eigen::MatrixXf::Ones(2, 20000));
  EXPECT_GT(rest.cols(), 0);
  EXPECT_EQ(rest.cols(), predicted);
  EXPECT_LE(fir.samples_out(), 20500 - 528);
  const Eigen::MatrixXf tail = fir.finish();
  EXPECT_EQ(rest.cols() + tail.cols(), 20500);
  EXPECT_EQ(fir.samples_out(), 20500);
  // A constant passes a band-pass as ~0 everywhere, ends included (odd reflection of a constant is the constant).
  EXPECT_LT(tail.cwiseAbs().maxCoeff(), 1e-4f);
  EXPECT_THAT([&] { fir.push(Eigen::MatrixXf::Ones(2, 1)); },
              ThrowsMessage<ArgumentError>(HasSubstr("push called after finish()")));
}

TEST(ZeroPhaseFir, ArgumentErrors) {
  EXPECT_THAT(
      [] {
        ZeroPhaseFir({1.0, 2.0}, 1);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("kernel length must be odd for zero phase, got 2")));
  FirOptions bad;
  bad.fft_size = 1000;
  EXPECT_THAT([&] { ZeroPhaseFir(std::vector<double>(101, 0.01), 1, bad); },
              ThrowsMessage<ArgumentError>(HasSubstr("fft_size must be a power of two")));
  ZeroPhaseFir fir(std::vector<double>(11, 0.1), 4);
  EXPECT_THAT([&] { fir.push(Eigen::MatrixXf::Zero(3, 10)); },
              ThrowsMessage<ArgumentError>(HasSubstr("chunk has 3 channels, expected 4")));
  // A one-tap kernel is a gain (MNE: x * h).
  EXPECT_EQ(filter_zero_phase({2.0}, Eigen::MatrixXf::Ones(2, 3)), Eigen::MatrixXf::Constant(2, 3, 2.0f));
}

}  // namespace
}  // namespace efm::signal
