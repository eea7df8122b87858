#pragma once
/// Mask generation for masked EEG modelling. Masks are bool [B, C*T] over the channel-major token grid
/// (true = masked); the model replaces masked token embeddings by a learnable mask token.
///
/// Strategies (each with a target ratio r; target count per window = round(r * C*T), except "random"):
///  - random (LaBraM): per window, exactly C*T - floor(C*T * (1 - r)) tokens chosen uniformly (r = 0.5).
///  - channel_set (EpilepsyFM ICLR): blocks of `channel_set_size` (3) neighbouring channels x a contiguous time
///    span. Neighbours = consecutive rows of the montage order (a window of 3 rows starting at a random row), which
///    follows the scalp for 10-20 lists and TCP chains; it is blind to spatial layout otherwise.
///  - region (EpilepsyFM journal): blocks of one whole brain region (all channels with that region id in the
///    window) x a contiguous time span; channels without a region (-1) form single-channel blocks so they are
///    still masked. At every masked time step a region is masked entirely.
/// Block strategies draw blocks (unit uniformly, span length uniform in [min_span_patches, max_span_patches], start
/// uniform) until the target is reached; a block that would overshoot is shortened to the span that brings the
/// count closest to the target (or skipped); a final pass over single-patch blocks (unit x one time step), in
/// random order, adds any that move the count closer to the target. The count then differs from the target by at
/// most half the largest block unit (e.g. <= 3 tokens for a 7-channel region); the achieved ratio is reported.
///
/// Generation is deterministic in (seed, window index): generate(..., seed) with seed = derive_seed(run_seed,
/// "mask", step) reproduces a step's masks exactly after a resume. The window index is first_window + b for row b,
/// so a data-parallel rank that holds windows [k, k + B) of a step batch passes first_window = k and draws exactly
/// the masks a single process would draw for those windows. Randomness uses std::mt19937_64 with
/// platform-independent integer mapping.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace efm::models {

/// One row each in the strategy table of masking.cpp (name, units), which also gives the config's allowed values.
enum class MaskStrategy { random, channel_set, region };
/// "random", "channel_set", "region" (ArgumentError listing the allowed values otherwise).
MaskStrategy parse_mask_strategy(const std::string& name);
std::string mask_strategy_name(MaskStrategy strategy);
/// The strategy names, in table order.
const std::vector<std::string>& mask_strategy_names();

struct MaskOptions {
  TORCH_ARG(MaskStrategy, strategy) = MaskStrategy::random;
  TORCH_ARG(double, ratio) = 0.5;            ///< fraction of tokens to mask, in (0, 1)
  TORCH_ARG(int64_t, channel_set_size) = 3;  ///< channels per channel_set block
  TORCH_ARG(int64_t, min_span_patches) = 1;  ///< shortest block in time (patches)
  TORCH_ARG(int64_t, max_span_patches) = 0;  ///< longest block in time; 0 = the whole window
};

struct MaskResult {
  torch::Tensor mask;                  ///< [B, C*T] bool (CPU)
  std::vector<double> achieved_ratio;  ///< per window: masked / (C*T)
  double mean_ratio = 0.0;
};

class MaskGenerator {
 public:
  explicit MaskGenerator(MaskOptions options = {});

  /// Masks for `batch` windows of `channels` x `patches` tokens. `region_ids` ([C] or [B, C] int64, -1 = none) is
  /// required by the region strategy and ignored otherwise. Row b uses window index first_window + b.
  MaskResult generate(int64_t batch, int64_t channels, int64_t patches, uint64_t seed,
                      const torch::Tensor& region_ids = {}, int64_t first_window = 0) const;

  /// The complementary mask for the symmetric pass: logical not.
  static torch::Tensor complement(const torch::Tensor& mask) { return mask.logical_not(); }

  const MaskOptions& options() const { return options_; }

 private:
  MaskOptions options_;
};

}  // namespace efm::models
