// GPU checks (ctest label `cuda`, executable train_cuda_test): CPU/CUDA agreement of the models, bf16/fp16 training
// steps, the Trainer's CUDA path (pinned loader, device prefetch, float16 loss scaling, checkpoints that move between
// CPU and GPU) and a one-process NCCL group. Every test starts with EFM_REQUIRE_CUDA(): without a GPU (or with a
// CPU-only LibTorch) it is skipped with "NO CUDA DEVICE", and ctest reports it as skipped, not passed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <ATen/Context.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/data/loader.h"
#include "epilepsyfm/eval/finetune/heads/modules.h"
#include "epilepsyfm/models/pretrain_model.h"
#include "epilepsyfm/models/tokenizer.h"
#include "epilepsyfm/train/cuda_settings.h"
#include "epilepsyfm/train/grad_scaler.h"
#include "epilepsyfm/train/learning_tasks.h"
#include "epilepsyfm/train/optim.h"
#include "epilepsyfm/train/trainer.h"
#include "support/test_support.h"
#include "toy/toy_task.h"
#include "train/detail/collectives.h"
#include "unit/models/model_test_util.h"
#include "unit/train/nonfinite_message.h"

#ifndef EFM_HAVE_NCCL
#define EFM_HAVE_NCCL 0
#endif

using ::testing::HasSubstr;

// A loud skip: the reason is printed by GoogleTest and ctest shows the test as skipped.
#define EFM_REQUIRE_CUDA()                                                                                         \
  if (!torch::cuda::is_available())                                                                                \
  GTEST_SKIP() << "NO CUDA DEVICE: this GPU check did not run (it needs an NVIDIA GPU and a CUDA LibTorch build, " \
                  "scripts/build_cuda.sh)"

namespace efm::train {
namespace {
namespace fs = std::filesystem;
using models::EegInput;

const torch::Device kCuda("cuda:0");

// ---- helpers ----------------------------------------------------------------------------------------------------

// float32 products and convolutions without TF32 in this scope (cuBLAS and cuDNN flags saved and restored).
class NoTf32 {
 public:
  NoTf32() : cublas_(at::globalContext().allowTF32CuBLAS()), cudnn_(at::globalContext().allowTF32CuDNN()) {
    at::globalContext().setAllowTF32CuBLAS(false);
    at::globalContext().setAllowTF32CuDNN(false);
  }
  ~NoTf32() {
    at::globalContext().setAllowTF32CuBLAS(cublas_);
    at::globalContext().setAllowTF32CuDNN(cudnn_);
  }
  NoTf32(const NoTf32&) = delete;
  NoTf32& operator=(const NoTf32&) = delete;

