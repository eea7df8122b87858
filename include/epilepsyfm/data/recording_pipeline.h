#pragma once
/// One recording from its file to the preprocessed signal, the path `ingest` (sink: the store writer) and `predict`
/// (sink: data/window_batcher.h) share:
///
///   open (reader policy) -> channel plan -> gap-free segments -> chunked read (montage) -> signal::Preprocessor ->
///   sink
///
///   PlannedRecording rec = plan_recording(io::open_recording(path, reader_options(cfg.reader)), cfg.channels);
///   MySink sink;                                             // a RecordingSink
///   run_recording(rec, preprocess_options(cfg.preprocess), sink);
///
/// Per segment the sink sees begin_segment, the output in time order (write, [channels, n] microvolts, n > 0, in the
/// pieces the Preprocessor releases them), then end_segment with the statistics of that output. Normalisation is the
/// sink's business (the store keeps microvolts). Memory: one chunk of input (chunk_s of every read signal, two more
/// with read_ahead) and the Preprocessor's filter state, independent of the recording's length.
#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/config/ingest.h"
#include "epilepsyfm/data/ingest.h"
#include "epilepsyfm/io/reader.h"
#include "epilepsyfm/signal/preprocess.h"

namespace efm {
class ThreadPool;
}

namespace efm::data {

/// io::ReaderOptions for the `reader:` section (policy strict | tolerant).
io::ReaderOptions reader_options(const config::IngestReaderConfig& config);

/// An open recording with its channel plan and segments.
struct PlannedRecording {
  std::unique_ptr<io::SignalSource> source;
  ChannelPlan plan;
  std::vector<SegmentSpan> spans;  ///< input_segments(info, plan)
  std::string name;                ///< how messages name the file (e.g. its path relative to the input root)

  const io::RecordingInfo& info() const { return source->info(); }
  int n_channels() const { return static_cast<int>(plan.names.size()); }
};

/// Plans the channels (plan_channels) and segments of an opened recording. `name` defaults to the file name.
PlannedRecording plan_recording(std::unique_ptr<io::SignalSource> source, const config::IngestChannelsConfig& channels,
                                std::string name = {});

/// Receives the preprocessed signal of one pass over a recording.
class RecordingSink {
 public:
  virtual ~RecordingSink() = default;
  /// Segment `segment` (index into PlannedRecording::spans) starts.
  virtual void begin_segment(size_t segment) { (void)segment; }
  /// The next output samples of the current segment: [channels, n] microvolts, n > 0.
  virtual void write(Eigen::MatrixXf samples) = 0;
  /// The current segment ended; `stats` describe all of its output.
  virtual void end_segment(size_t segment, const signal::ChannelStats& stats) = 0;
};

struct RecordingRunOptions {
  double chunk_s = 10.0;         ///< seconds of input read (per signal) and pushed at a time
  std::vector<size_t> segments;  ///< spans to run, in this order; empty = all
  /// Decode on a reader thread (a queue of two chunks ahead) while the calling thread filters and writes.
  bool read_ahead = false;
  ThreadPool* dsp_pool = nullptr;  ///< signal::Preprocessor's channel groups in parallel
  /// A Preprocessor already built for this recording (e.g. to ask output_length), used for the first segment; the
  /// others get a new one each (filter state does not carry across a gap).
  std::optional<signal::Preprocessor> first_preprocessor;
  std::function<void(int64_t input_samples)> progress;  ///< after each chunk
};

/// The Preprocessor of `recording` (its rate and channel count) for `options`.
signal::Preprocessor make_preprocessor(const PlannedRecording& recording, const signal::PreprocessOptions& options,
                                       ThreadPool* pool = nullptr);

/// Streams the chosen segments of `recording` through the preprocessing into `sink`. Throws DataError naming the file,
/// channel and time of a non-finite input value; exceptions of the sink propagate (the reader thread is stopped).
void run_recording(const PlannedRecording& recording, const signal::PreprocessOptions& preprocess, RecordingSink& sink,
                   RecordingRunOptions options = {});

/// Whole-recording statistics of the preprocessed output (a pass through every segment, pooled with pool_stats): what
/// ingest stores and z-scoring divides by.
signal::ChannelStats recording_stats(const PlannedRecording& recording, const signal::PreprocessOptions& preprocess,
                                     RecordingRunOptions options = {});

}  // namespace efm::data
