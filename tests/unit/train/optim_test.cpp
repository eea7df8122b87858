#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "epilepsyfm/config/train.h"
#include "epilepsyfm/config/yaml_io.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/train/checkpoint.h"
#include "epilepsyfm/train/distributed.h"
#include "epilepsyfm/train/grad_scaler.h"
#include "epilepsyfm/train/optim.h"
#include "support/test_support.h"
#include "toy/toy_task.h"

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::test {
struct TrainOnly {
  config::TrainConfig train;
  template <class V>
  void visit(V& v) {
    v("train", train);
  }
};
}  // namespace efm::test
EFM_INSTANTIATE_CONFIG(efm::test::TrainOnly)

namespace efm::train {
namespace {

struct Blocks : torch::nn::Module {
  Blocks() {
    pos_embed = register_parameter("pos_embed", torch::zeros({1, 4, 8}));
    mask_token = register_parameter("mask_token", torch::zeros({1, 1, 8}));
    proj = register_module("proj", torch::nn::Linear(8, 8));
    norm2d = register_parameter("norm_like", torch::zeros({2, 2}));  // 2-D but directly on the module: decayed
    frozen = register_parameter("frozen", torch::zeros({3, 3}), /*requires_grad=*/false);
  }
  torch::Tensor pos_embed, mask_token, norm2d, frozen;
  torch::nn::Linear proj{nullptr};
};

TEST(ParamGroups, WeightDecayRule) {
  EXPECT_TRUE(excluded_from_weight_decay("blocks.0.attn.qkv.bias", torch::zeros({3, 4}), false));
  EXPECT_TRUE(excluded_from_weight_decay("blocks.0.norm1.weight", torch::zeros({4, 4}), false));
  EXPECT_TRUE(excluded_from_weight_decay("time_embed", torch::zeros({1, 16, 8}), false));
  EXPECT_TRUE(excluded_from_weight_decay("spatial.electrode_embedding", torch::zeros({90, 8}), false));
  EXPECT_TRUE(excluded_from_weight_decay("cls_token", torch::zeros({1, 1, 8}), false));
  EXPECT_TRUE(excluded_from_weight_decay("layer_scale_gamma", torch::zeros({8}), false));
  EXPECT_TRUE(excluded_from_weight_decay("electrodes.weight", torch::zeros({90, 8}), /*in_embedding_module=*/true));
  EXPECT_FALSE(excluded_from_weight_decay("patch_embed.proj.weight", torch::zeros({8, 1, 15}), false));
  EXPECT_FALSE(excluded_from_weight_decay("blocks.0.mlp.fc1.weight", torch::zeros({32, 8}), false));
}

TEST(ParamGroups, ToyModelGroupsAndLrScales) {
  test::ToyTaskOptions o;
  test::ToyTask task(o);
  auto groups = make_param_groups(task.model(), 0.05);
  // groups in order of their first parameter; the module's own parameter (cls_token) comes first
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].weight_decay, 0.0);
  EXPECT_THAT(groups[0].names, ElementsAre("cls_token", "encoder.bias", "channel_embed.weight", "norm.weight",
                                           "norm.bias", "head.bias"));
  EXPECT_EQ(groups[1].weight_decay, 0.05);
  EXPECT_THAT(groups[1].names, ElementsAre("encoder.weight", "head.weight"));
  // a layer-wise scale splits groups further; the extra exclusion moves head.weight to no-decay
  groups = make_param_groups(task.model(), 0.05,
                             [](const std::string& n) { return n.rfind("head", 0) == 0 ? 1.0 : 0.5; }, {"head.weight"});
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_THAT(groups[0].names,
              ElementsAre("cls_token", "encoder.bias", "channel_embed.weight", "norm.weight", "norm.bias"));
  EXPECT_EQ(groups[0].lr_scale, 0.5);
  EXPECT_THAT(groups[1].names, ElementsAre("encoder.weight"));
  EXPECT_EQ(groups[1].weight_decay, 0.05);
  EXPECT_THAT(groups[2].names, ElementsAre("head.weight", "head.bias"));
  EXPECT_EQ(groups[2].lr_scale, 1.0);
  EXPECT_EQ(groups[2].weight_decay, 0.0);

