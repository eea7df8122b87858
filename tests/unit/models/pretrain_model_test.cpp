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

TEST(MaskedEegModel, SymmetricLossGradientsEqualTwoSeparatePasses) {
  // symmetric_loss computes the mask-independent patch features once for both passes; every parameter gradient
  // must still equal that of the two separate passes.
  torch::manual_seed(1);
  MaskedEegModel mem(MaskedEegModelOptions(test::micro_options()).codebook_size(16));
  mem->eval();  // no dropout
  EegInput in = test::random_input(2, 3, 2);
  auto mask = MaskGenerator(MaskOptions().ratio(0.5)).generate(2, 3, 2, 3).mask;
  auto codes = torch::randint(16, {2, 6}, torch::kLong);
  mem->symmetric_loss(in, codes, mask).loss.backward();
  std::vector<torch::Tensor> shared;
  for (const auto& p : mem->parameters()) {
    shared.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
  auto ce = F::cross_entropy(mem->forward(in, mask), codes.index({mask}));
  auto ce_sym = F::cross_entropy(mem->forward(in, mask.logical_not()), codes.index({mask.logical_not()}));
  (ce + ce_sym).backward();
  const auto params = mem->named_parameters();
  int64_t nonzero = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i].value();
    auto separate = p.grad().defined() ? p.grad() : torch::zeros_like(p);
    // float32 sums in a different order: agreement to ~1e-6 relative is expected.
    EXPECT_TRUE(torch::allclose(shared[i], separate, /*rtol=*/1e-4, /*atol=*/1e-6)) << params[i].key();
    if (shared[i].abs().sum().item<float>() > 0) ++nonzero;
  }
  EXPECT_GT(nonzero, 10);  // the temporal/spectral encoders and blocks all received gradient
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
