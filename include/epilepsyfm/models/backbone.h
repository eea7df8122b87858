#pragma once
/// The backbone: PatchEmbedding -> transformer blocks -> final LayerNorm (final_norm), returning token features and a
/// pooled window embedding. Sizes by name (backbone_preset, from the table in model_sizes.h), every field overridable.
///
/// The spectral branch is on by default (EpilepsyFM); with use_spectral = false and 25*out_chans == d the patch
/// embedding is exactly LaBraM's TemporalConv.
///
///   Backbone net(backbone_preset("base"));
///   net->check_spec(spec);                          // ConfigError if the dataset does not fit the model
///   BackboneOutput out = net->forward(batch);       // out.tokens [B, 1 + C*T, d], out.pooled [B, d]
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "epilepsyfm/core/enum_names.h"
#include "epilepsyfm/models/model_sizes.h"
#include "epilepsyfm/models/patch_embedding.h"
#include "epilepsyfm/models/signal_spec.h"
#include "epilepsyfm/models/transformer.h"

namespace efm::models {

/// Pooling of the window embedding: mean of the patch tokens (then fc_norm), or the CLS token.
enum class Pooling { mean, cls };
inline constexpr EnumNames<Pooling, 2> kPoolingNames{{{Pooling::mean, "mean"}, {Pooling::cls, "cls"}}};
constexpr const auto& enum_names(Pooling) {
  return kPoolingNames;
}

/// The backbone's fields, written once: BackboneOptions gets a TORCH_ARG per field and BackboneConfig (the
/// `model:` section, model_config.h) its keys from these lists, in this order. Each entry is
/// F(type, name, default, config constraint...):
///  - EFM_BACKBONE_GEOMETRY: fixed by the data (1-s patches at 200 Hz), not in the config;
///  - EFM_BACKBONE_PRESET_FIELDS: set by the size preset (kModelSizes) or the tokenizer preset; a config key
///    overrides the preset only when given;
///  - EFM_BACKBONE_FIELDS: the same default for every size; the config key holds the value.
#define EFM_BACKBONE_GEOMETRY(F)                                       \
  F(double, sfreq_hz, 200.0)     /* sampling rate the model expects */ \
  F(int64_t, patch_samples, 200) /* P: 1-s patches at 200 Hz */

#define EFM_BACKBONE_PRESET_FIELDS(F)                                                               \
  F(int64_t, embed_dim, 200, at_least(1)) /* d */                                                   \
  F(int64_t, depth, 12, at_least(1))                                                                \
  F(int64_t, heads, 10, at_least(1))                                                                \
  F(int64_t, ffn_dim, 800, at_least(1))                                                             \
  F(int64_t, out_chans, 8, at_least(4)) /* TemporalConv channels: 25*out_chans temporal features */ \
  F(bool, qkv_bias, false)              /* LaBraM pre-training: false (its tokenizer: true) */      \
  F(bool, qk_norm, true)                                                                            \
  F(double, layer_scale_init, 0.1, non_negative()) /* 0 disables layer scale */

#define EFM_BACKBONE_FIELDS(F)                                                                                    \
  F(int64_t, max_patches, 256, at_least(1))  /* time embedding rows (>= 128: 90 s forecasting histories) */       \
  F(int64_t, n_electrodes, 256, at_least(1)) /* electrode table rows (>= electrode vocabulary size) */            \
  F(int64_t, n_regions, 8, at_least(1))      /* region table size */                                              \
  F(bool, use_electrodes, true)                                                                                   \
  F(bool, use_regions, true)                                                                                      \
  F(bool, use_coords, false)                                                                                      \
  F(bool, use_spectral, true) /* wavelet-packet + |rFFT| spectral encoder */                                      \
  F(bool, use_wavelet, true)                                                                                      \
  F(bool, use_fft, true)                                                                                          \
  F(int64_t, wavelet_levels, 4, in_range(1, 8))                                                                   \
  F(int64_t, wavelet_pool_bins, 4, at_least(1))                                                                   \
  F(double, drop_path, 0.0, in_range(0.0, 0.99)) /* stochastic depth rate of the last block (linear from 0) */    \
  F(double, dropout, 0.0, in_range(0.0, 0.99))   /* after attention/MLP projections and on the embedded tokens */ \
  F(double, attn_dropout, 0.0, in_range(0.0, 0.99))                                                               \
  F(Pooling, pooling, Pooling::mean) /* window embedding: mean of the patch tokens (then fc_norm), or CLS */      \
  F(bool, final_norm, true) /* LayerNorm after the blocks (LaBraM's fine-tuning model with mean pooling: none) */

/// Options of the backbone. Example:
///   Backbone net(backbone_preset("tiny").depth(2).pooling(Pooling::cls));
struct BackboneOptions {
  /// Throws ArgumentError naming the field and the allowed values.
  void validate() const;
  BlockOptions block_options() const;
  PatchEmbeddingOptions patch_embedding_options() const;

#define EFM_BACKBONE_ARG(type, name, default_value, ...) TORCH_ARG(type, name) = default_value;
  TORCH_ARG(std::string, size) = "base";  ///< the preset this was made from (informational)
  EFM_BACKBONE_GEOMETRY(EFM_BACKBONE_ARG)
  EFM_BACKBONE_PRESET_FIELDS(EFM_BACKBONE_ARG)
  EFM_BACKBONE_FIELDS(EFM_BACKBONE_ARG)
#undef EFM_BACKBONE_ARG
};

/// Preset by name: the row of kModelSizes (model_sizes.h). Throws ArgumentError listing the known names.
BackboneOptions backbone_preset(const std::string& size);
/// The preset names, in size order (model_size_names()).
const std::vector<std::string>& backbone_preset_names();

struct BackboneOutput {
  torch::Tensor tokens;  ///< [B, 1 + C*T, d] after the final LayerNorm (if any); position 0 is CLS
  torch::Tensor pooled;  ///< [B, d] window embedding ("mean": fc_norm(mean of tokens[:, 1:]); "cls": tokens[:, 0])
};

class BackboneImpl : public torch::nn::Module {
 public:
  explicit BackboneImpl(BackboneOptions options);

