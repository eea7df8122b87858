#include "epilepsyfm/models/backbone.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/table.h"

namespace efm::models {

const ModelSize& model_size(const std::string& name) {
  for (const ModelSize& row : kModelSizes) {
    if (row.name == name) return row;
  }
  throw ArgumentError(
      fmt::format("model size: allowed values are '{}', but got '{}'", fmt::join(model_size_names(), "', '"), name));
}

const std::vector<std::string>& model_size_names() {
  static const std::vector<std::string> names = column_strings(kModelSizes, &ModelSize::name);
  return names;
}

const std::vector<std::string>& backbone_preset_names() {
  return model_size_names();
}

BackboneOptions backbone_preset(const std::string& size) {
  const ModelSize& row = model_size(size);
  BackboneOptions o;
  o.size(size);
  o.embed_dim(row.embed_dim);
  o.depth(row.depth);
  o.heads(row.heads);
  o.ffn_dim(row.ffn_dim);
  o.out_chans(row.out_chans);
  return o;
}

void BackboneOptions::validate() const {
  EFM_CHECK_ARG(embed_dim_ > 0 && depth_ > 0 && heads_ > 0 && ffn_dim_ > 0,
                "model: embed_dim ({}), depth ({}), heads ({}) and ffn_dim ({}) must be > 0", embed_dim_, depth_,
                heads_, ffn_dim_);
  EFM_CHECK_ARG(embed_dim_ % heads_ == 0, "model: embed_dim ({}) must be divisible by heads ({})", embed_dim_, heads_);
  EFM_CHECK_ARG(sfreq_hz_ > 0 && patch_samples_ > 0 && static_cast<double>(patch_samples_) == sfreq_hz_,
                "model: patches must be 1 s long, but sfreq_hz is {} and patch_samples is {}", sfreq_hz_,
                patch_samples_);
  EFM_CHECK_ARG(max_patches_ >= 1, "model: max_patches ({}) must be >= 1", max_patches_);
  EFM_CHECK_ARG(drop_path_ >= 0.0 && drop_path_ < 1.0, "model.drop_path ({}) must be in [0, 1)", drop_path_);
  EFM_CHECK_ARG(dropout_ >= 0.0 && dropout_ < 1.0 && attn_dropout_ >= 0.0 && attn_dropout_ < 1.0,
                "model: dropout ({}) and attn_dropout ({}) must be in [0, 1)", dropout_, attn_dropout_);
  EFM_CHECK_ARG(layer_scale_init_ >= 0.0, "model.layer_scale_init ({}) must be >= 0", layer_scale_init_);
}

BlockOptions BackboneOptions::block_options() const {
  return BlockOptions(embed_dim_, heads_, ffn_dim_)
      .qkv_bias(qkv_bias_)
      .qk_norm(qk_norm_)
      .layer_scale_init(layer_scale_init_)
      .dropout(dropout_)
      .attn_dropout(attn_dropout_);
}

PatchEmbeddingOptions BackboneOptions::patch_embedding_options() const {
  PatchEmbeddingOptions p(embed_dim_);
  p.patch_samples(patch_samples_);
  p.temporal().out_chans(out_chans_);
  p.use_spectral(use_spectral_ && (use_fft_ || use_wavelet_));
  p.spectral()
      .use_fft(use_fft_)
      .use_wavelet(use_wavelet_)
      .wavelet_levels(wavelet_levels_)
      .wavelet_pool_bins(wavelet_pool_bins_);
  p.positions().max_patches(max_patches_);
  p.positions()
      .spatial()
      .n_electrodes(n_electrodes_)
      .n_regions(n_regions_)
      .use_electrodes(use_electrodes_)
      .use_regions(use_regions_)
      .use_coords(use_coords_);
  return p;
}

BackboneImpl::BackboneImpl(BackboneOptions options) : options_(std::move(options)) {
  options_.validate();
  patch_embed = register_module("patch_embed", PatchEmbedding(options_.patch_embedding_options()));
  blocks = register_module("blocks",
                           make_transformer_blocks(options_.block_options(), options_.depth(), options_.drop_path()));
  auto ln = torch::nn::LayerNormOptions({options_.embed_dim()}).eps(1e-6);
  if (options_.final_norm()) norm = register_module("norm", torch::nn::LayerNorm(ln));
  if (options_.pooling() == Pooling::mean) fc_norm = register_module("fc_norm", torch::nn::LayerNorm(ln));
}

TokenGeometry BackboneImpl::check(const EegInput& input) const {
  const TokenGeometry g = check_input(input, options_.patch_samples());
  const auto model_dtype = patch_embed->temporal->parameters().front().scalar_type();
  EFM_CHECK_DATA(input.signal.scalar_type() == model_dtype, "signal has dtype {} but the model's parameters are {}",
                 dtype_str(input.signal.scalar_type()), dtype_str(model_dtype));
  EFM_CHECK_DATA(g.patches <= options_.max_patches(),
                 "signal has shape {}: {} patches per channel but the model's time embedding covers max_patches = "
                 "{}",
                 shape_str(input.signal), g.patches, options_.max_patches());
  return g;
}

torch::Tensor BackboneImpl::embed(const EegInput& input, const TokenGeometry& geometry, const torch::Tensor& mask,
                                  const torch::Tensor& mask_token) {
  return embed_features(patch_embed->features(input, geometry), input, geometry, mask, mask_token);
}

torch::Tensor BackboneImpl::embed_features(const torch::Tensor& features, const EegInput& input,
                                           const TokenGeometry& geometry, const torch::Tensor& mask,
                                           const torch::Tensor& mask_token) {
  // As PatchEmbedding::forward: mask token replaces the content features, then the positional terms and CLS.
  auto x =
      patch_embed->positions(mask.defined() ? apply_mask_token(features, mask, mask_token) : features, input, geometry);
  if (options_.dropout() > 0.0) {
    x = torch::nn::functional::dropout(
        x, torch::nn::functional::DropoutFuncOptions().p(options_.dropout()).training(is_training()));
  }
  return x;
}

torch::Tensor BackboneImpl::encode(const torch::Tensor& tokens) {
  auto x = tokens;
  for (const auto& blk : *blocks) x = blk->as<BlockImpl>()->forward(x);
  return norm ? norm(x) : x;
}

torch::Tensor BackboneImpl::pool(const torch::Tensor& tokens) {
  if (fc_norm) return fc_norm(tokens.slice(/*dim=*/1, 1).mean(/*dim=*/1));
  return tokens.select(/*dim=*/1, 0);
}

BackboneOutput BackboneImpl::forward(const EegInput& input) {
  const TokenGeometry g = check(input);
  auto tokens = encode(embed(input, g));
  return {tokens, pool(tokens)};
}

void BackboneImpl::check_spec(const SignalSpec& spec) const {
  spec.validate();
  EFM_CHECK_CONFIG(spec.sfreq_hz == options_.sfreq_hz(),
                   "the data is sampled at {} Hz but the model expects {} Hz; resample in preprocessing", spec.sfreq_hz,
                   options_.sfreq_hz());
  EFM_CHECK_CONFIG(spec.patch_samples == options_.patch_samples(),
                   "the data uses {}-sample patches but the model uses {}-sample patches", spec.patch_samples,
                   options_.patch_samples());
  EFM_CHECK_CONFIG(spec.n_patches() <= options_.max_patches(),
                   "windows of {} samples give {} patches per channel but the model's time embedding covers "
                   "max_patches = {}; use shorter windows or a larger max_patches",
                   spec.window_samples, spec.n_patches(), options_.max_patches());
}

int64_t count_parameters(const torch::nn::Module& module, bool trainable_only) {
  int64_t n = 0;
  for (const auto& p : module.parameters(/*recurse=*/true)) {
    if (!trainable_only || p.requires_grad()) n += p.numel();
  }
  return n;
}

std::vector<std::pair<std::string, int64_t>> parameter_breakdown(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, int64_t>> out;
  int64_t own = 0;
  for (const auto& p : module.parameters(/*recurse=*/false)) own += p.numel();
  if (own > 0) out.emplace_back("<self>", own);
  for (const auto& child : module.named_children()) {
    out.emplace_back(child.key(), count_parameters(*child.value(), /*trainable_only=*/false));
  }
  return out;
}

}  // namespace efm::models
