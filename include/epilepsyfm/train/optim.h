#pragma once
/// Optimiser pieces of the trainer: AdamW parameter groups with weight-decay exclusions and per-parameter
/// learning-rate scales, the warmup + cosine schedule, gradient clipping, the training precision and autocast.
///
/// Weight-decay rule (after LaBraM/BEiT-v2 optim_factory.get_parameter_groups, which skips 1-D parameters, biases
/// and the model's no_weight_decay() names). A trainable parameter gets NO weight decay when any holds:
///   1. it has at most one dimension (biases, LayerNorm/GroupNorm weights, layer-scale gammas, 1-D tokens);
///   2. its name ends in ".bias" (also covers multi-dimensional biases);
///   3. it belongs to a normalisation module (a name component containing "norm", e.g. "blocks.0.norm1.weight");
///   4. it is an embedding table: the weight of a torch::nn::Embedding module, or a parameter whose own name
///      (the last component) ends in "embed", "embedding" or "embeddings" (e.g. "pos_embed", "time_embed");
///   5. it is a token: the last name component contains "token" ("cls_token", "mask_token");
///   6. its full name is listed in `extra_no_decay` (a task's own exclusions).
/// Everything else (linear and convolution weights, including "patch_embed.proj.weight") is decayed. Frozen
/// parameters (requires_grad false) are not given to the optimiser at all.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "epilepsyfm/config/train.h"

namespace efm::train {

/// Learning-rate multiplier per parameter name (e.g. layer-wise decay in fine-tuning: 0.65^(depth - layer)).
using LrScaleFn = std::function<double(const std::string& param_name)>;

/// True when rule 1–5 above exempts `name` from weight decay. `in_embedding_module` = owned by nn::Embedding.
bool excluded_from_weight_decay(const std::string& name, const torch::Tensor& param, bool in_embedding_module);

/// One AdamW parameter group.
struct ParamGroup {
  std::vector<std::string> names;
  std::vector<torch::Tensor> params;
  double weight_decay = 0;
  double lr_scale = 1;
};

/// The trainable parameters of `model` in named_parameters() order, grouped by (decay or not, lr scale); groups
/// appear in order of their first parameter. Throws ArgumentError when the model has no trainable parameter or
/// `lr_scale` returns a negative or non-finite value (naming the parameter).
std::vector<ParamGroup> make_param_groups(torch::nn::Module& model, double weight_decay, const LrScaleFn& lr_scale = {},
                                          const std::vector<std::string>& extra_no_decay = {});

struct AdamWSettings {
  double lr = 5e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};
/// AdamW over `groups` (each with its own weight decay; lr is set per step by set_learning_rate).
std::unique_ptr<torch::optim::AdamW> make_adamw(const std::vector<ParamGroup>& groups, const AdamWSettings& settings);

/// Sets every group's lr to lr × groups[i].lr_scale (`groups` as given to make_adamw).
void set_learning_rate(torch::optim::Optimizer& optimizer, const std::vector<ParamGroup>& groups, double lr);

/// Linear warmup then cosine decay, per optimiser step, as LaBraM's utils.cosine_scheduler (BEiT-v2):
///   step t < W:      lr(t) = lr · t / (W − 1)   (np.linspace(0, lr, W): t = 0 gives 0, t = W − 1 gives lr;
///                                               W = 1 gives lr(0) = 0)
///   W <= t < T:      lr(t) = min_lr + ½ (lr − min_lr) (1 + cos(π (t − W) / (T − W)))
///   t >= T:          min_lr
/// with t the 0-based index of the optimiser step about to run, W = warmup_steps, T = total_steps.
struct CosineSchedule {
  double lr = 5e-4;
  double min_lr = 1e-6;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double at(int64_t step) const;
};

/// Scales the gradients of `params` so their global L2 norm is at most `max_norm` (max_norm <= 0: no clipping)
/// and returns the norm before clipping (float64; NaN/inf when a gradient is non-finite). Parameters without a
/// gradient are skipped. Reads the norm on the host; the Trainer uses the two halves below instead.
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

/// The global L2 norm of the gradients of `params` as a float64 scalar tensor on their device (no host sync; an
/// undefined tensor when no parameter has a gradient). Same arithmetic as clip_grad_norm: per-tensor norms in
/// float64, then the norm of those.
torch::Tensor grad_norm_tensor(const std::vector<torch::Tensor>& params);
/// The clipping of clip_grad_norm given the norm `total` read on the host: when max_norm > 0 and total is finite
/// and above it, every gradient is multiplied by max_norm / (total + 1e-6) (torch.nn.utils.clip_grad_norm_).
void clip_gradients(const std::vector<torch::Tensor>& params, double max_norm, double total);

/// Forward-pass precision of training (train.precision, config/train.h).
enum class Precision {
  fp32,  ///< no autocast
  bf16,  ///< bfloat16 autocast
  fp16,  ///< float16 autocast with dynamic loss scaling (grad_scaler.h)
};
/// "fp32", "bf16", "fp16".
const char* to_string(Precision precision);
/// The autocast dtype of `precision` (kBFloat16 or kHalf; fp32: kFloat).
at::ScalarType autocast_dtype(Precision precision);

/// Resolves the `train.precision` setting (auto | fp32 | bf16 | fp16) for `device`: auto = bf16 on CUDA and fp32
/// elsewhere; bf16 on CPU or CUDA (the device types LibTorch autocasts here); fp16 on CUDA only. Throws ConfigError
/// naming train.precision for fp16 or bf16 on a device that does not support it.
/// Why auto is fp32 on the CPU: bf16 keeps 8 bits of mantissa, so a CPU run (tests, small experiments, the reference
/// numbers) stays float32 unless asked. Whether CPU bf16 is faster depends on the CPU's bf16 instructions: on the
/// 2-core development machine (avx512_bf16, PyTorch 2.13.0, one thread, min of 40) a 200-800-200 GELU MLP
/// forward+backward on 736 tokens took 0.014 s in float32 and 0.004 s under bf16 autocast. GPUs before Ampere have
/// no bfloat16 arithmetic: use fp16 (or fp32) there.
Precision resolve_precision(config::PrecisionSetting setting, const torch::Device& device);

/// Enables autocast to `dtype` (bfloat16 or float16) for `device` in this scope (no-op when `enabled` is false);
/// restores the previous state and clears the autocast cache on exit.
class AutocastGuard {
 public:
  AutocastGuard(bool enabled, const torch::Device& device, at::ScalarType dtype = at::kBFloat16);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_ = false;
  c10::DeviceType device_type_ = c10::DeviceType::CPU;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kBFloat16;
};

}  // namespace efm::train
