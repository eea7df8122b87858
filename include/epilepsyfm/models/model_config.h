#pragma once
/// Typed config sections for the models (parsed by efm::config at the edge; see config/schema.h). A size preset is
/// chosen by name and any field it sets can be overridden; fields left empty (~) keep the preset's value:
///
///   model:                    # BackboneConfig
///     size: base              # a row of model_sizes.h: tiny | base | large | huge
///     depth: 6                # override the preset's 12
///     drop_path: 0.1
///   tokenizer:                # TokenizerConfig
///     encoder: {size: base}   # LaBraM VQ-NSP flags (qkv_bias on, no qk_norm, no layer scale) unless overridden
///     vq: {n_codes: 8192, code_dim: 64, dead_codes: reseed}
///   masking: {strategy: region, ratio: 0.5}
///
/// to_options() turns a section into the module options; validate() (run by the loader) reports impossible
/// combinations as ConfigError naming the key path, e.g. "model: embed_dim (200) must be divisible by heads (7)".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/models/masking.h"
#include "epilepsyfm/models/tokenizer.h"
#include "epilepsyfm/models/vq.h"

namespace efm::models {

/// The `model:` section: the size preset, then one key per backbone field (backbone.h's field lists, in their
/// order): the preset's fields as overrides (empty = the preset's value), the others with their default.
struct BackboneConfig {
  std::string size = "base";
#define EFM_CONFIG_OVERRIDE(type, name, ...) std::optional<type> name;
#define EFM_CONFIG_VALUE(type, name, default_value, ...) type name = default_value;
  EFM_BACKBONE_PRESET_FIELDS(EFM_CONFIG_OVERRIDE)
  EFM_BACKBONE_FIELDS(EFM_CONFIG_VALUE)
#undef EFM_CONFIG_OVERRIDE
#undef EFM_CONFIG_VALUE
  /// Electrodes (canonical names) whose rows of the electrode table hold learnt values; empty = every electrode.
  /// `epilepsyfm import` sets LaBraM's 128; fine-tuning refuses store channels outside it unless
  /// init.unknown_channels says otherwise.
  std::vector<std::string> electrodes;

  template <class V>
  void visit(V& v) {
    using namespace efm::config;
    v("size", size, Choices(model_size_names()));
#define EFM_CONFIG_KEY(type, name, default_value, ...) v(#name, name __VA_OPT__(, ) __VA_ARGS__);
    EFM_BACKBONE_PRESET_FIELDS(EFM_CONFIG_KEY)
    EFM_BACKBONE_FIELDS(EFM_CONFIG_KEY)
#undef EFM_CONFIG_KEY
    v("electrodes", electrodes);
  }
  /// The preset of `size` with this section's values applied.
  BackboneOptions to_options() const;
  /// `base` (a preset chosen elsewhere, e.g. the tokenizer's) with this section's values applied.
  BackboneOptions apply_to(BackboneOptions base) const;
  void validate(const std::string& path) const;
};

struct VqConfig {
  std::optional<int64_t> n_codes;   ///< preset: 8192 (tiny 512)
  std::optional<int64_t> code_dim;  ///< preset: 64 (tiny 32)
  double decay = 0.99;
  double eps = 1e-5;
  double beta = 1.0;
  EmaRule ema_rule = EmaRule::labram;
  bool kmeans_init = true;
  int64_t kmeans_iters = 10;
  KmeansSeeding kmeans_seeding = KmeansSeeding::kmeans_plus_plus;
  DeadCodePolicy dead_codes = DeadCodePolicy::reseed;
  /// EMA token count per step below which a code is dead. 1e-3 let a tiny tokenizer on ../shared/data collapse to
  /// one code (usage 1/512 after 260 steps); 1.0 gave usage 0.88, perplexity ~200 after 120 steps (same data).
  double dead_code_threshold = 1.0;

  template <class V>
  void visit(V& v) {
    using namespace efm::config;
    v("n_codes", n_codes, at_least(2));
    v("code_dim", code_dim, at_least(1));
    v("decay", decay, in_range(0.0, 0.999999));
    v("eps", eps, positive());
    v("beta", beta, non_negative());
    v("ema_rule", ema_rule);
    v("kmeans_init", kmeans_init);
    v("kmeans_iters", kmeans_iters, non_negative());
    v("kmeans_seeding", kmeans_seeding);
    v("dead_codes", dead_codes);
    v("dead_code_threshold", dead_code_threshold, non_negative());
  }
  VectorQuantizerOptions apply_to(VectorQuantizerOptions base) const;
};

struct TokenizerConfig {
  BackboneConfig encoder;
  int64_t decoder_depth = 3;
  VqConfig vq;
  ReconstructionLoss reconstruction_loss = ReconstructionLoss::mse;

  template <class V>
  void visit(V& v) {
    using namespace efm::config;
    v("encoder", encoder);
    v("decoder_depth", decoder_depth, at_least(1));
    v("vq", vq);
    v("reconstruction_loss", reconstruction_loss);
  }
  /// tokenizer_preset(encoder.size) with this section's values applied.
  TokenizerOptions to_options() const;
  void validate(const std::string& path) const;
};

struct MaskingConfig {
  std::string strategy = "region";  ///< EpilepsyFM's default; "random" is LaBraM's
  double ratio = 0.5;
  int64_t channel_set_size = 3;
  int64_t min_span_patches = 1;
  int64_t max_span_patches = 0;  ///< 0 = whole window

  template <class V>
  void visit(V& v) {
    using namespace efm::config;
    v("strategy", strategy, Choices(mask_strategy_names()));
    v("ratio", ratio, open_fraction());
    v("channel_set_size", channel_set_size, at_least(1));
    v("min_span_patches", min_span_patches, at_least(1));
    v("max_span_patches", max_span_patches, non_negative());
  }
  MaskOptions to_options() const;
  void validate(const std::string& path) const;
};

}  // namespace efm::models