  auto opt = make_adamw(groups, AdamWSettings{1e-3, 0.9, 0.98, 1e-8});
  set_learning_rate(*opt, groups, 2e-3);
  EXPECT_DOUBLE_EQ(opt->param_groups()[0].options().get_lr(), 1e-3);
  EXPECT_DOUBLE_EQ(opt->param_groups()[2].options().get_lr(), 2e-3);
}

TEST(ParamGroups, NamePatternsAndFrozen) {
  Blocks m;
  const auto groups = make_param_groups(m, 0.1);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_THAT(groups[0].names, ElementsAre("pos_embed", "mask_token", "proj.bias"));
  EXPECT_EQ(groups[0].weight_decay, 0.0);
  EXPECT_THAT(groups[1].names, ElementsAre("norm_like", "proj.weight"));  // "frozen" is not optimised
  EXPECT_EQ(groups[1].weight_decay, 0.1);
  EXPECT_THAT([&] { make_param_groups(m, 0.1, [](const std::string&) { return -1.0; }); },
              ThrowsMessage<ArgumentError>(HasSubstr("learning-rate scale of parameter 'pos_embed' is -1")));
}

// Hand-computed: lr 1e-3, min_lr 1e-5, warmup 5, total 15.
TEST(Schedule, WarmupThenCosine) {
  CosineSchedule s{1e-3, 1e-5, 5, 15};
  EXPECT_DOUBLE_EQ(s.at(0), 0.0);
  EXPECT_DOUBLE_EQ(s.at(2), 5e-4);  // linspace(0, 1e-3, 5)[2]
  EXPECT_DOUBLE_EQ(s.at(4), 1e-3);
  EXPECT_DOUBLE_EQ(s.at(5), 1e-3);                           // cos(0)
  EXPECT_NEAR(s.at(10), 1e-5 + 0.5 * (1e-3 - 1e-5), 1e-15);  // half way: cos(pi/2) = 0
  EXPECT_NEAR(s.at(14), 1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + std::cos(M_PI * 0.9)), 1e-15);
  EXPECT_DOUBLE_EQ(s.at(15), 1e-5);
  EXPECT_DOUBLE_EQ(s.at(100), 1e-5);
  CosineSchedule no_warmup{1e-3, 0, 0, 4};
  EXPECT_DOUBLE_EQ(no_warmup.at(0), 1e-3);
  EXPECT_NEAR(no_warmup.at(2), 0.5e-3, 1e-18);
}

TEST(Clip, GlobalNormScalesAllGradients) {
  auto a = torch::zeros({2}, torch::requires_grad());
  auto b = torch::zeros({1}, torch::requires_grad());
  auto c = torch::zeros({1}, torch::requires_grad());  // no gradient: skipped
  a.mutable_grad() = torch::tensor({3.0f, 4.0f});
  b.mutable_grad() = torch::tensor({12.0f});
  EXPECT_DOUBLE_EQ(clip_grad_norm({a, b, c}, 0), 13.0);  // no clipping, norm only
  EXPECT_FLOAT_EQ(a.grad()[0].item<float>(), 3.0f);
  EXPECT_DOUBLE_EQ(clip_grad_norm({a, b, c}, 1.3), 13.0);
  const double coef = 1.3 / (13.0 + 1e-6);
  EXPECT_FLOAT_EQ(a.grad()[1].item<float>(), static_cast<float>(4.0 * coef));
  EXPECT_FLOAT_EQ(b.grad()[0].item<float>(), static_cast<float>(12.0 * coef));
  EXPECT_NEAR(clip_grad_norm({a, b}, 0), 1.3, 1e-6);
  b.mutable_grad() = torch::tensor({std::nanf("")});
  EXPECT_TRUE(std::isnan(clip_grad_norm({a, b}, 1.0)));
}

