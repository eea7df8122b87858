#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/models/patch_embedding.h"
#include "epilepsyfm/models/spatial_encoder.h"
#include "epilepsyfm/models/spectral_encoder.h"
#include "epilepsyfm/models/temporal_encoder.h"
#include "model_test_util.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models {
namespace {

constexpr double kPi = 3.14159265358979323846;

// A sinusoid of `freq_hz` (amplitude `amp`) over one 200-sample patch at 200 Hz.
torch::Tensor sinusoid(double freq_hz, double amp = 1.0, double phase = 0.0) {
  auto t = torch::arange(kPatchSamples, torch::kDouble) / 200.0;
  return (amp * torch::sin(2.0 * kPi * freq_hz * t + phase)).to(torch::kFloat32);
}

TEST(TemporalEncoder, OutputShapeAndParameterCountMatchLabram) {
  torch::manual_seed(0);
  for (int64_t oc : {8, 16, 32}) {
    TemporalEncoder enc(TemporalEncoderOptions().out_chans(oc));
    auto y = enc(torch::randn({2, 6, 200}));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 6, 25 * oc}));
    EXPECT_EQ(enc->out_dim(), 25 * oc);
    // conv1 oc*15+oc, conv2/conv3 oc*oc*3+oc, three GroupNorms 2*oc each (LaBraM TemporalConv: 576 for oc 8).
    EXPECT_EQ(count_parameters(*enc), 16 * oc + 2 * (3 * oc * oc + oc) + 6 * oc);
  }
  EXPECT_EQ(TemporalEncoderImpl::output_steps(200), 25);
  EXPECT_EQ(TemporalEncoderImpl::output_steps(256), 32);
  TemporalEncoder base;
  EXPECT_EQ(count_parameters(*base), 576);
  EXPECT_EQ(base->named_parameters()["conv1.weight"].sizes(), (std::vector<int64_t>{8, 1, 1, 15}));
}

TEST(TemporalEncoder, FeatureLayoutIsStepMajorAsLabram) {
  // With the second and third convolutions and norms removed from the picture, the first output feature group
  // must be step 0 of all channels: check the permutation by comparing with a manual computation.
  torch::manual_seed(1);
  TemporalEncoder enc;
  auto x = torch::randn({1, 3, 200});
  auto y = enc(x);
  namespace F = torch::nn::functional;
  auto m = enc->named_children();
  auto h = x.unsqueeze(1);
  for (const char* stage : {"1", "2", "3"}) {
    h = m[std::string("conv") + stage]->as<torch::nn::Conv2dImpl>()->forward(h);
    h = m[std::string("norm") + stage]->as<torch::nn::GroupNormImpl>()->forward(h);
    h = torch::gelu(h);
  }
  // h [1, 8, 3, 25]: feature index s*8 + c of token n equals h[0, c, n, s].
  EXPECT_FLOAT_EQ(y[0][2][3 * 8 + 5].item<float>(), h[0][5][2][3].item<float>());
  EXPECT_FLOAT_EQ(y[0][0][24 * 8 + 7].item<float>(), h[0][7][0][24].item<float>());
}

TEST(TemporalEncoder, RejectsBadOptionsAndShapes) {
  EXPECT_THAT([] { TemporalEncoder(TemporalEncoderOptions().out_chans(6)); },
              ThrowsMessage<ArgumentError>(HasSubstr("out_chans (6) must be a positive multiple of 4")));
  TemporalEncoder enc;
  EXPECT_THAT(
      [&] {
        enc(torch::zeros({2, 3, 100}));
      },
      ThrowsMessage<DataError>(HasSubstr("patches have shape [2, 3, 100]; expected [batch, tokens, 200]")));
}

TEST(SpectralEncoder, RfftMagnitudeOfASinusoidPeaksInItsBin) {
  // 200 samples at 200 Hz: bin k is k Hz. norm="forward": amplitude A gives A/2 at its bin, ~0 elsewhere.
  for (double f : {1.0, 10.0, 37.0, 99.0}) {
    auto mag = SpectralEncoderImpl::rfft_magnitude(sinusoid(f, /*amp=*/2.0, /*phase=*/0.3));
    ASSERT_EQ(mag.size(0), 101);
    EXPECT_EQ(mag.argmax().item<int64_t>(), static_cast<int64_t>(f));
    EXPECT_NEAR(mag[static_cast<int64_t>(f)].item<float>(), 1.0f, 1e-5);  // float32 FFT rounding
    auto rest = mag.clone();
    rest[static_cast<int64_t>(f)] = 0;
    EXPECT_LT(rest.max().item<float>(), 1e-5f);
  }
}

