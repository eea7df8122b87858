#pragma once
// The timed C++ workloads of bench_train_step: sgemm, a tokenizer training step and a pre-training step, each
// run as the Trainer runs it (task train_step, backward, after_backward, gradient norm/clipping, AdamW step).
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "flops.h"

namespace efm::bench {

/// Per-step wall times (s) of the timed steps, and their split.
struct StepTimes {
  std::vector<double> step;      ///< whole step
  std::vector<double> forward;   ///< task train_step (pre-training: includes tokenizer labels and masks)
  std::vector<double> backward;  ///< loss.backward()
  std::vector<double> update;    ///< after_backward (VQ EMA) + gradient norm/clip + AdamW step + zero_grad
  int64_t parameters = 0;        ///< trainable parameters of the optimised model
  std::vector<double> labels;    ///< pre-training only: the frozen tokenizer's encode() alone, timed separately
};

struct StepBenchOptions {
  StepGeometry geometry;
  std::string size = "base";           ///< model size preset (base | large | ...)
  torch::Device device = torch::kCPU;  ///< where the models, batch and steps run
  bool bf16 = false;                   ///< forward under bf16 autocast (the Trainer's train.bf16: on)
  int64_t warmup = 2;                  ///< untimed steps first (allocator, k-means codebook init, OpenBLAS buffers)
  int64_t steps = 5;                   ///< timed steps
  uint64_t seed = 0;
  std::string profile;  ///< if set: LibTorch legacy-profiler chrome trace of the timed C++ steps, to this file
};

/// Median GFLOP/s of torch::mm_out on n x n matrices of `dtype` on `device` (2 n^3 FLOPs per product).
double matmul_gflops(int64_t n, int reps, const torch::Device& device = torch::kCPU,
                     torch::ScalarType dtype = torch::kFloat);

/// Base tokenizer (tokenizer_preset("base")), AdamW lr 5e-5, betas (0.9, 0.99), weight decay 1e-4, no clipping
/// (configs/tokenizer/base.yaml).
StepTimes tokenizer_steps(const StepBenchOptions& options);
/// MaskedEegModel + frozen tokenizer of options.size (random unit codebook), random masks of ratio 0.5, symmetric loss,
/// AdamW lr 5e-4, betas (0.9, 0.98), weight decay 0.05, clip 3.0 (configs/pretrain/base.yaml).
StepTimes pretrain_steps(const StepBenchOptions& options);

double median(std::vector<double> v);

}  // namespace efm::bench
