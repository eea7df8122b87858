#pragma once
/// Checkpoint directories of a run and model state files.
///
/// Layout (docs/checkpoint.md):
///   runs/<name>/checkpoints/step_000200/model.pt       parameters and buffers (torch::pickle_save of a
///                                                       Dict[str, Tensor]; Python: torch.load(...) gives a dict)
///                                      optimizer.pt   AdamW state (torch::serialize archive)
///                                      rng.pt         generator states (torch::serialize archive)
///                                      task.pt        the task's extra state (torch::serialize archive)
///                                      trainer.yaml   step, data position, schedule, best metric, settings
///                                      config.yaml    the resolved experiment config
///   runs/<name>/checkpoints/latest                    text: "step_000200"
///   runs/<name>/checkpoints/best                      text: "step_000150" (when a best metric is tracked)
/// A checkpoint is written into a hidden temporary directory and renamed into place, and `latest` is replaced
/// atomically afterwards, so a crash at any moment leaves either the previous or the new checkpoint complete.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace efm::train {

/// "step_000200" (six digits, more when needed).
std::string checkpoint_name(int64_t step);

/// Writes the parameters and buffers of `module` (by their dotted names) to `path` atomically.
void save_module_state(const torch::nn::Module& module, const std::filesystem::path& path);
/// Copies the tensors saved by save_module_state into `module` (models::load_state_dict: with `strict`, missing or
/// unexpected names are an error; shape and dtype mismatches always are, DataError naming the file and the tensors;
/// nothing is copied when it throws). Returns the names loaded.
std::vector<std::string> load_module_state(torch::nn::Module& module, const std::filesystem::path& path,
                                           bool strict = true);
/// The tensors of a saved module state by name (for inspection and comparisons).
std::map<std::string, torch::Tensor> read_module_state(const std::filesystem::path& path);

class CheckpointManager {
 public:
  /// Checkpoints live in <run_dir>/checkpoints. keep_last: step checkpoints kept (0 = all); the best is extra.
  CheckpointManager(std::filesystem::path run_dir, int64_t keep_last);

  const std::filesystem::path& dir() const { return dir_; }

  /// Creates the checkpoint of `step`: `write(tmp_dir)` fills a temporary directory, which is then renamed to
  /// step_NNNNNN (replacing an older one of the same step), `latest` (and `best` if `is_best`) updated, and old
  /// checkpoints beyond keep_last removed (never the best). Returns the final directory.
  std::filesystem::path save(int64_t step, const std::function<void(const std::filesystem::path&)>& write,
                             bool is_best);

  /// The checkpoint `latest` points to (nullopt when there is none). Throws DataError when `latest` names a
  /// missing directory.
  std::optional<std::filesystem::path> latest() const;
  std::optional<std::filesystem::path> best() const;
  /// Steps of the complete checkpoints present, ascending.
  std::vector<int64_t> steps() const;

 private:
  void prune(int64_t keep_step_of_best);

  std::filesystem::path dir_;
  int64_t keep_last_;
};

}  // namespace efm::train
