#pragma once
/// Modules of the fine-tuning heads: the model a head trains (backbone + head module), the output layers, the
/// gated-attention pooling of recording heads, and the LaBraM layer ids behind layer-wise learning-rate decay.
///
///   FinetuneModel m(backbone_options, LinearHead(LinearHeadOptions(/*in=*/64, /*out=*/1)).ptr());
///   auto emb = m->backbone->forward(input).pooled;          // [B, d]
///   auto logits = m->head_as<LinearHeadImpl>()->forward(emb);   // [B, 1]
/// State names: backbone.* (a Backbone's, docs/checkpoint.md), head.* (the head module's).
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "epilepsyfm/models/backbone.h"

namespace efm::eval {

/// Linear output layer with LaBraM's head init: trunc-normal(std 0.02) weights and zero bias, both multiplied by
/// `init_scale` (0.001), after an optional dropout.
struct LinearHeadOptions {
  LinearHeadOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(double, init_scale) = 0.001;
  TORCH_ARG(double, dropout) = 0.0;
};

class LinearHeadImpl : public torch::nn::Module {
 public:
  explicit LinearHeadImpl(LinearHeadOptions options);
  /// [..., in] -> [..., out]
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc{nullptr};

 private:
  LinearHeadOptions options_;
};
TORCH_MODULE(LinearHead);

/// Gated attention pooling over a bag of embeddings (Ilse, Tomczak & Welling 2018, "Attention-based deep multiple
/// instance learning", eq. 9): a_k = softmax_k(w^T (tanh(V h_k) * sigmoid(U h_k))), z = sum_k a_k h_k.
class AttentionPoolImpl : public torch::nn::Module {
 public:
  AttentionPoolImpl(int64_t dim, int64_t hidden);
  /// h [N, d] (one bag) -> ([d] pooled, [N] weights summing to 1)
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& h);
  torch::nn::Linear attention_v{nullptr}, attention_u{nullptr}, attention_w{nullptr};
};
TORCH_MODULE(AttentionPool);

/// A backbone and a head module. The head is any module (its forward is called by the task that made it).
class FinetuneModelImpl : public torch::nn::Module {
 public:
  FinetuneModelImpl(models::BackboneOptions backbone, std::shared_ptr<torch::nn::Module> head);
  models::Backbone backbone{nullptr};
  std::shared_ptr<torch::nn::Module> head;

  template <class M>
  M* head_as() const {
    auto* m = dynamic_cast<M*>(head.get());
    TORCH_CHECK(m != nullptr, "FinetuneModel: the head is not a ", typeid(M).name());
    return m;
  }
};
TORCH_MODULE(FinetuneModel);

/// LaBraM/BEiT layer id of a FinetuneModel parameter (run_class_finetuning.py get_num_layer_for_vit): 0 for the
/// patch embedding (temporal/spectral encoders, CLS token, time/electrode/region embeddings: backbone.patch_embed.*),
/// i + 1 for backbone.blocks.i.*, depth + 1 for everything else (final norm, fc_norm, head).
int64_t layer_id(const std::string& param_name, int64_t depth);
/// Learning-rate scale of layer-wise decay: decay^(depth + 1 - layer_id).
double layer_decay_scale(const std::string& param_name, int64_t depth, double decay);

}  // namespace efm::eval
