#pragma once
/// The training runner every learning verb (tokenizer, pretrain, finetune) goes through:
///
///   Session s = start_session(exp.run);                    // processes, threads, seeds, device
///   TrainingData d = open_training_data(exp.data);         // store + window index + its preprocessing record
///   ... build the task, check_model_fits(model, d) ...
///   open_run(s, mode, config::to_yaml(exp));               // the run directory (rank 0), config.yaml
///   TrainResult r = fit(s, exp.run, exp.train, config_yaml, task, d.source, d.index, flags);
///
/// Fine-tuning binds its task to a split of the store and passes the split's source and index to fit().
#include <filesystem>
#include <memory>
#include <string>

#include "epilepsyfm/config/preprocessing.h"
#include "epilepsyfm/config/run.h"
#include "epilepsyfm/config/train.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/data/store_source.h"
#include "epilepsyfm/data/windows.h"
#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/train/distributed.h"
#include "epilepsyfm/train/experiments.h"
#include "epilepsyfm/train/trainer.h"

namespace efm::train {

struct Session {
  std::shared_ptr<ProcessGroup> dist;  ///< null for a single-process session (distributed = false)
  std::filesystem::path run_dir;       ///< absolute; created (rank 0) by open_run()
  torch::Device device = torch::kCPU;
  int threads = 1;
  bool is_main() const { return !dist || dist->is_main(); }
};

struct SessionOptions {
  /// Join the process group from the environment (a world of 1 without RANK/WORLD_SIZE); false: one process.
  bool distributed = true;
  /// The run directory; empty = run.out.
  std::filesystem::path run_dir;
};

/// Sets LibTorch's threads (run.threads, 0 = all cores), picks the device, seeds LibTorch with run.seed and applies
/// the CUDA settings. ConfigError without a run directory.
Session start_session(const config::RunConfig& run, const SessionOptions& options = {});

/// Rank 0 prepares the run directory (RunDir::open: create / resume / overwrite, log file, config.yaml); then all
/// ranks meet at a barrier.
void open_run(Session& session, RunDirMode mode, const std::string& config_yaml);

struct TrainingData {
  std::shared_ptr<data::StoreWindowSource> source;
  std::shared_ptr<const data::WindowIndex> index;
  config::PreprocessingSpec preprocessing;  ///< the store's
};

/// Opens data.store and its window index. Fills data.preprocessing from the store; a record already present that
/// differs is a ConfigError listing the differences (unless data.allow_preprocessing_mismatch). ConfigError for a
/// missing store setting, an empty store or no windows at all.
TrainingData open_training_data(DataConfig& data);

/// ConfigError when the windows of some channel group do not fit `model` (sampling rate, patch length, more
/// patches than its time embedding), naming the group's first recording.
void check_model_fits(const models::BackboneImpl& model, const TrainingData& data);

/// How a verb asked to train: continue the run's latest checkpoint; show a progress bar.
struct FitFlags {
  bool resume = false;
  bool progress = true;
};

/// Trains `task` on `index` of `source` with the run's settings (seed, determinism, device, process group);
/// returns the Trainer's result.
TrainResult fit(const Session& session, const config::RunConfig& run, const config::TrainConfig& train_config,
                const std::string& config_yaml, TrainingTask& task, std::shared_ptr<const data::WindowSource> source,
                std::shared_ptr<const data::WindowIndex> index, const FitFlags& flags);

}  // namespace efm::train
