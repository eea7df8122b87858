#pragma once
/// Batch samplers: which windows form each batch, in which order, on which rank.
///
/// One optimiser step consumes a *step batch* of G = batch_size × accumulation × world_size windows, all from one
/// channel group. Rank r's micro-batch m of that step batch is the slice [(m·world_size + r)·batch_size, +batch_size).
/// So the union of windows per optimiser step is the same whatever the split into ranks and micro-batches: a
/// 2-process run with batch 4 sees exactly the windows of a 1-process run with batch 8 (and accumulation 2 × 4
/// equals one batch of 8), which is what makes data-parallel and accumulated runs comparable to plain ones.
///
/// Per epoch e (shuffle on), with one std::mt19937_64 seeded by derive_seed(seed, "sampler", e):
///   1. the windows of each group are shuffled (Fisher–Yates, groups in index order),
///   2. each group is cut into step batches; an incomplete last step batch is handled by `tail`:
///        drop: discarded (default for training; those windows are seen in other epochs, in other positions);
///        pad:  filled up by cycling through the group's windows from the start of its shuffled order, and the
///              fillers are flagged (Batch::padding) so evaluation can ignore them: every window is seen at least
///              once per epoch on exactly one rank;
///        keep: kept short (only with world_size 1 and accumulation 1, where no split is needed);
///   3. the order of all step batches is shuffled.
/// Without shuffle the windows keep index order and step batches keep group order. Every rank computes the same
/// plan from the same seed, so all ranks run the same number of micro-batches per epoch (no rank waits forever in
/// an all-reduce) and together cover each window of the plan exactly once.
///
/// Position: (epoch, index of this rank's next micro-batch within the epoch). Restoring a saved position replays
/// exactly the same subsequent batches.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "epilepsyfm/config/train.h"
#include "epilepsyfm/data/windows.h"

namespace efm::data {

using config::TailPolicy;

struct SamplerOptions {
  int64_t batch_size = 32;   ///< windows per micro-batch on one rank
  int64_t accumulation = 1;  ///< micro-batches per optimiser step
  int64_t world_size = 1;    ///< number of data-parallel ranks
  int64_t rank = 0;          ///< this rank, in [0, world_size)
  bool shuffle = true;
  uint64_t seed = 0;  ///< run seed; the per-epoch stream is derive_seed(seed, "sampler", epoch)
  TailPolicy tail = TailPolicy::drop;

  int64_t step_batch() const { return batch_size * accumulation * world_size; }
};

/// Position in the batch stream of one rank: the next micro-batch is `batch` of `epoch`.
struct SamplerPosition {
  int64_t epoch = 0;
  int64_t batch = 0;
  bool operator==(const SamplerPosition& o) const { return epoch == o.epoch && batch == o.batch; }
  bool operator!=(const SamplerPosition& o) const { return !(*this == o); }
};

/// The windows of one micro-batch.
struct BatchPlan {
  std::vector<int64_t> windows;  ///< indices into WindowIndex::windows()
  std::vector<uint8_t> padding;  ///< 1 for pad fillers (TailPolicy::pad), same length as `windows`
  int64_t group = 0;
  SamplerPosition position;
};

class BatchSampler {
 public:
  /// Throws ArgumentError for bad options (batch_size < 1, rank outside [0, world_size), keep with splits).
  BatchSampler(std::shared_ptr<const WindowIndex> index, SamplerOptions options);

  /// Micro-batches of this rank per epoch (same for all epochs and all ranks; a multiple of accumulation).
  int64_t batches_per_epoch() const { return batches_per_epoch_; }
  /// Optimiser steps per epoch (= batches_per_epoch / accumulation).
  int64_t steps_per_epoch() const { return batches_per_epoch_ / options_.accumulation; }
  /// Windows not used in an epoch because of TailPolicy::drop (groups smaller than a step batch lose all).
  int64_t dropped_per_epoch() const { return dropped_per_epoch_; }

  /// This rank's micro-batches of epoch `epoch`, in order.
  std::vector<BatchPlan> epoch(int64_t epoch) const;

  /// The position `n` micro-batches after `from`.
  SamplerPosition advance(SamplerPosition from, int64_t n) const;

  const SamplerOptions& options() const { return options_; }
  const WindowIndex& index() const { return *index_; }
  std::shared_ptr<const WindowIndex> index_ptr() const { return index_; }

 private:
  std::shared_ptr<const WindowIndex> index_;
  SamplerOptions options_;
  int64_t batches_per_epoch_ = 0;
  int64_t dropped_per_epoch_ = 0;
};

}  // namespace efm::data