TEST(SpectralEncoder, Daubechies4FilterIsOrthonormal) {
  const auto& h = daubechies4();
  double sum = 0, energy = 0, shift2 = 0, shift4 = 0, shift6 = 0;
  for (int k = 0; k < 8; ++k) {
    sum += h[k];
    energy += h[k] * h[k];
    if (k + 2 < 8) shift2 += h[k] * h[k + 2];
    if (k + 4 < 8) shift4 += h[k] * h[k + 4];
    if (k + 6 < 8) shift6 += h[k] * h[k + 6];
  }
  EXPECT_NEAR(sum, std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(energy, 1.0, 1e-12);
  EXPECT_NEAR(shift2, 0.0, 1e-12);  // orthogonal to its even shifts
  EXPECT_NEAR(shift4, 0.0, 1e-12);
  EXPECT_NEAR(shift6, 0.0, 1e-12);
}

TEST(SpectralEncoder, WaveletPacketPutsASinusoidInItsBand) {
  // Two levels at 200 Hz: frequency bands 0-25, 25-50, 50-75, 75-100 Hz are natural bands AA, AD, DD, DA.
  WaveletPacket wp(WaveletPacketOptions().levels(2));
  EXPECT_EQ(wp->frequency_order(), (std::vector<int64_t>{0, 1, 3, 2}));
  const std::vector<std::pair<double, int64_t>> cases{{12.5, 0}, {37.5, 1}, {62.5, 3}, {87.5, 2}};
  for (const auto& [f, band] : cases) {
    auto bands = wp(sinusoid(f).unsqueeze(0));  // [1, 4, 50]
    ASSERT_EQ(bands.sizes(), (std::vector<int64_t>{1, 4, 50}));
    auto energy = bands.pow(2).sum(-1)[0];
    EXPECT_EQ(energy.argmax().item<int64_t>(), band) << f << " Hz: band energies " << energy;
    // Orthonormal periodized transform: energy is preserved at initialisation (sum of squares = 100 for A = 1).
    EXPECT_NEAR(energy.sum().item<float>(), 100.0f, 1e-3);
    // db4's wide transition band leaks into the neighbours (mid-band sinusoids keep 0.83-0.9 of their energy).
    EXPECT_GT(energy[band].item<float>() / energy.sum().item<float>(), 0.75f);
  }
}

TEST(SpectralEncoder, WaveletPacketHandlesOddLengthsAndRejectsTooDeep) {
  WaveletPacket wp(WaveletPacketOptions().levels(4));
  EXPECT_EQ(wp->band_length(200), 13);  // 200 -> 100 -> 50 -> 25 -> 13
  EXPECT_EQ(wp(torch::randn({3, 200})).sizes(), (std::vector<int64_t>{3, 16, 13}));
  EXPECT_THAT(
      [&] {
        wp(torch::randn({3, 20}));
      },
      ThrowsMessage<DataError>(HasSubstr("20 samples are too few for 4 "
                                         "levels")));
}

TEST(SpectralEncoder, OutputShapeAndBranches) {
  torch::manual_seed(0);
  SpectralEncoder enc(SpectralEncoderOptions(48));
  EXPECT_EQ(enc(torch::randn({2, 5, 200})).sizes(), (std::vector<int64_t>{2, 5, 48}));
  EXPECT_EQ(enc->wavelet_features(torch::randn({2, 5, 200})).sizes(), (std::vector<int64_t>{2, 5, 16 * 4}));
  // 4 levels x (2 x 8 taps) + Linear(64, 48) + Linear(101, 48).
  EXPECT_EQ(count_parameters(*enc), 4 * 16 + (64 * 48 + 48) + (101 * 48 + 48));
  EXPECT_THAT([] { SpectralEncoder(SpectralEncoderOptions(8).use_fft(false).use_wavelet(false)); },
              ThrowsMessage<ArgumentError>(HasSubstr("at least one of use_wavelet, use_fft must be true")));
}

TEST(SpatialEncoder, SumsElectrodeAndRegionRows) {
  torch::manual_seed(0);
  SpatialEncoder enc(SpatialEncoderOptions(4).n_electrodes(10).n_regions(3));
  EegInput in;
  in.channel_ids = torch::tensor({0, 7, 9}, torch::kLong);
  in.region_ids = torch::tensor({-1, 2, 0}, torch::kLong);
  auto y = enc(in, /*batch=*/2);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 3, 4}));
  auto params = enc->named_parameters();
  auto el = params["electrode_embed.weight"];
  auto rg = params["region_embed.weight"];
  EXPECT_EQ(rg.size(0), 4);  // n_regions + 1 ("no region" row 0)
  EXPECT_TRUE(torch::allclose(y[1][0], el[0] + rg[0]));
  EXPECT_TRUE(torch::allclose(y[0][1], el[7] + rg[3]));
  EXPECT_TRUE(torch::allclose(y[1][2], el[9] + rg[1]));
}

