#pragma once
/// The windowing sink of the recording pipeline (data/recording_pipeline.h), what `predict` feeds its model from:
/// normalises the preprocessed signal as the store's windows are read (signal::normalize_in_place: z-score with the
/// whole recording's statistics, scale or none), cuts it into windows of `window_samples` every `step_samples`
/// (never across a segment's end) and hands them to a WindowConsumer in batches of up to `batch_size`.
///
///   WindowBatcher batcher(WindowBatcherOptions{.window_samples = 800, .step_samples = 200, .batch_size = 32,
///                                              .n_channels = 19, .preprocess = pp, .stats = stats},
///                         consumer);
///   run_recording(recording, pp, batcher);   // consumer.windows(batch) per batch, in time order
///
/// A batch is handed over when it is full and at the end of each segment (possibly smaller). Memory: one batch buffer
/// and the samples of the current window plus one output chunk per channel, reused throughout.
#include <Eigen/Core>

#include <cstdint>
#include <vector>

#include "epilepsyfm/data/recording_pipeline.h"
#include "epilepsyfm/signal/preprocess.h"

namespace efm::data {

/// Windows of one segment, contiguous and ready for a model.
struct WindowBatch {
  const float* data = nullptr;      ///< [size, channels, window_samples] row-major float32, normalised
  const int64_t* starts = nullptr;  ///< [size] first sample of each window within its segment (output rate)
  int64_t size = 0;
  int64_t channels = 0;
  int64_t window_samples = 0;
  size_t segment = 0;      ///< index into PlannedRecording::spans
  int64_t next_start = 0;  ///< where the segment's next window starts: every window before it has been handed over
};

/// Receives the batches of a WindowBatcher, segment by segment.
class WindowConsumer {
 public:
  virtual ~WindowConsumer() = default;
  virtual void begin_segment(size_t segment) { (void)segment; }
  virtual void windows(const WindowBatch& batch) = 0;
  /// After the segment's last batch.
  virtual void end_segment(size_t segment) { (void)segment; }
};

struct WindowBatcherOptions {
  int64_t window_samples = 0;            ///< > 0
  int64_t step_samples = 0;              ///< > 0
  int64_t batch_size = 32;               ///< > 0
  int n_channels = 0;                    ///< > 0
  signal::PreprocessOptions preprocess;  ///< its normalization (and scale) apply
  signal::ChannelStats stats;            ///< whole-recording statistics (z-score only)
};

class WindowBatcher : public RecordingSink {
 public:
  /// Throws ArgumentError for non-positive sizes and, for z-score, statistics of another channel count.
  WindowBatcher(WindowBatcherOptions options, WindowConsumer& consumer);

  void begin_segment(size_t segment) override;
  void write(Eigen::MatrixXf samples) override;
  void end_segment(size_t segment, const signal::ChannelStats& stats) override;

 private:
  void flush();
  float* row(int64_t channel) { return hold_.data() + channel * capacity_; }

  WindowBatcherOptions o_;
  WindowConsumer& consumer_;
  std::vector<float> batch_;     ///< [batch_size, C, window]
  std::vector<int64_t> starts_;  ///< of the windows in batch_
  std::vector<float> hold_;      ///< [C, capacity_]: samples [pos0_, pos0_ + held_) of the segment, normalised
  int64_t capacity_ = 0, held_ = 0, pos0_ = 0, next_start_ = 0;
  size_t segment_ = 0;
};

}  // namespace efm::data
