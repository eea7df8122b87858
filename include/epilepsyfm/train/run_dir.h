#pragma once
/// A run directory: the layout every learning verb (tokenizer, pretrain, finetune) writes, in one place.
///
///   RUN/config.yaml           the resolved experiment config, `experiment: tokenizer|pretrain|finetune` at the top
///   RUN/log.txt               the log of every process start in it
///   RUN/metrics.csv           step,split,metric,value
///   RUN/checkpoints/          step_N/ (model.pt, optimizer.pt, rng.pt, task.pt, trainer.yaml, config.yaml),
///                             `latest` and `best` (train/checkpoint.h)
///   RUN/tokenizer.pt          tokenizer runs: the final weights with the config embedded (models/checkpoint_io.h)
///   RUN/pretrained.pt         pretraining runs: the same
///   RUN/splits.csv, metrics.json, report.html, predictions_<split>.csv     fine-tuning runs (eval/finetune.h)
///
///   RunDir run = RunDir::open("runs/tok", RunDirMode::create_new, config_yaml);   // rank 0
///   std::optional<Checkpoint> c = RunDir("runs/sd").checkpoint(CheckpointChoice::best);
#include <filesystem>
#include <optional>
#include <string>

#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/train/train_state.h"

namespace efm::train {

/// File names of the final exports in a run directory.
inline constexpr const char* kTokenizerFile = "tokenizer.pt";
inline constexpr const char* kPretrainedFile = "pretrained.pt";

/// Which checkpoint of a run: the newest, or the best on the tracked metric (the newest when none is tracked).
enum class CheckpointChoice { latest, best };
/// "latest" | "best" (ConfigError naming `path` otherwise).
CheckpointChoice parse_checkpoint_choice(const std::string& text, const std::string& path);

/// One complete checkpoint directory and its state.
struct Checkpoint {
  std::filesystem::path dir;
  TrainState state;
  std::filesystem::path model_file() const { return dir / "model.pt"; }
  std::filesystem::path config_file() const { return dir / "config.yaml"; }
};

class RunDir {
 public:
  explicit RunDir(std::filesystem::path dir);

  /// Creates (or, for `resume`, requires; for `overwrite`, empties) the directory, adds RUN/log.txt to the log and
  /// writes RUN/config.yaml. ConfigError for a non-empty directory with `create_new` (suggesting --resume or
  /// --overwrite).
  static RunDir open(const std::filesystem::path& dir, RunDirMode mode, const std::string& config_yaml);

  const std::filesystem::path& path() const { return dir_; }
  std::filesystem::path config_file() const { return dir_ / "config.yaml"; }
  std::filesystem::path metrics_file() const { return dir_ / "metrics.csv"; }
  std::filesystem::path checkpoints_dir() const { return dir_ / "checkpoints"; }

  /// The final export of a run of experiment `kind`: tokenizer.pt, pretrained.pt; "" for kinds without one.
  static std::string export_name(std::optional<config::ExperimentKind> kind);

  /// The checkpoint `which` names; `best` without a recorded best is the latest (with a warning). nullopt when
  /// the run has no checkpoint; DataError when a pointer names a missing directory or its state is unreadable.
  std::optional<Checkpoint> checkpoint(CheckpointChoice which) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace efm::train
