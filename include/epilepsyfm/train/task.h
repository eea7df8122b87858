#pragma once
/// The interface between the Trainer and what is trained. The tokenizer, pretraining and fine-tuning verbs each
/// implement one TrainingTask; the Trainer owns the loop, optimiser, schedule, checkpoints and distribution.
///
///   class MyTask : public TrainingTask {
///     torch::nn::Module& model() override { return *net_; }
///     StepResult train_step(const data::Batch& b, const StepContext& ctx) override {
///       auto loss = torch::mse_loss(net_->forward(b.signal), target(b));
///       return {loss, {{"mse", loss.item<double>()}}, b.size()};
///     }
///   };
///
/// Order of calls in one optimiser step (accumulation A, world size W):
///   for m in 0..A-1:  train_step(batch_m)  -> Trainer: (loss / A).backward()
///   after_backward(ctx)            e.g. the VQ tokenizer all-reduces its EMA statistics with ctx.dist
///   Trainer: gradients averaged over ranks, clipped
///   before_optimizer_step(ctx)
///   Trainer: optimiser step
///   after_optimizer_step(ctx)
///   interval_metrics(ctx)          only when a metrics row is written (every train.log_every steps and at the end)
/// Every rank calls the hooks in the same order, so they may run collectives on ctx.dist.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "epilepsyfm/data/batch.h"
#include "epilepsyfm/train/distributed.h"

namespace efm::train {

/// Where in training a call happens.
struct StepContext {
  int64_t step = 0;   ///< 0-based index of the optimiser step being computed (= steps completed so far)
  int64_t micro = 0;  ///< micro-batch within the step, [0, accumulation)
  int64_t accumulation = 1;
  uint64_t seed = 0;  ///< derive_seed(run seed, "task", step) mixed with micro and rank: for masks etc.
  double lr = 0;      ///< learning rate of this step (before per-group scales)
  torch::Device device = torch::kCPU;
  ProcessGroup* dist = nullptr;  ///< never null inside the Trainer (a world of 1 when single-process)
};

/// What one micro-batch produced.
struct StepResult {
  torch::Tensor loss;                     ///< scalar; the Trainer divides by accumulation and back-propagates
  std::map<std::string, double> metrics;  ///< extra scalars, logged as train/<name> (averaged over steps, ranks)
  int64_t windows = 0;                    ///< windows processed (for windows/s)
  /// Extra scalars as one-element tensors on any device (e.g. a loss part): logged like `metrics`, but summed on
  /// their device and read by the Trainer once per optimiser step, so a GPU task needs no .item() (a host sync)
  /// per micro-batch. A name must not also be in `metrics`.
  std::map<std::string, torch::Tensor> tensor_metrics;
};

struct EvalContext {
  int64_t step = 0;  ///< optimiser steps completed
  torch::Device device = torch::kCPU;
  ProcessGroup* dist = nullptr;
};

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;

  /// The module whose trainable parameters are optimised and whose state is checkpointed.
  virtual torch::nn::Module& model() = 0;
  /// Forward pass and loss of one micro-batch (already on the device; autocast active when train.precision is bf16
  /// or fp16).
  virtual StepResult train_step(const data::Batch& batch, const StepContext& ctx) = 0;

  /// Whether evaluate() does anything (the Trainer then calls it every train.eval_every steps and at the end).
  virtual bool has_evaluation() const { return false; }
  /// Validation metrics by name (logged as val/<name>); must return the same values on every rank (reduce them
  /// over ctx.dist when each rank evaluates a shard). Runs under NoGradGuard with the model in eval mode.
  virtual std::map<std::string, double> evaluate(const EvalContext& ctx) {
    (void)ctx;
    return {};
  }

  /// Metrics that describe the whole interval since the previous metrics row rather than one step (e.g. codebook
  /// usage over the interval). Called on every rank each time the Trainer writes a train row (every log_every
  /// steps and after the last step), after that step's optimiser step; may run collectives on ctx.dist. The values
  /// are averaged over ranks and logged as train/<name> without averaging over steps (a name also returned by
  /// train_step is replaced).
  virtual std::map<std::string, double> interval_metrics(const StepContext& ctx) {
    (void)ctx;
    return {};
  }

  /// Called once before the first step with the process group (e.g. to install a VQ statistics reducer).
  virtual void on_start(ProcessGroup& dist) { (void)dist; }
  virtual void after_backward(const StepContext& ctx) { (void)ctx; }
  virtual void before_optimizer_step(const StepContext& ctx) { (void)ctx; }
  virtual void after_optimizer_step(const StepContext& ctx) { (void)ctx; }

  /// Learning-rate multiplier per parameter (layer-wise decay); 1 by default.
  virtual double lr_scale(const std::string& param_name) const {
    (void)param_name;
    return 1.0;
  }
  /// Parameter names exempt from weight decay beyond the built-in rule (optim.h).
  virtual std::vector<std::string> no_weight_decay() const { return {}; }

  /// Extra state beyond the model's parameters and buffers (saved in task.pt of every checkpoint).
  virtual void save_state(torch::serialize::OutputArchive& archive) const { (void)archive; }
  virtual void load_state(torch::serialize::InputArchive& archive) { (void)archive; }
};

}  // namespace efm::train
