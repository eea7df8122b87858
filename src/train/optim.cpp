#include "epilepsyfm/train/optim.h"

#include <ATen/autocast_mode.h>

#include <cmath>
#include <limits>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/strings.h"

namespace efm::train {

namespace {
std::vector<std::string> split_dots(const std::string& name) {
  std::vector<std::string> parts;
  size_t from = 0;
  for (;;) {
    const size_t dot = name.find('.', from);
    parts.push_back(name.substr(from, dot == std::string::npos ? std::string::npos : dot - from));
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  return parts;
}
}  // namespace

bool excluded_from_weight_decay(const std::string& name, const torch::Tensor& param, bool in_embedding_module) {
  if (param.dim() <= 1) return true;
  if (name.ends_with(".bias") || name == "bias") return true;
  if (in_embedding_module) return true;
  const auto parts = split_dots(to_lower(name));
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].find("norm") != std::string::npos) return true;
  }
  const std::string& leaf = parts.back();
  if (leaf.ends_with("embed") || leaf.ends_with("embedding") || leaf.ends_with("embeddings")) return true;
  if (leaf.find("token") != std::string::npos) return true;
  return false;
}

std::vector<ParamGroup> make_param_groups(torch::nn::Module& model, double weight_decay, const LrScaleFn& lr_scale,
                                          const std::vector<std::string>& extra_no_decay) {
  std::set<std::string> embedding_params;
  // include_self=false: named_modules() cannot return a top-level module that is not held by a shared_ptr.
  if (dynamic_cast<torch::nn::EmbeddingImpl*>(&model) != nullptr) {
    for (const auto& p : model.named_parameters(/*recurse=*/false)) embedding_params.insert(p.key());
  }
  for (const auto& item : model.named_modules(/*name_prefix=*/"", /*include_self=*/false)) {
    if (item.value()->as<torch::nn::Embedding>() != nullptr) {
      for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) {
        embedding_params.insert(item.key() + "." + p.key());
      }
    }
  }
  const std::set<std::string> extra(extra_no_decay.begin(), extra_no_decay.end());
  std::vector<ParamGroup> groups;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    const std::string& name = item.key();
    const torch::Tensor& p = item.value();
    if (!p.requires_grad()) continue;
    const bool no_decay =
        extra.count(name) > 0 || excluded_from_weight_decay(name, p, embedding_params.count(name) > 0);
    const double wd = no_decay ? 0.0 : weight_decay;
    const double scale = lr_scale ? lr_scale(name) : 1.0;
    EFM_CHECK_ARG(std::isfinite(scale) && scale >= 0, "learning-rate scale of parameter '{}' is {}; expected >= 0",
                  name, scale);
    ParamGroup* g = nullptr;
    for (auto& existing : groups) {
      if (existing.weight_decay == wd && existing.lr_scale == scale) g = &existing;
    }
    if (!g) {
      groups.push_back(ParamGroup{{}, {}, wd, scale});
      g = &groups.back();
    }
    g->names.push_back(name);
    g->params.push_back(p);
  }
  EFM_CHECK_ARG(!groups.empty(), "the model has no trainable parameters");
  return groups;
}

std::unique_ptr<torch::optim::AdamW> make_adamw(const std::vector<ParamGroup>& groups, const AdamWSettings& s) {
  std::vector<torch::optim::OptimizerParamGroup> pgs;
  for (const auto& g : groups) {
    auto opt = std::make_unique<torch::optim::AdamWOptions>(s.lr * g.lr_scale);
    opt->betas(std::make_tuple(s.beta1, s.beta2)).eps(s.eps).weight_decay(g.weight_decay);
    pgs.emplace_back(g.params, std::move(opt));
  }
  torch::optim::AdamWOptions defaults(s.lr);
  defaults.betas(std::make_tuple(s.beta1, s.beta2)).eps(s.eps).weight_decay(0);
  return std::make_unique<torch::optim::AdamW>(std::move(pgs), defaults);
}

