#include "epilepsyfm/data/batch.h"

#include <fmt/format.h>

namespace efm::data {

Batch Batch::to(const torch::Device& device) const {
  Batch b = *this;
  auto move = [&](torch::Tensor& t) {
    if (t.defined()) t = t.to(device, /*non_blocking=*/true);
  };
  move(b.signal);
  move(b.channel_ids);
  move(b.region_ids);
  move(b.labels);
  move(b.padding);
  return b;
}

std::string Batch::describe_windows(size_t max_items) const {
  std::string out;
  const size_t n = recording_ids.size();
  for (size_t i = 0; i < n && i < max_items; ++i) {
    if (i) out += ", ";
    out += fmt::format("{}@{}", recording_ids[i], start_samples[i]);
  }
  if (n > max_items) out += fmt::format(" (+{} more)", n - max_items);
  return out;
}

}  // namespace efm::data
