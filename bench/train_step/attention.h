#pragma once
// The attention core of one base transformer layer (qkv Linear output -> per-head QK-norm, softmax(q k^T) v, heads
// merged), forward + backward, with the fused CPU kernel (models/detail/fused_attention.h) and with the LibTorch-op
// formulation of the same function, timed alternately in one process.
#include <cstdint>

namespace efm::bench {

struct AttentionTimes {
  double fused_forward_ms = 0, fused_backward_ms = 0;
  double ops_forward_ms = 0, ops_backward_ms = 0;
  double max_abs_diff = 0;  ///< between the two outputs (float32 rounding only)
};

/// Medians over `reps` alternating repetitions; windows x tokens x heads x head_dim as given.
AttentionTimes attention_core_times(int64_t windows, int64_t tokens, int64_t heads, int64_t head_dim, int reps);

}  // namespace efm::bench
