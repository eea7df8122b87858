#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/autocast_mode.h>

#include <cmath>
#include <string>
#include <vector>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/models/transformer.h"
#include "models/detail/attention_kernel.h"
#include "models/detail/fused_attention.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models::detail {
namespace {

namespace F = torch::nn::functional;

// The attention function written with LibTorch ops (as LaBraM's Attention.forward after its qkv Linear).
torch::Tensor reference_attention(const torch::Tensor& qkv, int64_t heads, double scale, double eps,
                                  const FusedAttentionOptions& o) {
  const int64_t b = qkv.size(0), n = qkv.size(1), d = qkv.size(2) / (3 * heads);
  auto t = qkv.view({b, n, 3, heads, d}).permute({2, 0, 3, 1, 4});
  auto q = t[0], k = t[1], v = t[2];
  if (o.q_weight.defined()) {
    q = F::layer_norm(q, F::LayerNormFuncOptions({d}).weight(o.q_weight).bias(o.q_bias).eps(eps));
    k = F::layer_norm(k, F::LayerNormFuncOptions({d}).weight(o.k_weight).bias(o.k_bias).eps(eps));
  }
  auto p = torch::softmax(torch::matmul(q * scale, k.transpose(-2, -1)), -1);
  return torch::matmul(p, v).transpose(1, 2).reshape({b, n, heads * d});
}

struct Case {
  int64_t batch, tokens, heads, head_dim;
  bool qk_norm;
};

std::string name_of(const Case& c) {
  return std::to_string(c.batch) + "x" + std::to_string(c.tokens) + " tokens, " + std::to_string(c.heads) +
         " heads x " + std::to_string(c.head_dim) + (c.qk_norm ? ", QK-norm" : "");
}

// Fused forward and all gradients against the LibTorch-op formulation, in double precision for the reference so
// that the comparison measures the fused kernel's float32 error only. Tolerance: values are O(1) and each output or
// gradient element is a sum of at most a few hundred float32 products of O(1) terms; 2e-5 absolute + 1e-4 relative
// is ~100x the float32 epsilon times sqrt(terms) and far below any real error (a wrong index is O(1)).
void check_against_reference(const Case& c, const AttentionKernels& kernels) {
  SCOPED_TRACE(name_of(c) + ", kernels " + kernels.name);
  torch::manual_seed(7);
  const int64_t d = c.head_dim;
  auto qkv = torch::randn({c.batch, c.tokens, 3 * c.heads * d}).mul_(1.5).requires_grad_(true);
  FusedAttentionOptions o;
  o.heads = c.heads;
  o.scale = 1.0 / std::sqrt(static_cast<double>(d));
  o.eps = 1e-6;
  if (c.qk_norm) {
    o.q_weight = (1.0 + 0.3 * torch::randn({d})).requires_grad_(true);
    o.q_bias = (0.2 * torch::randn({d})).requires_grad_(true);
    o.k_weight = (1.0 + 0.3 * torch::randn({d})).requires_grad_(true);
    o.k_bias = (0.2 * torch::randn({d})).requires_grad_(true);
  }
  auto out = fused_attention(qkv, o, kernels);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{c.batch, c.tokens, c.heads * d}));
  auto grad_out = torch::randn_like(out);
  std::vector<torch::Tensor> inputs{qkv};
  if (c.qk_norm) inputs.insert(inputs.end(), {o.q_weight, o.q_bias, o.k_weight, o.k_bias});
  auto grads = torch::autograd::grad({out}, inputs, {grad_out});

  std::vector<torch::Tensor> dinputs;
  for (const auto& t : inputs) dinputs.push_back(t.detach().to(torch::kDouble).requires_grad_(true));
  FusedAttentionOptions od = o;
  if (c.qk_norm) od.q_weight = dinputs[1], od.q_bias = dinputs[2], od.k_weight = dinputs[3], od.k_bias = dinputs[4];
  auto ref = reference_attention(dinputs[0], c.heads, o.scale, o.eps, od);
  auto ref_grads = torch::autograd::grad({ref}, dinputs, {grad_out.to(torch::kDouble)});

  const auto close = [](const torch::Tensor& a, const torch::Tensor& b) {
    return torch::allclose(a.to(torch::kDouble), b, /*rtol=*/1e-4, /*atol=*/2e-5);
  };
  EXPECT_TRUE(close(out, ref)) << "max |diff| " << (out.to(torch::kDouble) - ref).abs().max().item<double>();
  const char* names[] = {"qkv", "q_norm.weight", "q_norm.bias", "k_norm.weight", "k_norm.bias"};
  for (size_t i = 0; i < grads.size(); ++i) {
    EXPECT_TRUE(close(grads[i], ref_grads[i]))
        << "gradient of " << names[i] << ": max |diff| "
        << (grads[i].to(torch::kDouble) - ref_grads[i]).abs().max().item<double>();
  }
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c{
      {2, 7, 2, 8, true},     // below one vector of tokens
      {3, 93, 10, 20, true},  // LaBraM base: 23 channels x 4 s + [CLS], head_dim 20 (padded to 24)
      {2, 93, 10, 20, false}, {1, 130, 4, 25, true},  // more tokens than one 96-column block; large's head_dim 25
      {2, 17, 3, 50, true},                           // huge's head_dim 50 (7 vectors)
      {1, 1, 2, 16, true},                            // a single token: softmax of one entry
  };
  return c;
}

