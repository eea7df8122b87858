#pragma once
/// Dynamic loss scaling for float16 mixed precision (`train.precision: fp16`): the algorithm of PyTorch's
/// torch.amp.GradScaler, with its defaults (torch/amp/grad_scaler.py: init_scale 2^16, growth_factor 2.0,
/// backoff_factor 0.5, growth_interval 2000) and the same two ATen kernels.
///
///   GradScaler scaler(device);                           // enabled; GradScaler() is disabled (every call a no-op)
///   (scaler.scale(loss) / accumulation).backward();      // gradients are `scale` times too large
///   ... average gradients over ranks ...
///   torch::Tensor found_inf = scaler.unscale(params);    // grads /= scale; found_inf [1] = 1 if any is inf/nan
///   if (found_inf.item<float>() == 0) optimizer.step();  // else: skip the step (the gradients are garbage)
///   scaler.update(found_inf);
///
/// Why: float16 has 5 exponent bits, so gradient entries below ~6e-8 (2^-24) flush to zero and above 65504
/// overflow. Scaling the loss moves the gradients into range; an overflow is detected on the unscaled gradients
/// (at::_amp_foreach_non_finite_check_and_unscale_) and halves the scale, and every `growth_interval` overflow-free
/// steps in a row double it (at::_amp_update_scale_), so the scale hovers just below overflow. Parameters,
/// gradients and optimiser moments stay float32 (autocast only lowers the forward's products).
///
/// The state (scale, growth tracker) lives on the device (no host sync per step); scale_value() and
/// growth_tracker() read it (one sync each), set_state() writes it (checkpoint resume). Both kernels also have CPU
/// implementations in LibTorch 2.x, so the class works (and is tested) with CPU tensors, although the Trainer only
/// enables float16 on CUDA.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace efm::train {

struct GradScalerOptions {
  double init_scale = 65536.0;  ///< 2^16
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;  ///< overflow-free steps in a row before the scale grows
};

class GradScaler {
 public:
  /// Disabled: scale() returns the loss unchanged, unscale() returns an undefined tensor, update() does nothing.
  GradScaler() = default;
  /// Enabled, with its state on `device`. Throws ArgumentError for non-positive factors, a growth factor <= 1, a
  /// backoff factor outside (0, 1) or a growth interval < 1.
  explicit GradScaler(const torch::Device& device, GradScalerOptions options = {});

  bool enabled() const { return scale_.defined(); }
  const GradScalerOptions& options() const { return options_; }

  /// loss × scale (the loss's shape; float32 when the loss is float16). Disabled: `loss` itself.
  torch::Tensor scale(const torch::Tensor& loss) const;
  /// Divides every defined gradient of `params` by the scale, in place, and returns found_inf: a float32 [1]
  /// tensor on the device, 1 when any gradient had an inf or NaN entry (the gradients are then unusable), else 0.
  /// All gradients must be on the scaler's device. Disabled: returns an undefined tensor and leaves gradients alone.
  torch::Tensor unscale(const std::vector<torch::Tensor>& params) const;
  /// Updates the scale from the found_inf of unscale(): inf found -> scale × backoff_factor and tracker = 0;
  /// otherwise tracker + 1, and when it reaches growth_interval: scale × growth_factor and tracker = 0.
  void update(const torch::Tensor& found_inf);

  /// The current scale (host sync). Disabled: 1.
  double scale_value() const;
  /// Overflow-free steps since the last change of the scale (host sync). Disabled: 0.
  int64_t growth_tracker() const;
  /// Restores a saved state (resume). Throws ArgumentError for a non-finite or non-positive scale.
  void set_state(double scale, int64_t growth_tracker);
  /// The scale tensor (float32 [1] on the device; undefined when disabled), e.g. to read it with other values.
  const torch::Tensor& scale_tensor() const { return scale_; }

 private:
  GradScalerOptions options_;
  torch::Tensor scale_;           ///< float32 [1]
  torch::Tensor growth_tracker_;  ///< int32 [1]
};

}  // namespace efm::train
