#include "epilepsyfm/models/patch_embedding.h"

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/init.h"

namespace efm::models {

PatchEmbeddingImpl::PatchEmbeddingImpl(PatchEmbeddingOptions options) : options_(std::move(options)) {
  const int64_t d = options_.embed_dim();
  EFM_CHECK_ARG(d > 0, "PatchEmbedding: embed_dim ({}) must be > 0", d);
  options_.temporal().patch_samples(options_.patch_samples());
  temporal = register_module("temporal", TemporalEncoder(options_.temporal()));
  int64_t in_dim = temporal->out_dim();
  if (options_.use_spectral()) {
    options_.spectral().embed_dim(d).patch_samples(options_.patch_samples());
    spectral = register_module("spectral", SpectralEncoder(options_.spectral()));
    in_dim += d;
  }
  if (in_dim != d) {
    proj = register_module("proj", torch::nn::Linear(in_dim, d));
    init_linear(proj);
  }
  options_.positions().embed_dim(d).spatial().embed_dim(d);
  positions = register_module("positions", TokenPositions(options_.positions()));
}

torch::Tensor PatchEmbeddingImpl::to_patches(const torch::Tensor& x) const {
  const int64_t p = options_.patch_samples();
  return x.reshape({x.size(0), x.size(1) * (x.size(2) / p), p});
}

torch::Tensor PatchEmbeddingImpl::features(const EegInput& input, const TokenGeometry& geometry) {
  (void)geometry;
  auto patches = to_patches(input.signal);
  auto f = temporal(patches);
  if (spectral) f = torch::cat({f, spectral(patches)}, /*dim=*/-1);
  if (proj) f = proj(f);
  return f;
}

torch::Tensor apply_mask_token(const torch::Tensor& features, const torch::Tensor& mask, const torch::Tensor& token) {
  EFM_CHECK_DATA(mask.dim() == 2 && mask.size(0) == features.size(0) && mask.size(1) == features.size(1),
                 "mask has shape {} but the input has {} windows of {} tokens; expected [{}, {}]", shape_str(mask),
                 features.size(0), features.size(1), features.size(0), features.size(1));
  EFM_CHECK_DATA(mask.scalar_type() == torch::kBool, "mask has dtype {}; expected bool", dtype_str(mask.scalar_type()));
  EFM_CHECK_DATA(token.defined() && token.numel() == features.size(2),
                 "mask_token has shape {}; expected [{}] (one embedding)", shape_str(token), features.size(2));
  return torch::where(mask.to(features.device()).unsqueeze(-1), token.reshape({1, 1, -1}), features);
}

torch::Tensor PatchEmbeddingImpl::forward(const EegInput& input, const TokenGeometry& geometry,
                                          const torch::Tensor& mask, const torch::Tensor& mask_token) {
  auto f = features(input, geometry);
  if (mask.defined()) f = apply_mask_token(f, mask, mask_token);
  return positions(f, input, geometry);
}

}  // namespace efm::models
