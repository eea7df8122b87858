#pragma once
/// The `train:` section shared by the tokenizer, pretraining and fine-tuning experiments: optimiser, schedule,
/// batching, logging, evaluation and checkpoint policy. Read by train::Trainer.
///
///   train:
///     steps: 20000          # optimiser steps (0 = run `epochs` epochs instead)
///     batch_size: 64        # windows per micro-batch on each process
///     accumulation: 1       # micro-batches per optimiser step
///     lr: 5.0e-4            # peak learning rate; linear warmup from 0, cosine to min_lr (LaBraM)
///     warmup_steps: 1000
///     keep_best: {metric: val/loss, mode: min}
///
/// Effective (global) batch per optimiser step = batch_size × accumulation × number of processes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/core/enum_names.h"

namespace efm::config {

/// `train.precision`: auto | fp32 | bf16 | fp16 (TrainConfig::precision).
enum class PrecisionSetting { automatic, fp32, bf16, fp16 };
inline constexpr EnumNames<PrecisionSetting, 4> kPrecisionSettingNames{{{PrecisionSetting::automatic, "auto"},
                                                                        {PrecisionSetting::fp32, "fp32"},
                                                                        {PrecisionSetting::bf16, "bf16"},
                                                                        {PrecisionSetting::fp16, "fp16"}}};
constexpr const auto& enum_names(PrecisionSetting) {
  return kPrecisionSettingNames;
}

/// Which way a metric improves: smaller (min) or larger (max) is better.
enum class MetricMode { min, max };
inline constexpr EnumNames<MetricMode, 2> kMetricModeNames{{{MetricMode::min, "min"}, {MetricMode::max, "max"}}};
constexpr const auto& enum_names(MetricMode) {
  return kMetricModeNames;
}

/// An incomplete last step batch of a channel group (data/sampler.h): drop it, pad it with the group's windows
/// (flagged as padding), or keep it short (one process, no accumulation).
enum class TailPolicy { drop, pad, keep };
inline constexpr EnumNames<TailPolicy, 3> kTailPolicyNames{
    {{TailPolicy::drop, "drop"}, {TailPolicy::pad, "pad"}, {TailPolicy::keep, "keep"}}};
constexpr const auto& enum_names(TailPolicy) {
  return kTailPolicyNames;
}

/// The deprecated `train.bf16`: auto | on | off.
enum class LegacyBf16 { automatic, on, off };
inline constexpr EnumNames<LegacyBf16, 3> kLegacyBf16Names{
    {{LegacyBf16::automatic, "auto"}, {LegacyBf16::on, "on"}, {LegacyBf16::off, "off"}}};
constexpr const auto& enum_names(LegacyBf16) {
  return kLegacyBf16Names;
}

/// Which checkpoint to keep as "best": a metric as "<split>/<name>" (e.g. "val/loss", "val/auroc") and whether
/// smaller or larger is better. An empty metric keeps no best checkpoint.
struct KeepBestConfig {
  std::string metric;
  MetricMode mode = MetricMode::min;

  template <class V>
  void visit(V& v) {
    v("metric", metric);
    v("mode", mode);
  }
  void validate(const std::string& path) const;
};

struct TrainConfig {
  int64_t steps = 0;         ///< optimiser steps; 0 = `epochs` epochs
  int64_t epochs = 1;        ///< used when steps is 0
  int64_t batch_size = 32;   ///< windows per micro-batch on each process
  int64_t accumulation = 1;  ///< micro-batches per optimiser step (gradient accumulation)
  double lr = 5e-4;          ///< peak learning rate
  double min_lr = 1e-6;      ///< final learning rate of the cosine
  int64_t warmup_steps = 0;  ///< linear warmup length in optimiser steps ...
  double warmup_epochs = 0;  ///< ... or in epochs (at most one of the two may be set)
  double weight_decay = 0.05;
  std::vector<double> betas{0.9, 0.999};
  double eps = 1e-8;
  double clip_grad = 0;  ///< max global gradient norm; 0 = no clipping (the norm is still logged)
  /// Forward-pass precision (autocast; parameters, gradients and optimiser state stay float32):
  ///   auto = bf16 on CUDA, fp32 on the CPU;  fp32 = no autocast;  bf16 = bfloat16 autocast (CPU or CUDA);
  ///   fp16 = float16 autocast with dynamic loss scaling (CUDA only; for GPUs without bf16, i.e. before Ampere).
  PrecisionSetting precision = PrecisionSetting::automatic;
  /// Deprecated (read, never written): the former `bf16: auto | on | off`, moved into `precision` by upgrade()
  /// (auto -> auto, on -> bf16, off -> fp32). Empty when the file does not set it.
  std::optional<LegacyBf16> bf16;
  int64_t log_every = 10;           ///< steps between metrics.csv rows / log lines
  int64_t eval_every = 0;           ///< steps between evaluations; 0 = only at the end (if the task evaluates)
  int64_t checkpoint_every = 1000;  ///< steps between checkpoints (a checkpoint is also written at the end)
  int64_t keep_last = 3;            ///< step checkpoints kept (the best is kept in addition); 0 = keep all
  KeepBestConfig keep_best;
  int64_t num_workers = 2;             ///< loader threads (0 = load in the training thread)
  int64_t prefetch = 4;                ///< batches prepared ahead
  TailPolicy tail = TailPolicy::drop;  ///< incomplete last batch of a channel group: drop | pad
  bool shuffle = true;

  template <class V>
  void visit(V& v) {
    v("steps", steps, non_negative());
    v("epochs", epochs, non_negative());
    v("batch_size", batch_size, at_least(1));
    v("accumulation", accumulation, at_least(1));
    v("lr", lr, positive());
    v("min_lr", min_lr, non_negative());
    v("warmup_steps", warmup_steps, non_negative());
    v("warmup_epochs", warmup_epochs, non_negative());
    v("weight_decay", weight_decay, non_negative());
    v("betas", betas, in_range(0.0, 0.999999));
    v("eps", eps, positive());
    v("clip_grad", clip_grad, non_negative());
    v("precision", precision);
    v("bf16", bf16, Deprecated{});
    v("log_every", log_every, at_least(1));
    v("eval_every", eval_every, non_negative());
    v("checkpoint_every", checkpoint_every, at_least(1));
    v("keep_last", keep_last, non_negative());
    v("keep_best", keep_best);
    v("num_workers", num_workers, in_range(0, 256));
    v("prefetch", prefetch, in_range(1, 1024));
    v("tail", tail, Choices{"drop", "pad"});
    v("shuffle", shuffle);
  }
  /// Moves a deprecated `bf16` into `precision` (ConfigError when both are set and disagree).
  void upgrade(const std::string& path);
  /// Cross-field checks: steps or epochs > 0, two betas, min_lr <= lr, one warmup form.
  void validate(const std::string& path) const;
};

}  // namespace efm::config
