#include "epilepsyfm/eval/metrics/forecasting.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "epilepsyfm/core/error.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::eval {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Hand-computed values involve a few roundings of O(1) numbers.
constexpr double kTol = 1e-14;

TEST(Forecast, ErrorsOfASmallCase) {
  // Differences p - t = 0, -1, -2, 2: MAE 5/4, MSE (0 + 1 + 4 + 4) / 4 = 9/4, RMSE 3/2.
  const std::vector<double> p{1, 2, 3, 4}, t{1, 3, 5, 2};
  EXPECT_DOUBLE_EQ(mae(p, t), 1.25);
  EXPECT_DOUBLE_EQ(mse(p, t), 2.25);
  EXPECT_DOUBLE_EQ(rmse(p, t), 1.5);
}

TEST(Forecast, PearsonOfASmallCase) {
  // x = 1, 2, 3 (mean 2), y = 2, 4, 7 (mean 13/3): Sxy = 5, Sxx = 2, Syy = 114/9 -> r = 5 / sqrt(228/9)
  // = 15 / sqrt(228).
  EXPECT_NEAR(pearson({1, 2, 3}, {2, 4, 7}), 15.0 / std::sqrt(228.0), kTol);
  EXPECT_NEAR(pearson({1, 2, 3}, {3, 2, 1}), -1.0, kTol);
  EXPECT_TRUE(std::isnan(pearson({1, 1, 1}, {1, 2, 3})));  // constant prediction: undefined
}