TEST(FusedAttention, MatchesLibTorchOpsPortableKernels) {
  for (const auto& c : cases()) check_against_reference(c, portable_attention_kernels());
}

TEST(FusedAttention, MatchesLibTorchOpsBestKernels) {
  if (!cpu_has_avx_fma()) {
    std::cout << "[  NOTE    ] this CPU has no AVX+FMA: the best kernels are the portable ones\n";
  }
  EXPECT_STREQ(best_attention_kernels().name, cpu_has_avx_fma() ? "avx+fma" : "portable");
  for (const auto& c : cases()) check_against_reference(c, best_attention_kernels());
}

TEST(FusedAttention, WithoutGradientsKeepsNothingAndGivesTheSameOutput) {
  torch::manual_seed(2);
  auto qkv = torch::randn({2, 93, 3 * 10 * 20}).requires_grad_(true);
  for (bool norm : {true, false}) {
    FusedAttentionOptions o;
    o.heads = 10;
    o.scale = 0.25;
    if (norm) {
      o.q_weight = torch::rand({20}), o.q_bias = torch::randn({20});
      o.k_weight = torch::rand({20}), o.k_bias = torch::randn({20});
    }
    const auto with_graph = fused_attention(qkv, o);
    EXPECT_TRUE(with_graph.requires_grad());
    torch::NoGradGuard no_grad;
    const auto plain = fused_attention(qkv, o);
    EXPECT_FALSE(plain.requires_grad());
    EXPECT_TRUE(torch::equal(plain, with_graph.detach())) << "QK-norm " << norm;
  }
}

TEST(FusedAttention, SoftmaxRowsZeroThePaddingAndSumToOne) {
  for (const AttentionKernels* k : {&portable_attention_kernels(), &best_attention_kernels()}) {
    SCOPED_TRACE(k->name);
    torch::manual_seed(3);
    // 11 of 16 columns used; large, small and equal scores (exp under- and overflow without the max shift).
    auto s = torch::randn({5, 16}).mul_(30.0);
    s.index_put_({4}, 1000.0);
    auto expected = torch::softmax(s.slice(1, 0, 11).to(torch::kDouble), 1);
    k->softmax_rows(s.data_ptr<float>(), 5, 11, 16);
    EXPECT_TRUE(torch::allclose(s.slice(1, 0, 11).to(torch::kDouble), expected, 1e-5, 1e-7));
    EXPECT_TRUE(torch::equal(s.slice(1, 11), torch::zeros({5, 5})));
  }
}

TEST(FusedAttention, GemmRowsReadsTransposedAndAccumulates) {
  for (const AttentionKernels* k : {&portable_attention_kernels(), &best_attention_kernels()}) {
    SCOPED_TRACE(k->name);
    torch::manual_seed(5);
    auto a = torch::randn({37, 13});  // read as A^T: A(m, k) = a[k][m], m < 13, k < 37
    auto b = torch::randn({37, 104});
    auto c = torch::randn({13, 104});
    const auto expected = c.to(torch::kDouble) + a.t().to(torch::kDouble).mm(b.to(torch::kDouble));
    GemmRowsArgs g;
    g.m = 13, g.k = 37, g.cols = 104, g.a = a.data_ptr<float>(), g.a_row = 1, g.a_col = 13;
    g.b = b.data_ptr<float>(), g.ldb = 104, g.c = c.data_ptr<float>(), g.ldc = 104, g.accumulate = true;
    k->gemm_rows(g);
    EXPECT_TRUE(torch::allclose(c.to(torch::kDouble), expected, 1e-5, 1e-5));
  }
}

