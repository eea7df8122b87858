#pragma once
/// A view of some recordings of another WindowSource (a split, a label-filtered cohort). Indices of the view are
/// 0..n-1 in the order given; `base_index(i)` maps back. Reads are forwarded, so the view is as thread-safe as the
/// source it wraps.
///
///   auto train = std::make_shared<SubsetWindowSource>(store, std::vector<int64_t>{0, 3, 4});
///   WindowIndex index = WindowIndex::build(*train, options);       // windows of recordings 0, 3, 4 only
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "epilepsyfm/data/window_source.h"

namespace efm::data {

class SubsetWindowSource : public WindowSource {
 public:
  /// `recordings`: indices into base->recordings(), each at most once. Throws ArgumentError for an index out of
  /// range or a repeated index (naming it).
  SubsetWindowSource(std::shared_ptr<const WindowSource> base, std::vector<int64_t> recordings);

  const std::vector<RecordingInfo>& recordings() const override { return infos_; }
  const std::vector<std::string>& label_names() const override { return base_->label_names(); }
  void read(int64_t recording, int64_t start_sample, int64_t n_samples, float* out) const override;

  /// Index in the base source of view recording `i`.
  int64_t base_index(int64_t i) const { return map_.at(static_cast<size_t>(i)); }
  const std::vector<int64_t>& base_indices() const { return map_; }
  const WindowSource& base() const { return *base_; }
  const std::shared_ptr<const WindowSource>& base_ptr() const { return base_; }

 private:
  std::shared_ptr<const WindowSource> base_;
  std::vector<int64_t> map_;
  std::vector<RecordingInfo> infos_;
};

}  // namespace efm::data
