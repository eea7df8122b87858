// Windows in batches from the preprocessed signal (data/window_batcher.h).
#include "epilepsyfm/data/window_batcher.h"

#include <algorithm>
#include <cstring>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/signal/normalize.h"

namespace efm::data {

WindowBatcher::WindowBatcher(WindowBatcherOptions options, WindowConsumer& consumer)
    : o_(std::move(options)), consumer_(consumer) {
  EFM_CHECK_ARG(o_.window_samples > 0 && o_.step_samples > 0 && o_.batch_size > 0 && o_.n_channels > 0,
                "WindowBatcher: window_samples ({}), step_samples ({}), batch_size ({}) and n_channels ({}) must be "
                "> 0",
                o_.window_samples, o_.step_samples, o_.batch_size, o_.n_channels);
  EFM_CHECK_ARG(o_.preprocess.normalization != config::Normalization::zscore ||
                    o_.stats.mean_uv.size() == static_cast<size_t>(o_.n_channels),
                "WindowBatcher: z-score statistics for {} channels, the signal has {}", o_.stats.mean_uv.size(),
                o_.n_channels);
  batch_.resize(static_cast<size_t>(o_.batch_size * o_.n_channels * o_.window_samples));
  starts_.reserve(static_cast<size_t>(o_.batch_size));
}

void WindowBatcher::begin_segment(size_t segment) {
  segment_ = segment;
  held_ = pos0_ = next_start_ = 0;
  starts_.clear();
  consumer_.begin_segment(segment);
}

void WindowBatcher::write(Eigen::MatrixXf y) {
  const int64_t n = y.cols();
  if (n == 0) return;
  signal::normalize_in_place(y, o_.preprocess, o_.stats);
  const int64_t c_n = o_.n_channels;
  if (held_ + n > capacity_) {  // grow (rare: the first chunks), keeping the held samples
    const int64_t cap = std::max(2 * capacity_, held_ + n);
    std::vector<float> grown(static_cast<size_t>(c_n * cap));
    for (int64_t c = 0; c < c_n; ++c) std::memcpy(grown.data() + c * cap, row(c), sizeof(float) * held_);
    hold_.swap(grown);
    capacity_ = cap;
  }
  // [C, n] column-major -> the rows of hold_ (one transpose, so that each window is C contiguous copies).
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<RowMajor, 0, Eigen::OuterStride<>>(hold_.data() + held_, c_n, n, Eigen::OuterStride<>(capacity_)) = y;
  held_ += n;

  const int64_t win = o_.window_samples;
  while (next_start_ + win <= pos0_ + held_) {
    float* dst = batch_.data() + static_cast<int64_t>(starts_.size()) * c_n * win;
    const int64_t off = next_start_ - pos0_;
    for (int64_t c = 0; c < c_n; ++c) std::memcpy(dst + c * win, row(c) + off, sizeof(float) * win);
    starts_.push_back(next_start_);
    next_start_ += o_.step_samples;
    if (static_cast<int64_t>(starts_.size()) == o_.batch_size) flush();
  }
  // Samples ahead of the next window start are not needed by any later window.
  const int64_t drop = std::min(next_start_ - pos0_, held_);
  if (drop > 0) {
    for (int64_t c = 0; c < c_n; ++c) std::memmove(row(c), row(c) + drop, sizeof(float) * (held_ - drop));
    held_ -= drop;
    pos0_ += drop;
  }
}

void WindowBatcher::end_segment(size_t segment, const signal::ChannelStats&) {
  flush();
  consumer_.end_segment(segment);
}

void WindowBatcher::flush() {
  if (starts_.empty()) return;
  WindowBatch b;
  b.data = batch_.data();
  b.starts = starts_.data();
  b.size = static_cast<int64_t>(starts_.size());
  b.channels = o_.n_channels;
  b.window_samples = o_.window_samples;
  b.segment = segment_;
  b.next_start = next_start_;
  consumer_.windows(b);
  starts_.clear();
}

}  // namespace efm::data
