#include "attention.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <vector>

#include "models/detail/fused_attention.h"
#include "steps.h"

namespace efm::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace

AttentionTimes attention_core_times(int64_t windows, int64_t tokens, int64_t heads, int64_t head_dim, int reps) {
  torch::manual_seed(0);
  auto qkv = torch::randn({windows, tokens, 3 * heads * head_dim}).requires_grad_(true);
  models::detail::FusedAttentionOptions o;
  o.heads = heads;
  o.scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  o.q_weight = torch::ones({head_dim}).requires_grad_(true);
  o.q_bias = torch::zeros({head_dim}).requires_grad_(true);
  o.k_weight = torch::ones({head_dim}).requires_grad_(true);
  o.k_bias = torch::zeros({head_dim}).requires_grad_(true);
  const auto grad = torch::randn({windows, tokens, heads * head_dim});
  std::vector<double> ff, fb, of, ob;
  AttentionTimes t;
  for (int r = 0; r < reps + 2; ++r) {
    for (int fused = 0; fused < 2; ++fused) {
      const auto t0 = Clock::now();
      auto y = fused == 1 ? models::detail::fused_attention(qkv, o) : models::detail::attention_ops(qkv, o);
      const double f = ms_since(t0);
      const auto t1 = Clock::now();
      y.backward(grad);
      const double b = ms_since(t1);
      if (r < 2) continue;  // warm-up
      (fused == 1 ? ff : of).push_back(f);
      (fused == 1 ? fb : ob).push_back(b);
    }
  }
  {
    torch::NoGradGuard no_grad;
    t.max_abs_diff =
        (models::detail::fused_attention(qkv, o) - models::detail::attention_ops(qkv, o)).abs().max().item<double>();
  }
  t.fused_forward_ms = median(ff);
  t.fused_backward_ms = median(fb);
  t.ops_forward_ms = median(of);
  t.ops_backward_ms = median(ob);
  return t;
}

}  // namespace efm::bench
