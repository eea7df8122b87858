#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/models/masking.h"
#include "epilepsyfm/models/pretrain_model.h"
#include "model_test_util.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models {
namespace {

namespace F = torch::nn::functional;

TEST(MaskedEegModel, LogitsForMaskedTokensOnly) {
  torch::manual_seed(0);
  MaskedEegModel mem(MaskedEegModelOptions(test::micro_options()).codebook_size(16));
  EegInput in = test::random_input(2, 3, 2);
  auto mask = MaskGenerator(MaskOptions().ratio(0.5)).generate(2, 3, 2, 1).mask;
  auto logits = mem->forward(in, mask);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{mask.sum().item<int64_t>(), 16}));
  EXPECT_EQ(mem->named_parameters()["mask_token"].sizes(), (std::vector<int64_t>{1, 1, 32}));
}

TEST(MaskedEegModel, MaskTokenReplacesMaskedFeatures) {
  torch::manual_seed(0);
  MaskedEegModel mem(MaskedEegModelOptions(test::micro_options()).codebook_size(8));
  EegInput in = test::random_input(1, 2, 2);
  auto mask = torch::zeros({1, 4}, torch::kBool);
  mask[0][1] = true;  // channel 0, second 1
  auto f = mem->backbone->patch_embed->features(in, check_input(in, kPatchSamples));
  auto replaced = apply_mask_token(f, mask, mem->mask_token);
  EXPECT_TRUE(torch::equal(replaced[0][1], mem->mask_token.reshape({-1})));
  EXPECT_TRUE(torch::equal(replaced[0][0], f[0][0]));
  EXPECT_TRUE(torch::equal(replaced[0][3], f[0][3]));
  // The mask token receives gradient only through masked positions.
  mem->forward(in, mask).sum().backward();
  EXPECT_GT(mem->mask_token.grad().abs().sum().item<float>(), 0.0f);
}

TEST(MaskedEegModel, SymmetricLossIsTheSumOfBothPasses) {
  torch::manual_seed(0);
  MaskedEegModel mem(MaskedEegModelOptions(test::micro_options()).codebook_size(16));
  mem->eval();  // no dropout: the two computations must agree
  EegInput in = test::random_input(2, 3, 2);
  auto mask = MaskGenerator(MaskOptions().ratio(0.5)).generate(2, 3, 2, 9).mask;
  auto codes = torch::randint(16, {2, 6}, torch::kLong);
  MemLoss l = mem->symmetric_loss(in, codes, mask);
  // Reference: two separate passes as LaBraM's NeuralTransformerForMEM.forward.
  auto logits = mem->forward(in, mask);
  auto logits_sym = mem->forward(in, mask.logical_not());
  auto ce = F::cross_entropy(logits, codes.index({mask}));
  auto ce_sym = F::cross_entropy(logits_sym, codes.index({mask.logical_not()}));
  EXPECT_NEAR(l.loss_masked.item<float>(), ce.item<float>(), 1e-5);
  EXPECT_NEAR(l.loss_symmetric.item<float>(), ce_sym.item<float>(), 1e-5);
  EXPECT_NEAR(l.loss.item<float>(), (ce + ce_sym).item<float>(), 1e-5);
  EXPECT_EQ(l.n_masked, mask.sum().item<int64_t>());
  const double acc = (logits.argmax(-1) == codes.index({mask})).to(torch::kDouble).mean().item<double>();
  EXPECT_DOUBLE_EQ(l.accuracy, acc);
}

TEST(MaskedEegModel, LearnsToPredictCodesOfAFixedBatch) {
  torch::manual_seed(0);
  MaskedEegModel mem(MaskedEegModelOptions(test::micro_options()).codebook_size(4));
  mem->train();
  EegInput in = test::random_input(2, 3, 2, /*seed=*/5);
  auto codes = torch::arange(12, torch::kLong).remainder(4).view({2, 6});
  auto mask = MaskGenerator(MaskOptions().ratio(0.5)).generate(2, 3, 2, 4).mask;
  torch::optim::Adam opt(mem->parameters(), torch::optim::AdamOptions(3e-3));
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 25; ++step) {
    opt.zero_grad();
    MemLoss l = mem->symmetric_loss(in, codes, mask);
    l.loss.backward();
    opt.step();
    if (step == 0) first = l.loss.item<double>();
    last = l.loss.item<double>();
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
}

TEST(MaskedEegModel, ErrorsNameShapes) {
  MaskedEegModel mem(MaskedEegModelOptions(test::micro_options()).codebook_size(16));
  EegInput in = test::random_input(2, 3, 2);
  auto mask = torch::zeros({2, 6}, torch::kBool);
  EXPECT_THAT(
      [&] {
        mem->symmetric_loss(in, torch::zeros({2, 5}, torch::kLong), mask);
      },
      ThrowsMessage<DataError>(HasSubstr("codes have shape [2, 5] but the input has 2 windows of 6 tokens")));
  EXPECT_THAT(
      [&] {
        mem->symmetric_loss(in, torch::full({2, 6}, 16, torch::kLong), mask);
      },
      ThrowsMessage<DataError>(HasSubstr("codes contain 16, outside [0, 16)")));
  EXPECT_THAT(
      [&] {
        mem->symmetric_loss(in, torch::zeros({2, 6}, torch::kLong), torch::zeros({2, 6}));
      },
      ThrowsMessage<DataError>(HasSubstr("mask has shape [2, 6] (float32); expected [2, 6] bool")));
}

}  // namespace
}  // namespace efm::models
