#include "epilepsyfm/models/spatial_encoder.h"

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/init.h"

namespace efm::models {

SpatialEncoderImpl::SpatialEncoderImpl(SpatialEncoderOptions options) : options_(options) {
  const int64_t d = options_.embed_dim();
  EFM_CHECK_ARG(d > 0, "SpatialEncoder: embed_dim ({}) must be > 0", d);
  if (options_.use_electrodes()) {
    EFM_CHECK_ARG(options_.n_electrodes() >= 1, "SpatialEncoder: n_electrodes ({}) must be >= 1",
                  options_.n_electrodes());
    electrode_embed_ = register_module("electrode_embed", torch::nn::Embedding(options_.n_electrodes(), d));
    trunc_normal_(electrode_embed_->weight, 0.02);  // LaBraM pos_embed init
  }
  if (options_.use_regions()) {
    EFM_CHECK_ARG(options_.n_regions() >= 1, "SpatialEncoder: n_regions ({}) must be >= 1", options_.n_regions());
    region_embed_ = register_module("region_embed", torch::nn::Embedding(options_.n_regions() + 1, d));
    trunc_normal_(region_embed_->weight, 0.02);
  }
  if (options_.use_coords()) {
    coord_proj_ = register_module("coord_proj", torch::nn::Linear(3, d));
    init_linear(coord_proj_);
  }
}

torch::Tensor SpatialEncoderImpl::forward(const EegInput& input, int64_t batch) {
  const int64_t c = input.channel_ids.size(-1);
  torch::Tensor out;
  auto add = [&out](torch::Tensor t) { out = out.defined() ? out + t : std::move(t); };
  if (options_.use_electrodes()) {
    const auto& ids = input.channel_ids;
    const int64_t lo = ids.min().item<int64_t>();
    const int64_t hi = ids.max().item<int64_t>();
    EFM_CHECK_DATA(lo >= 0 && hi < options_.n_electrodes(),
                   "channel_ids contains {}, outside the electrode table [0, {}): use electrode vocabulary ids (0 = "
                   "UNK) or raise the model's n_electrodes",
                   lo < 0 ? lo : hi, options_.n_electrodes());
    add(electrode_embed_(expand_ids(ids, batch)));
  }
  if (options_.use_regions()) {
    EFM_CHECK_DATA(input.region_ids.defined(),
                   "region_ids is undefined but the model has a region embedding; pass [C] or [B, C] int64 region "
                   "ids (-1 for channels without a region)");
    const auto& ids = input.region_ids;
    const int64_t lo = ids.min().item<int64_t>();
    const int64_t hi = ids.max().item<int64_t>();
    EFM_CHECK_DATA(lo >= -1 && hi < options_.n_regions(),
                   "region_ids contains {}, outside [-1, {}) (the model has {} regions; -1 = no region)",
                   lo < -1 ? lo : hi, options_.n_regions(), options_.n_regions());
    add(region_embed_(expand_ids(ids, batch) + 1));
  }
  if (options_.use_coords()) {
    EFM_CHECK_DATA(input.coords.defined(),
                   "coords is undefined but the model's spatial encoder uses electrode coordinates; pass [C, 3] or "
                   "[B, C, 3] float32");
    auto xyz = input.coords.dim() == 2 ? input.coords.unsqueeze(0).expand({batch, c, 3}) : input.coords;
    add(coord_proj_(xyz));
  }
  if (!out.defined()) {
    auto ref = input.signal.defined() ? input.signal : input.channel_ids;
    out = torch::zeros({batch, c, options_.embed_dim()}, ref.options().dtype(torch::kFloat32));
  }
  return out;
}

TokenPositionsImpl::TokenPositionsImpl(TokenPositionsOptions options) : options_(std::move(options)) {
  const int64_t d = options_.embed_dim();
  EFM_CHECK_ARG(options_.spatial().embed_dim() == d, "TokenPositions: spatial.embed_dim ({}) must equal embed_dim ({})",
                options_.spatial().embed_dim(), d);
  EFM_CHECK_ARG(options_.max_patches() >= 1, "TokenPositions: max_patches ({}) must be >= 1", options_.max_patches());
  spatial = register_module("spatial", SpatialEncoder(options_.spatial()));
  time_embed = register_parameter("time_embed", torch::empty({1, options_.max_patches(), d}));
  cls_token = register_parameter("cls_token", torch::empty({1, 1, d}));
  trunc_normal_(time_embed, 0.02);
  trunc_normal_(cls_token, 0.02);
}

torch::Tensor TokenPositionsImpl::forward(const torch::Tensor& features, const EegInput& input,
                                          const TokenGeometry& g) {
  const int64_t d = options_.embed_dim();
  EFM_CHECK_DATA(
      features.dim() == 3 && features.size(0) == g.batch && features.size(1) == g.tokens() && features.size(2) == d,
      "TokenPositions: features have shape {}; expected [{}, {}, {}]", shape_str(features), g.batch, g.tokens(), d);
  EFM_CHECK_DATA(g.patches <= options_.max_patches(),
                 "signal has {} patches per channel ({} s) but the time embedding covers max_patches = {}; use "
                 "shorter windows or a model with a larger max_patches",
                 g.patches, g.patches, options_.max_patches());
  auto space = spatial(input, g.batch);                   // [B, C, d]
  auto time = time_embed.slice(/*dim=*/1, 0, g.patches);  // [1, T, d]
  auto pos = space.unsqueeze(2) + time.unsqueeze(1);      // [B, C, T, d]
  auto x = (features.reshape({g.batch, g.channels, g.patches, d}) + pos).reshape({g.batch, g.tokens(), d});
  return torch::cat({cls_token.expand({g.batch, 1, d}), x}, /*dim=*/1);
}

}  // namespace efm::models
