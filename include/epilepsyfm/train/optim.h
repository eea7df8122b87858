#pragma once
/// Optimiser pieces of the trainer: AdamW parameter groups with weight-decay exclusions and per-parameter
/// learning-rate scales, the warmup + cosine schedule, gradient clipping and bf16 autocast.
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
/// gradient are skipped.
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

/// Resolves the `bf16` setting (auto | on | off) for `device`: auto = on for CUDA, off on CPU; on = on for CPU and
/// CUDA (the device types LibTorch 1.13 autocasts). Why off on CPU: on the 2-core dev machine (no avx512_bf16) a
/// 200-800-200 GELU MLP forward+backward on 736 tokens took ~0.3-0.45 s in float32 and ~1.4-1.9 s under CPU bf16
/// autocast (torch 1.13, measured once with Debian's python3-torch, which uses the same LibTorch). Pre-Ampere GPUs
/// have no bf16: use `off` there.
bool resolve_bf16(const std::string& setting, const torch::Device& device);

/// Enables autocast to bfloat16 for `device` in this scope (no-op when `enabled` is false); restores the previous
/// state and clears the autocast cache on exit.
class AutocastGuard {
 public:
  AutocastGuard(bool enabled, const torch::Device& device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_ = false;
  bool cuda_ = false;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kBFloat16;
};

}  // namespace efm::train
