#include "epilepsyfm/eval/finetune/heads/modules.h"

#include <cmath>
#include <cstdlib>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/init.h"

namespace efm::eval {

LinearHeadImpl::LinearHeadImpl(LinearHeadOptions options) : options_(options) {
  EFM_CHECK_ARG(options_.in_features() > 0 && options_.out_features() > 0,
                "LinearHead: in_features ({}) and out_features ({}) must be > 0", options_.in_features(),
                options_.out_features());
  fc = register_module("fc", torch::nn::Linear(options_.in_features(), options_.out_features()));
  // LaBraM modeling_finetune.py: trunc_normal_(head.weight, std=.02); head.weight/bias.mul_(init_scale)
  models::init_linear(fc);
  torch::NoGradGuard no_grad;
  fc->weight.mul_(options_.init_scale());
  fc->bias.mul_(options_.init_scale());
}

torch::Tensor LinearHeadImpl::forward(const torch::Tensor& x) {
  auto h = x;
  if (options_.dropout() > 0) {
    h = torch::nn::functional::dropout(
        h, torch::nn::functional::DropoutFuncOptions().p(options_.dropout()).training(is_training()));
  }
  return fc(h);
}

AttentionPoolImpl::AttentionPoolImpl(int64_t dim, int64_t hidden) {
  attention_v = register_module("attention_v", torch::nn::Linear(dim, hidden));
  attention_u = register_module("attention_u", torch::nn::Linear(dim, hidden));
  attention_w = register_module("attention_w", torch::nn::Linear(hidden, 1));
  for (auto* l : {&attention_v, &attention_u, &attention_w}) models::init_linear(*l);
}

std::pair<torch::Tensor, torch::Tensor> AttentionPoolImpl::forward(const torch::Tensor& h) {
  EFM_CHECK_DATA(h.dim() == 2 && h.size(0) > 0, "AttentionPool: expected a bag [N, d] with N >= 1, got {}",
                 models::shape_str(h));
  auto gate = torch::tanh(attention_v(h)) * torch::sigmoid(attention_u(h));  // [N, hidden]
  auto a = torch::softmax(attention_w(gate).squeeze(-1), /*dim=*/0);         // [N]
  return {(a.unsqueeze(-1) * h).sum(0), a};
}

FinetuneModelImpl::FinetuneModelImpl(models::BackboneOptions backbone_options, std::shared_ptr<torch::nn::Module> h)
    : head(std::move(h)) {
  EFM_CHECK_ARG(head != nullptr, "FinetuneModel: no head module");
  backbone = register_module("backbone", models::Backbone(std::move(backbone_options)));
  register_module("head", head);
}

int64_t layer_id(const std::string& name, int64_t depth) {
  static const std::string kEmbed = "backbone.patch_embed.";
  static const std::string kBlocks = "backbone.blocks.";
  if (name.rfind(kEmbed, 0) == 0) return 0;
  if (name.rfind(kBlocks, 0) == 0) {
    const size_t from = kBlocks.size();
    const size_t dot = name.find('.', from);
    return std::atoll(name.substr(from, dot - from).c_str()) + 1;
  }
  return depth + 1;
}

double layer_decay_scale(const std::string& name, int64_t depth, double decay) {
  return std::pow(decay, static_cast<double>(depth + 1 - layer_id(name, depth)));
}

}  // namespace efm::eval