  BackboneOutput forward(const EegInput& input);

  // The stages, for models that intervene between them (masking, heads):
  /// Checks the input (shapes, and T <= max_patches) and returns its token grid.
  TokenGeometry check(const EegInput& input) const;
  /// Embedded tokens [B, 1 + C*T, d]; optional mask [B, C*T] bool + mask_token [d] (see PatchEmbedding).
  torch::Tensor embed(const EegInput& input, const TokenGeometry& geometry, const torch::Tensor& mask = {},
                      const torch::Tensor& mask_token = {});
  /// embed() from content features computed beforehand (PatchEmbedding::features, [B, C*T, d]): masking, positions,
  /// CLS and dropout. Lets the symmetric masked pass compute the mask-independent features once for both passes.
  torch::Tensor embed_features(const torch::Tensor& features, const EegInput& input, const TokenGeometry& geometry,
                               const torch::Tensor& mask = {}, const torch::Tensor& mask_token = {});
  /// Transformer blocks and the final LayerNorm (when final_norm): [B, L, d] -> [B, L, d].
  torch::Tensor encode(const torch::Tensor& tokens);
  /// [B, 1 + N, d] (after encode) -> [B, d].
  torch::Tensor pool(const torch::Tensor& tokens);

  /// Throws ConfigError when a dataset's windows do not fit this model (sampling rate, patch length, more patches
  /// than the time embedding covers), naming both values.
  void check_spec(const SignalSpec& spec) const;

  const BackboneOptions& options() const { return options_; }

  PatchEmbedding patch_embed{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm norm{nullptr};     ///< null without final_norm
  torch::nn::LayerNorm fc_norm{nullptr};  ///< null for "cls" pooling

 private:
  BackboneOptions options_;
};
TORCH_MODULE(Backbone);

/// Number of parameters (elements) of a module, recursively; `trainable_only` skips requires_grad = false.
int64_t count_parameters(const torch::nn::Module& module, bool trainable_only = true);
/// Parameter counts per direct child (and "<self>" for the module's own parameters), in registration order.
std::vector<std::pair<std::string, int64_t>> parameter_breakdown(const torch::nn::Module& module);

}  // namespace efm::models
