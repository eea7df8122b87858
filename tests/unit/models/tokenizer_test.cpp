#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/autocast_mode.h>

#include <cmath>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/models/tokenizer.h"
#include "model_test_util.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models {
namespace {

using test::micro_tokenizer;

TEST(Tokenizer, PresetFollowsLabramVqNsp) {
  const TokenizerOptions base = tokenizer_preset("base");
  EXPECT_EQ(base.vq().n_codes(), 8192);
  EXPECT_EQ(base.vq().code_dim(), 64);
  EXPECT_DOUBLE_EQ(base.vq().decay(), 0.99);
  EXPECT_DOUBLE_EQ(base.vq().beta(), 1.0);
  EXPECT_TRUE(base.encoder().qkv_bias());
  EXPECT_FALSE(base.encoder().qk_norm());
  EXPECT_DOUBLE_EQ(base.encoder().layer_scale_init(), 0.0);
  EXPECT_EQ(base.encoder().depth(), 12);
  EXPECT_EQ(base.decoder_depth(), 3);
  EXPECT_EQ(tokenizer_preset("tiny").vq().n_codes(), 512);
}

TEST(Tokenizer, SpectralTargetsAreStandardisedFullFftAmplitudeAndPhase) {
  torch::manual_seed(0);
  auto x = torch::randn({2, 3, 400});
  const SpectralTargets t = NeuralTokenizerImpl::spectral_targets(x, 200);
  ASSERT_EQ(t.amplitude.sizes(), (std::vector<int64_t>{2, 6, 200}));  // full FFT: 200 bins, not 101
  ASSERT_EQ(t.phase.sizes(), (std::vector<int64_t>{2, 6, 200}));
  // Per window over (tokens, bins): mean 0, unbiased std 1.
  EXPECT_TRUE(torch::allclose(t.amplitude.mean({1, 2}), torch::zeros({2}), 0, 1e-5));
  EXPECT_TRUE(torch::allclose(t.amplitude.std({1, 2}, /*unbiased=*/true), torch::ones({2}), 1e-5, 1e-5));
  // Against a direct computation for window 1, token 4 (channel 2, second 0), bin 7.
  auto patch = x[1][2].slice(0, 0, 200).to(torch::kDouble);
  auto spec = torch::fft::fft(x.to(torch::kDouble).reshape({2, 6, 200}));
  auto amp = spec.abs()[1];
  const double expected = (torch::fft::fft(patch).abs()[7].item<double>() - amp.mean().item<double>()) /
                          amp.std(/*unbiased=*/true).item<double>();
  EXPECT_NEAR(t.amplitude[1][4][7].item<double>(), expected, 1e-4);
  auto ph = torch::angle(spec)[1];
  const double expected_phase = (torch::angle(torch::fft::fft(patch))[7].item<double>() - ph.mean().item<double>()) /
                                ph.std(/*unbiased=*/true).item<double>();
  EXPECT_NEAR(t.phase[1][4][7].item<double>(), expected_phase, 1e-4);
}

TEST(Tokenizer, ForwardReturnsLossPartsAndCodes) {
  torch::manual_seed(0);
  NeuralTokenizer tok(micro_tokenizer());
  tok->train();
  EegInput in = test::random_input(2, 3, 2);
  TokenizerOutput out = tok->forward(in);
  EXPECT_EQ(out.codes.sizes(), (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(out.amplitude.sizes(), (std::vector<int64_t>{2, 6, 200}));
  EXPECT_EQ(out.phase.sizes(), (std::vector<int64_t>{2, 6, 200}));
  EXPECT_NEAR(out.loss.item<float>(), (out.commitment_loss + out.amplitude_loss + out.phase_loss).item<float>(), 1e-6);
  EXPECT_TRUE(tok->quantizer->initialized());
  EXPECT_TRUE(torch::all(out.codes.ge(0) & out.codes.lt(16)).item<bool>());
  // No encoder fc_norm (its tokens are used, not a pooled embedding).
  EXPECT_FALSE(tok->encoder->fc_norm);
  // Names used by checkpoints.
  auto p = tok->named_parameters();
  EXPECT_TRUE(p.contains("encode_task_layer.fc1.weight"));
  EXPECT_TRUE(p.contains("decoder.amplitude_head.fc2.bias"));
  EXPECT_TRUE(p.contains("decoder.phase_head.fc1.weight"));
  EXPECT_TRUE(p.contains("encoder.blocks.0.attn.q_bias"));
  EXPECT_TRUE(tok->named_buffers().contains("quantizer.codebook"));
}

TEST(Tokenizer, EncodeInEvalIsDeterministicAndLeavesTheCodebook) {
  torch::manual_seed(0);
  NeuralTokenizer tok(micro_tokenizer());
  EegInput in = test::random_input(2, 3, 2);
  tok->eval();
  EXPECT_THAT([&] { tok->encode(in); }, ThrowsMessage<ArgumentError>(HasSubstr("the codebook is not initialised")));
  tok->train();
  tok->forward(in);  // k-means init
  tok->eval();
  const auto codebook = tok->quantizer->codebook().clone();
  auto a = tok->encode(in);
  auto b = tok->encode(in);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_EQ(a.scalar_type(), torch::kLong);
  EXPECT_TRUE(torch::equal(codebook, tok->quantizer->codebook()));
  EXPECT_THAT([&] { tok->encode(test::random_input(1, 3, 17)); },
              ThrowsMessage<DataError>(HasSubstr("17 patches per channel")));
  // Pre-training calls encode() inside the trainer's bf16 autocast: the codes must not change with it.
  at::autocast::set_autocast_dtype(c10::DeviceType::CPU, at::kBFloat16);
  at::autocast::set_autocast_enabled(c10::DeviceType::CPU, true);
  const auto under_autocast = tok->encode(in);
  EXPECT_TRUE(at::autocast::is_autocast_enabled(c10::DeviceType::CPU));  // restored after encode
  at::autocast::set_autocast_enabled(c10::DeviceType::CPU, false);
  EXPECT_TRUE(torch::equal(under_autocast, a));
}

TEST(Tokenizer, ReconstructionLossDecreasesOnAFixedBatch) {
  // Overfit sanity: Adam on one fixed batch for 30 steps must reduce amplitude + phase MSE by a clear margin.
  torch::manual_seed(0);
  NeuralTokenizer tok(micro_tokenizer());
  tok->train();
  EegInput in = test::random_input(2, 3, 2, /*seed=*/3);
  torch::optim::Adam opt(tok->parameters(), torch::optim::AdamOptions(2e-3));
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 30; ++step) {
    opt.zero_grad();
    TokenizerOutput out = tok->forward(in);
    out.loss.backward();
    opt.step();
    const double rec = (out.amplitude_loss + out.phase_loss).item<double>();
    if (step == 0) first = rec;
    last = rec;
  }
  EXPECT_LT(last, 0.8 * first) << "first " << first << " last " << last;
}

}  // namespace
}  // namespace efm::models
