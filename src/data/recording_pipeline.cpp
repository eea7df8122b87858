// One recording through reading and preprocessing into a sink (data/recording_pipeline.h).
#include "epilepsyfm/data/recording_pipeline.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <thread>

#include "data/detail/chunk_queue.h"
#include "epilepsyfm/core/error.h"

namespace efm::data {

using detail::ChunkQueue;
using detail::InputChunk;

io::ReaderOptions reader_options(const config::IngestReaderConfig& config) {
  io::ReaderOptions o;
  o.policy = config.policy;
  return o;
}

PlannedRecording plan_recording(std::unique_ptr<io::SignalSource> source, const config::IngestChannelsConfig& channels,
                                std::string name) {
  PlannedRecording r;
  r.source = std::move(source);
  r.plan = plan_channels(r.info(), channels);
  r.spans = input_segments(r.info(), r.plan);
  r.name = name.empty() ? r.info().path.filename().string() : std::move(name);
  return r;
}

signal::Preprocessor make_preprocessor(const PlannedRecording& recording, const signal::PreprocessOptions& options,
                                       ThreadPool* pool) {
  return signal::Preprocessor(options, recording.plan.sfreq_hz, recording.n_channels(), pool);
}

namespace {

/// Chunks the reader thread may hold ahead of the DSP.
constexpr size_t kQueueDepth = 2;

/// True if no value is Inf or NaN (exponent bits all ones); branch-free, so it vectorises (Eigen's allFinite()
/// does not, and costs several times more on the reader thread).
bool all_finite(const Eigen::MatrixXf& x) {
  const float* p = x.data();
  uint32_t bad = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    uint32_t u;
    std::memcpy(&u, p + i, sizeof u);
    bad |= static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

[[noreturn]] void throw_non_finite(const PlannedRecording& rec, const InputChunk& c) {
  const SegmentSpan& span = rec.spans[c.segment];
  for (Eigen::Index j = 0; j < c.x.cols(); ++j) {
    for (Eigen::Index k = 0; k < c.x.rows(); ++k) {
      if (std::isfinite(c.x(k, j))) continue;
      throw DataError(
          fmt::format("{}: channel '{}' has a non-finite value ({}) at {:.3f} s", rec.name,
                      rec.info().signals[static_cast<size_t>(rec.plan.inputs[static_cast<size_t>(k)])].label, c.x(k, j),
                      span.onset_s + static_cast<double>(c.first + j) / rec.plan.sfreq_hz));
    }
  }
  throw DataError(fmt::format("{}: a non-finite input value", rec.name));
}

/// The input chunks of the chosen segments in order, read on demand or by a reader thread (read_ahead).
class ChunkStream {
 public:
  ChunkStream(const PlannedRecording& rec, std::vector<size_t> segments, int64_t chunk_n, bool read_ahead)
      : rec_(rec), segments_(std::move(segments)), chunk_n_(chunk_n), queue_(kQueueDepth) {
    if (read_ahead) reader_ = std::thread([this] { produce(); });
  }
  ~ChunkStream() {
    queue_.stop();
    if (reader_.joinable()) reader_.join();
  }
  ChunkStream(const ChunkStream&) = delete;
  ChunkStream& operator=(const ChunkStream&) = delete;

  /// The next chunk (valid until the next call), or null at the end.
  const InputChunk* next() {
    if (reader_.joinable()) {
      auto c = queue_.pop();
      if (!c) return nullptr;
      current_ = std::move(*c);
      return &current_;
    }
    return read_next(current_) ? &current_ : nullptr;
  }

 private:
  /// Reads the chunk at the cursor into `c` (its buffer reused); false after the last one.
  bool read_next(InputChunk& c) {
    while (seg_ < segments_.size() && pos_ >= rec_.spans[segments_[seg_]].in_count) {
      ++seg_;
      pos_ = 0;
    }
    if (seg_ >= segments_.size()) return false;
    const SegmentSpan& span = rec_.spans[segments_[seg_]];
    const int64_t m = std::min(chunk_n_, span.in_count - pos_);
    c.segment = segments_[seg_];
    c.first = pos_;
    c.x.resize(static_cast<Eigen::Index>(rec_.plan.inputs.size()), m);
    // The reader refuses values that are not finite in double itself (DataError naming file and signal); a value
    // beyond the float range (or a SignalSource that does not check) is caught here.
    rec_.source->read_block(rec_.plan.inputs, span.in_start + pos_, m, c.x.data(), c.x.rows());
    if (!all_finite(c.x)) throw_non_finite(rec_, c);
    pos_ += m;
    c.last_of_segment = pos_ >= span.in_count;
    return true;
  }
  void produce() {
    try {
      for (;;) {
        InputChunk c;
        if (!read_next(c)) break;
        if (!queue_.push(std::move(c))) return;
      }
      queue_.close();
    } catch (...) {
      queue_.fail(std::current_exception());
    }
  }

  const PlannedRecording& rec_;
  std::vector<size_t> segments_;
  int64_t chunk_n_;
  size_t seg_ = 0;
  int64_t pos_ = 0;
  InputChunk current_;
  ChunkQueue queue_;
  std::thread reader_;  // last: started once the members above exist
};

}  // namespace

void run_recording(const PlannedRecording& rec, const signal::PreprocessOptions& preprocess, RecordingSink& sink,
                   RecordingRunOptions o) {
  std::vector<size_t> segments = o.segments;
  if (segments.empty()) {
    segments.resize(rec.spans.size());
    std::iota(segments.begin(), segments.end(), size_t{0});
  }
  const auto chunk_n = std::max<int64_t>(1, std::llround(o.chunk_s * rec.plan.sfreq_hz));
  std::optional<signal::Preprocessor> pp = std::move(o.first_preprocessor);
  ChunkStream chunks(rec, std::move(segments), chunk_n, o.read_ahead);
  const auto emit = [&sink](Eigen::MatrixXf y) {
    if (y.cols() > 0) sink.write(std::move(y));
  };
  size_t current = static_cast<size_t>(-1);
  while (const InputChunk* c = chunks.next()) {
    if (c->segment != current) {
      current = c->segment;
      if (!pp) pp.emplace(make_preprocessor(rec, preprocess, o.dsp_pool));
      sink.begin_segment(current);
    }
    if (rec.plan.identity) {
      emit(pp->push(c->x));
    } else {
      emit(pp->push(rec.plan.weights * c->x));
    }
    if (o.progress) o.progress(c->x.cols());
    if (c->last_of_segment) {
      emit(pp->finish());
      sink.end_segment(current, pp->stats());
      pp.reset();
    }
  }
}

namespace {

/// Keeps each segment's statistics.
class StatsSink : public RecordingSink {
 public:
  void write(Eigen::MatrixXf) override {}
  void end_segment(size_t, const signal::ChannelStats& stats) override { parts.push_back(stats); }
  std::vector<signal::ChannelStats> parts;
};

}  // namespace

signal::ChannelStats recording_stats(const PlannedRecording& rec, const signal::PreprocessOptions& preprocess,
                                     RecordingRunOptions options) {
  StatsSink sink;
  run_recording(rec, preprocess, sink, std::move(options));
  return pool_stats(sink.parts, static_cast<size_t>(rec.n_channels()));
}

}  // namespace efm::data
