#pragma once
/// Masked EEG modelling (LaBraM NeuralTransformerForMEM): a student Backbone whose masked token features are
/// replaced by a learnable mask token (after the patch embedding, before the spatial/time embeddings), and an
/// lm_head Linear(d, codebook_size) predicting the frozen tokenizer's code of each masked token.
///
/// symmetric_loss runs the mask M and its complement (LaBraM's symmetric pass) in one forward of batch 2B:
///   loss = CE(logits[M], codes[M]) + CE(logits[~M], codes[~M])   (each a mean over its tokens)
/// and reports the accuracy (argmax == code) of each pass.
///
///   MaskedEegModel mem(MaskedEegModelOptions(backbone_preset("base")).codebook_size(8192));
///   auto codes = tokenizer->encode(batch);                               // [B, N]
///   auto mask = MaskGenerator(opts).generate(B, C, T, seed, ids).mask;   // [B, N] bool
///   MemLoss l = mem->symmetric_loss(batch, codes, mask);  l.loss.backward();
/// State names: backbone.* (a Backbone's names), mask_token [1, 1, d], lm_head.weight [K, d], lm_head.bias [K].
#include <torch/torch.h>

#include <cstdint>

#include "epilepsyfm/models/backbone.h"

namespace efm::models {

struct MaskedEegModelOptions {
  explicit MaskedEegModelOptions(BackboneOptions backbone) : backbone_(std::move(backbone)) {}
  TORCH_ARG(BackboneOptions, backbone);
  TORCH_ARG(int64_t, codebook_size) = 8192;  ///< classes of the lm_head = tokenizer codebook size
};

struct MemLoss {
  torch::Tensor loss;            ///< [] loss_masked + loss_symmetric
  torch::Tensor loss_masked;     ///< [] CE over tokens masked by M
  torch::Tensor loss_symmetric;  ///< [] CE over tokens masked by ~M (the complementary pass)
  double accuracy = 0.0;         ///< masked-token accuracy of the M pass
  double accuracy_symmetric = 0.0;
  int64_t n_masked = 0;  ///< tokens masked by M (the ~M pass has B*N - n_masked)
};

class MaskedEegModelImpl : public torch::nn::Module {
 public:
  explicit MaskedEegModelImpl(MaskedEegModelOptions options);

  /// Logits [n_masked, K] of the masked tokens, in row-major order of mask ([B, C*T] bool).
  torch::Tensor forward(const EegInput& input, const torch::Tensor& mask);
  /// Final token features [B, 1 + C*T, d] with `mask` applied (no lm_head).
  torch::Tensor features(const EegInput& input, const torch::Tensor& mask);
  /// The symmetric loss for codes [B, C*T] int64 in [0, K) and mask [B, C*T] bool.
  MemLoss symmetric_loss(const EegInput& input, const torch::Tensor& codes, const torch::Tensor& mask);

  const MaskedEegModelOptions& options() const { return options_; }

  Backbone backbone{nullptr};
  torch::Tensor mask_token;  ///< [1, 1, d]
  torch::nn::Linear lm_head{nullptr};

 private:
  MaskedEegModelOptions options_;
};
TORCH_MODULE(MaskedEegModel);

}  // namespace efm::models
