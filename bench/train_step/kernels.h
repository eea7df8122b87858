#pragma once
// Hand-written CPU kernels of models/detail against the LibTorch built-ins that compute the same function, on the
// shapes of the base pre-training step, timed alternately in one process (forward + backward where differentiable).
// A kernel earns its place only where it beats the built-in by >= kKeepRatio (bench/train_step/README.md).
#include <cstdint>
#include <string>
#include <vector>

namespace efm::bench {

inline constexpr double kKeepRatio = 1.2;

struct KernelTimes {
  std::string name;       ///< e.g. "attention core (QK-norm, softmax, PV)"
  std::string kernel;     ///< the hand-written side, e.g. "models/detail/fused_attention"
  std::string builtin;    ///< e.g. "at::scaled_dot_product_attention"
  double kernel_ms = 0;   ///< median forward + backward
  double builtin_ms = 0;  ///< median forward + backward
  double max_abs_diff = 0;
  double ratio() const { return kernel_ms > 0 ? builtin_ms / kernel_ms : 0.0; }
};

/// The base step's shapes: `windows` (2B for the symmetric pass) x `tokens`, `heads` x `head_dim`, `rows` masked
/// tokens x `codes` codebook entries; medians over `reps` alternating repetitions after 2 warm-ups.
std::vector<KernelTimes> kernel_times(int64_t windows, int64_t tokens, int64_t heads, int64_t head_dim, int64_t rows,
                                      int64_t codes, int reps);

}  // namespace efm::bench