TEST(FusedAttention, AttentionModuleUsesItWithTheSameResultAsTheOpPath) {
  // Attention's fused branch (float32 CPU) against its own parameters run through the LibTorch-op formulation.
  torch::manual_seed(11);
  Attention attn(BlockOptions(40, 4, 80).qkv_bias(true));
  {
    torch::NoGradGuard no_grad;
    attn->q_bias.normal_(0.0, 0.5);
    attn->v_bias.normal_(0.0, 0.5);
  }
  auto x = torch::randn({2, 9, 40});
  auto y = attn(x);
  FusedAttentionOptions o;
  o.heads = 4;
  o.scale = 1.0 / std::sqrt(10.0);
  o.q_weight = attn->q_norm->weight, o.q_bias = attn->q_norm->bias;
  o.k_weight = attn->k_norm->weight, o.k_bias = attn->k_norm->bias;
  auto bias = torch::cat({attn->q_bias, torch::zeros_like(attn->v_bias), attn->v_bias});
  auto ref = attn->proj(reference_attention(F::linear(x, attn->qkv->weight, bias), 4, o.scale, 1e-6, o));
  EXPECT_TRUE(torch::allclose(y, ref, 1e-4, 1e-5));
  y.pow(2).sum().backward();
  EXPECT_TRUE(attn->q_bias.grad().defined() && attn->q_norm->weight.grad().defined());
  EXPECT_GT(attn->v_bias.grad().abs().sum().item<double>(), 0.0);
}

TEST(FusedAttention, UnderCpuBf16AutocastTheAttentionModuleTakesTheOpPath) {
  // train.precision: bf16 on the CPU. The qkv projection is bfloat16 under autocast, which the kernel does not take,
  // so the module must pick the LibTorch-op path from the projection's type (not from its float32 input).
  torch::manual_seed(12);
  Attention attn(BlockOptions(40, 4, 80));
  auto x = torch::randn({2, 9, 40});
  const auto y32 = attn(x).detach();
  at::autocast::set_autocast_dtype(c10::DeviceType::CPU, at::kBFloat16);
  at::autocast::set_autocast_enabled(c10::DeviceType::CPU, true);
  torch::Tensor y16;
  EXPECT_NO_THROW(y16 = attn(x));
  at::autocast::set_autocast_enabled(c10::DeviceType::CPU, false);
  at::autocast::clear_cache();
  ASSERT_TRUE(y16.defined());
  EXPECT_EQ(y16.scalar_type(), torch::kBFloat16);
  // bfloat16 keeps 8 significant bits (relative rounding up to 2^-9 per stored value); after the two projections,
  // the q/k LayerNorms and softmax, an error above 5 % of the output's largest magnitude would mean a wrong path,
  // not rounding.
  const double bound = 0.05 * y32.abs().max().item<double>();
  EXPECT_LT((y16.to(torch::kFloat) - y32).abs().max().item<double>(), bound);
  y16.to(torch::kFloat).pow(2).sum().backward();
  EXPECT_TRUE(attn->qkv->weight.grad().defined());
}

TEST(FusedAttention, ItsParallelLoopsUseAllIntraOpThreads) {
  // at::parallel_for's OpenMP pragma is compiled into the calling file: src/models/CMakeLists.txt must build
  // fused_attention.cpp with OpenMP, or every loop runs on one thread (as the first version did, unnoticed).
  const int before = at::get_num_threads();
  at::set_num_threads(2);
  EXPECT_EQ(parallel_for_threads_used(/*tasks=*/64), 2);
  at::set_num_threads(1);
  EXPECT_EQ(parallel_for_threads_used(/*tasks=*/64), 1);
  at::set_num_threads(before);
}

TEST(FusedAttention, RejectsWrongInput) {
  FusedAttentionOptions o;
  o.heads = 4;
  EXPECT_THAT(
      [&] {
        fused_attention(torch::zeros({2, 5, 30}), o);
      },
      ThrowsMessage<DataError>(HasSubstr("qkv has shape [2, 5, 30]; expected [batch, tokens, 3 * 4 heads")));
  EXPECT_THAT(
      [&] {
        fused_attention(torch::zeros({2, 5, 24}, torch::kDouble), o);
      },
      ThrowsMessage<DataError>(HasSubstr("qkv must be float32 on the CPU, got float64")));
  o.q_weight = torch::ones({2});
  EXPECT_THAT(
      [&] {
        fused_attention(torch::zeros({2, 5, 24}), o);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("all four or none")));
}

}  // namespace
}  // namespace efm::models::detail
