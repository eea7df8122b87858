#pragma once
/// The training loop shared by the tokenizer, pretraining and fine-tuning verbs.
///
///   TrainerOptions opt;
///   opt.train = exp.train; opt.seed = exp.run.seed; opt.run_dir = run_dir; opt.config_yaml = to_yaml(exp);
///   opt.dist = ProcessGroup::create(DistEnv::from_environment());
///   Trainer trainer(opt, task, source, index);
///   if (resuming) trainer.resume();      // latest checkpoint of run_dir
///   TrainResult r = trainer.fit();
///
/// What it does per optimiser step: set the lr from the schedule (warmup + cosine, optim.h), run `accumulation`
/// micro-batches from the prefetching loader through the task (under autocast when train.precision is bf16 or
/// fp16), back-propagate loss / accumulation (times the loss scale for fp16, grad_scaler.h), stop on a non-finite
/// loss, average gradients over ranks, unscale them (fp16), clip, step AdamW (parameter groups with weight-decay
/// exclusions and the task's lr scales). Every train.log_every steps it writes rows (step, split, metric, value) to
/// <run_dir>/metrics.csv (train/loss, lr, grad_norm, windows_per_s, loader_wait_frac, for fp16 loss_scale and
/// skipped_steps, and the task's metrics, averaged over the steps since the last row and over ranks) and updates
/// the progress bar; every eval_every steps (and at the end) it evaluates; every checkpoint_every steps and at the
/// end it writes a checkpoint (checkpoint.h), keeping the last keep_last and the best.
///
/// float16 (train.precision: fp16, CUDA only): a step whose unscaled gradients contain inf/NaN is skipped (no
/// optimiser step, logged; it still counts as a step, so the schedule and data order stay functions of the step)
/// and the loss scale is halved; 2000 overflow-free steps in a row double it. The scale and its growth tracker are
/// saved in every checkpoint's trainer.yaml (loss_scale, loss_scale_growth_tracker), so a resume continues exactly.
///
/// On a CUDA device: the loader assembles batches in pinned host memory, and while a micro-batch is computed the
/// next one is already copied to the device (non_blocking, one batch ahead), so neither the copy nor the loader sits
/// between two micro-batches on the host. The losses, the non-finite checks, the task's tensor metrics, the signal
/// flag and the gradient norm are gathered on the device and read in one host transfer per optimiser step
/// (no .item() per micro-batch). loader_wait_frac is the share of the loop's wall time spent getting batches: waiting
/// for the loader plus issuing the device copy (on the CPU: waiting for the loader, or assembling the batch when
/// train.num_workers is 0). Checkpoints record the data position of the first batch not yet trained on (the
/// prefetched one), so resuming never skips a batch.
///
/// Exactness: the torch CPU (and CUDA) generators are re-seeded at every step from (seed, step, rank), the data
/// position is saved with every checkpoint and the schedule is a function of the step, so `resume` followed by
/// `fit` continues with exactly the same batches, random numbers and learning rates; on CPU with
/// run.deterministic and the same thread count the final parameters equal those of an uninterrupted run bit for
/// bit (tests/unit/train/trainer_test.cpp and tests/integration/train_e2e_test.cpp check this).
///
/// Stops: SIGINT/SIGTERM -> finish the current step, write a checkpoint, throw efm::Interrupted(sig) (all ranks
/// agree on the step through an all-reduce; the signal is checked once per step, after its micro-batches, so a
/// signal arriving later in the step, e.g. during an evaluation, stops the run after the next step). A non-finite
/// loss or gradient norm -> DataError:
///   "non-finite loss (nan) at step 13 (epoch 0, micro-batches 24-25); batch windows: a.edf@12000, b.edf@400;
///    non-finite input values in: a.edf@12000; last good checkpoint: /runs/x/checkpoints/step_000010"
/// Only rank 0 writes metrics, logs at info level and writes checkpoints.
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "epilepsyfm/config/train.h"
#include "epilepsyfm/data/loader.h"
#include "epilepsyfm/train/checkpoint.h"
#include "epilepsyfm/train/distributed.h"
#include "epilepsyfm/train/grad_scaler.h"
#include "epilepsyfm/train/optim.h"
#include "epilepsyfm/train/task.h"

namespace efm::train {

struct TrainerOptions {
  config::TrainConfig train;
  uint64_t seed = 0;              ///< run.seed
  bool deterministic = false;     ///< run.deterministic (deterministic algorithms)
  std::filesystem::path run_dir;  ///< existing run directory (prepared by the verb)
  std::string config_yaml;        ///< resolved experiment config, stored in every checkpoint
  torch::Device device = torch::kCPU;
  std::shared_ptr<ProcessGroup> dist;  ///< null = single process
  bool progress = true;                ///< progress bar on rank 0
};

struct TrainResult {
  int64_t steps = 0;  ///< optimiser steps completed (in total, incl. before resume)
  std::filesystem::path last_checkpoint;
  std::optional<std::filesystem::path> best_checkpoint;
  std::map<std::string, double> last_metrics;  ///< "train/loss", "val/..." of the last row written
  double windows_per_s = 0;                    ///< all ranks, this session
  data::LoaderStats loader;                    ///< this rank's loader counters
  double data_wait_s = 0;     ///< this session: time the loop spent getting batches (loader + device copy issue)
  double data_wait_frac = 0;  ///< data_wait_s / this session's training-loop wall time
};

class Trainer {
 public:
  /// Builds sampler (batch_size, accumulation, world size, rank, seed, tail, shuffle from `options`), loader,
  /// parameter groups and AdamW. Throws ConfigError/ArgumentError for inconsistent settings (e.g. no batches).
  Trainer(TrainerOptions options, TrainingTask& task, std::shared_ptr<const data::WindowSource> source,
          std::shared_ptr<const data::WindowIndex> index);
  ~Trainer();

