#include "steps.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include <torch/csrc/autograd/profiler_legacy.h>

#include "epilepsyfm/models/masking.h"
#include "epilepsyfm/models/runtime.h"
#include "epilepsyfm/train/learning_tasks.h"
#include "epilepsyfm/train/optim.h"

namespace efm::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Kernels on a GPU run asynchronously: a phase's time is only known once the device has finished it.
void sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

// Normalised-looking random windows; channel ids 1..C (electrode vocabulary rows), regions c mod 8.
data::Batch make_batch(const StepGeometry& g, uint64_t seed) {
  torch::manual_seed(seed);
  data::Batch b;
  b.signal = torch::randn({g.batch, g.channels, g.patches * models::kPatchSamples});
  b.channel_ids = torch::arange(1, g.channels + 1, torch::kLong).repeat({g.batch, 1});
  b.region_ids = (torch::arange(g.channels, torch::kLong) % 8).repeat({g.batch, 1});
  b.recordings.assign(static_cast<size_t>(g.batch), 0);
  b.start_samples.assign(static_cast<size_t>(g.batch), 0);
  b.recording_ids.assign(static_cast<size_t>(g.batch), "synthetic");
  return b;
}

struct Optimiser {
  std::vector<torch::Tensor> params;
  std::unique_ptr<torch::optim::AdamW> adamw;
};

Optimiser make_optimiser(train::TrainingTask& task, double lr, double beta2, double weight_decay) {
  auto groups = train::make_param_groups(task.model(), weight_decay, {}, task.no_weight_decay());
  Optimiser o;
  for (const auto& g : groups) o.params.insert(o.params.end(), g.params.begin(), g.params.end());
  train::AdamWSettings s;
  s.lr = lr;
  s.beta2 = beta2;
  o.adamw = train::make_adamw(groups, s);
  return o;
}

// One optimiser step as Trainer::run does it (single process, no accumulation).
StepTimes run(train::TrainingTask& task, Optimiser& opt, double clip, const StepBenchOptions& options,
              const std::function<double()>& labels_only = {}) {
  const data::Batch batch = make_batch(options.geometry, options.seed + 1).to(options.device);
  StepTimes t;
  for (const auto& p : opt.params) t.parameters += p.numel();
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
  for (int64_t i = 0; i < options.warmup + options.steps; ++i) {
    if (i == options.warmup && !options.profile.empty()) {
      profile = std::make_unique<torch::autograd::profiler::RecordProfile>(options.profile);
    }
    train::StepContext ctx;
    ctx.step = i;
    ctx.device = options.device;
    sync(options.device);
    const auto t0 = Clock::now();
    train::StepResult r;
    {
      train::AutocastGuard autocast(options.bf16, options.device);
      r = task.train_step(batch, ctx);
    }
    sync(options.device);
    const double f = seconds_since(t0);
    const auto t1 = Clock::now();
    r.loss.backward();
    sync(options.device);
    const double b = seconds_since(t1);
    const auto t2 = Clock::now();
    task.after_backward(ctx);
    train::clip_grad_norm(opt.params, clip);
    opt.adamw->step();
    for (auto& p : opt.params) p.mutable_grad() = torch::Tensor();  // as Trainer::run: gradients set to none
    sync(options.device);
    const double u = seconds_since(t2);
    if (i < options.warmup) continue;
    t.step.push_back(f + b + u);
    t.forward.push_back(f);
    t.backward.push_back(b);
    t.update.push_back(u);
    if (labels_only) t.labels.push_back(labels_only());
  }
  return t;
}

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double matmul_gflops(int64_t n, int reps, const torch::Device& device, torch::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  const auto o = torch::TensorOptions().device(device).dtype(dtype);
  auto a = torch::randn({n, n}, o);
  auto b = torch::randn({n, n}, o);
  auto c = torch::empty({n, n}, o);
  for (int i = 0; i < 2; ++i) torch::mm_out(c, a, b);
  std::vector<double> ts;
  for (int i = 0; i < reps; ++i) {
    sync(device);
    const auto t0 = Clock::now();
    torch::mm_out(c, a, b);
    sync(device);
    ts.push_back(seconds_since(t0));
  }
  return 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / median(ts) / 1e9;
}

StepTimes tokenizer_steps(const StepBenchOptions& options) {
  models::seed_torch(options.seed, /*deterministic=*/false);
  train::TokenizerTask task(models::tokenizer_preset(options.size));
  task.model().to(options.device);
  task.model().train();
  Optimiser opt = make_optimiser(task, /*lr=*/5e-5, /*beta2=*/0.99, /*weight_decay=*/1e-4);
  return run(task, opt, /*clip=*/0.0, options);
}

StepTimes pretrain_steps(const StepBenchOptions& options) {
  models::seed_torch(options.seed, /*deterministic=*/false);
  const models::TokenizerOptions tok_options = models::tokenizer_preset(options.size);
  models::NeuralTokenizer tokenizer(tok_options);
  // A frozen tokenizer needs an initialised codebook; its values do not change the cost of a step.
  tokenizer->quantizer->set_codebook(torch::randn({tok_options.vq().n_codes(), tok_options.vq().code_dim()}));
  tokenizer->to(options.device);
  train::PretrainTaskOptions o{
      models::MaskedEegModelOptions(models::backbone_preset(options.size)).codebook_size(tok_options.vq().n_codes()),
      models::MaskOptions().strategy(models::MaskStrategy::random).ratio(0.5), options.seed};
  train::PretrainTask task(o, tokenizer);
  task.model().to(options.device);
  task.model().train();
  Optimiser opt = make_optimiser(task, /*lr=*/5e-4, /*beta2=*/0.98, /*weight_decay=*/0.05);
  const data::Batch batch = make_batch(options.geometry, options.seed + 1).to(options.device);
  const models::EegInput input = train::eeg_input(batch);
  auto labels_only = [&tokenizer, &input, &options]() {
    sync(options.device);
    const auto t0 = Clock::now();
    torch::NoGradGuard no_grad;
    (void)tokenizer->encode(input);
    sync(options.device);
    return seconds_since(t0);
  };
  return run(task, opt, /*clip=*/3.0, options, labels_only);
}

}  // namespace efm::bench
