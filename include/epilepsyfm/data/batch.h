#pragma once
/// The named batch the loader yields and every training task consumes.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "epilepsyfm/data/sampler.h"

namespace efm::data {

struct Batch {
  torch::Tensor signal;                ///< [B, C, n] float32, as stored (normalised by the source)
  torch::Tensor channel_ids;           ///< [B, C] int64, electrode-vocabulary ids
  torch::Tensor region_ids;            ///< [B, C] int64, brain-region ids
  torch::Tensor labels;                ///< [B] int64 label index (-1 unlabelled); undefined if the source has no labels
  torch::Tensor padding;               ///< [B] bool, true for filler windows of TailPolicy::pad
  std::vector<int64_t> recordings;     ///< [B] index into WindowSource::recordings()
  std::vector<int64_t> start_samples;  ///< [B] first sample of each window
  std::vector<std::string> recording_ids;  ///< [B] recording id of each window (for messages)
  int64_t group = 0;                       ///< channel group (WindowIndex::groups())
  SamplerPosition position;                ///< where this micro-batch sits in the stream

  int64_t size() const { return static_cast<int64_t>(recordings.size()); }
  /// The tensors moved to `device` (non_blocking copies); the bookkeeping vectors are copied.
  Batch to(const torch::Device& device) const;
  /// "a.edf@12000, b.edf@400, … (+5 more)": the windows, for error messages; at most `max_items` listed.
  std::string describe_windows(size_t max_items = 8) const;
};

}  // namespace efm::data
