#pragma once
/// The trainer's state in a checkpoint (CHECKPOINT/trainer.yaml): where training stands and the settings a resume
/// must match. Written and read through its `visit` (config/loader.h), like every config.
///
///   TrainState s = TrainState::read(checkpoint_dir);   // DataError naming the file when it is missing or malformed
///   s.step += 1;  s.write(tmp_dir);
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "epilepsyfm/config/schema.h"

namespace efm::train {

struct TrainState {
  int64_t step = 0;         ///< optimiser steps done
  int64_t total_steps = 0;  ///< steps the run was planned for (the learning-rate schedule's length)
  int64_t epoch = 0;        ///< data position: epoch ...
  int64_t batch = 0;        ///< ... and batch within it, of the next batch
  double next_lr = 0;       ///< learning rate of the next step
  int64_t world_size = 1;   ///< processes
  int64_t batch_size = 0;   ///< per process
  int64_t accumulation = 1;
  int64_t seed = 0;
  std::string best_metric;                           ///< train.keep_best.metric ("" = none tracked)
  std::optional<double> best_value;                  ///< its best value so far
  int64_t best_step = -1;                            ///< the step of best_value
  std::optional<double> loss_scale;                  ///< float16 runs: the dynamic loss scale
  std::optional<int64_t> loss_scale_growth_tracker;  ///< float16 runs: steps since the scale last changed
  std::string tool_version;

  template <class V>
  void visit(V& v) {
    v("step", step, config::non_negative());
    v("total_steps", total_steps, config::non_negative());
    v("epoch", epoch, config::non_negative());
    v("batch", batch, config::non_negative());
    v("next_lr", next_lr);
    v("world_size", world_size, config::at_least(1));
    v("batch_size", batch_size, config::non_negative());
    v("accumulation", accumulation, config::at_least(1));
    v("seed", seed);
    v("best_metric", best_metric);
    v("best_value", best_value);
    v("best_step", best_step);
    v("loss_scale", loss_scale);
    v("loss_scale_growth_tracker", loss_scale_growth_tracker);
    v("tool_version", tool_version);
  }

  /// File name inside a checkpoint directory.
  static constexpr const char* kFile = "trainer.yaml";
  /// Reads CHECKPOINT/trainer.yaml (DataError naming the file and key on a missing file or bad value).
  static TrainState read(const std::filesystem::path& checkpoint_dir);
  /// Writes CHECKPOINT/trainer.yaml atomically.
  void write(const std::filesystem::path& checkpoint_dir) const;
};

}  // namespace efm::train
