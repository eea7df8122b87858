#pragma once
// What the learning verbs (tokenizer, pretrain) share: the process session (distributed environment, threads,
// seeding, run directory on rank 0), opening the store with its preprocessing record, and checking that the
// model fits the windows.
#include <filesystem>
#include <memory>
#include <string>

#include "cli/args.h"
#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/config/run.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/data/store_source.h"
#include "epilepsyfm/data/windows.h"
#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/train/distributed.h"
#include "epilepsyfm/train/experiments.h"
#include "epilepsyfm/train/trainer.h"

namespace efm::cli {

/// --store, --out, --resume, --overwrite, --no-progress (+ the config options).
void add_learning_options(ArgParser& args);
/// The config sources of a learning verb: with --resume and no --config, the run's own config.yaml is the base
/// (a checkpointed run continues with nothing else on the command line); --set always applies.
config::ConfigSources learning_config_sources(const ArgParser& args);

struct Session {
  std::shared_ptr<train::ProcessGroup> dist;
  std::filesystem::path run_dir;  ///< absolute; created (rank 0) by open_run()
  torch::Device device = torch::kCPU;
  int threads = 1;
};

/// Joins the process group from the environment (a world of 1 without RANK/WORLD_SIZE), sets LibTorch's threads
/// (run.threads, 0 = all cores) and seeds LibTorch with run.seed. ConfigError without run.out.
Session start_session(const config::RunConfig& run);
/// Rank 0 prepares the run directory (create / resume / overwrite), tees the log and writes config.yaml; then all
/// ranks meet at a barrier.
void open_run(Session& session, RunDirMode mode, const std::string& config_yaml);

struct TrainingData {
  std::shared_ptr<data::StoreWindowSource> source;
  std::shared_ptr<const data::WindowIndex> index;
  train::PreprocessingRecord preprocessing;  ///< the store's
};

/// Opens data.store and its window index. Fills data.preprocessing from the store; a record already present that
/// differs is a ConfigError listing the differences (unless data.allow_preprocessing_mismatch). ConfigError for a
/// missing store setting, an empty store or no windows at all.
TrainingData open_training_data(train::DataConfig& data);

/// ConfigError when the windows of some channel group do not fit `model` (sampling rate, patch length, more
/// patches than its time embedding), naming the group's first recording.
void check_model_fits(const models::BackboneImpl& model, const TrainingData& data);

/// Trains `task` on `data` with the run's settings (seed, determinism, device, process group) and the verb's
/// --resume / --no-progress flags; returns the Trainer's result.
train::TrainResult fit_task(const ArgParser& args, const Session& session, const config::RunConfig& run,
                            const config::TrainConfig& train_config, const std::string& config_yaml,
                            train::TrainingTask& task, const TrainingData& data);

/// The last logged value of `name` (e.g. "train/loss") formatted with `fmt_spec`, or "n/a".
std::string last_metric_text(const train::TrainResult& result, const char* name, const char* fmt_spec = "{:.4g}");

}  // namespace efm::cli
