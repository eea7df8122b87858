#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/models/model_sizes.h"
#include "epilepsyfm/models/tokenizer.h"
#include "epilepsyfm/models/transformer.h"
#include "model_test_util.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models {
namespace {

// Parameters of one block of width d, FFN f, with the given flags (LaBraM Block structure).
int64_t block_params(int64_t d, int64_t heads, int64_t f, bool qk_norm, bool qkv_bias, bool layer_scale) {
  int64_t n = 2 * (2 * d);    // norm1, norm2
  n += 3 * d * d;             // qkv (no bias)
  n += qkv_bias ? 2 * d : 0;  // q_bias, v_bias
  n += qk_norm ? 2 * 2 * (d / heads) : 0;
  n += d * d + d;                // proj
  n += d * f + f + f * d + d;    // fc1, fc2
  n += layer_scale ? 2 * d : 0;  // gamma_1, gamma_2
  return n;
}

TEST(Transformer, BlockKeepsShapeAndHasLabramNames) {
  torch::manual_seed(0);
  Block blk(BlockOptions(32, 4, 64).qkv_bias(true));
  auto x = torch::randn({2, 7, 32});
  EXPECT_EQ(blk(x).sizes(), x.sizes());
  auto p = blk->named_parameters();
  for (const char* name :
       {"norm1.weight", "attn.qkv.weight", "attn.q_bias", "attn.v_bias", "attn.q_norm.weight", "attn.k_norm.bias",
        "attn.proj.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc2.bias", "gamma_1", "gamma_2"}) {
    EXPECT_TRUE(p.contains(name)) << name;
  }
  EXPECT_FALSE(p.contains("attn.qkv.bias"));  // no k bias: q/v biases only
  EXPECT_EQ(count_parameters(*blk), block_params(32, 4, 64, true, true, true));
  EXPECT_TRUE(torch::allclose(p["gamma_1"], torch::full({32}, 0.1)));
}

TEST(Transformer, AttentionRowsAreDistributions) {
  torch::manual_seed(0);
  Attention attn(BlockOptions(16, 2, 32));
  auto w = attn->attention_weights(torch::randn({3, 5, 16}));
  ASSERT_EQ(w.sizes(), (std::vector<int64_t>{3, 2, 5, 5}));
  EXPECT_TRUE(torch::allclose(w.sum(-1), torch::ones({3, 2, 5})));
  EXPECT_THAT([] { Attention(BlockOptions(30, 4, 8)); },
              ThrowsMessage<ArgumentError>(HasSubstr("embed_dim (30) must be divisible by n_heads (4)")));
}

TEST(Transformer, InitRescalesProjectionsByLayer) {
  // trunc_normal(0.02) then attn.proj and mlp.fc2 divided by sqrt(2 * layer_id): std 0.02/sqrt(2), 0.02/sqrt(8).
  torch::manual_seed(0);
  auto blocks = make_transformer_blocks(BlockOptions(256, 4, 256), /*depth=*/4, /*drop_path_rate=*/0.3);
  auto first = blocks->ptr<BlockImpl>(0);
  auto fourth = blocks->ptr<BlockImpl>(3);
  // 65536 samples: the standard error of the std estimate is ~0.3%, tolerance 3%.
  EXPECT_NEAR(first->attn->qkv->weight.std().item<double>(), 0.02, 0.02 * 0.03);
  EXPECT_NEAR(first->attn->proj->weight.std().item<double>(), 0.02 / std::sqrt(2.0), 0.02 * 0.03);
  EXPECT_NEAR(fourth->mlp->fc2->weight.std().item<double>(), 0.02 / std::sqrt(8.0), 0.02 * 0.03);
  EXPECT_EQ(first->attn->proj->bias.abs().sum().item<float>(), 0.0f);
  // Stochastic depth rises linearly to the rate: 0, 0.1, 0.2, 0.3.
  EXPECT_DOUBLE_EQ(first->options().drop_path(), 0.0);
  EXPECT_NEAR(blocks->ptr<BlockImpl>(2)->options().drop_path(), 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(fourth->options().drop_path(), 0.3);
}

TEST(Transformer, DropPathDropsWholeSamplesOnlyInTraining) {
  torch::manual_seed(3);
  auto x = torch::ones({1000, 4, 2});
  auto y = drop_path(x, 0.25, /*training=*/true);
  auto per_sample = y.sum({1, 2});
  // Each sample is either dropped (0) or kept and scaled by 1/(1 - p).
  auto kept = per_sample > 0;
  EXPECT_TRUE(torch::allclose(per_sample.index({kept}), torch::full({kept.sum().item<int64_t>()}, 8.0 / 0.75)));
  const double kept_fraction = kept.to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(kept_fraction, 0.75, 0.05);  // binomial(1000, 0.75): sd 0.014, tolerance > 3 sd
  EXPECT_TRUE(torch::equal(drop_path(x, 0.25, /*training=*/false), x));
}

TEST(Backbone, PresetsHaveTheDocumentedSizes) {
  const auto base = backbone_preset("base");
  EXPECT_EQ(base.embed_dim(), 200);
  EXPECT_EQ(base.depth(), 12);
  EXPECT_EQ(base.heads(), 10);
  EXPECT_EQ(base.ffn_dim(), 800);
  EXPECT_EQ(base.out_chans(), 8);
  EXPECT_EQ(backbone_preset("large").embed_dim(), 400);
  EXPECT_EQ(backbone_preset("large").out_chans(), 16);
  EXPECT_EQ(backbone_preset("huge").depth(), 48);
  EXPECT_EQ(backbone_preset("huge").ffn_dim(), 3200);
  EXPECT_EQ(backbone_preset("tiny").embed_dim(), 64);
  EXPECT_GE(base.max_patches(), 128);  // 90-s forecasting histories
  EXPECT_THAT([] { backbone_preset("medium"); },
              ThrowsMessage<ArgumentError>(HasSubstr("model size: allowed values are 'tiny', 'base', 'large', 'huge', "
                                                     "but got 'medium'")));
}

TEST(Backbone, EveryRowOfTheSizeTableMakesItsBackboneTokenizerAndConfigValue) {
  ASSERT_EQ(model_size_names().size(), kModelSizes.size());
  for (const ModelSize& row : kModelSizes) {
    const std::string name(row.name);
    SCOPED_TRACE(name);
    const BackboneOptions b = backbone_preset(name);
    EXPECT_EQ(b.size(), name);
    EXPECT_EQ(b.embed_dim(), row.embed_dim);
    EXPECT_EQ(b.depth(), row.depth);
    EXPECT_EQ(b.heads(), row.heads);
    EXPECT_EQ(b.ffn_dim(), row.ffn_dim);
    EXPECT_EQ(b.out_chans(), row.out_chans);
    EXPECT_NO_THROW(b.validate());
    const TokenizerOptions t = tokenizer_preset(name);
    EXPECT_EQ(t.encoder().embed_dim(), row.embed_dim);
    EXPECT_EQ(t.vq().n_codes(), row.codebook_size);
    EXPECT_EQ(t.vq().code_dim(), row.code_dim);
    EXPECT_TRUE(config::Choices(model_size_names()).contains(name));
  }
  EXPECT_EQ(tokenizer_preset("tiny").vq().n_codes(), 512);
  EXPECT_EQ(tokenizer_preset("base").vq().n_codes(), 8192);
}

TEST(Backbone, BaseParameterCount) {
  Backbone net(backbone_preset("base"));
  const int64_t d = 200;
  const int64_t temporal = 576;
  const int64_t spectral = 4 * 16 + (64 * d + d) + (101 * d + d);
  const int64_t fuse = (200 + d) * d + d;
  const int64_t positions = 256 * d + 9 * d + 256 * d + d;  // electrodes, regions + none, time, CLS
  const int64_t blocks = 12 * block_params(d, 10, 800, true, false, true);
  const int64_t norms = 2 * (2 * d);  // norm, fc_norm
  EXPECT_EQ(count_parameters(*net), temporal + spectral + fuse + positions + blocks + norms);
  EXPECT_EQ(count_parameters(*net), 6009200);
  const auto parts = parameter_breakdown(*net);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0].first, "patch_embed");
  EXPECT_EQ(parts[0].second, temporal + spectral + fuse + positions);
  EXPECT_EQ(parts[1].first, "blocks");
  EXPECT_EQ(parts[1].second, blocks);
}