TEST(PrecisionTest, ResolveAndGuard) {
  using config::PrecisionSetting;
  EXPECT_EQ(resolve_precision(PrecisionSetting::automatic, torch::kCPU), Precision::fp32);
  EXPECT_EQ(resolve_precision(PrecisionSetting::automatic, torch::Device("cuda:0")),
            Precision::bf16);  // resolving needs no GPU
  EXPECT_EQ(resolve_precision(PrecisionSetting::bf16, torch::kCPU), Precision::bf16);
  EXPECT_EQ(resolve_precision(PrecisionSetting::fp32, torch::kCPU), Precision::fp32);
  EXPECT_EQ(resolve_precision(PrecisionSetting::fp16, torch::Device("cuda:1")), Precision::fp16);
  EXPECT_THAT([] { resolve_precision(PrecisionSetting::fp16, torch::kCPU); },
              ThrowsMessage<ConfigError>(HasSubstr("train.precision: 'fp16' (float16 autocast with loss scaling) "
                                                   "needs a CUDA device, but this run's device is cpu")));
  EXPECT_STREQ(to_string(Precision::fp16), "fp16");
  EXPECT_EQ(autocast_dtype(Precision::bf16), torch::kBFloat16);
  EXPECT_EQ(autocast_dtype(Precision::fp16), torch::kHalf);
  auto w = torch::randn({4, 4});
  {
    AutocastGuard g(true, torch::kCPU);
    EXPECT_EQ(torch::mm(w, w).scalar_type(), torch::kBFloat16);  // mm is on the CPU autocast list
  }
  EXPECT_EQ(torch::mm(w, w).scalar_type(), torch::kFloat32);
  {
    AutocastGuard g(false, torch::kCPU);
    EXPECT_EQ(torch::mm(w, w).scalar_type(), torch::kFloat32);
  }
}

// The Trainer's halves of clip_grad_norm (norm on the device, clipping with the norm read once) give its results.
TEST(Optim, GradNormTensorAndClipGradientsEqualClipGradNorm) {
  auto a = torch::zeros({2}, torch::requires_grad());
  auto b = torch::zeros({3}, torch::requires_grad());
  auto c = torch::zeros({1}, torch::requires_grad());  // no gradient: skipped
  a.mutable_grad() = torch::tensor({3.0f, 4.0f});
  b.mutable_grad() = torch::tensor({0.0f, 12.0f, 0.0f});
  const torch::Tensor norm = grad_norm_tensor({a, b, c});
  EXPECT_EQ(norm.scalar_type(), torch::kFloat64);
  EXPECT_EQ(norm.dim(), 0);
  EXPECT_DOUBLE_EQ(norm.item<double>(), 13.0);
  clip_gradients({a, b, c}, /*max_norm=*/6.5, /*total=*/13.0);
  EXPECT_TRUE(torch::allclose(a.grad(), torch::tensor({1.5f, 2.0f}), 1e-6, 1e-6));
  clip_gradients({a, b}, /*max_norm=*/100, /*total=*/13.0);  // below the limit: unchanged
  EXPECT_TRUE(torch::allclose(a.grad(), torch::tensor({1.5f, 2.0f}), 1e-6, 1e-6));
  clip_gradients({a, b}, /*max_norm=*/1, /*total=*/std::nan(""));  // non-finite: unchanged (the Trainer stops)
  EXPECT_TRUE(torch::allclose(a.grad(), torch::tensor({1.5f, 2.0f}), 1e-6, 1e-6));
  EXPECT_FALSE(grad_norm_tensor({c}).defined());
}

