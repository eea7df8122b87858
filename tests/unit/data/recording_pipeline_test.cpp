// The recording pipeline (open -> plan -> chunked read -> preprocess -> sink) and its two sinks: the store (through
// run_ingest) and the window batcher.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "epilepsyfm/data/ingest.h"
#include "epilepsyfm/data/recording_pipeline.h"
#include "epilepsyfm/data/window_batcher.h"
#include "epilepsyfm/io/store.h"
#include "epilepsyfm/signal/normalize.h"
#include "support/test_support.h"
#include "unit/data/fake_source.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::data {
namespace {
namespace fs = std::filesystem;

/// Everything a pass hands to its sink, per segment.
class CollectSink : public RecordingSink {
 public:
  void begin_segment(size_t segment) override {
    order.push_back(segment);
    signal.emplace_back();
  }
  void write(Eigen::MatrixXf y) override {
    ASSERT_GT(y.cols(), 0);
    Eigen::MatrixXf joined(y.rows(), signal.back().cols() + y.cols());
    joined << signal.back(), y;
    signal.back() = std::move(joined);
  }
  void end_segment(size_t segment, const signal::ChannelStats& s) override {
    EXPECT_EQ(segment, order.back());
    stats.push_back(s);
  }
  std::vector<size_t> order;
  std::vector<Eigen::MatrixXf> signal;
  std::vector<signal::ChannelStats> stats;
};

/// 200 s of the fake EDF+D recording: two 100-s segments (the second 50 s after the first ends), two EEG channels
/// at 250 Hz and an ECG channel the plan drops.
PlannedRecording two_segments() {
  fake::FakeSpec spec;
  spec.seconds = 200;
  spec.split_at_s = 100;
  spec.gap_s = 50;
  return plan_recording(std::make_unique<fake::FakeSource>("d.edf", spec), config::IngestChannelsConfig{});
}

TEST(RecordingPipeline, SegmentsInOrderAndTheSameOutputWhateverTheReading) {
  const PlannedRecording rec = two_segments();
  ASSERT_EQ(rec.spans.size(), 2u);
  EXPECT_EQ(rec.name, "d.edf");
  EXPECT_EQ(rec.n_channels(), 2);
  const signal::PreprocessOptions pp = signal::resolve_profile("epilepsyfm");
  CollectSink sink;
  run_recording(rec, pp, sink);
  EXPECT_EQ(sink.order, (std::vector<size_t>{0, 1}));
  ASSERT_EQ(sink.signal.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(sink.signal[k].rows(), 2);
    EXPECT_EQ(sink.signal[k].cols(), 100 * 200) << k;  // 250 Hz -> 200 Hz, each segment on its own
    // The statistics handed over describe exactly the output of that segment.
    ASSERT_EQ(sink.stats[k].count, 100 * 200);
    for (int c = 0; c < 2; ++c) {
      const Eigen::ArrayXd x = sink.signal[k].row(c).cast<double>().array();
      const double mean = x.mean(), sd = std::sqrt((x - mean).square().mean());
      EXPECT_NEAR(sink.stats[k].mean_uv[static_cast<size_t>(c)], mean, 1e-6);
      EXPECT_NEAR(sink.stats[k].std_uv[static_cast<size_t>(c)], sd, 1e-6 * sd);
    }
  }
  // The same samples from a reader thread, from other chunk sizes, and through a Preprocessor made beforehand.
  for (const bool ahead : {false, true}) {
    for (const double chunk_s : {10.0, 3.3, 250.0}) {
      CollectSink again;
      RecordingRunOptions o;
      o.read_ahead = ahead;
      o.chunk_s = chunk_s;
      o.first_preprocessor.emplace(make_preprocessor(rec, pp));
      int64_t consumed = 0;
      o.progress = [&](int64_t m) { consumed += m; };
      run_recording(rec, pp, again, std::move(o));
      EXPECT_EQ(consumed, 2 * 100 * 250);
      ASSERT_EQ(again.signal.size(), 2u);
      for (size_t k = 0; k < 2; ++k) {
        if (chunk_s == 10.0) {
          EXPECT_TRUE(again.signal[k] == sink.signal[k]) << "read_ahead " << ahead << ", segment " << k;
        } else {  // FFT block boundaries move with the chunks: float rounding only
          EXPECT_LT((again.signal[k] - sink.signal[k]).cwiseAbs().maxCoeff(), 1e-3f) << chunk_s;
        }
      }
    }
  }
  // One segment only; and the pooled statistics of all.
  CollectSink second;
  RecordingRunOptions only;
  only.segments = {1};
  run_recording(rec, pp, second, std::move(only));
  ASSERT_EQ(second.signal.size(), 1u);
  EXPECT_TRUE(second.signal[0] == sink.signal[1]);
  const signal::ChannelStats pooled = recording_stats(rec, pp);
  const signal::ChannelStats expect = pool_stats(sink.stats, 2);
  EXPECT_EQ(pooled.mean_uv, expect.mean_uv);
  EXPECT_EQ(pooled.std_uv, expect.std_uv);
  EXPECT_EQ(pooled.count, 2 * 100 * 200);
}

TEST(RecordingPipeline, NonFiniteInputNamesFileChannelAndTime) {
  fake::FakeSpec spec;
  spec.seconds = 30;
  spec.gain = 1e39;  // beyond float: the reader's doubles are finite, the float chunk is not
  for (const bool ahead : {false, true}) {
    const PlannedRecording rec = plan_recording(std::make_unique<fake::FakeSource>("big.edf", spec),
                                                config::IngestChannelsConfig{}, "sub/big.edf");
    CollectSink sink;
    RecordingRunOptions o;
    o.read_ahead = ahead;
    EXPECT_THAT([&] { run_recording(rec, signal::resolve_profile("epilepsyfm"), sink, std::move(o)); },
                ThrowsMessage<DataError>(HasSubstr("sub/big.edf: channel 'EEG F7-REF' has a non-finite value (inf) "
                                                   "at 0.000 s")));
  }
  EXPECT_EQ(reader_options(config::IngestReaderConfig{config::ReaderPolicy::strict}).policy, io::ReaderPolicy::strict);
  EXPECT_EQ(reader_options(config::IngestReaderConfig{config::ReaderPolicy::tolerant}).policy,
            io::ReaderPolicy::tolerant);
}

// The store sink: what ingest stores is the pipeline's output, bit for bit (float32 store), segment by segment.
TEST(RecordingPipeline, IngestStoresThePipelineOutput) {
  test::TempDir dir;
  fs::create_directories(dir / "in");
  std::ofstream(dir / "in/d.edf") << "edf+d";
  config::IngestConfig cfg;
  cfg.input.paths = {(dir / "in").string()};
  cfg.input.extensions = {".edf"};
  resolve_ingest_config(cfg);
  fake::FakeSpec spec;
  spec.seconds = 200;
  spec.split_at_s = 100;
  spec.gap_s = 50;
  IngestHooks hooks;
  hooks.show_progress = false;
  hooks.open = [&](const fs::path& p, const io::ReaderOptions&) -> std::unique_ptr<io::SignalSource> {
    return std::make_unique<fake::FakeSource>(p, spec);
  };
  ASSERT_EQ(run_ingest(cfg, dir / "store", hooks).n_ok, 1);
  const io::StoreReader r(dir / "store");
  const auto d = r.details(0);
  ASSERT_EQ(d->segments.size(), 2u);

  const PlannedRecording rec = two_segments();
  CollectSink sink;
  run_recording(rec, preprocess_options(cfg.preprocess), sink);
  const signal::ChannelStats st = pool_stats(sink.stats, 2);
  EXPECT_EQ(d->mean_uv, st.mean_uv);
  EXPECT_EQ(d->std_uv, st.std_uv);
  for (size_t k = 0; k < 2; ++k) {
    const int64_t n = d->segments[k].n_samples;
    ASSERT_EQ(n, sink.signal[k].cols());
    const std::vector<float> x = r.read_window(0, d->segments[k].start_sample, n, /*normalised=*/false);
    for (int c = 0; c < 2; ++c) {
      for (int64_t j = 0; j < n; ++j) {
        ASSERT_EQ(x[static_cast<size_t>(c * n + j)], sink.signal[k](c, j)) << k << " " << c << " " << j;
      }
    }
  }
}

// ---- window batcher ------------------------------------------------------------------------------------------------

struct Collected {
  std::vector<int64_t> batch_sizes, starts, next_starts;
  std::vector<size_t> segments;
  std::vector<std::vector<float>> windows;  ///< [C * window] each
  std::vector<std::string> events;
};

class CollectWindows : public WindowConsumer {
 public:
  explicit CollectWindows(Collected& c) : c_(c) {}
  void begin_segment(size_t s) override { c_.events.push_back("begin " + std::to_string(s)); }
  void windows(const WindowBatch& b) override {
    c_.batch_sizes.push_back(b.size);
    c_.next_starts.push_back(b.next_start);
    const int64_t per = b.channels * b.window_samples;
    for (int64_t i = 0; i < b.size; ++i) {
      c_.starts.push_back(b.starts[i]);
      c_.segments.push_back(b.segment);
      c_.windows.emplace_back(b.data + i * per, b.data + (i + 1) * per);
    }
  }
  void end_segment(size_t s) override { c_.events.push_back("end " + std::to_string(s)); }

