#pragma once
// Analytic model FLOPs of one training step (see flops.cpp for the formula and what is counted).
#include <cstdint>
#include <string>

#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/models/tokenizer.h"

namespace efm::bench {

/// Geometry of a step: batch B of windows with C channels x T patches.
struct StepGeometry {
  int64_t batch = 8;
  int64_t channels = 23;
  int64_t patches = 4;
  int64_t tokens() const { return channels * patches; }
};

/// FLOPs of one step, split into the part with gradients (counted 3x: forward + 2x backward) and the part without.
struct StepFlops {
  double trained_forward = 0;  ///< forward FLOPs of ops whose inputs or weights need gradients
  double frozen_forward = 0;   ///< forward FLOPs without backward (frozen tokenizer labels, VQ code lookup)
  double total() const { return 3.0 * trained_forward + frozen_forward; }
};

/// Matmul FLOPs of one Backbone forward over one window (patch embedding + blocks).
double backbone_forward_flops(const models::BackboneOptions& o, int64_t tokens);
/// Tokenizer training step (NeuralTokenizer forward, backward, AdamW).
StepFlops tokenizer_step_flops(const models::TokenizerOptions& o, const StepGeometry& g);
/// Pre-training step: frozen tokenizer labels + symmetric masked pass of the student (2B windows) + lm_head on
/// B*N tokens.
StepFlops pretrain_step_flops(const models::TokenizerOptions& tok, const models::BackboneOptions& student,
                              int64_t codebook_size, const StepGeometry& g);

/// The formula, as printed by the benchmark.
std::string flops_formula_text();

}  // namespace efm::bench
