#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/config/yaml_io.h"
#include "epilepsyfm/models/model_config.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models::test {
// An experiment-like wrapper with the three sections.
struct ModelsSections {
  BackboneConfig model;
  TokenizerConfig tokenizer;
  MaskingConfig masking;
  template <class V>
  void visit(V& v) {
    v("model", model);
    v("tokenizer", tokenizer);
    v("masking", masking);
  }
};
}  // namespace efm::models::test

EFM_INSTANTIATE_CONFIG(efm::models::test::ModelsSections)

namespace efm::models {
namespace {

test::ModelsSections parse(const std::string& yaml) {
  return config::parse_yaml<test::ModelsSections>(yaml, "test.yaml");
}

TEST(ModelConfig, PresetWithOverrides) {
  const auto c = parse("model: {size: large, depth: 6, drop_path: 0.1}\n");
  const BackboneOptions o = c.model.to_options();
  EXPECT_EQ(o.embed_dim(), 400);  // from the preset
  EXPECT_EQ(o.out_chans(), 16);
  EXPECT_EQ(o.depth(), 6);  // overridden
  EXPECT_DOUBLE_EQ(o.drop_path(), 0.1);
  EXPECT_TRUE(o.qk_norm());
  const BackboneOptions d = parse("").model.to_options();
  EXPECT_EQ(d.embed_dim(), 200);
  EXPECT_EQ(d.depth(), 12);
}

TEST(ModelConfig, TokenizerKeepsVqNspFlagsUnlessOverridden) {
  const auto c = parse("tokenizer:\n  encoder: {size: tiny, depth: 2}\n  vq: {n_codes: 1024, dead_codes: keep}\n");
  const TokenizerOptions t = c.tokenizer.to_options();
  EXPECT_EQ(t.encoder().embed_dim(), 64);
  EXPECT_EQ(t.encoder().depth(), 2);
  EXPECT_TRUE(t.encoder().qkv_bias());
  EXPECT_FALSE(t.encoder().qk_norm());
  EXPECT_EQ(t.encoder().pooling(), Pooling::cls);
  EXPECT_EQ(t.vq().n_codes(), 1024);
  EXPECT_EQ(t.vq().code_dim(), 32);  // tiny preset
  EXPECT_EQ(t.vq().dead_codes(), DeadCodePolicy::keep);
  const auto q = parse("tokenizer: {encoder: {qk_norm: true}}\n").tokenizer.to_options();
  EXPECT_TRUE(q.encoder().qk_norm());
  EXPECT_EQ(q.vq().n_codes(), 8192);
}

TEST(ModelConfig, MaskingSection) {
  const MaskOptions m = parse("masking: {strategy: channel_set, ratio: 0.3}\n").masking.to_options();
  EXPECT_EQ(m.strategy(), MaskStrategy::channel_set);
  EXPECT_DOUBLE_EQ(m.ratio(), 0.3);
  EXPECT_EQ(parse("").masking.to_options().strategy(), MaskStrategy::region);
}

TEST(ModelConfig, ErrorsNameTheKeyPath) {
  EXPECT_THAT([] { parse("model: {size: medium}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("model.size: allowed values are 'tiny', 'base', 'large', 'huge', "
                                                   "but got 'medium'")));
  EXPECT_THAT([] { parse("model: {heads: 7}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("model: embed_dim (200) must be divisible by heads (7)")));
  EXPECT_THAT([] { parse("tokenizer: {encoder: {out_chans: 6}}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("tokenizer.encoder: out_chans (6) must be a multiple of 4")));
  EXPECT_THAT([] { parse("tokenizer: {vq: {ema_rule: ema}}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("tokenizer.vq.ema_rule: allowed values are 'labram', 'laplace'")));
  EXPECT_THAT([] { parse("masking: {ratio: 1.0}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("masking.ratio: must be in (0.0, 1.0), got 1.0")));
  EXPECT_THAT([] { parse("masking: {min_span_patches: 4, max_span_patches: 2}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("masking.max_span_patches (2) must be 0 (whole window) or >= "
                                                   "min_span_patches (4)")));
  EXPECT_THAT(
      [] { parse("tokenizer: {encoder: {size: tiny, heads: 5}}\n"); },
      ThrowsMessage<ConfigError>(HasSubstr("tokenizer.encoder: embed_dim (64) must be divisible by heads (5)")));
  EXPECT_THAT([] { parse("model: {dept: 3}\n"); }, ThrowsMessage<ConfigError>(HasSubstr("unknown key 'model.dept'")));
}

TEST(ModelConfig, RoundTripsThroughYaml) {
  const auto c = parse("model: {size: tiny, embed_dim: 48, heads: 4}\ntokenizer: {vq: {code_dim: 16}}\n");
  const auto again = config::parse_yaml<test::ModelsSections>(config::to_yaml(c), "dump");
  EXPECT_TRUE(config::equal(c, again));
  EXPECT_EQ(again.model.to_options().embed_dim(), 48);
  EXPECT_EQ(again.tokenizer.to_options().vq().code_dim(), 16);
}

}  // namespace
}  // namespace efm::models
