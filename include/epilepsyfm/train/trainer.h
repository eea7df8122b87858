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
/// micro-batches from the prefetching loader through the task (bf16 autocast if enabled), back-propagate
/// loss / accumulation, stop on a non-finite loss, average gradients over ranks, clip, step AdamW (parameter
/// groups with weight-decay exclusions and the task's lr scales). Every train.log_every steps it writes rows
/// (step, split, metric, value) to <run_dir>/metrics.csv (train/loss, lr, grad_norm, windows_per_s,
/// loader_wait_frac and the task's metrics, averaged over the steps since the last row and over ranks) and
/// updates the progress bar; every eval_every steps (and at the end) it evaluates; every checkpoint_every steps
/// and at the end it writes a checkpoint (checkpoint.h), keeping the last keep_last and the best.
///
/// Exactness: the torch CPU (and CUDA) generators are re-seeded at every step from (seed, step, rank), the data
/// position is saved with every checkpoint and the schedule is a function of the step, so `resume` followed by
/// `fit` continues with exactly the same batches, random numbers and learning rates; on CPU with
/// run.deterministic and the same thread count the final parameters equal those of an uninterrupted run bit for
/// bit (tests/unit/train/trainer_test.cpp and tests/integration/train_e2e_test.cpp check this).
///
/// Stops: SIGINT/SIGTERM -> finish the current step, write a checkpoint, throw efm::Interrupted(sig) (all ranks
/// agree on the step through an all-reduce). A non-finite loss or gradient norm -> DataError:
///   "non-finite loss (nan) at step 13 (epoch 0, micro-batches 24-25); batch windows: a.edf@12000, b.edf@400;
///    non-finite input values in: a.edf@12000; last good checkpoint: /runs/x/checkpoints/step_000010"
/// Only rank 0 writes metrics, logs at info level and writes checkpoints.
#include <torch/torch.h>

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

 private:
  struct Accum;
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
  bool bf16_ = false;
  int64_t step_ = 0;
  int64_t total_steps_ = 0;
  int64_t last_saved_step_ = -1;
  std::optional<double> best_value_;
  int64_t best_step_ = -1;
  std::map<std::string, double> last_metrics_;
};

}  // namespace efm::train
