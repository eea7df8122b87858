#include "epilepsyfm/models/model_config.h"

#include "epilepsyfm/core/error.h"

namespace efm::models {

namespace {

// Runs `build` and reports its ArgumentError as a ConfigError at `path` (the options' own "model: " / "model."
// prefix is replaced by the key path).
template <class F>
void as_config_error(const std::string& path, F&& build) {
  try {
    build();
  } catch (const ArgumentError& e) {
    const std::string what = e.what();
    for (const std::string prefix : {"model", "masking", "tokenizer"}) {
      if (what.rfind(prefix + ": ", 0) == 0) throw ConfigError(path + what.substr(prefix.size()));
      if (what.rfind(prefix + ".", 0) == 0) throw ConfigError(path + what.substr(prefix.size()));
    }
    throw ConfigError(path + ": " + what);
  }
}

}  // namespace

BackboneOptions BackboneConfig::apply_to(BackboneOptions o) const {
#define EFM_APPLY_OVERRIDE(type, name, ...) \
  if (name) o.name(*name);
#define EFM_APPLY_VALUE(type, name, ...) o.name(name);
  EFM_BACKBONE_PRESET_FIELDS(EFM_APPLY_OVERRIDE)
  EFM_BACKBONE_FIELDS(EFM_APPLY_VALUE)
#undef EFM_APPLY_OVERRIDE
#undef EFM_APPLY_VALUE
  return o;
}

BackboneOptions BackboneConfig::to_options() const {
  return apply_to(backbone_preset(size));
}

namespace {

void check_backbone(const BackboneOptions& o) {
  o.validate();
  // Module-level checks that options.validate() does not see.
  if (o.out_chans() % 4 != 0) {
    throw ArgumentError("out_chans (" + std::to_string(o.out_chans()) + ") must be a multiple of 4");
  }
  if (o.use_spectral() && o.use_wavelet() && (o.patch_samples() >> (o.wavelet_levels() - 1)) < 4) {
    throw ArgumentError("wavelet_levels (" + std::to_string(o.wavelet_levels()) + ") too deep for " +
                        std::to_string(o.patch_samples()) + "-sample patches");
  }
}

}  // namespace

void BackboneConfig::validate(const std::string& path) const {
  as_config_error(path, [&] { check_backbone(to_options()); });
}

VectorQuantizerOptions VqConfig::apply_to(VectorQuantizerOptions o) const {
  if (n_codes) o.n_codes(*n_codes);
  if (code_dim) o.code_dim(*code_dim);
  return o.decay(decay)
      .eps(eps)
      .beta(beta)
      .ema_rule(ema_rule)
      .kmeans_init(kmeans_init)
      .kmeans_iters(kmeans_iters)
      .kmeans_seeding(kmeans_seeding)
      .dead_codes(dead_codes)
      .dead_code_threshold(dead_code_threshold);
}

TokenizerOptions TokenizerConfig::to_options() const {
  TokenizerOptions t = tokenizer_preset(encoder.size);
  // Keep the VQ-NSP flags of the preset unless the section overrides them.
  t.encoder(encoder.apply_to(t.encoder()));
  t.encoder().pooling(Pooling::cls);
  return t.decoder_depth(decoder_depth).vq(vq.apply_to(t.vq())).reconstruction_loss(reconstruction_loss);
}

void TokenizerConfig::validate(const std::string& path) const {
  const TokenizerOptions t = to_options();
  as_config_error(path + ".encoder", [&] { check_backbone(t.encoder()); });
  as_config_error(path, [&] { t.validate(); });
}

MaskOptions MaskingConfig::to_options() const {
  return MaskOptions()
      .strategy(parse_mask_strategy(strategy))
      .ratio(ratio)
      .channel_set_size(channel_set_size)
      .min_span_patches(min_span_patches)
      .max_span_patches(max_span_patches);
}

void MaskingConfig::validate(const std::string& path) const {
  as_config_error(path, [&] { MaskGenerator gen(to_options()); });
}

}  // namespace efm::models
