#pragma once
/// Patch embedding: turns a window into transformer tokens.
///
///   x [B, C, T*P] -> patches [B, C*T, P] (channel-major)
///     -> temporal encoder (LaBraM TemporalConv, 25*out_chans features)
///     -> [spectral encoder (wavelet packet + |rFFT|, d features); concatenated with the temporal features]
///     -> Linear(in, d) (only when the spectral branch is on or 25*out_chans != d; otherwise identity, as LaBraM)
///     -> features [B, C*T, d]                     <- masked tokens are replaced by a mask token here
///     -> + spatial[c] + time[t], CLS prepended    -> tokens [B, 1 + C*T, d]
///
/// The fusion is "concatenate, then Linear" (the ICLR EpilepsyFM patch embedding concatenates temporal and wavelet
/// features, eps_p = eps_t (+) eps_w); summing the projected parts instead would tie their scales.
#include <torch/torch.h>

#include <cstdint>

#include "epilepsyfm/models/signal_spec.h"
#include "epilepsyfm/models/spatial_encoder.h"
#include "epilepsyfm/models/spectral_encoder.h"
#include "epilepsyfm/models/temporal_encoder.h"

namespace efm::models {

struct PatchEmbeddingOptions {
  explicit PatchEmbeddingOptions(int64_t embed_dim)
      : embed_dim_(embed_dim), spectral_(embed_dim), positions_(embed_dim) {}
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, patch_samples) = 200;
  TORCH_ARG(TemporalEncoderOptions, temporal);
  TORCH_ARG(bool, use_spectral) = true;
  TORCH_ARG(SpectralEncoderOptions, spectral);  ///< its embed_dim and patch_samples are overwritten
  TORCH_ARG(TokenPositionsOptions, positions);  ///< its embed_dims are overwritten
};

class PatchEmbeddingImpl : public torch::nn::Module {
 public:
  explicit PatchEmbeddingImpl(PatchEmbeddingOptions options);

  /// Tokens [B, 1 + C*T, d]. With `mask` ([B, C*T] bool, true = masked) the features of masked tokens are replaced
  /// by `mask_token` ([d] or [1, 1, d]) before the positional terms are added (LaBraM).
  torch::Tensor forward(const EegInput& input, const TokenGeometry& geometry, const torch::Tensor& mask = {},
                        const torch::Tensor& mask_token = {});
  /// Content features [B, C*T, d] (temporal + spectral, fused), before masking and positions.
  torch::Tensor features(const EegInput& input, const TokenGeometry& geometry);
  /// x [B, C, T*P] -> [B, C*T, P] (a view).
  torch::Tensor to_patches(const torch::Tensor& x) const;

  const PatchEmbeddingOptions& options() const { return options_; }

  TemporalEncoder temporal{nullptr};
  SpectralEncoder spectral{nullptr};
  torch::nn::Linear proj{nullptr};  ///< null when features pass through unchanged
  TokenPositions positions{nullptr};

 private:
  PatchEmbeddingOptions options_;
};
TORCH_MODULE(PatchEmbedding);

/// features [B, N, d] with masked rows (mask [B, N] bool) replaced by token ([d] or [1, 1, d]).
torch::Tensor apply_mask_token(const torch::Tensor& features, const torch::Tensor& mask, const torch::Tensor& token);

}  // namespace efm::models