 private:
  Collected& c_;
};

TEST(WindowBatcher, WindowsAreSlicesOfTheNormalisedSignalWhateverTheChunks) {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(5.0f, 20.0f);
  const int c_n = 3;
  const int64_t n = 1000;
  Eigen::MatrixXf x(c_n, n);
  for (Eigen::Index j = 0; j < x.size(); ++j) x.data()[j] = noise(rng);
  WindowBatcherOptions o;
  o.window_samples = 100;
  o.step_samples = 30;
  o.batch_size = 4;
  o.n_channels = c_n;
  o.preprocess = signal::resolve_profile("epilepsyfm");  // z-score
  o.stats.mean_uv = {1.0, -2.0, 5.0};
  o.stats.std_uv = {20.0, 10.0, 0.0};  // a flat channel: divided by kMinStdUv
  Eigen::MatrixXf normalised = x;
  signal::normalize_in_place(normalised, o.preprocess, o.stats);

  for (const std::vector<int64_t>& chunks : {std::vector<int64_t>{1000}, std::vector<int64_t>{7, 93, 1, 400, 499},
                                             std::vector<int64_t>{250, 250, 250, 250}}) {
    Collected got;
    CollectWindows consumer(got);
    WindowBatcher batcher(o, consumer);
    for (const size_t segment : {size_t{0}, size_t{3}}) {  // the same signal as two segments
      batcher.begin_segment(segment);
      int64_t at = 0;
      for (const int64_t m : chunks) {
        batcher.write(x.middleCols(at, m));
        at += m;
      }
      batcher.end_segment(segment, {});
    }
    EXPECT_EQ(got.events, (std::vector<std::string>{"begin 0", "end 0", "begin 3", "end 3"}));
    // (1000 - 100) / 30 + 1 = 31 windows per segment: 7 full batches and one of 3 each.
    ASSERT_EQ(got.windows.size(), 62u);
    EXPECT_EQ(got.batch_sizes, (std::vector<int64_t>{4, 4, 4, 4, 4, 4, 4, 3, 4, 4, 4, 4, 4, 4, 4, 3}));
    EXPECT_EQ(got.next_starts.front(), 120);
    EXPECT_EQ(got.next_starts[7], 930);  // the segment's last window started at 900
    for (size_t w = 0; w < got.windows.size(); ++w) {
      const int64_t start = static_cast<int64_t>(w % 31) * 30;
      ASSERT_EQ(got.starts[w], start);
      EXPECT_EQ(got.segments[w], w < 31 ? 0u : 3u);
      for (int c = 0; c < c_n; ++c) {
        for (int64_t j = 0; j < 100; ++j) {
          ASSERT_EQ(got.windows[w][static_cast<size_t>(c * 100 + j)], normalised(c, start + j)) << w << " " << c;
        }
      }
    }
  }
}

TEST(WindowBatcher, StepLongerThanTheWindowScaleAndArgumentErrors) {
  Eigen::MatrixXf x = Eigen::MatrixXf::Ones(2, 500);
  for (Eigen::Index j = 0; j < x.cols(); ++j) x.col(j) *= static_cast<float>(j);
  WindowBatcherOptions o;
  o.window_samples = 50;
  o.step_samples = 120;
  o.batch_size = 2;
  o.n_channels = 2;
  o.preprocess = signal::resolve_profile("labram");  // scale: uV / 100
  Collected got;
  CollectWindows consumer(got);
  WindowBatcher batcher(o, consumer);
  batcher.begin_segment(0);
  for (int64_t at = 0; at < 500; at += 70) batcher.write(x.middleCols(at, std::min<int64_t>(70, 500 - at)));
  batcher.end_segment(0, {});
  EXPECT_EQ(got.starts, (std::vector<int64_t>{0, 120, 240, 360}));  // 480 + 50 > 500
  EXPECT_EQ(got.batch_sizes, (std::vector<int64_t>{2, 2}));
  EXPECT_FLOAT_EQ(got.windows[2][49], 289.0f * 0.01f);
  EXPECT_FLOAT_EQ(got.windows[3][50], 360.0f * 0.01f);  // channel 1 starts at index 50

  o.batch_size = 0;
  EXPECT_THAT([&] { WindowBatcher b(o, consumer); }, ThrowsMessage<ArgumentError>(HasSubstr("batch_size (0)")));
  o.batch_size = 2;
  o.preprocess.normalization = config::Normalization::zscore;
  EXPECT_THAT([&] { WindowBatcher b(o, consumer); },
              ThrowsMessage<ArgumentError>(HasSubstr("z-score statistics for 0 channels, the signal has 2")));
}

}  // namespace
}  // namespace efm::data
