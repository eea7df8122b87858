// The store sink of ingest (data/detail/store_sink.h).
#include "data/detail/store_sink.h"

#include <algorithm>
#include <numeric>

#include "epilepsyfm/core/check.h"

namespace efm::data::detail {

WindowMaxima::WindowMaxima(int64_t n_samples, const io::WindowGeometry& g) : g_(g) {
  gran_ = std::gcd(g.length_samples, g.stride_samples);
  n_win_ = n_samples >= g.length_samples ? (n_samples - g.length_samples) / g.stride_samples + 1 : 0;
  const int64_t span = n_win_ > 0 ? (n_win_ - 1) * g.stride_samples + g.length_samples : 0;
  blocks_.assign(static_cast<size_t>(span / gran_), 0.0f);
}

void WindowMaxima::add(const Eigen::Ref<const Eigen::MatrixXf>& out) {
  if (out.cols() == 0) return;
  const Eigen::RowVectorXf m = out.cwiseAbs().colwise().maxCoeff();
  for (Eigen::Index j = 0; j < m.size(); ++j, ++pos_) {
    const auto b = static_cast<size_t>(pos_ / gran_);
    if (b < blocks_.size()) blocks_[b] = std::max(blocks_[b], m[j]);
  }
}

void WindowMaxima::append_to(std::vector<float>& out) const {
  const int64_t per = g_.length_samples / gran_, step = g_.stride_samples / gran_;
  for (int64_t k = 0; k < n_win_; ++k) {
    float mx = 0;
    for (int64_t b = k * step; b < k * step + per; ++b) mx = std::max(mx, blocks_[static_cast<size_t>(b)]);
    out.push_back(mx);
  }
}

StoreSink::StoreSink(io::RecordingWriter& recording, const io::RecordingHeader& header,
                     const io::WindowGeometry& geometry)
    : recording_(recording), header_(header), geometry_(geometry) {}

void StoreSink::begin_segment(size_t) {
  const size_t segment = next_++;
  writer_.post([this, segment] {
    current_ = segment;
    maxima_.emplace(header_.segments[segment].n_samples, geometry_);
    produced_ = 0;
  });
}

void StoreSink::write(Eigen::MatrixXf y) {
  writer_.post([this, y = std::move(y)] {
    recording_.append(y);
    maxima_->add(y);
    produced_ += y.cols();
  });
}

void StoreSink::end_segment(size_t, const signal::ChannelStats& segment_stats) {
  stats.push_back(segment_stats);
  writer_.post([this] {
    const auto& seg = header_.segments[current_];
    EFM_CHECK_STATE(produced_ == seg.n_samples, "{}: segment {} produced {} samples, expected {}", header_.source_path,
                    current_, produced_, seg.n_samples);
    maxima_->append_to(window_max);
  });
}

}  // namespace efm::data::detail