  /// Restores the state of `checkpoint` (default: the latest of run_dir): model, optimiser, step, data
  /// position, best metric, task state; truncates metrics.csv to rows with step <= the checkpoint's. Throws
  /// ConfigError when the checkpoint was made with a different batch size, accumulation or world size, or when
  /// there is no checkpoint.
  void resume(const std::filesystem::path& checkpoint = {});

  /// Trains until the configured number of steps. Returns on completion; throws Interrupted / DataError as
  /// described above.
  TrainResult fit();

  int64_t step() const { return step_; }
  int64_t total_steps() const { return total_steps_; }
  int64_t steps_per_epoch() const;
  const CosineSchedule& schedule() const { return schedule_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  const data::Loader& loader() const { return *loader_; }
  torch::optim::AdamW& optimizer() { return *optimizer_; }
  /// The resolved train.precision.
  Precision precision() const { return precision_; }
  /// The float16 loss scaler (disabled unless precision() is fp16).
  const GradScaler& grad_scaler() const { return scaler_; }

 private:
  struct Accum;
  /// What one optimiser step gave: mean loss over its micro-batches, gradient norm, mean task metrics, windows.
  struct StepOutcome {
    double lr = 0;
    double loss = 0;
    double grad_norm = 0;
    bool skipped = false;  ///< fp16 overflow: no update
    int64_t windows = 0;
    int signal_number = 0;  ///< a signal all ranks saw during the step (0 = none)
    std::map<std::string, double> metrics;
  };
  /// The micro-batches of one step, kept until the step's values are read (once): the batches for a non-finite-loss
  /// message, the losses and tensor metrics as device scalars (float64).
  struct MicroBatches {
    std::vector<data::Batch> batches;
    std::vector<torch::Tensor> losses;
    std::map<std::string, double> metric_sum;
    std::map<std::string, torch::Tensor> tensor_metric_sum;
    int64_t windows = 0;
  };
  /// Forward and backward of the step's accumulation micro-batches (ctx.step, ctx.accumulation set).
  MicroBatches forward_backward(StepContext& ctx);
  /// One optimiser step (accumulation micro-batches, gradient averaging, clipping, update); fills `ctx`.
  StepOutcome train_step(StepContext& ctx);
  /// Writes the interval's train row (reduced over ranks) and resets `acc`; returns whether it is the best.
  bool log_interval(Accum& acc, double lr, const StepContext& ctx, std::string& note, bool quiet);
  /// Runs the task's evaluation and writes its val row; returns whether it is the best.
  bool evaluate_interval();
  TrainResult result_of(std::chrono::steady_clock::time_point session_start, double session_wait_start,
                        int64_t session_windows) const;
  /// The next micro-batch on the device: the prefetched one, else the loader's (copied to the device).
  data::Batch next_batch(int64_t step);
  /// CUDA: takes the following micro-batch from the loader and starts its non_blocking copy to the device.
  void prefetch(int64_t step);
  /// Position of the first micro-batch not yet trained on (the prefetched one, if any).
  data::SamplerPosition data_position() const;
  void write_checkpoint(bool is_best);
  std::string last_checkpoint_text() const;
  std::map<std::string, double> reduce_metrics(const std::map<std::string, double>& local);
  void write_rows(const std::string& split, const std::map<std::string, double>& metrics);
  bool update_best(const std::map<std::string, double>& metrics);
  std::map<std::string, double> run_evaluation();

  TrainerOptions opt_;
  TrainingTask& task_;
  std::shared_ptr<ProcessGroup> dist_;
  std::shared_ptr<const data::WindowSource> source_;
  std::unique_ptr<data::Loader> loader_;
  std::vector<ParamGroup> groups_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  CosineSchedule schedule_;
  CheckpointManager checkpoints_;
  Precision precision_ = Precision::fp32;
  GradScaler scaler_;                      ///< enabled for fp16
  std::optional<data::Batch> prefetched_;  ///< CUDA: the next micro-batch, its copy to the device under way
  double data_wait_s_ = 0;                 ///< total time spent getting batches (next_batch + prefetch)
  int64_t step_ = 0;
  int64_t total_steps_ = 0;
  int64_t last_saved_step_ = -1;
  std::optional<double> best_value_;
  int64_t best_step_ = -1;
  std::map<std::string, double> last_metrics_;
};

}  // namespace efm::train
