#include "epilepsyfm/data/subset_source.h"

#include <set>

#include "epilepsyfm/core/check.h"

namespace efm::data {

SubsetWindowSource::SubsetWindowSource(std::shared_ptr<const WindowSource> base, std::vector<int64_t> recordings)
    : base_(std::move(base)), map_(std::move(recordings)) {
  EFM_CHECK_ARG(base_ != nullptr, "SubsetWindowSource: no base source");
  const auto& all = base_->recordings();
  std::set<int64_t> seen;
  infos_.reserve(map_.size());
  for (int64_t r : map_) {
    EFM_CHECK_ARG(r >= 0 && r < static_cast<int64_t>(all.size()),
                  "SubsetWindowSource: recording index {} out of range [0, {})", r, all.size());
    EFM_CHECK_ARG(seen.insert(r).second, "SubsetWindowSource: recording index {} ('{}') listed twice", r,
                  all[static_cast<size_t>(r)].id);
    infos_.push_back(all[static_cast<size_t>(r)]);
  }
}

void SubsetWindowSource::read(int64_t recording, int64_t start_sample, int64_t n_samples, float* out) const {
  EFM_CHECK_ARG(recording >= 0 && recording < static_cast<int64_t>(map_.size()),
                "recording index {} out of range [0, {})", recording, map_.size());
  base_->read(map_[static_cast<size_t>(recording)], start_sample, n_samples, out);
}

}  // namespace efm::data