// torch.amp.GradScaler's algorithm on CPU tensors (both ATen kernels have CPU implementations in LibTorch 2.x):
// scale the loss, unscale the gradients, skip on inf/NaN with backoff 0.5, grow x2 after growth_interval good steps.
TEST(GradScalerTest, ScalesUnscalesBacksOffAndGrows) {
  GradScalerOptions o;
  EXPECT_EQ(o.init_scale, 65536.0);  // torch.amp.GradScaler defaults
  EXPECT_EQ(o.growth_factor, 2.0);
  EXPECT_EQ(o.backoff_factor, 0.5);
  EXPECT_EQ(o.growth_interval, 2000);
  o.growth_interval = 3;
  GradScaler scaler(torch::kCPU, o);
  ASSERT_TRUE(scaler.enabled());

  auto w = torch::tensor({1.0f, -2.0f}, torch::requires_grad());
  const auto loss = (w * w).sum();  // d/dw = 2w
  const auto scaled = scaler.scale(loss);
  EXPECT_EQ(scaled.dim(), 0);
  EXPECT_FLOAT_EQ(scaled.item<float>(), 5.0f * 65536.0f);
  scaled.backward();
  EXPECT_TRUE(torch::equal(w.grad(), torch::tensor({2.0f * 65536.0f, -4.0f * 65536.0f})));
  torch::Tensor found = scaler.unscale({w});
  EXPECT_EQ(found.item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(w.grad(), torch::tensor({2.0f, -4.0f})));  // exact: the scale is a power of 2

  // Three good steps in a row double the scale (growth_interval 3); the tracker counts them.
  scaler.update(found);
  scaler.update(found);
  EXPECT_EQ(scaler.growth_tracker(), 2);
  EXPECT_EQ(scaler.scale_value(), 65536.0);
  scaler.update(found);
  EXPECT_EQ(scaler.scale_value(), 131072.0);
  EXPECT_EQ(scaler.growth_tracker(), 0);

  // An overflow: found_inf = 1 (the Trainer skips the optimiser step), the scale halves, the tracker resets.
  auto v = torch::zeros({3}, torch::requires_grad());
  v.mutable_grad() = torch::tensor({1.0f, std::numeric_limits<float>::infinity(), 0.0f});
  scaler.update(found);
  EXPECT_EQ(scaler.growth_tracker(), 1);
  found = scaler.unscale({w, v});
  EXPECT_EQ(found.item<float>(), 1.0f);
  scaler.update(found);
  EXPECT_EQ(scaler.scale_value(), 65536.0);
  EXPECT_EQ(scaler.growth_tracker(), 0);
  v.mutable_grad() = torch::tensor({std::nanf(""), 0.0f, 0.0f});
  EXPECT_EQ(scaler.unscale({v}).item<float>(), 1.0f);  // NaN counts as well

  // State round trip (the Trainer writes it to trainer.yaml) and checks.
  scaler.set_state(1024.0, 7);
  EXPECT_EQ(scaler.scale_value(), 1024.0);
  EXPECT_EQ(scaler.growth_tracker(), 7);
  EXPECT_THAT([&] { scaler.set_state(0.0, 0); }, ThrowsMessage<ArgumentError>(HasSubstr("must be a positive number")));
  o.backoff_factor = 1.0;
  EXPECT_THAT([&] { (void)GradScaler(torch::kCPU, o); }, ThrowsMessage<ArgumentError>(HasSubstr("backoff_factor (1)")));

  // Disabled: a pass-through.
  GradScaler off;
  EXPECT_FALSE(off.enabled());
  EXPECT_TRUE(off.scale(loss).is_same(loss));
  EXPECT_FALSE(off.unscale({w}).defined());
  EXPECT_EQ(off.scale_value(), 1.0);
}

test::TrainOnly parse_train(const std::string& yaml) {
  return config::parse_yaml<test::TrainOnly>(yaml, "t.yaml");
}

TEST(TrainConfigTest, ValidatesAcrossFields) {
  EXPECT_EQ(parse_train("").train.batch_size, 32);
  EXPECT_THAT([] { parse_train("train: {lr: 1.0e-4, min_lr: 1.0e-3}"); },
              ThrowsMessage<ConfigError>(HasSubstr("train.min_lr: 0.001 is larger than lr (0.0001)")));
  EXPECT_THAT([] { parse_train("train: {warmup_steps: 5, warmup_epochs: 1}"); },
              ThrowsMessage<ConfigError>(HasSubstr("warmup_steps (5) and warmup_epochs (1) are both set")));
  EXPECT_THAT([] { parse_train("train: {betas: [0.9]}"); },
              ThrowsMessage<ConfigError>(HasSubstr("train.betas: expected 2 values")));
  EXPECT_THAT([] { parse_train("train: {keep_best: {metric: auroc}}"); },
              ThrowsMessage<ConfigError>(HasSubstr("train.keep_best.metric: expected '<split>/<name>'")));
  EXPECT_THAT([] { parse_train("train: {bf16: maybe}"); },
              ThrowsMessage<ConfigError>(HasSubstr("train.bf16: allowed values are 'auto', 'on', 'off'")));
  EXPECT_THAT([] { parse_train("train: {precision: fp8}"); },
              ThrowsMessage<ConfigError>(HasSubstr("train.precision: allowed values are 'auto', 'fp32', 'bf16', "
                                                   "'fp16', but got 'fp8'")));
  EXPECT_THAT([] { parse_train("train: {steps: 0, epochs: 0}"); },
              ThrowsMessage<ConfigError>(HasSubstr("one of steps or epochs must be > 0")));
  const auto t = parse_train("train: {steps: 10, keep_best: {metric: val/loss, mode: min}}");
  EXPECT_EQ(config::to_yaml(t), config::to_yaml(parse_train(config::to_yaml(t))));
}

