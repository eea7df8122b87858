#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <ATen/autocast_mode.h>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/models/runtime.h"
#include "models/detail/gemm_linear.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models::detail {
namespace {

struct Case {
  std::vector<int64_t> x_shape;  // [..., in]
  int64_t out;
  bool bias;
};

std::string name_of(const Case& c) {
  std::string s = "x [";
  for (size_t i = 0; i < c.x_shape.size(); ++i) s += (i ? ", " : "") + std::to_string(c.x_shape[i]);
  return s + "] -> " + std::to_string(c.out) + (c.bias ? " with bias" : " without bias");
}

float max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<float>();
}

// Output and the three gradients against torch::linear evaluated in double precision, so that the comparison
// measures gemm_linear's float32 error only. Tolerance: inputs are O(1) and every element is a sum of at most
// `in` (forward, weight gradient: at most 2 x 93 rows here) products; 1e-4 absolute is ~50x float32's epsilon
// times sqrt(terms) for these sizes, and far below any indexing or transposition error (O(1)).
void check(const Case& c) {
  SCOPED_TRACE(name_of(c));
  torch::manual_seed(3);
  const int64_t in = c.x_shape.back();
  auto x = torch::randn(c.x_shape).requires_grad_(true);
  auto w = (0.3 * torch::randn({c.out, in})).requires_grad_(true);
  auto b = c.bias ? torch::randn({c.out}).requires_grad_(true) : torch::Tensor();
  auto y = gemm_linear(x, w, b);
  std::vector<int64_t> want_shape = c.x_shape;
  want_shape.back() = c.out;
  ASSERT_EQ(y.sizes().vec(), want_shape);
  ASSERT_EQ(y.scalar_type(), torch::kFloat);
  auto g = torch::randn(want_shape);
  y.backward(g);

  auto xd = x.detach().to(torch::kDouble).requires_grad_(true);
  auto wd = w.detach().to(torch::kDouble).requires_grad_(true);
  auto bd = c.bias ? b.detach().to(torch::kDouble).requires_grad_(true) : torch::Tensor();
  auto yd = torch::linear(xd, wd, bd);
  yd.backward(g.to(torch::kDouble));
  const float tol = 1e-4f;
  EXPECT_LT(max_abs_diff(y, yd), tol);
  EXPECT_LT(max_abs_diff(x.grad(), xd.grad()), tol);
  EXPECT_LT(max_abs_diff(w.grad(), wd.grad()), tol);
  if (c.bias) {
    EXPECT_LT(max_abs_diff(b.grad(), bd.grad()), tol);
  }
}

TEST(GemmLinear, OutputAndGradientsEqualTorchLinear) {
  for (const Case& c : std::vector<Case>{{{7, 5}, 3, true},
                                         {{2, 93, 20}, 60, true},  // tiny blocks: [B, N, d] -> qkv
                                         {{2, 93, 20}, 60, false},
                                         {{4, 3, 6, 17}, 9, true},  // more leading dimensions
                                         {{1, 64}, 513, true},      // one row, wide output (lm_head-like)
                                         {{11}, 4, true}}) {        // a single vector
    check(c);
  }
}

TEST(GemmLinear, NonContiguousInputsGiveTheSameResult) {
  torch::manual_seed(5);
  auto x = torch::randn({6, 8, 10}).transpose(0, 1);  // [8, 6, 10], not contiguous
  auto w = torch::randn({12, 10});
  auto w_strided = torch::randn({10, 12}).t();     // [12, 10], not contiguous
  auto b = torch::randn({24}).slice(0, 0, 24, 2);  // [12], stride 2
  EXPECT_LT(max_abs_diff(gemm_linear(x, w, b), torch::linear(x, w, b)), 1e-5f);
  EXPECT_LT(max_abs_diff(gemm_linear(x, w_strided, b), torch::linear(x, w_strided, b)), 1e-5f);
}

TEST(GemmLinear, NoRowsGiveAnEmptyOutputAndZeroWeightGradient) {
  auto x = torch::zeros({0, 5}).requires_grad_(true);
  auto w = torch::randn({3, 5}).requires_grad_(true);
  auto b = torch::randn({3}).requires_grad_(true);
  auto y = gemm_linear(x, w, b);
  EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{0, 3}));
  y.sum().backward();
  EXPECT_EQ(w.grad().abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(b.grad().abs().sum().item<float>(), 0.0f);
}

TEST(GemmLinear, OnlyRequestedGradientsAreComputed) {
  torch::manual_seed(6);
  auto x = torch::randn({4, 5});  // no gradient wanted (a frozen input such as the signal)
  auto w = torch::randn({3, 5}).requires_grad_(true);
  gemm_linear(x, w, {}).sum().backward();
  EXPECT_FALSE(x.grad().defined());
  // d/dW sum(x W^T) = column sums of x, repeated for each output row.
  EXPECT_LT(max_abs_diff(w.grad(), x.sum(0).expand({3, 5})), 1e-5f);
}

TEST(GemmLinear, ShapeAndDtypeErrorsNameWhatWasExpected) {
  EXPECT_THAT(
      [] {
        gemm_linear(torch::zeros({2, 4}), torch::zeros({3, 5}), {});
      },
      ThrowsMessage<ArgumentError>(HasSubstr("gemm_linear: x [2, 4] and weight [3, 5] do not match")));
  EXPECT_THAT(
      [] {
        gemm_linear(torch::zeros({2, 5}), torch::zeros({3, 5}), torch::zeros({4}));
      },
      ThrowsMessage<ArgumentError>(HasSubstr("gemm_linear: bias [4] does not match weight [3, 5]")));
  if (gemm_linear_built()) {
    EXPECT_THAT(
        [] {
          gemm_linear(torch::zeros({2, 5}, torch::kDouble), torch::zeros({3, 5}, torch::kDouble), {});
        },
        ThrowsMessage<ArgumentError>(HasSubstr("gemm_linear: needs float32 CPU tensors, got x float64")));
  }
}

TEST(GemmLinear, LinearFallsBackToTorchForOtherDtypes) {
  // float64 (used by gradient checks) goes through torch::linear, bit for bit.
  torch::manual_seed(8);
  auto x = torch::randn({3, 4}, torch::kDouble);
  auto w = torch::randn({2, 4}, torch::kDouble);
  auto b = torch::randn({2}, torch::kDouble);
  EXPECT_TRUE(torch::equal(detail::linear(x, w, b), torch::linear(x, w, b)));
}

TEST(GemmLinear, LinearLeavesCpuAutocastToTorch) {
  // train.bf16: on for CPU autocasts Linear products to bfloat16; linear() must not bypass that with float32.
  torch::manual_seed(9);
  auto x = torch::randn({4, 8});
  auto w = torch::randn({3, 8});
  const bool prev = at::autocast::is_cpu_enabled();
  const auto prev_dtype = at::autocast::get_autocast_cpu_dtype();
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(true);
  const auto y = detail::linear(x, w, {});
  at::autocast::set_cpu_enabled(prev);
  at::autocast::set_autocast_cpu_dtype(prev_dtype);
  at::autocast::clear_cache();
  EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(detail::linear(x, w, {}).scalar_type(), torch::kFloat);
}

TEST(GemmLinear, RuntimeReportsTheImplementation) {
  const std::string s = linear_implementation();
  if (gemm_linear_enabled()) {
    EXPECT_THAT(s, HasSubstr("oneDNN matmul + sgemm (libdnnl "));
    EXPECT_THAT(gemm_library_version(), ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  } else {
    EXPECT_THAT(s, HasSubstr("LibTorch BLAS"));
  }
}

}  // namespace
}  // namespace efm::models::detail