TEST(Forecast, PerChannelUsesBatchAndTime) {
  // [batch 2, channels 2, times 2]; channel 0 = flat indices 0,1,4,5; channel 1 = 2,3,6,7.
  const ForecastShape shape{2, 2, 2};
  const std::vector<double> p{1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<double> t{1, 1, 3, 3, 5, 5, 7, 10};
  // |p - t|: channel 0: 0 1 0 1 -> MAE 1/2, MSE 1/2; channel 1: 0 1 0 2 -> MAE 3/4, MSE 5/4.
  EXPECT_EQ(per_channel_mae(p, t, shape), (std::vector<double>{0.5, 0.75}));
  EXPECT_EQ(per_channel_mse(p, t, shape), (std::vector<double>{0.5, 1.25}));
  // Channel 0: p = 1 2 5 6, t = 1 1 5 5 (means 3.5, 3): Sxy = (-2.5)(-2) + (-1.5)(-2) + (1.5)(2) + (2.5)(2) = 16,
  // Sxx = 6.25 + 2.25 + 2.25 + 6.25 = 17, Syy = 16 -> r = 16 / sqrt(17 * 16) = 4 / sqrt(17).
  const std::vector<double> r = per_channel_pearson(p, t, shape);
  EXPECT_NEAR(r[0], 4.0 / std::sqrt(17.0), kTol);
  const MetricSet m = forecast_metrics(p, t, shape);
  std::vector<std::string> names;
  for (const auto& e : m.entries()) names.push_back(e.first);
  EXPECT_EQ(names, (std::vector<std::string>{"mae", "mse", "rmse", "pearson", "pearson_channel_mean"}));
  EXPECT_DOUBLE_EQ(m.at("mae"), 0.625);  // (2 + 3) / 8
  EXPECT_NEAR(m.at("pearson_channel_mean"), (r[0] + r[1]) / 2, kTol);
}

TEST(Forecast, ChannelMeanSkipsUndefinedChannels) {
  // Channel 1 target is constant: its r is NaN and left out of the mean (channel 0 is perfectly correlated).
  const ForecastShape shape{1, 2, 3};
  const std::vector<double> p{1, 2, 3, 1, 2, 3}, t{2, 4, 6, 5, 5, 5};
  const std::vector<double> r = per_channel_pearson(p, t, shape);
  EXPECT_TRUE(std::isnan(r[1]));
  EXPECT_NEAR(forecast_metrics(p, t, shape).at("pearson_channel_mean"), 1.0, kTol);
}

TEST(Phase, WrapsToHalfOpenInterval) {
  EXPECT_NEAR(wrap_phase(1.5 * kPi), -0.5 * kPi, kTol);
  EXPECT_NEAR(wrap_phase(-kPi), kPi, kTol);
  EXPECT_NEAR(wrap_phase(kPi), kPi, kTol);
  EXPECT_NEAR(wrap_phase(7 * kPi), kPi, 1e-13);
  EXPECT_EQ(wrap_phase(0.1), 0.1);
}

TEST(Phase, CircularErrors) {
  // 3.0 vs -3.0 rad differ by 6.0, which wraps to 6 - 2*pi (about -0.283): the short way round.
  EXPECT_NEAR(phase_error_abs({3.0}, {-3.0}), 2 * kPi - 6.0, kTol);
  EXPECT_NEAR(phase_error_cos({3.0}, {-3.0}), 1 - std::cos(6.0), kTol);
  // Errors 0 and pi/2: mean |.| = pi/4; 1 - (cos 0 + cos pi/2) / 2 = 1/2.
  EXPECT_NEAR(phase_error_abs({0, kPi / 2}, {0, 0}), kPi / 4, kTol);
  EXPECT_NEAR(phase_error_cos({0, kPi / 2}, {0, 0}), 0.5, kTol);
  const MetricSet m = spectral_metrics({1, 2}, {1, 4}, {0, kPi / 2}, {0, 0});
  EXPECT_DOUBLE_EQ(m.at("amplitude_mae"), 1.0);
  EXPECT_NEAR(m.at("phase_error_abs_rad"), kPi / 4, kTol);
  EXPECT_THAT(
      [] {
        spectral_metrics({1}, {1}, {0, 0}, {0, 0});
      },
      ThrowsMessage<ArgumentError>(HasSubstr("1 amplitudes but 2 phases")));
}

TEST(Baselines, PersistenceAndMean) {
  // [batch 1, channels 2, times 4], horizon 3.
  const ForecastShape h{1, 2, 4};
  const std::vector<double> x{1, 2, 3, 4, 10, 20, 30, 40};
  EXPECT_EQ(persistence_last_value(x, h, 3), (std::vector<double>{4, 4, 4, 40, 40, 40}));
  // Last 2-sample patch repeated: 3 4 3 | 30 40 30.
  EXPECT_EQ(persistence_last_patch(x, h, 3, 2), (std::vector<double>{3, 4, 3, 30, 40, 30}));
  EXPECT_EQ(mean_baseline(x, h, 3), (std::vector<double>{2.5, 2.5, 2.5, 25, 25, 25}));
  // Patch mean over patches (1 2), (3 4) -> (2 3), repeated over a 4-sample horizon.
  EXPECT_EQ(mean_patch_baseline(x, h, 4, 2), (std::vector<double>{2, 3, 2, 3, 20, 30, 20, 30}));
}

TEST(Baselines, CircularPatchMeanOfOppositeAngles) {
  // Phases 3.1 and -3.1 rad are 0.083 rad apart across +-pi: their circular mean is pi (the arithmetic mean, 0,
  // points the opposite way).
  const std::vector<double> m = mean_patch_baseline({3.1, -3.1}, ForecastShape{1, 1, 2}, 1, 1, /*circular=*/true);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NEAR(std::abs(m[0]), kPi, kTol);
}

TEST(Baselines, RejectBadArguments) {
  const ForecastShape h{1, 2, 4};
  const std::vector<double> x{1, 2, 3, 4, 10, 20, 30, 40};
  EXPECT_THAT([&] { persistence_last_patch(x, h, 3, 5); },
              ThrowsMessage<ArgumentError>(HasSubstr("patch_samples (5) must be in [1, history times = 4]")));
  EXPECT_THAT([&] { persistence_last_value(x, h, 0); },
              ThrowsMessage<ArgumentError>(HasSubstr("horizon (0) must be > 0")));
  EXPECT_THAT(
      [&] {
        mean_baseline(x, ForecastShape{1, 3, 4}, 2);
      },
      ThrowsMessage<ArgumentError>(
          HasSubstr("history has 8 values but the shape [batch=1, channels=3, times=4] needs 12")));
  EXPECT_THAT([&] { mean_patch_baseline(x, h, 3, 2); },
              ThrowsMessage<ArgumentError>(HasSubstr("must be >= 1 and divide both the history times (4)")));
  EXPECT_THAT([] { mae({1, 2}, {1}); }, ThrowsMessage<ArgumentError>(HasSubstr("prediction has 2 values but target")));
  EXPECT_THAT([] { mse({std::nan("")}, {1}); }, ThrowsMessage<ArgumentError>(HasSubstr("mse: prediction[0] is nan")));
}

}  // namespace
}  // namespace efm::eval
