#pragma once
/// Finding trained weights from what a user types on the command line, and loading the tokenizer from them.
///
/// A run of `epilepsyfm tokenizer` / `pretrain` leaves
///   RUN/tokenizer.pt | RUN/pretrained.pt      the final weights with the resolved config embedded
///                                             (models::save_state_dict; Python: torch.load, docs/checkpoint.md)
///   RUN/checkpoints/step_N/model.pt           weights of step N (a plain dict of tensors) + config.yaml beside it
///   RUN/checkpoints/latest                    the newest complete checkpoint
/// resolve_model_file accepts any of: the exported file, any other file written by save_state_dict (config
/// embedded), a checkpoint's model.pt (config.yaml beside it), a checkpoint directory, or a run directory (its
/// exported file if present, else its latest or best checkpoint; a run still training has no exported file yet).
#include <filesystem>
#include <string>

#include "epilepsyfm/models/tokenizer.h"
#include "epilepsyfm/train/experiments.h"
#include "epilepsyfm/train/run_dir.h"

namespace efm::train {

struct ModelFile {
  std::filesystem::path weights;               ///< the state-dict file
  std::string config_yaml;                     ///< the resolved config the weights were trained with
  std::string description;                     ///< what was found, for log lines ("runs/tok/checkpoints/step_000200")
  std::optional<config::ExperimentKind> kind;  ///< the config's experiment kind (config::experiment_kind)
};

/// Resolves `path` (see the file comment). A run directory's exported file is the one of its kind (RUN/config.yaml's
/// `experiment:`, train/run_dir.h); without one (a run still training, a fine-tuning run) its checkpoint `which`.
/// Throws ConfigError naming the path when it holds no weights or no config.
ModelFile resolve_model_file(const std::filesystem::path& path, CheckpointChoice which = CheckpointChoice::latest);

struct LoadedTokenizer {
  models::NeuralTokenizer tokenizer{nullptr};
  TokenizerExperiment experiment;  ///< the tokenizer run's resolved config (incl. data.preprocessing)
  ModelFile file;
};

/// Builds the tokenizer its config describes and loads its weights (strict). ConfigError when the config is not a
/// tokenizer experiment; DataError naming the file on missing/unexpected tensors or shape mismatches.
LoadedTokenizer load_tokenizer(const std::filesystem::path& path);

}  // namespace efm::train