void set_learning_rate(torch::optim::Optimizer& optimizer, const std::vector<ParamGroup>& groups, double lr) {
  auto& pgs = optimizer.param_groups();
  EFM_CHECK_STATE(pgs.size() == groups.size(), "optimizer has {} parameter groups, expected {}", pgs.size(),
                  groups.size());
  for (size_t i = 0; i < pgs.size(); ++i) pgs[i].options().set_lr(lr * groups[i].lr_scale);
}

double CosineSchedule::at(int64_t step) const {
  if (step < warmup_steps) {
    if (warmup_steps == 1) return 0.0;
    return lr * static_cast<double>(step) / static_cast<double>(warmup_steps - 1);
  }
  if (step >= total_steps || total_steps <= warmup_steps) return min_lr;
  const double progress = static_cast<double>(step - warmup_steps) / static_cast<double>(total_steps - warmup_steps);
  return min_lr + 0.5 * (lr - min_lr) * (1.0 + std::cos(M_PI * progress));
}

torch::Tensor grad_norm_tensor(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  for (const auto& p : params) {
    if (p.grad().defined()) norms.push_back(p.grad().detach().to(torch::kFloat64).norm(2));
  }
  if (norms.empty()) return {};
  return torch::stack(norms).norm(2);
}

void clip_gradients(const std::vector<torch::Tensor>& params, double max_norm, double total) {
  if (!(max_norm > 0 && std::isfinite(total) && total > max_norm)) return;
  torch::NoGradGuard no_grad;
  // torch.nn.utils.clip_grad_norm_: clip_coef = max_norm / (total_norm + 1e-6)
  const double coef = max_norm / (total + 1e-6);
  for (const auto& p : params) {
    if (p.grad().defined()) p.grad().mul_(coef);
  }
}

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  const torch::Tensor norm = grad_norm_tensor(params);
  if (!norm.defined()) return 0.0;
  const double total = norm.item<double>();
  clip_gradients(params, max_norm, total);
  return total;
}

const char* to_string(Precision precision) {
  switch (precision) {
    case Precision::bf16: return "bf16";
    case Precision::fp16: return "fp16";
    case Precision::fp32: break;
  }
  return "fp32";
}

at::ScalarType autocast_dtype(Precision precision) {
  switch (precision) {
    case Precision::bf16: return at::kBFloat16;
    case Precision::fp16: return at::kHalf;
    case Precision::fp32: break;
  }
  return at::kFloat;
}

Precision resolve_precision(config::PrecisionSetting setting, const torch::Device& device) {
  switch (setting) {
    case config::PrecisionSetting::automatic: return device.is_cuda() ? Precision::bf16 : Precision::fp32;
    case config::PrecisionSetting::fp32: return Precision::fp32;
    case config::PrecisionSetting::bf16:
      EFM_CHECK_CONFIG(device.is_cpu() || device.is_cuda(),
                       "train.precision: 'bf16' needs a CPU or CUDA device for autocast, got {}", device.str());
      return Precision::bf16;
    case config::PrecisionSetting::fp16:
      EFM_CHECK_CONFIG(device.is_cuda(),
                       "train.precision: 'fp16' (float16 autocast with loss scaling) needs a CUDA device, but this "
                       "run's device is {}; use 'fp32' or 'bf16' on the CPU",
                       device.str());
      return Precision::fp16;
  }
  return Precision::fp32;
}

AutocastGuard::AutocastGuard(bool enabled, const torch::Device& device, at::ScalarType dtype)
    : enabled_(enabled), device_type_(device.type()) {
  if (!enabled_) return;
  prev_enabled_ = at::autocast::is_autocast_enabled(device_type_);
  prev_dtype_ = at::autocast::get_autocast_dtype(device_type_);
  at::autocast::set_autocast_dtype(device_type_, dtype);
  at::autocast::set_autocast_enabled(device_type_, true);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!enabled_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_type_, prev_enabled_);
  at::autocast::set_autocast_dtype(device_type_, prev_dtype_);
}

}  // namespace efm::train
