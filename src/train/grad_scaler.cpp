#include "epilepsyfm/train/grad_scaler.h"

#include <cmath>

#include "epilepsyfm/core/check.h"

namespace efm::train {

GradScaler::GradScaler(const torch::Device& device, GradScalerOptions options) : options_(options) {
  EFM_CHECK_ARG(std::isfinite(options_.init_scale) && options_.init_scale > 0,
                "GradScaler: init_scale ({}) must be a positive number", options_.init_scale);
  EFM_CHECK_ARG(options_.growth_factor > 1, "GradScaler: growth_factor ({}) must be > 1", options_.growth_factor);
  EFM_CHECK_ARG(options_.backoff_factor > 0 && options_.backoff_factor < 1,
                "GradScaler: backoff_factor ({}) must be in (0, 1)", options_.backoff_factor);
  EFM_CHECK_ARG(options_.growth_interval >= 1, "GradScaler: growth_interval ({}) must be >= 1",
                options_.growth_interval);
  // The kernels want a float32 scale and an int32 tracker, both single-element and on the gradients' device.
  scale_ = torch::full({1}, options_.init_scale, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  growth_tracker_ = torch::zeros({1}, torch::TensorOptions().dtype(torch::kInt32).device(device));
}

torch::Tensor GradScaler::scale(const torch::Tensor& loss) const {
  if (!enabled()) return loss;
  return loss * scale_.reshape({});
}

torch::Tensor GradScaler::unscale(const std::vector<torch::Tensor>& params) const {
  if (!enabled()) return {};
  torch::NoGradGuard no_grad;
  torch::Tensor found_inf = torch::zeros({1}, scale_.options());
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return found_inf;
  // As torch.amp.GradScaler.unscale_: the reciprocal in double precision, then float32.
  const torch::Tensor inv_scale = scale_.to(torch::kFloat64).reciprocal().to(torch::kFloat32);
  at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale);
  return found_inf;
}

void GradScaler::update(const torch::Tensor& found_inf) {
  if (!enabled()) return;
  EFM_CHECK_ARG(found_inf.defined() && found_inf.numel() == 1, "GradScaler::update: found_inf must have 1 element");
  at::_amp_update_scale_(scale_, growth_tracker_, found_inf.to(scale_.options()), options_.growth_factor,
                         options_.backoff_factor, options_.growth_interval);
}

double GradScaler::scale_value() const {
  return enabled() ? scale_.item<double>() : 1.0;
}

int64_t GradScaler::growth_tracker() const {
  return enabled() ? growth_tracker_.item<int64_t>() : 0;
}

void GradScaler::set_state(double scale, int64_t growth_tracker) {
  if (!enabled()) return;
  EFM_CHECK_ARG(std::isfinite(scale) && scale > 0, "GradScaler: saved scale ({}) must be a positive number", scale);
  EFM_CHECK_ARG(growth_tracker >= 0, "GradScaler: saved growth tracker ({}) must be >= 0", growth_tracker);
  scale_.fill_(scale);
  growth_tracker_.fill_(growth_tracker);
}

}  // namespace efm::train
