#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/models/signal_spec.h"
#include "model_test_util.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models {
namespace {

SignalSpec spec23() {
  SignalSpec s;
  for (int i = 0; i < 23; ++i) s.channel_names.push_back("CH" + std::to_string(i));
  s.window_samples = 800;
  return s;
}

TEST(SignalSpec, GeometryOfAValidSpec) {
  const SignalSpec s = spec23();
  EXPECT_NO_THROW(s.validate());
  EXPECT_EQ(s.n_channels(), 23);
  EXPECT_EQ(s.n_patches(), 4);
  EXPECT_EQ(s.n_tokens(), 92);
}

TEST(SignalSpec, ValidateNamesTheProblem) {
  SignalSpec s = spec23();
  s.window_samples = 850;
  EXPECT_THAT([&] { s.validate(); },
              ThrowsMessage<ArgumentError>(HasSubstr("window_samples (850) must be a positive multiple of "
                                                     "patch_samples (200)")));
  s = spec23();
  s.sfreq_hz = 256;
  EXPECT_THAT([&] { s.validate(); }, ThrowsMessage<ArgumentError>(HasSubstr("sfreq_hz is 256 Hz and patch_samples "
                                                                            "is 200; resample the signal to 200 Hz")));
  s = spec23();
  s.channel_names[5] = "CH1";
  EXPECT_THAT([&] { s.validate(); },
              ThrowsMessage<ArgumentError>(HasSubstr("channel 'CH1' appears more than once (row 5)")));
  s.channel_names.clear();
  EXPECT_THAT([&] { s.validate(); }, ThrowsMessage<ArgumentError>(HasSubstr("channel_names is empty")));
}

TEST(SignalSpec, CheckSignalNamesBothShapes) {
  const SignalSpec s = spec23();
  EXPECT_NO_THROW(s.check_signal(torch::zeros({2, 23, 800})));
  EXPECT_THAT(
      [&] {
        s.check_signal(torch::zeros({2, 19, 800}));
      },
      ThrowsMessage<DataError>(HasSubstr("x has shape [2, 19, 800] but the spec has 23 channels")));
  EXPECT_THAT(
      [&] {
        s.check_signal(torch::zeros({2, 23, 1000}));
      },
      ThrowsMessage<DataError>(HasSubstr("x has shape [2, 23, 1000] but the spec has 800 samples per window")));
  EXPECT_THAT(
      [&] {
        s.check_signal(torch::zeros({23, 800}), "batch.signal");
      },
      ThrowsMessage<DataError>(HasSubstr("batch.signal has shape [23, 800] but the spec expects [batch, 23 "
                                         "channels, 800 samples]")));
}

TEST(CheckInput, ReturnsTheTokenGrid) {
  const EegInput in = test::random_input(3, 5, 4);
  const TokenGeometry g = check_input(in, kPatchSamples);
  EXPECT_EQ(g.batch, 3);
  EXPECT_EQ(g.channels, 5);
  EXPECT_EQ(g.patches, 4);
  EXPECT_EQ(g.tokens(), 20);
  EegInput batched = in;
  batched.channel_ids = in.channel_ids.unsqueeze(0).expand({3, 5}).clone();
  EXPECT_EQ(check_input(batched, kPatchSamples).tokens(), 20);
}

TEST(CheckInput, MismatchedChannelSetsNameTheShapes) {
  EegInput in = test::random_input(2, 19, 4);
  in.channel_ids = torch::arange(23, torch::kLong);
  EXPECT_THAT([&] { check_input(in, kPatchSamples); },
              ThrowsMessage<DataError>(HasSubstr("channel_ids has shape [23] but signal has shape [2, 19, 800] (19 "
                                                 "channels)")));
  in = test::random_input(2, 19, 4);
  in.region_ids = torch::zeros({3, 19}, torch::kLong);
  EXPECT_THAT([&] { check_input(in, kPatchSamples); },
              ThrowsMessage<DataError>(HasSubstr("region_ids has shape [3, 19] but signal has shape [2, 19, 800] "
                                                 "(batch 2)")));
  in = test::random_input(2, 19, 4);
  in.signal = torch::zeros({2, 19, 850});
  EXPECT_THAT([&] { check_input(in, kPatchSamples); },
              ThrowsMessage<DataError>(HasSubstr("signal has shape [2, 19, 850]: the samples dimension (850) must be "
                                                 "a positive multiple of patch_samples (200)")));
  in = test::random_input(2, 19, 4);
  in.signal = in.signal.to(torch::kInt);
  EXPECT_THAT([&] { check_input(in, kPatchSamples); },
              ThrowsMessage<DataError>(HasSubstr("signal has dtype int32; expected float32")));
  in = test::random_input(2, 19, 4);
  in.channel_ids = in.channel_ids.to(torch::kInt);
  EXPECT_THAT([&] { check_input(in, kPatchSamples); },
              ThrowsMessage<DataError>(HasSubstr("channel_ids has dtype int32; expected int64")));
  in = test::random_input(2, 19, 4);
  in.coords = torch::zeros({19, 2});
  EXPECT_THAT([&] { check_input(in, kPatchSamples); },
              ThrowsMessage<DataError>(HasSubstr("coords has shape [19, 2]; the last dimension must be 3")));
}

}  // namespace
}  // namespace efm::models
