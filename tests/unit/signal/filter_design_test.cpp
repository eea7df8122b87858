#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/signal/filter_design.h"

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::signal {
namespace {

double db(double a) {
  return 20.0 * std::log10(a);
}

TEST(FilterDesign, MneAutoLengths) {
  // MNE 1.3 prints these lengths (filter_length 'auto' = ceil(3.3 / min transition * sfreq), odd).
  EXPECT_EQ(design_fir_filter(160, 0.5, 70.0).size(), 1057u);  // 6.6 s
  EXPECT_EQ(design_fir_filter(256, 0.5, 70.0).size(), 1691u);
  EXPECT_EQ(design_fir_filter(256, 0.1, 75.0).size(), 8449u);          // 33 s for the 0.1 Hz transition
  EXPECT_EQ(design_fir_filter(512, std::nullopt, 40.0).size(), 169u);  // h_trans 10 Hz -> 0.33 s
  EXPECT_EQ(design_notch_filter(250, {50.0, 100.0}).size(), 1651u);    // 3.3 / 0.5 s
  FirFilterOptions o;
  o.filter_length = 2000;  // made odd
  EXPECT_EQ(design_fir_filter(256, 0.5, 70.0, o).size(), 2001u);
}

TEST(FilterDesign, BandPassResponse) {
  const double fs = 160.0;
  const auto h = design_fir_filter(fs, 0.5, 70.0);
  // Symmetric (linear phase) up to the last bit of SciPy's linspace-based window.
  for (size_t k = 0; k < h.size() / 2; ++k) EXPECT_NEAR(h[k], h[h.size() - 1 - k], 1e-17);
  // Hamming window: passband ripple <= 0.0194 (MNE's table), stop band >= 53 dB below.
  for (double f : {2.0, 10.0, 30.0, 60.0}) EXPECT_NEAR(amplitude_response(h, f, fs), 1.0, 0.0194) << f;
  EXPECT_LT(amplitude_response(h, 0.0, fs), 1e-3);
  EXPECT_NEAR(amplitude_response(h, 0.25, fs), 0.5, 0.02);  // -6 dB at l_freq - l_trans / 2
  EXPECT_NEAR(amplitude_response(h, 75.0, fs), 0.5, 0.02);  // -6 dB at h_freq + h_trans / 2 (h_trans = 10)
}

TEST(FilterDesign, NotchResponse) {
  const double fs = 256.0;
  const auto h = design_notch_filter(fs, {50.0, 100.0});
  EXPECT_LT(db(amplitude_response(h, 50.0, fs)), -40.0);
  EXPECT_LT(db(amplitude_response(h, 100.0, fs)), -40.0);
  for (double f : {10.0, 45.0, 55.0, 80.0}) EXPECT_NEAR(amplitude_response(h, f, fs), 1.0, 0.02) << f;
}

TEST(FilterDesign, FirwinAndWindowsFollowScipy) {
  const auto w = fir_window("hamming", 5);
  EXPECT_NEAR(w[0], 0.08, 1e-15);
  EXPECT_NEAR(w[2], 1.0, 1e-15);
  const auto kw = fir_window("kaiser", 5, 5.0);
  EXPECT_NEAR(kw[2], 1.0, 1e-15);
  EXPECT_NEAR(kw[0], 1.0 / 27.239871823604442, 1e-14);  // 1 / I0(5)
  const auto lp = firwin_lowpass(101, 0.2, "kaiser", 5.0);
  EXPECT_NEAR(std::accumulate(lp.begin(), lp.end(), 0.0), 1.0, 1e-14);  // unit DC gain (scale=True)
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(lp[i], lp[100 - i]);
  EXPECT_NEAR(lp[55] / lp[50],
              std::sin(3.14159265358979323846 * 0.2 * 5) / (3.14159265358979323846 * 0.2 * 5) *
                  fir_window("kaiser", 101, 5.0)[55],
              1e-14);  // windowed sinc
  EXPECT_THAT([] { fir_window("triangle", 5); },
              ThrowsMessage<ArgumentError>(HasSubstr("allowed values are 'hamming', 'hann', 'blackman', 'boxcar', "
                                                     "'kaiser', but got 'triangle'")));
  EXPECT_THAT(convolve({1, 2}, {1, 1, 1}), ElementsAre(1, 3, 3, 2));
  // Long kernels take the FFT path: same result as the direct sum to round-off.
  const auto a = design_fir_filter(1000.0, 0.1, 75.0), b = design_notch_filter(1000.0, {50.0});
  const auto fast = convolve(a, b);
  ASSERT_EQ(fast.size(), a.size() + b.size() - 1);
  for (size_t k : {size_t{0}, size_t{100}, fast.size() / 2, fast.size() - 1}) {
    double direct = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      if (k >= i && k - i < b.size()) direct += a[i] * b[k - i];
    }
    EXPECT_NEAR(fast[k], direct, 1e-15) << k;
  }
}

TEST(FilterDesign, MneErrors) {
  EXPECT_THAT([] { design_fir_filter(100, 0.5, 70.0); },
              ThrowsMessage<ArgumentError>(
                  HasSubstr("lowpass frequency 70 Hz must be less than the Nyquist frequency (50 Hz)")));
  EXPECT_THAT([] { design_fir_filter(100, -1.0, std::nullopt); },
              ThrowsMessage<ArgumentError>(HasSubstr("highpass frequency -1 Hz must be greater than zero")));
  FirFilterOptions short_filter;
  short_filter.filter_length = 101;
  EXPECT_THAT([&] { design_fir_filter(160, 0.5, 70.0, short_filter); },
              ThrowsMessage<ArgumentError>(HasSubstr("filter_length 101 is too short")));
  FirFilterOptions wide;
  wide.l_trans_bandwidth_hz = 1.0;
  EXPECT_THAT([&] { design_fir_filter(160, 0.5, 70.0, wide); },
              ThrowsMessage<ArgumentError>(HasSubstr("lower stop frequency negative")));
  EXPECT_THAT([] { design_notch_filter(100, {50.0}); },
              ThrowsMessage<ArgumentError>(HasSubstr("must be less than the Nyquist frequency")));
}

TEST(FilterDesign, NotchFrequencies) {
  EXPECT_THAT(notch_frequencies({50}, true, 256), ElementsAre(50, 100));
  EXPECT_THAT(notch_frequencies({50}, true, 200), ElementsAre(50));  // 100 Hz is the Nyquist frequency
  EXPECT_THAT(notch_frequencies({50}, false, 1000), ElementsAre(50));
  EXPECT_EQ(notch_frequencies({60}, true, 1000).size(), 8u);  // 60 .. 480
  EXPECT_TRUE(notch_frequencies({50}, true, 100).empty());
  EXPECT_THAT(notch_frequencies({50, 100}, true, 256), ElementsAre(50, 100));
}

}  // namespace
}  // namespace efm::signal
