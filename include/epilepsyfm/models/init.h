#pragma once
/// Weight initialisation (LaBraM/BEiT) shared by the model modules and the task heads.
#include <torch/torch.h>

#include <cmath>

namespace efm::models {

/// In-place truncated normal N(mean, std) restricted to [a, b] (absolute bounds), by inverse-CDF sampling as
/// timm's trunc_normal_ does (defaults a = -2, b = 2: with std 0.02 this is effectively an untruncated normal).
inline void trunc_normal_(torch::Tensor t, double std, double mean = 0.0, double a = -2.0, double b = 2.0) {
  torch::NoGradGuard no_grad;
  auto norm_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double lo = norm_cdf((a - mean) / std);
  const double hi = norm_cdf((b - mean) / std);
  t.uniform_(2.0 * lo - 1.0, 2.0 * hi - 1.0);
  t.erfinv_();
  t.mul_(std * std::sqrt(2.0));
  t.add_(mean);
  t.clamp_(a, b);
}

/// LaBraM/BEiT `_init_weights` for a Linear: trunc_normal(0.02) weight, zero bias.
inline void init_linear(torch::nn::Linear& l, double std = 0.02) {
  trunc_normal_(l->weight, std);
  if (l->bias.defined()) {
    torch::NoGradGuard no_grad;
    l->bias.zero_();
  }
}

}  // namespace efm::models
