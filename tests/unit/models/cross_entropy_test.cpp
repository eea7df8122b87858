#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "epilepsyfm/core/error.h"
#include "models/detail/cross_entropy.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models::detail {
namespace {

float max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<float>();
}

// Loss, accuracy and gradient against torch's cross_entropy in double precision. Tolerance: logits are O(3), the
// loss is log(sum of C exponentials) - logit, computed with float32 exponentials of relative error ~1e-7 (the
// attention kernels' exp); 2e-5 absolute on the loss and 2e-6 on each gradient entry (softmax values <= 1) is ~100x
// float32 rounding and far below a wrong index or a missing term (>= 1/C for these sizes).
void check(int64_t rows, int64_t classes) {
  SCOPED_TRACE(std::to_string(rows) + " rows x " + std::to_string(classes) + " classes");
  torch::manual_seed(11);
  auto logits = (3.0 * torch::randn({rows, classes})).requires_grad_(true);
  auto labels = torch::randint(0, classes, {rows}, torch::kLong);
  labels[0] = logits.detach()[0].argmax();  // at least one correct prediction
  auto [loss, correct] = cross_entropy_with_accuracy(logits, labels);
  ASSERT_EQ(loss.sizes().vec(), (std::vector<int64_t>{rows}));
  ASSERT_EQ(correct.sizes().vec(), (std::vector<int64_t>{rows}));
  auto w = torch::rand({rows});  // per-row weights as a mean over slices produces
  (loss * w).sum().backward();

  auto ld = logits.detach().to(torch::kDouble).requires_grad_(true);
  auto [ref_loss, ref_correct] = cross_entropy_with_accuracy_ops(ld, labels);
  (ref_loss * w.to(torch::kDouble)).sum().backward();
  EXPECT_LT(max_abs_diff(loss, ref_loss), 2e-5f);
  EXPECT_TRUE(torch::equal(correct, ref_correct.to(torch::kFloat)));
  EXPECT_EQ(correct[0].item<float>(), 1.0F);
  EXPECT_LT(max_abs_diff(logits.grad(), ld.grad()), 2e-6f);
}

TEST(CrossEntropy, LossAccuracyAndGradientEqualTorch) {
  check(/*rows=*/37, /*classes=*/8192);  // pre-training's codebook size
  check(/*rows=*/5, /*classes=*/13);     // not a multiple of the vector width
  check(/*rows=*/1, /*classes=*/1);      // a single class: loss 0, gradient 0
}

TEST(CrossEntropy, NonFiniteLogitGivesNaNLossForThatRowOnly) {
  auto logits = torch::zeros({3, 4});
  logits[1][2] = std::numeric_limits<float>::quiet_NaN();
  logits[2][0] = std::numeric_limits<float>::infinity();
  logits.requires_grad_(true);
  auto [loss, correct] = cross_entropy_with_accuracy(logits, torch::tensor({0, 1, 2}, torch::kLong));
  EXPECT_NEAR(loss[0].item<float>(), std::log(4.0F), 1e-6);
  EXPECT_TRUE(std::isnan(loss[1].item<float>()));
  EXPECT_TRUE(std::isnan(loss[2].item<float>()));
  loss.sum().backward();
  EXPECT_TRUE(std::isfinite(logits.grad()[0].sum().item<float>()));
  EXPECT_TRUE(std::isnan(logits.grad()[1].sum().item<float>()));
}

TEST(CrossEntropy, BadLabelsAndShapesAreErrors) {
  EXPECT_THAT(
      [] {
        cross_entropy_with_accuracy(torch::zeros({2, 4}), torch::tensor({0, 4}, torch::kLong));
      },
      ThrowsMessage<ArgumentError>(HasSubstr("cross_entropy: label 4 outside [0, 4)")));
  EXPECT_THAT(
      [] {
        cross_entropy_with_accuracy(torch::zeros({2, 4}), torch::tensor({0}, torch::kLong));
      },
      ThrowsMessage<ArgumentError>(HasSubstr("cross_entropy: logits [2, 4] and labels [1] do not match")));
}

}  // namespace
}  // namespace efm::models::detail