TEST(Backbone, LabramConfigurationHasLabramBaseParameterCount) {
  // LaBraM-Base backbone (modeling_pretrain.py, without heads): TemporalConv 576, cls 200, pos_embed 129 x 200,
  // time_embed 16 x 200, 12 blocks, norm: 5,819,936 (its "5.8M").
  BackboneOptions o = backbone_preset("base");
  o.use_spectral(false);
  o.use_regions(false);
  o.n_electrodes(129);
  o.max_patches(16);
  o.pooling(Pooling::cls);
  Backbone net(o);
  EXPECT_EQ(count_parameters(*net), 5819936);
  EXPECT_FALSE(net->patch_embed->proj);  // 25 x 8 == 200: TemporalConv output used directly
}

TEST(Backbone, ForwardShapesPoolingAndChecks) {
  torch::manual_seed(0);
  Backbone net(test::micro_options());
  EegInput in = test::random_input(2, 3, 5);
  BackboneOutput out = net->forward(in);
  EXPECT_EQ(out.tokens.sizes(), (std::vector<int64_t>{2, 16, 32}));
  EXPECT_EQ(out.pooled.sizes(), (std::vector<int64_t>{2, 32}));
  EXPECT_TRUE(torch::allclose(out.pooled, net->fc_norm(out.tokens.slice(1, 1).mean(1))));
  // A different channel set and window length through the same model.
  EXPECT_EQ(net->forward(test::random_input(1, 7, 2)).tokens.sizes(), (std::vector<int64_t>{1, 15, 32}));
  EXPECT_THAT([&] { net->forward(test::random_input(1, 2, 17)); },
              ThrowsMessage<DataError>(HasSubstr("signal has shape [1, 2, 3400]: 17 patches per channel but the "
                                                 "model's time embedding covers max_patches = 16")));
  SignalSpec spec{{"FP1", "FP2"}, 200.0, 200 * 20};
  EXPECT_THAT([&] { net->check_spec(spec); },
              ThrowsMessage<ConfigError>(HasSubstr("windows of 4000 samples give 20 patches per channel but the "
                                                   "model's time embedding covers max_patches = 16")));
  spec.window_samples = 800;
  EXPECT_NO_THROW(net->check_spec(spec));
}