TEST(SpatialEncoder, IdsOutsideTheTablesAreErrors) {
  SpatialEncoder enc(SpatialEncoderOptions(4).n_electrodes(10).n_regions(3));
  EegInput in;
  in.channel_ids = torch::tensor({0, 10}, torch::kLong);
  in.region_ids = torch::tensor({0, 1}, torch::kLong);
  EXPECT_THAT([&] { enc(in, 1); }, ThrowsMessage<DataError>(HasSubstr("channel_ids contains 10, outside the electrode "
                                                                      "table [0, 10)")));
  in.channel_ids = torch::tensor({0, 1}, torch::kLong);
  in.region_ids = torch::tensor({-2, 1}, torch::kLong);
  EXPECT_THAT([&] { enc(in, 1); }, ThrowsMessage<DataError>(HasSubstr("region_ids contains -2, outside [-1, 3)")));
  in.region_ids = torch::Tensor();
  EXPECT_THAT([&] { enc(in, 1); }, ThrowsMessage<DataError>(HasSubstr("region_ids is undefined but the model has a "
                                                                      "region embedding")));
}

TEST(PatchEmbedding, TokensAreChannelMajorWithClsFirst) {
  torch::manual_seed(0);
  PatchEmbeddingOptions o(32);
  o.spectral().wavelet_levels(3).wavelet_pool_bins(2);
  o.positions().max_patches(8).spatial().n_electrodes(16);
  PatchEmbedding pe(o);
  EegInput in = test::random_input(2, 3, 4);
  const TokenGeometry g = check_input(in, kPatchSamples);
  auto tokens = pe(in, g);
  ASSERT_EQ(tokens.sizes(), (std::vector<int64_t>{2, 1 + 12, 32}));
  // Position 0 is the CLS parameter; token 1 + c*T + t = features + spatial[c] + time[t].
  EXPECT_TRUE(torch::allclose(tokens[1][0], pe->positions->cls_token[0][0]));
  auto f = pe->features(in, g);
  auto space = pe->positions->spatial(in, 2);
  auto time = pe->positions->time_embed[0];
  const int64_t c = 2, t = 3;
  EXPECT_TRUE(torch::allclose(tokens[1][1 + c * 4 + t], f[1][c * 4 + t] + space[1][c] + time[t], 1e-5, 1e-6));
  // Patches: token c*T + t holds samples [t*200, (t+1)*200) of channel c.
  auto patches = pe->to_patches(in.signal);
  EXPECT_TRUE(torch::equal(patches[1][c * 4 + t], in.signal[1][c].slice(0, t * 200, (t + 1) * 200)));
}

TEST(PatchEmbedding, MaskTokenReplacesFeaturesBeforePositions) {
  torch::manual_seed(0);
  PatchEmbeddingOptions o(16);
  o.use_spectral(false);
  o.positions().max_patches(8).spatial().n_electrodes(16);
  PatchEmbedding pe(o);
  EegInput in = test::random_input(1, 2, 3);
  const TokenGeometry g = check_input(in, kPatchSamples);
  auto mask = torch::zeros({1, 6}, torch::kBool);
  mask[0][4] = true;
  auto token = torch::full({16}, 7.0f);
  auto masked = pe(in, g, mask, token);
  auto plain = pe(in, g);
  auto pos = masked[0][1 + 4] - token;  // spatial[1] + time[1]
  auto expected_pos = pe->positions->spatial(in, 1)[0][1] + pe->positions->time_embed[0][1];
  EXPECT_TRUE(torch::allclose(pos, expected_pos, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(masked[0][1 + 3], plain[0][1 + 3]));  // unmasked tokens unchanged
  EXPECT_THAT(
      [&] {
        pe(in, g, torch::zeros({1, 5}, torch::kBool), token);
      },
      ThrowsMessage<DataError>(HasSubstr("mask has shape [1, 5] but the input has 1 windows of 6 tokens")));
}

}  // namespace
}  // namespace efm::models
