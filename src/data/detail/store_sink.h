#pragma once
// The ingest sink of the recording pipeline (data/recording_pipeline.h): the preprocessed signal of one file appended
// to its store recording, with the per-window amplitude maxima accumulated on the way.
#include <Eigen/Core>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/detail/ordered_worker.h"
#include "epilepsyfm/data/recording_pipeline.h"
#include "epilepsyfm/io/store.h"

namespace efm::data::detail {

/// Per-window maximum of |x| over channels, accumulated as the output streams by (memory: one float per
/// gcd(length, stride) samples).
class WindowMaxima {
 public:
  WindowMaxima(int64_t n_samples, const io::WindowGeometry& g);
  void add(const Eigen::Ref<const Eigen::MatrixXf>& out);
  void append_to(std::vector<float>& out) const;

 private:
  io::WindowGeometry g_;
  int64_t gran_ = 1, n_win_ = 0, pos_ = 0;
  std::vector<float> blocks_;
};

/// Appends each segment's output to `recording` on a writer thread (HDF5 writes and window maxima overlap the
/// filtering). Segments arrive in the order of header.segments.
class StoreSink : public RecordingSink {
 public:
  StoreSink(io::RecordingWriter& recording, const io::RecordingHeader& header, const io::WindowGeometry& geometry);
  void begin_segment(size_t segment) override;
  void write(Eigen::MatrixXf samples) override;
  void end_segment(size_t segment, const signal::ChannelStats& stats) override;
  /// Waits for the pending writes (rethrows their error).
  void drain() { writer_.drain(); }

  std::vector<signal::ChannelStats> stats;  ///< per segment
  std::vector<float> window_max;            ///< per window of every segment, after drain()

 private:
  io::RecordingWriter& recording_;
  const io::RecordingHeader& header_;
  io::WindowGeometry geometry_;
  size_t next_ = 0;  ///< header segment of the next begin_segment
  // Touched only by the writer's tasks, in order.
  std::optional<WindowMaxima> maxima_;
  int64_t produced_ = 0;
  size_t current_ = 0;
  OrderedWorker writer_{2};  // last: joined before the members its tasks use go away
};

}  // namespace efm::data::detail