TEST(Backbone, ClsPoolingAndDeterminismInEval) {
  torch::manual_seed(0);
  BackboneOptions o = test::micro_options();
  o.pooling(Pooling::cls);
  o.drop_path(0.5);
  Backbone net(o);
  EXPECT_FALSE(net->fc_norm);
  net->eval();
  EegInput in = test::random_input(2, 3, 2);
  auto a = net->forward(in);
  auto b = net->forward(in);
  EXPECT_TRUE(torch::equal(a.pooled, a.tokens.select(1, 0)));
  EXPECT_TRUE(torch::equal(a.tokens, b.tokens));  // no stochastic depth in eval
}

TEST(Backbone, GradientsReachEveryParameter) {
  torch::manual_seed(0);
  BackboneOptions o = test::micro_options();
  o.use_coords(true);
  Backbone net(o);
  EegInput in = test::random_input(2, 3, 2);
  in.coords = torch::randn({3, 3});
  net->forward(in).pooled.pow(2).sum().backward();
  for (const auto& p : net->named_parameters()) {
    // The CLS token is not in the mean pooling but reaches it through attention.
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

TEST(Backbone, GradientsMatchADoublePrecisionReference) {
  // Guards against wrong backward kernels: LibTorch 1.13's CPU GroupNorm backward returns garbage for the
  // channels-last gradients that TemporalConv's rearrangement produces (see temporal_encoder.cpp).
  torch::manual_seed(0);
  Backbone f32(test::micro_options());
  Backbone f64(test::micro_options());
  {
    torch::NoGradGuard no_grad;
    auto src = f32->named_parameters();
    for (auto& p : f64->named_parameters()) p.value().copy_(src[p.key()]);
  }
  f64->to(torch::kDouble);
  EegInput in = test::random_input(2, 3, 2);
  EegInput in64 = in;
  in64.signal = in.signal.to(torch::kDouble);
  auto w = torch::randn({2, 7, 32});
  auto out32 = f32->forward(in);
  auto out64 = f64->forward(in64);
  ((out32.tokens * w).sum() + out32.pooled.sum()).backward();
  ((out64.tokens * w.to(torch::kDouble)).sum() + out64.pooled.sum()).backward();
  auto ref = f64->named_parameters();
  for (const auto& p : f32->named_parameters()) {
    auto g = p.value().grad().to(torch::kDouble);
    auto g_ref = ref[p.key()].grad();
    // float32 vs float64 through ~30 layers: relative error ~1e-5, so 1e-3 of the tensor's largest gradient; the
    // 1e-6 floor covers gradients that are exactly 0 in exact arithmetic (k_norm.bias: softmax shift invariance).
    const double scale = g_ref.abs().max().item<double>();
    EXPECT_LE((g - g_ref).abs().max().item<double>(), 1e-3 * scale + 1e-6) << p.key();
  }
  EXPECT_THAT([&] { f64->forward(in); },
              ThrowsMessage<DataError>(HasSubstr("signal has dtype float32 but the model's parameters are float64")));
}

}  // namespace
}  // namespace efm::models