 private:
  bool cublas_, cudnn_;
};

EegInput to_device(const EegInput& in, const torch::Device& device) {
  EegInput out = in;
  out.signal = in.signal.to(device);
  out.channel_ids = in.channel_ids.to(device);
  if (in.region_ids.defined()) out.region_ids = in.region_ids.to(device);
  return out;
}

// ||got - want|| / ||want|| in float64 on the CPU (0 when both are 0).
double rel_err(const torch::Tensor& got, const torch::Tensor& want) {
  const auto g = got.detach().to(torch::kCPU, torch::kFloat64);
  const auto w = want.detach().to(torch::kCPU, torch::kFloat64);
  const double d = (g - w).norm().item<double>();
  const double n = w.norm().item<double>();
  return n > 0 ? d / n : d;
}

// Gradients of `gpu` against those of `cpu` (same parameter names): the relative error of all gradients as one
// vector must stay below `global_tol`, and of each tensor below `tensor_tol` (looser: a tensor whose gradient is a
// sum with cancellation has a larger relative error; a wrong gradient is off by O(1)). Every gradient finite.
void expect_grads_close(torch::nn::Module& gpu, torch::nn::Module& cpu, double global_tol, double tensor_tol) {
  const auto want = cpu.named_parameters();
  std::vector<torch::Tensor> all_got, all_want;
  for (const auto& p : gpu.named_parameters()) {
    if (!p.value().requires_grad()) continue;
    const torch::Tensor& w = want[p.key()].grad();
    const torch::Tensor& g = p.value().grad();
    ASSERT_EQ(g.defined(), w.defined()) << p.key();
    if (!g.defined()) continue;
    EXPECT_TRUE(torch::isfinite(g).all().item<bool>()) << p.key();
    if (tensor_tol > 0) {
      EXPECT_LT(rel_err(g, w), tensor_tol) << p.key();
    }
    all_got.push_back(g.detach().to(torch::kCPU, torch::kFloat64).reshape({-1}));
    all_want.push_back(w.detach().to(torch::kCPU, torch::kFloat64).reshape({-1}));
  }
  ASSERT_FALSE(all_got.empty());
  const double err = rel_err(torch::cat(all_got), torch::cat(all_want));
  EXPECT_LT(err, global_tol);
  std::printf("[cuda] gradient relative error (all parameters): %.3g (bound %.3g)\n", err, global_tol);
}

// A fixed weighting of a model output, so that the backward pass depends on every output element.
torch::Tensor probe_loss(const torch::Tensor& out, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  const torch::Tensor w = at::randn(out.sizes(), gen, torch::kFloat32).to(out.device());
  return (out.to(torch::kFloat32) * w).sum();
}

eval::FinetuneModel make_head_model() {
  const models::BackboneOptions o = models::test::micro_options();
  return eval::FinetuneModel(o, eval::LinearHead(eval::LinearHeadOptions(o.embed_dim(), 2)).ptr());
}

torch::Tensor head_logits(eval::FinetuneModel& m, const EegInput& in) {
  return m->head_as<eval::LinearHeadImpl>()->forward(m->backbone->forward(in).pooled);
}

// ---- (a) CPU and CUDA compute the same functions ------------------------------------------------------------------
//
// Tolerances, float32 (TF32 off): both sides compute the same float32 function with other kernels and summation
// orders (CPU: oneDNN products, fused attention and cross-entropy kernels, pocketfft; CUDA: cuBLAS, ATen ops, cuFFT).
// Each reduction then differs by a few float32 ulps (~1e-7 relative); through two transformer blocks, LayerNorms and
// the spectral branch this stays well below 1e-4 relative for outputs and for the gradient vector. Per tensor 1e-3:
// some gradients (biases, layer-scale gammas) are sums with cancellation, whose relative error is larger.
//
// bf16 autocast on CUDA against the float32 CPU reference: bfloat16 keeps 8 mantissa bits (unit roundoff
// 2^-8 = 3.9e-3), and autocast rounds the inputs of every product and convolution; a dot product then has a relative
// error of a few 1e-3, and about ten of them lie in series between input and output (patch embedding, 2 blocks of
// q/k/v, projection and two MLP products, the head). Accumulated, that is 1-3e-2: outputs must agree within 5e-2,
// the gradient vector (the backward products also run in bf16, and the weight gradients sum over tokens) within 1e-1.
// A real error (wrong layout, dtype or device handling) is off by O(1).

TEST(CudaModels, BackboneAndHeadMatchTheCpuInFloat32) {
  EFM_REQUIRE_CUDA();
  NoTf32 no_tf32;
  const EegInput in = models::test::random_input(2, 3, 2, /*seed=*/11);
  torch::manual_seed(5);
  eval::FinetuneModel cpu = make_head_model();
  torch::manual_seed(5);
  eval::FinetuneModel gpu = make_head_model();
  gpu->to(kCuda);
  cpu->eval();  // no dropout / drop path: both sides compute the same function
  gpu->eval();

  const EegInput gin = to_device(in, kCuda);
  const models::BackboneOutput oc = cpu->backbone->forward(in);
  const models::BackboneOutput og = gpu->backbone->forward(gin);
  EXPECT_LT(rel_err(og.tokens, oc.tokens), 1e-4);
  EXPECT_LT(rel_err(og.pooled, oc.pooled), 1e-4);
  const torch::Tensor lc = cpu->head_as<eval::LinearHeadImpl>()->forward(oc.pooled);
  const torch::Tensor lg = gpu->head_as<eval::LinearHeadImpl>()->forward(og.pooled);
  EXPECT_LT(rel_err(lg, lc), 1e-4);

  const torch::Tensor labels = torch::tensor({0, 1}, torch::kInt64);
  (probe_loss(oc.tokens, 1) + torch::nn::functional::cross_entropy(lc, labels)).backward();
  (probe_loss(og.tokens, 1) + torch::nn::functional::cross_entropy(lg, labels.to(kCuda))).backward();
  expect_grads_close(*gpu, *cpu, /*global_tol=*/1e-4, /*tensor_tol=*/1e-3);
}

TEST(CudaModels, MaskedModelMatchesTheCpuInFloat32) {
  EFM_REQUIRE_CUDA();
  NoTf32 no_tf32;
  const EegInput in = models::test::random_input(2, 3, 2, /*seed=*/12);
  const int64_t k = 16, n = 3 * 2;
  const auto opts = models::MaskedEegModelOptions(models::test::micro_options()).codebook_size(k);
  torch::manual_seed(6);
  models::MaskedEegModel cpu(opts);
  torch::manual_seed(6);
  models::MaskedEegModel gpu(opts);
  gpu->to(kCuda);
  cpu->eval();
  gpu->eval();
  auto gen = at::detail::createCPUGenerator(3);
  const torch::Tensor codes = at::randint(k, {2, n}, gen, torch::kInt64);
  const torch::Tensor mask = (torch::arange(2 * n) % 2 == 0).view({2, n});  // both passes have tokens

  const models::MemLoss lc = cpu->symmetric_loss(in, codes, mask);
  const models::MemLoss lg = gpu->symmetric_loss(to_device(in, kCuda), codes.to(kCuda), mask.to(kCuda));
  EXPECT_EQ(lg.n_masked, lc.n_masked);
  EXPECT_LT(rel_err(lg.loss_masked, lc.loss_masked), 1e-4);
  EXPECT_LT(rel_err(lg.loss_symmetric, lc.loss_symmetric), 1e-4);
  // (accuracies are not compared: the freshly initialised lm_head gives near-equal logits, where argmax ties flip)
  lc.loss.backward();
  lg.loss.backward();
  expect_grads_close(*gpu, *cpu, /*global_tol=*/1e-4, /*tensor_tol=*/1e-3);
}

// The tokenizer with the same fixed codebook on both sides: identical codes, and the same predictions, commitment
// and amplitude losses and gradients. Its phase loss is not compared: the phase target angle(FFT) of the real DC
// and Nyquist bins is +-pi for a negative value depending on the sign of a zero imaginary part, which pocketfft and
// cuFFT need not agree on; the gradient check therefore uses the predictions, not the phase loss.
TEST(CudaModels, TokenizerMatchesTheCpuInFloat32) {
  EFM_REQUIRE_CUDA();
  NoTf32 no_tf32;
  const models::TokenizerOptions opts = models::test::micro_tokenizer();
  auto gen = at::detail::createCPUGenerator(4);
  const torch::Tensor codebook = at::randn({opts.vq().n_codes(), opts.vq().code_dim()}, gen, torch::kFloat32);
  torch::manual_seed(7);
  models::NeuralTokenizer cpu(opts);
  torch::manual_seed(7);
  models::NeuralTokenizer gpu(opts);
  cpu->quantizer->set_codebook(codebook);
  gpu->quantizer->set_codebook(codebook);
  gpu->to(kCuda);
  cpu->eval();  // the quantizer only updates its codebook in training mode
  gpu->eval();

  const EegInput in = models::test::random_input(2, 3, 2, /*seed=*/13);
  const models::TokenizerOutput oc = cpu->forward(in);
  const models::TokenizerOutput og = gpu->forward(to_device(in, kCuda));
  EXPECT_TRUE(torch::equal(og.codes.cpu(), oc.codes));
  EXPECT_LT(rel_err(og.amplitude, oc.amplitude), 1e-4);
  EXPECT_LT(rel_err(og.phase, oc.phase), 1e-4);
  EXPECT_LT(rel_err(og.commitment_loss, oc.commitment_loss), 1e-4);
  EXPECT_LT(rel_err(og.amplitude_loss, oc.amplitude_loss), 1e-4);
  const auto tc = models::NeuralTokenizerImpl::spectral_targets(in.signal, models::kPatchSamples);
  const auto tg = models::NeuralTokenizerImpl::spectral_targets(in.signal.to(kCuda), models::kPatchSamples);
  EXPECT_LT(rel_err(tg.amplitude, tc.amplitude), 1e-4);

  (probe_loss(oc.amplitude, 2) + probe_loss(oc.phase, 3) + oc.commitment_loss).backward();
  (probe_loss(og.amplitude, 2) + probe_loss(og.phase, 3) + og.commitment_loss).backward();
  expect_grads_close(*gpu, *cpu, /*global_tol=*/1e-4, /*tensor_tol=*/1e-3);
  EXPECT_TRUE(torch::equal(gpu->quantizer->codebook().cpu(), cpu->quantizer->codebook()));  // eval: unchanged
}

TEST(CudaModels, Bf16AutocastStaysCloseToTheFloat32Cpu) {
  EFM_REQUIRE_CUDA();
  const EegInput in = models::test::random_input(2, 3, 2, /*seed=*/14);
  torch::manual_seed(8);
  eval::FinetuneModel cpu = make_head_model();
  torch::manual_seed(8);
  eval::FinetuneModel gpu = make_head_model();
  gpu->to(kCuda);
  cpu->eval();
  gpu->eval();
  const EegInput gin = to_device(in, kCuda);
  const models::BackboneOutput oc = cpu->backbone->forward(in);
  models::BackboneOutput og;
  torch::Tensor lg;
  {
    AutocastGuard autocast(true, kCuda, torch::kBFloat16);
    og = gpu->backbone->forward(gin);
    lg = gpu->head_as<eval::LinearHeadImpl>()->forward(og.pooled);
  }
  const torch::Tensor lc = cpu->head_as<eval::LinearHeadImpl>()->forward(oc.pooled);
  EXPECT_LT(rel_err(og.tokens, oc.tokens), 5e-2);
  EXPECT_LT(rel_err(og.pooled, oc.pooled), 5e-2);
  EXPECT_LT(rel_err(lg, lc), 5e-2);
  const torch::Tensor labels = torch::tensor({1, 0}, torch::kInt64);
  (probe_loss(oc.tokens, 4) + torch::nn::functional::cross_entropy(lc, labels)).backward();
  (probe_loss(og.tokens, 4) + torch::nn::functional::cross_entropy(lg.to(torch::kFloat32), labels.to(kCuda)))
      .backward();
  // Parameters and their gradients stay float32 under autocast.
  for (const auto& p : gpu->parameters()) {
    if (p.grad().defined()) {
      EXPECT_EQ(p.grad().scalar_type(), torch::kFloat32);
    }
  }
  expect_grads_close(*gpu, *cpu, /*global_tol=*/1e-1, /*tensor_tol=*/0);
}

// ---- (b) training steps on CUDA lower the loss on a fixed batch ----------------------------------------------------

data::Batch fixed_batch(int64_t b, int64_t c, int64_t seconds, uint64_t seed, const torch::Device& device) {
  const EegInput in = models::test::random_input(b, c, seconds, seed);
  data::Batch batch;
  batch.signal = in.signal.to(device);
  batch.channel_ids = in.channel_ids.unsqueeze(0).expand({b, c}).contiguous().to(device);
  batch.region_ids = in.region_ids.unsqueeze(0).expand({b, c}).contiguous().to(device);
  batch.labels = (torch::arange(b) % 2).to(device);
  batch.padding = torch::zeros({b}, torch::kBool).to(device);
  for (int64_t i = 0; i < b; ++i) {
    batch.recordings.push_back(i);
    batch.start_samples.push_back(0);
    batch.recording_ids.push_back("fixed" + std::to_string(i));
  }
  return batch;
}

TEST(CudaTraining, Bf16PretrainingStepsLowerTheLoss) {
  EFM_REQUIRE_CUDA();
  torch::manual_seed(9);
  const models::TokenizerOptions tok_opts = models::test::micro_tokenizer();
  models::NeuralTokenizer tokenizer(tok_opts);
  tokenizer->quantizer->set_codebook(torch::randn({tok_opts.vq().n_codes(), tok_opts.vq().code_dim()}));
  tokenizer->to(kCuda);
  PretrainTaskOptions o{
      models::MaskedEegModelOptions(models::test::micro_options()).codebook_size(tok_opts.vq().n_codes()),
      models::MaskOptions().strategy(models::MaskStrategy::random).ratio(0.5), /*seed=*/1};
  PretrainTask task(o, tokenizer);
  task.model().to(kCuda);
  task.model().train();
  torch::optim::AdamW opt(task.model().parameters(), torch::optim::AdamWOptions(2e-3));
  const data::Batch batch = fixed_batch(4, 3, 2, /*seed=*/21, kCuda);
  ProcessGroup single;
  StepContext ctx;  // step 0 every time: the same mask, so the loss can only fall by learning
  ctx.device = kCuda;
  ctx.dist = &single;
  std::vector<double> losses;
  for (int step = 0; step < 30; ++step) {
    opt.zero_grad();
    StepResult r;
    {
      AutocastGuard autocast(true, kCuda, torch::kBFloat16);
      r = task.train_step(batch, ctx);
    }
    r.loss.backward();
    opt.step();
    losses.push_back(r.loss.item<double>());
    ASSERT_TRUE(std::isfinite(losses.back())) << "step " << step;
  }
  EXPECT_LT(losses.back(), 0.9 * losses.front()) << "first " << losses.front() << " last " << losses.back();
}

// A fine-tuning step (backbone + linear head, cross-entropy) under bf16 autocast, and the same under fp16 autocast
// with the loss scaler as the Trainer uses it (scale, unscale, skip on overflow, update).
TEST(CudaTraining, FinetuningStepsLowerTheLossInBf16AndFp16) {
  EFM_REQUIRE_CUDA();
  const data::Batch batch = fixed_batch(4, 3, 2, /*seed=*/22, kCuda);
  const EegInput in = eeg_input(batch);
  for (const auto dtype : {torch::kBFloat16, torch::kHalf}) {
    SCOPED_TRACE(dtype == torch::kHalf ? "fp16" : "bf16");
    torch::manual_seed(10);
    eval::FinetuneModel model = make_head_model();
    model->to(kCuda);
    model->train();
    std::vector<torch::Tensor> params = model->parameters();
    torch::optim::AdamW opt(params, torch::optim::AdamWOptions(2e-3));
    GradScaler scaler = dtype == torch::kHalf ? GradScaler(kCuda) : GradScaler();
    std::vector<double> losses;
    int64_t skipped = 0;
    for (int step = 0; step < 30; ++step) {
      opt.zero_grad();
      torch::Tensor loss;
      {
        AutocastGuard autocast(true, kCuda, dtype);
        loss = torch::nn::functional::cross_entropy(head_logits(model, in), batch.labels);
      }
      scaler.scale(loss).backward();
      const torch::Tensor found_inf = scaler.unscale(params);
      if (!found_inf.defined() || found_inf.item<float>() == 0) {
        opt.step();
      } else {
        ++skipped;
      }
      scaler.update(found_inf);
      losses.push_back(loss.item<double>());
      ASSERT_TRUE(std::isfinite(losses.back())) << "step " << step;
    }
    EXPECT_LT(losses.back(), 0.9 * losses.front()) << "first " << losses.front() << " last " << losses.back();
    if (dtype == torch::kHalf) {
      EXPECT_LT(skipped, 10);
      EXPECT_GT(scaler.scale_value(), 0.0);
      EXPECT_TRUE(std::isfinite(scaler.scale_value()));
    }
  }
}

// ---- the Trainer on CUDA ------------------------------------------------------------------------------------------

struct ToyData {
  std::shared_ptr<data::InMemoryWindowSource> source = test::make_toy_source();
  std::shared_ptr<const data::WindowIndex> index;
  ToyData() {
    data::WindowOptions wo;
    wo.window_s = 2;
    wo.stride_s = 1;
    wo.require_label = true;
    index = std::make_shared<data::WindowIndex>(data::WindowIndex::build(*source, wo));
  }
};

// As trainer_test.cpp's options(), not deterministic (CUDA kernels such as the embedding backward have no
// deterministic variant without CUBLAS_WORKSPACE_CONFIG; these tests compare no bits across runs on the GPU).
TrainerOptions toy_options(const fs::path& dir, int64_t steps, const torch::Device& device,
                           config::PrecisionSetting precision) {
  TrainerOptions o;
  o.train.steps = steps;
  o.train.batch_size = 8;
  o.train.lr = 3e-3;
  o.train.min_lr = 1e-4;
  o.train.warmup_steps = 2;
  o.train.log_every = 2;
  o.train.checkpoint_every = 4;
  o.train.keep_last = 3;
  o.train.num_workers = 2;
  o.train.precision = precision;
  o.seed = 5;
  o.run_dir = dir;
  o.config_yaml = "config_version: 1\n";
  o.progress = false;
  o.device = device;
  return o;
}

std::map<std::string, torch::Tensor> cpu_params(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value().detach().to(torch::kCPU).clone();
  return out;
}

void expect_equal_params(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
}

TEST(CudaTrainer, LoaderPinsBatchesForTheGpu) {
  EFM_REQUIRE_CUDA();
  ToyData s;
  data::SamplerOptions so;
  so.batch_size = 8;
  data::Loader pinned(s.source, data::BatchSampler(s.index, so), data::LoaderOptions().workers(2).pinned(true));
  const data::Batch b = *pinned.next();
  EXPECT_TRUE(b.signal.is_pinned());
  EXPECT_TRUE(b.channel_ids.is_pinned());
  EXPECT_TRUE(b.labels.is_pinned());
  const data::Batch d = b.to(kCuda);
  EXPECT_TRUE(d.signal.is_cuda());
  EXPECT_TRUE(torch::equal(d.signal.cpu(), b.signal));
  data::Loader plain(s.source, data::BatchSampler(s.index, so), data::LoaderOptions().workers(2));
  EXPECT_FALSE(plain.next()->signal.is_pinned());
}

// float16 with loss scaling through the Trainer on the GPU (pinned loader, device prefetch): the checkpoint of step 4
// (taken while the batch of step 5 was already on the device) records the same data position as a CPU run's, holds
// the loss scale, and a CPU trainer resumes it with identical weights and continues; the CPU checkpoint then
// resumes on the GPU with identical weights (optimiser state loaded onto the device) and continues in bf16.
TEST(CudaTrainer, Fp16CheckpointResumesOnTheCpuAndBack) {
  EFM_REQUIRE_CUDA();
  ToyData s;
  test::TempDir gdir("cuda_fp16"), cdir("cuda_cpu"), ref("cuda_ref"), g2dir("cuda_bf16");

  test::ToyTaskOptions to;
  test::ToyTask gpu_task(to);
  gpu_task.model().to(kCuda);
  Trainer tg(toy_options(gdir.path(), 6, kCuda, config::PrecisionSetting::fp16), gpu_task, s.source, s.index);
  EXPECT_EQ(tg.precision(), Precision::fp16);
  const TrainResult rg = tg.fit();
  EXPECT_EQ(rg.steps, 6);
  EXPECT_TRUE(std::isfinite(rg.last_metrics.at("train/loss")));
  EXPECT_GE(rg.data_wait_frac, 0.0);
  EXPECT_LE(rg.data_wait_frac, 1.0);
  ASSERT_TRUE(tg.grad_scaler().enabled());
  EXPECT_GT(tg.grad_scaler().scale_value(), 0.0);
  const std::string state = read_file(gdir / "checkpoints" / "step_000004" / "trainer.yaml");
  EXPECT_THAT(state, HasSubstr("loss_scale: "));
  EXPECT_THAT(state, HasSubstr("loss_scale_growth_tracker: "));
  bool scale_rows = false;
  for (const auto& row : read_csv(gdir / "metrics.csv").rows) scale_rows = scale_rows || row[2] == "loss_scale";
  EXPECT_TRUE(scale_rows);

  // The same schedule on the CPU: the same data position in the checkpoint of step 4.
  test::ToyTask ref_task(to);
  Trainer(toy_options(ref.path(), 6, torch::kCPU, config::PrecisionSetting::automatic), ref_task, s.source, s.index)
      .fit();
  const std::string ref_state = read_file(ref / "checkpoints" / "step_000004" / "trainer.yaml");
  EXPECT_THAT(ref_state, HasSubstr("epoch: 0\nbatch: 4\n"));
  EXPECT_THAT(state, HasSubstr("epoch: 0\nbatch: 4\n"));

  // GPU checkpoint -> CPU.
  test::ToyTaskOptions other = to;
  other.init_seed = 99;
  test::ToyTask cpu_task(other);
  Trainer tc(toy_options(cdir.path(), 8, torch::kCPU, config::PrecisionSetting::automatic), cpu_task, s.source,
             s.index);
  tc.resume(gdir / "checkpoints" / "step_000006");
  EXPECT_EQ(tc.step(), 6);
  expect_equal_params(cpu_params(cpu_task.model()), cpu_params(gpu_task.model()));
  EXPECT_EQ(tc.fit().steps, 8);

  // CPU checkpoint -> GPU (bf16).
  other.init_seed = 98;
  test::ToyTask gpu2_task(other);
  gpu2_task.model().to(kCuda);
  Trainer tg2(toy_options(g2dir.path(), 10, kCuda, config::PrecisionSetting::bf16), gpu2_task, s.source, s.index);
  tg2.resume(cdir / "checkpoints" / "step_000008");
  EXPECT_EQ(tg2.step(), 8);
  expect_equal_params(cpu_params(gpu2_task.model()), cpu_params(cpu_task.model()));
  for (const auto& p : gpu2_task.model().parameters()) {
    const auto& st = tg2.optimizer().state();
    const auto it = st.find(p.unsafeGetTensorImpl());
    ASSERT_NE(it, st.end());
    const auto& adam = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    EXPECT_TRUE(adam.exp_avg().is_cuda());
  }
  EXPECT_EQ(tg2.fit().steps, 10);
}

// The non-finite-loss message on the GPU (checked once per step there) is the CPU's: step, micro-batch position,
// windows, the window with the NaN and the last good checkpoint.
TEST(CudaTrainer, NonFiniteLossNamesStepWindowsAndCheckpoint) {
  EFM_REQUIRE_CUDA();
  ToyData s;
  test::TempDir dir("cuda_nan");
  test::ToyTaskOptions to;
  to.nan_at_step = 6;
  test::ToyTask task(to);
  task.model().to(kCuda);
  Trainer t(toy_options(dir.path(), 10, kCuda, config::PrecisionSetting::fp32), task, s.source, s.index);
  try {
    t.fit();
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    test_util::expect_nonfinite_loss_at_step_6(e.what(), dir.path());
  }
  EXPECT_EQ(t.step(), 5);
}

// ---- (c) NCCL -------------------------------------------------------------------------------------------------------

// A one-process NCCL group (ProcessGroup::create makes no group for a world of 1, so the collectives are built
// directly, over a TCPStore as ProcessGroup does): all-reduce (sum, max) of a device tensor and of a CPU tensor
// (staged through the device), broadcast, barrier.
TEST(CudaNccl, OneProcessGroupAllReducesAndBroadcasts) {
  EFM_REQUIRE_CUDA();
  if (!EFM_HAVE_NCCL) {
    GTEST_SKIP() << "NO NCCL IN THIS BUILD: the NCCL check did not run (configure against a CUDA LibTorch with "
                    "nccl.h, scripts/build_cuda.sh)";
  }
  c10d::TCPStoreOptions so;
  so.port = 0;  // any free port
  so.isServer = true;
  so.numWorkers = 1;
  so.waitWorkers = false;
  so.timeout = std::chrono::seconds(60);
  auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
  auto comm = detail::make_nccl_collectives(store, /*rank=*/0, /*world_size=*/1, kCuda, std::chrono::seconds(60));
  EXPECT_THAT(comm->name(), HasSubstr("NCCL"));

  torch::Tensor t = torch::tensor({1.5f, -2.0f, 3.0f}, torch::TensorOptions().device(kCuda));
  comm->all_reduce(t, detail::ReduceKind::sum);
  EXPECT_TRUE(t.is_cuda());
  EXPECT_TRUE(torch::equal(t.cpu(), torch::tensor({1.5f, -2.0f, 3.0f})));
  comm->all_reduce(t, detail::ReduceKind::max);
  EXPECT_TRUE(torch::equal(t.cpu(), torch::tensor({1.5f, -2.0f, 3.0f})));

  torch::Tensor host = torch::tensor({7.0, 8.0}, torch::kFloat64);  // metrics on the CPU: staged through the GPU
  comm->all_reduce(host, detail::ReduceKind::sum);
  EXPECT_TRUE(host.device().is_cpu());
  EXPECT_TRUE(torch::equal(host, torch::tensor({7.0, 8.0}, torch::kFloat64)));

  torch::Tensor b = torch::arange(4, torch::TensorOptions().dtype(torch::kInt64).device(kCuda));
  comm->broadcast(b, /*root=*/0);
  EXPECT_TRUE(torch::equal(b.cpu(), torch::arange(4, torch::kInt64)));
  comm->barrier();
}

}  // namespace
}  // namespace efm::train
