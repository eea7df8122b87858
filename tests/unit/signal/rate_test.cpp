#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/signal/rate.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::signal {
namespace {

TEST(Rate, EdfRateIsExact) {
  // mne misc sample_ecog.edf: 238 samples per 0.23814 s record.
  RationalRate r = edf_sampling_rate(238, "0.23814");
  EXPECT_EQ(r.num, 1700000);
  EXPECT_EQ(r.den, 1701);
  r = edf_sampling_rate(256, "1       ");
  EXPECT_EQ(r.num, 256);
  EXPECT_EQ(r.den, 1);
  r = edf_sampling_rate(1, "0.5");
  EXPECT_EQ(r.num, 2);
  EXPECT_EQ(r.den, 1);
  // Bonn EDF: 4097 samples in "23.59887" s.
  r = edf_sampling_rate(4097, "23.59887");
  EXPECT_EQ(r.num, 409700000);
  EXPECT_EQ(r.den, 2359887);
  EXPECT_THAT([] { edf_sampling_rate(256, "1e0"); },
              ThrowsMessage<DataError>(HasSubstr("record duration '1e0' is not a plain positive decimal number")));
  EXPECT_THAT([] { edf_sampling_rate(256, "0"); }, ThrowsMessage<DataError>(HasSubstr("must be a positive decimal")));
  EXPECT_THAT([] { edf_sampling_rate(0, "1"); },
              ThrowsMessage<DataError>(HasSubstr("samples per record must be positive")));
}

TEST(Rate, ExactRatiosForTheUsualRates) {
  const struct {
    double in;
    int64_t up, down;
  } cases[] = {{100, 2, 1},
               {160, 5, 4},
               {173.61, 20000, 17361},
               {200, 1, 1},
               {250, 4, 5},
               {256, 25, 32},
               {400, 1, 2},
               {500, 2, 5},
               {512, 25, 64},
               {1000, 1, 5},
               {1024, 25, 128},
               {2048, 25, 256},
               {1700000.0 / 1701.0, 1701, 8500},
               {399.609375, 512, 1023}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    const ResampleRatio r = resample_ratio(c.in, 200.0);
    EXPECT_EQ(r.up, c.up);
    EXPECT_EQ(r.down, c.down);
    EXPECT_TRUE(r.exact);
    EXPECT_EQ(r.drift_samples_per_day, 0.0);
  }
  EXPECT_EQ(resample_ratio(160, 200).describe(), "5/4 (exact)");
  EXPECT_EQ(resample_ratio(edf_sampling_rate(238, "0.23814"), {200, 1}).up, 1701);
}

TEST(Rate, LargeRatiosAreApproximatedWithStatedDrift) {
  // Bonn EDF header rate 409700000/2359887 Hz: the exact ratio 2359887/2048500 exceeds the bound.
  const ResampleRatio r = resample_ratio(edf_sampling_rate(4097, "23.59887"), {200, 1});
  EXPECT_FALSE(r.exact);
  EXPECT_LE(std::max(r.up, r.down), kDefaultMaxResampleFactor);
  const double true_ratio = 200.0 * 2359887.0 / 409700000.0;
  EXPECT_NEAR(static_cast<double>(r.up) / static_cast<double>(r.down) / true_ratio - 1.0, r.relative_error, 1e-15);
  EXPECT_LT(r.drift_samples_per_day, 1.0);  // the project's bar: < 1 output sample per 24 h
  EXPECT_NEAR(r.drift_samples_per_day, std::abs(r.relative_error) * 86400.0 * 200.0, 1e-9);
  EXPECT_THAT(r.describe(), HasSubstr("approximate"));
  // A tiny bound forces a coarse ratio; the drift reports it.
  const ResampleRatio coarse = resample_ratio(173.61, 200.0, 100);
  EXPECT_FALSE(coarse.exact);
  EXPECT_LE(std::max(coarse.up, coarse.down), 100);
  EXPECT_GT(coarse.drift_samples_per_day, 1.0);
  EXPECT_THAT([] { resample_ratio(0.0, 200.0); },
              ThrowsMessage<ArgumentError>(HasSubstr("input rate must be positive")));
}

TEST(Rate, RationalRateOfDoubles) {
  const RationalRate r = rational_rate(173.61);
  EXPECT_EQ(r.num, 17361);
  EXPECT_EQ(r.den, 100);
  const RationalRate e = rational_rate(1700000.0 / 1701.0);
  EXPECT_EQ(e.num, 1700000);
  EXPECT_EQ(e.den, 1701);
  EXPECT_EQ(rational_rate(256.0).num, 256);
}

}  // namespace
}  // namespace efm::signal