// train.bf16 (before train.precision) still loads, e.g. from the config stored in an older tokenizer.pt, and is
// written back as precision.
TEST(TrainConfigTest, DeprecatedBf16BecomesPrecision) {
  EXPECT_EQ(parse_train("").train.precision, config::PrecisionSetting::automatic);
  EXPECT_EQ(parse_train("train: {bf16: on}").train.precision, config::PrecisionSetting::bf16);
  EXPECT_EQ(parse_train("train: {bf16: off}").train.precision, config::PrecisionSetting::fp32);
  EXPECT_EQ(parse_train("train: {bf16: auto}").train.precision, config::PrecisionSetting::automatic);
  EXPECT_EQ(parse_train("train: {bf16: on, precision: bf16}").train.precision, config::PrecisionSetting::bf16);
  const auto t = parse_train("train: {bf16: on}");
  EXPECT_FALSE(t.train.bf16.has_value());
  const std::string yaml = config::to_yaml(t);
  EXPECT_THAT(yaml, HasSubstr("precision: bf16"));
  EXPECT_THAT(yaml, ::testing::Not(HasSubstr("bf16: ")));
  EXPECT_THAT([] { parse_train("train: {bf16: off, precision: fp16}"); },
              ThrowsMessage<ConfigError>(HasSubstr("train.bf16: 'off' (deprecated; means precision 'fp32') "
                                                   "contradicts train.precision: 'fp16'; remove train.bf16")));
}

TEST(Checkpoints, KeepLastAndBestAndLatest) {
  test::TempDir tmp("ckpt");
  CheckpointManager m(tmp.path(), /*keep_last=*/2);
  auto write = [](const std::filesystem::path& d) { std::ofstream(d / "x.txt") << "x"; };
  m.save(10, write, /*is_best=*/false);
  m.save(20, write, /*is_best=*/true);
  m.save(30, write, false);
  m.save(40, write, false);
  EXPECT_THAT(m.steps(), ElementsAre(20, 30, 40));  // last 2 + the best
  EXPECT_EQ(m.latest()->filename(), "step_000040");
  EXPECT_EQ(m.best()->filename(), "step_000020");
  m.save(50, write, true);
  EXPECT_THAT(m.steps(), ElementsAre(40, 50));
  // a failing writer leaves no trace
  EXPECT_THROW(m.save(
                   60, [](const std::filesystem::path&) { throw DataError("disk full"); }, false),
               DataError);
  EXPECT_THAT(m.steps(), ElementsAre(40, 50));
  EXPECT_EQ(m.latest()->filename(), "step_000050");
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(m.dir())) entries += e.is_directory();
  EXPECT_EQ(entries, 2u);
}

TEST(Checkpoints, ModelStateRoundTripAndMismatch) {
  test::TempDir tmp("state");
  test::ToyTaskOptions o;
  test::ToyTask a(o);
  o.init_seed = 8;
  test::ToyTask b(o);
  ASSERT_FALSE(torch::equal(a.net()->encoder->weight, b.net()->encoder->weight));
  save_module_state(a.model(), tmp / "model.pt");
  const auto names = load_module_state(b.model(), tmp / "model.pt");
  EXPECT_EQ(names.size(), 8u);
  EXPECT_TRUE(torch::equal(a.net()->encoder->weight, b.net()->encoder->weight));
  EXPECT_TRUE(torch::equal(a.net()->cls_token, b.net()->cls_token));

  o.window_samples = 50;
  test::ToyTask c(o);
  EXPECT_THAT([&] { load_module_state(c.model(), tmp / "model.pt"); },
              ThrowsMessage<DataError>(HasSubstr("model.pt: 'encoder.weight' has shape [16, 100] in the file but [16, "
                                                 "50] in the model")));
  torch::nn::Linear other(3, 3);
  EXPECT_THAT([&] { load_module_state(*other, tmp / "model.pt"); },
              ThrowsMessage<DataError>(HasSubstr("model.pt: 2 model entries are missing from the file: weight, bias")));
}

}  // namespace
}  // namespace efm::train
