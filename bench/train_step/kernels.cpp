#include "kernels.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <functional>

#include "models/detail/cross_entropy.h"
#include "models/detail/fused_attention.h"
#include "steps.h"

namespace efm::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Times `kernel` and `builtin` alternately (each call: forward and, when it returns a tensor needing gradients,
// backward of its sum weighted by a fixed random tensor).
void time_pair(KernelTimes& t, const std::function<torch::Tensor()>& kernel,
               const std::function<torch::Tensor()>& builtin, int reps) {
  std::vector<double> k, b;
  for (int r = 0; r < reps + 2; ++r) {
    for (int side = 0; side < 2; ++side) {
      const auto t0 = Clock::now();
      auto y = side == 0 ? kernel() : builtin();
      if (y.requires_grad()) y.backward(torch::ones_like(y));
      const double ms = ms_since(t0);
      if (r >= 2) (side == 0 ? k : b).push_back(ms);
    }
  }
  t.kernel_ms = median(k);
  t.builtin_ms = median(b);
  torch::NoGradGuard no_grad;
  t.max_abs_diff = (kernel().to(torch::kDouble) - builtin().to(torch::kDouble)).abs().max().item<double>();
}

}  // namespace

std::vector<KernelTimes> kernel_times(int64_t windows, int64_t tokens, int64_t heads, int64_t head_dim, int64_t rows,
                                      int64_t codes, int reps) {
  namespace detail = models::detail;
  torch::manual_seed(0);
  std::vector<KernelTimes> out;

  {
    auto qkv = torch::randn({windows, tokens, 3 * heads * head_dim}).requires_grad_(true);
    detail::FusedAttentionOptions o;
    o.heads = heads;
    o.scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    o.q_weight = torch::ones({head_dim}).requires_grad_(true);
    o.q_bias = torch::zeros({head_dim}).requires_grad_(true);
    o.k_weight = torch::ones({head_dim}).requires_grad_(true);
    o.k_bias = torch::zeros({head_dim}).requires_grad_(true);
    const auto w = torch::randn({windows, tokens, heads * head_dim});
    KernelTimes t{"attention core (QK-norm, softmax(QK^T)V)", "models/detail/fused_attention",
                  "layer_norm + at::scaled_dot_product_attention"};
    time_pair(
        t, [&] { return detail::fused_attention(qkv, o) * w; }, [&] { return detail::attention_ops(qkv, o) * w; },
        reps);
    out.push_back(t);
  }
  {
    auto logits = torch::randn({rows, codes}).requires_grad_(true);
    const auto labels = torch::randint(codes, {rows}, torch::kLong);
    KernelTimes t{"masked-token cross-entropy + accuracy", "models/detail/cross_entropy", "cross_entropy + argmax"};
    time_pair(
        t, [&] { return detail::cross_entropy_with_accuracy(logits, labels).first; },
        [&] { return detail::cross_entropy_with_accuracy_ops(logits, labels).first; }, reps);
    out.push_back(t);
  }
  return out;
}

}  // namespace efm::bench
