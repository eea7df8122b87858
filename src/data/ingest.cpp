// run_ingest (data/ingest.h): the per-file pipeline and the parallel driver.
#include "epilepsyfm/data/ingest.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/progress.h"
#include "epilepsyfm/core/sha256.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/io/labels.h"
#include "epilepsyfm/signal/normalize.h"

namespace efm::data {
namespace fs = std::filesystem;

std::vector<SegmentSpan> input_segments(const io::RecordingInfo& info, const ChannelPlan& plan) {
  int64_t available = std::numeric_limits<int64_t>::max();
  int64_t spr = 0;
  for (int i : plan.inputs) {
    const auto& s = info.signals[static_cast<size_t>(i)];
    available = std::min(available, s.n_samples);
    spr = s.samples_per_record;
  }
  std::vector<SegmentSpan> out;
  if (info.segments.empty() || info.record_duration_s <= 0 || spr <= 0) {
    out.push_back(SegmentSpan{0.0, 0, available});
    return out;
  }
  for (const auto& seg : info.segments) {
    SegmentSpan s;
    s.onset_s = seg.onset_s;
    s.in_start = seg.first_record * spr;
    s.in_count = std::min(seg.n_records * spr, available - s.in_start);
    if (s.in_count > 0) out.push_back(s);
  }
  return out;
}

signal::ChannelStats pool_stats(const std::vector<signal::ChannelStats>& parts, size_t n_channels) {
  signal::ChannelStats out;
  out.mean_uv.assign(n_channels, 0.0);
  out.std_uv.assign(n_channels, 0.0);
  out.max_abs_uv.assign(n_channels, 0.0);
  int64_t total = 0;
  for (const auto& p : parts) total += p.count;
  out.count = total;
  if (total == 0) return out;
  for (size_t c = 0; c < n_channels; ++c) {
    double mean = 0;
    for (const auto& p : parts) mean += p.mean_uv[c] * static_cast<double>(p.count);
    mean /= static_cast<double>(total);
    double var = 0;
    for (const auto& p : parts) {
      const double d = p.mean_uv[c] - mean;
      var += static_cast<double>(p.count) * (p.std_uv[c] * p.std_uv[c] + d * d);
      out.max_abs_uv[c] = std::max(out.max_abs_uv[c], p.max_abs_uv[c]);
    }
    out.mean_uv[c] = mean;
    out.std_uv[c] = std::sqrt(var / static_cast<double>(total));
  }
  return out;
}

namespace {

/// Seconds of input read per chunk (per channel): large enough for efficient block reads, small enough for memory.
constexpr double kReadChunkSeconds = 10.0;
/// Chunks the reader thread may hold ahead of the DSP.
constexpr size_t kQueueDepth = 2;

/// A block of input samples of one segment, [plan.inputs, m] microvolts.
struct InputChunk {
  size_t segment = 0;
  int64_t first = 0;  ///< index of the first sample within the segment
  Eigen::MatrixXf x;
  bool last_of_segment = false;
};

/// Single-producer single-consumer queue with a bound; close() ends it, fail() forwards an exception.
class ChunkQueue {
 public:
  explicit ChunkQueue(size_t depth) : depth_(depth) {}
  /// Returns false when the consumer stopped.
  bool push(InputChunk c) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return q_.size() < depth_ || stopped_; });
    if (stopped_) return false;
    q_.push_back(std::move(c));
    cv_.notify_all();
    return true;
  }
  std::optional<InputChunk> pop() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !q_.empty() || closed_ || error_; });
    if (error_) std::rethrow_exception(error_);
    if (q_.empty()) return std::nullopt;
    InputChunk c = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return c;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  void fail(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::move(e);
    cv_.notify_all();
  }
  void stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }

 private:
  size_t depth_;
  std::deque<InputChunk> q_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false, stopped_ = false;
  std::exception_ptr error_;
};

/// Runs tasks in order on its own thread: the store side of one file (transposition into chunks, HDF5 writes,
/// window maxima), so that the file's thread goes on filtering. post() waits while `depth` tasks are pending. The
/// first exception of a task ends the work: post() and drain() rethrow it. The destructor drops pending tasks and
/// joins.
class OrderedWorker {
 public:
  explicit OrderedWorker(size_t depth) : depth_(depth), thread_([this] { loop(); }) {}
  ~OrderedWorker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      q_.clear();
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  OrderedWorker(const OrderedWorker&) = delete;
  OrderedWorker& operator=(const OrderedWorker&) = delete;

  void post(std::function<void()> task) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return q_.size() < depth_ || error_; });
    if (error_) std::rethrow_exception(error_);
    q_.push_back(std::move(task));
    cv_.notify_all();
  }
  /// Waits until every posted task ran.
  void drain() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return (q_.empty() && !busy_) || error_; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !q_.empty() || stop_; });
        if (q_.empty()) return;
        task = std::move(q_.front());
        q_.pop_front();
        busy_ = true;
      }
      std::exception_ptr error;
      try {
        task();
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        busy_ = false;
        if (error && !error_) {
          error_ = error;
          q_.clear();
        }
      }
      cv_.notify_all();
    }
  }

  size_t depth_;
  std::deque<std::function<void()>> q_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, busy_ = false;
  std::exception_ptr error_;
  std::thread thread_;  // last: started once the members above exist
};

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

/// Per-window maximum of |x| over channels, accumulated as the output streams by (memory: one float per
/// gcd(length, stride) samples).
class WindowMaxima {
 public:
  WindowMaxima(int64_t n_samples, const io::WindowGeometry& g) : g_(g) {
    gran_ = std::gcd(g.length_samples, g.stride_samples);
    n_win_ = n_samples >= g.length_samples ? (n_samples - g.length_samples) / g.stride_samples + 1 : 0;
    const int64_t span = n_win_ > 0 ? (n_win_ - 1) * g.stride_samples + g.length_samples : 0;
    blocks_.assign(static_cast<size_t>(span / gran_), 0.0f);
  }
  void add(const Eigen::Ref<const Eigen::MatrixXf>& out) {
    if (out.cols() == 0) return;
    const Eigen::RowVectorXf m = out.cwiseAbs().colwise().maxCoeff();
    for (Eigen::Index j = 0; j < m.size(); ++j, ++pos_) {
      const auto b = static_cast<size_t>(pos_ / gran_);
      if (b < blocks_.size()) blocks_[b] = std::max(blocks_[b], m[j]);
    }
  }
  void append_to(std::vector<float>& out) const {
    const int64_t per = g_.length_samples / gran_, step = g_.stride_samples / gran_;
    for (int64_t k = 0; k < n_win_; ++k) {
      float mx = 0;
      for (int64_t b = k * step; b < k * step + per; ++b) mx = std::max(mx, blocks_[static_cast<size_t>(b)]);
      out.push_back(mx);
    }
  }

 private:
  io::WindowGeometry g_;
  int64_t gran_ = 1, n_win_ = 0, pos_ = 0;
  std::vector<float> blocks_;
};

io::StoredPreprocessing stored_preprocessing(const signal::PreprocessOptions& o, const config::IngestConfig& cfg,
                                             const io::WindowGeometry& g) {
  io::StoredPreprocessing s;
  s.spec = signal::preprocessing_spec(o, cfg.channels.montage);
  s.reject_abs_uv = o.reject_abs_uv.value_or(0.0);
  s.window_length_samples = g.length_samples;
  s.window_stride_samples = g.stride_samples;
  s.min_overlap = cfg.labels.min_overlap;
  return s;
}

/// Shared state of one run.
struct Run {
  const config::IngestConfig& cfg;
  signal::PreprocessOptions pp;
  io::WindowGeometry geometry;
  io::StoreWriter& store;
  const io::LabelIndex& labels;
  const io::LabelRules& rules;
  const SubjectResolver& subjects;
  bool edf_annotations = false;
  io::ReaderOptions reader;
  IngestHooks hooks;
  ThreadPool* dsp_pool = nullptr;
};

void ingest_file(const Run& run, const InputFile& f, FileOutcome& out) {
  out.source = f.relative;
  out.recording_id = recording_id_for(f.relative);
  if (auto existing = run.store.find_source(f.relative)) {
    const std::string sha = sha256_file(f.path);
    if (sha == existing->source_sha256) {
      out.status = FileOutcome::Status::skipped;
      out.recording_id = existing->recording_id;
      out.reason = fmt::format("already in the store ({}, same SHA-256)", existing->shard);
      return;
    }
    throw DataError(
        fmt::format("{}: the file changed since it was ingested (its SHA-256 differs from the one in the "
                    "store's manifest); ingest it into a new store",
                    f.relative));
  }
  EFM_CHECK_DATA(!run.store.has_recording_id(out.recording_id),
                 "{}: its recording id '{}' is already used by another file (ids come from the path relative to the "
                 "input root); rename one of them or ingest them into separate stores",
                 f.relative, out.recording_id);
  const io::LabelMatch match = run.labels.lookup(f.path);
  if (!match.errors.empty()) {
    throw DataError(fmt::format("{}: a label file for it could not be read: {}", f.relative, match.errors.front()));
  }
  // The SHA-256 for the manifest: EDF/BDF readers hash the file during their open-time scan (one read less);
  // otherwise a thread hashes it while the recording is processed.
  io::ReaderOptions reader_options = run.reader;
  reader_options.sha256 = true;
  auto src = run.hooks.open ? run.hooks.open(f.path, reader_options) : io::open_recording(f.path, reader_options);
  const io::RecordingInfo& info = src->info();
  std::future<std::string> sha_future;
  if (info.sha256.empty()) {
    sha_future = std::async(std::launch::async, [path = f.path] { return sha256_file(path); });
  } else {
    std::promise<std::string> known;
    known.set_value(info.sha256);
    sha_future = known.get_future();
  }
  out.reader = info.reader;
  int64_t n_in = 0;
  for (const auto& s : info.signals) n_in = std::max(n_in, s.n_samples);
  EFM_CHECK_DATA(n_in > 0, "{}: the recording is empty (no samples)", f.relative);
  ChannelPlan plan = plan_channels(info, run.cfg.channels);
  const auto [subject, session] = run.subjects.resolve(f);

  std::vector<io::LabelEvent> events = match.events;
  if (run.edf_annotations) {
    auto ann = io::events_from_annotations(info.annotations);
    events.insert(events.end(), ann.begin(), ann.end());
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const io::LabelEvent& a, const io::LabelEvent& b) { return a.onset_s < b.onset_s; });

  const int n_out = static_cast<int>(plan.names.size());
  const std::vector<SegmentSpan> spans = input_segments(info, plan);
  io::RecordingHeader h;
  h.id = out.recording_id;
  h.subject = subject;
  h.session = session;
  h.source_path = f.relative;
  h.reader = info.reader;
  h.format = info.format;
  h.source_duration_s = info.duration_s;
  h.channels = plan.names;
  h.channel_vocab_index = plan.vocab_index;
  h.deviations = info.deviations;
  h.warnings = plan.warnings;
  h.dropped_channels = plan.dropped;
  h.label_sources = match.sources;
  if (run.edf_annotations && !info.annotations.empty()) h.label_sources.push_back("annotations");
  std::vector<size_t> used_spans;
  // The first segment's Preprocessor also gives the output lengths (designing the filters costs time: once).
  std::optional<signal::Preprocessor> pp;
  pp.emplace(run.pp, plan.sfreq_hz, n_out, run.dsp_pool);
  {
    int64_t start = 0;
    for (size_t k = 0; k < spans.size(); ++k) {
      const int64_t n = pp->output_length(spans[k].in_count);
      if (n <= 0) continue;
      h.segments.push_back(io::SignalSegment{spans[k].onset_s, start, n});
      used_spans.push_back(k);
      start += n;
    }
  }
  EFM_CHECK_DATA(!h.segments.empty(), "{}: the recording is empty (no samples in its EEG channels)", f.relative);
  {
    int64_t longest = 0;
    for (const auto& seg : h.segments) longest = std::max(longest, seg.n_samples);
    if (longest < run.geometry.length_samples) {
      plan.warnings.push_back(
          fmt::format("no window: the recording ({} s) is shorter than one window ({} s); its "
                      "signal and events are stored",
                      static_cast<double>(longest) / run.pp.sfreq_hz,
                      static_cast<double>(run.geometry.length_samples) / run.pp.sfreq_hz));
      h.warnings = plan.warnings;
    }
  }
  for (const auto& w : plan.warnings) EFM_LOG_WARN("[ingest] {}: {}", f.relative, w);

  auto rec = run.store.begin_recording(h);

  const auto throw_non_finite = [&](const InputChunk& c, const SegmentSpan& span) {
    for (Eigen::Index j = 0; j < c.x.cols(); ++j) {
      for (Eigen::Index k = 0; k < c.x.rows(); ++k) {
        if (std::isfinite(c.x(k, j))) continue;
        throw DataError(fmt::format("{}: channel '{}' has a non-finite value ({}) at {:.3f} s", f.relative,
                                    info.signals[static_cast<size_t>(plan.inputs[static_cast<size_t>(k)])].label,
                                    c.x(k, j), span.onset_s + static_cast<double>(c.first + j) / plan.sfreq_hz));
      }
    }
  };
  // Reader thread: decodes chunks of every segment into the queue while this thread filters and writes.
  ChunkQueue queue(kQueueDepth);
  std::thread reader([&] {
    try {
      const auto chunk_n = std::max<int64_t>(1, std::llround(kReadChunkSeconds * plan.sfreq_hz));
      for (size_t u = 0; u < used_spans.size(); ++u) {
        const SegmentSpan& span = spans[used_spans[u]];
        for (int64_t s = 0; s < span.in_count; s += chunk_n) {
          const int64_t m = std::min(chunk_n, span.in_count - s);
          InputChunk c;
          c.segment = u;
          c.first = s;
          c.x.resize(static_cast<Eigen::Index>(plan.inputs.size()), m);
          // The reader refuses values that are not finite in double itself (DataError naming file and signal);
          // a value beyond the float range (or a SignalSource that does not check) is caught here.
          src->read_block(plan.inputs, span.in_start + s, m, c.x.data(), c.x.rows());
          if (!all_finite(c.x)) throw_non_finite(c, span);
          c.last_of_segment = s + m >= span.in_count;
          if (!queue.push(std::move(c))) return;
        }
      }
      queue.close();
    } catch (...) {
      queue.fail(std::current_exception());
    }
  });
  struct Joiner {
    ChunkQueue& q;
    std::thread& t;
    ~Joiner() {
      q.stop();
      if (t.joinable()) t.join();
    }
  } joiner{queue, reader};

  std::vector<signal::ChannelStats> stats;
  std::vector<float> window_max;
  std::optional<WindowMaxima> maxima;
  size_t current = static_cast<size_t>(-1);
  int64_t produced = 0;
  // The store side runs on `writer` (declared after what its tasks use, so it is joined first): window maxima,
  // `produced` and `window_max` are only touched by its tasks, in order.
  OrderedWorker writer(2);
  const auto sink = [&](Eigen::MatrixXf y) {
    if (y.cols() == 0) return;
    writer.post([&, y = std::move(y)] {
      rec->append(y);
      maxima->add(y);
      produced += y.cols();
    });
  };
  const auto end_segment = [&] {
    sink(pp->finish());
    stats.push_back(pp->stats());
    pp.reset();
    writer.post([&, segment = current] {
      const auto& seg = h.segments[segment];
      EFM_CHECK_STATE(produced == seg.n_samples, "{}: segment {} produced {} samples, expected {}", f.relative, segment,
                      produced, seg.n_samples);
      maxima->append_to(window_max);
    });
  };
  while (auto c = queue.pop()) {
    if (c->segment != current) {
      current = c->segment;
      if (!pp) pp.emplace(run.pp, plan.sfreq_hz, n_out, run.dsp_pool);
      writer.post([&, n = h.segments[current].n_samples] {
        maxima.emplace(n, run.geometry);
        produced = 0;
      });
    }
    if (plan.identity) {
      sink(pp->push(c->x));
    } else {
      sink(pp->push(plan.weights * c->x));
    }
    if (c->last_of_segment) end_segment();
  }
  writer.drain();

  io::RecordingFooter footer;
  const signal::ChannelStats st = pool_stats(stats, static_cast<size_t>(n_out));
  footer.mean_uv = st.mean_uv;
  footer.std_uv = st.std_uv;
  footer.max_abs_uv = st.max_abs_uv;
  for (int c = 0; c < n_out; ++c) {
    if (st.std_uv[static_cast<size_t>(c)] < signal::kMinStdUv) {
      out.warnings.push_back(fmt::format("channel '{}' is flat (std {:.3g} uV)", plan.names[static_cast<size_t>(c)],
                                         st.std_uv[static_cast<size_t>(c)]));
    }
  }
  footer.windows = io::label_windows(events, h.segments, run.pp.sfreq_hz, run.geometry, run.rules);
  footer.window_max_abs_uv = std::move(window_max);
  EFM_CHECK_STATE(footer.windows.size() == footer.window_max_abs_uv.size(),
                  "{}: {} labelled windows but {} window maxima", f.relative, footer.windows.size(),
                  footer.window_max_abs_uv.size());
  footer.events = events;
  for (const auto& e : events) footer.event_seizure.push_back(run.rules.is_seizure(e.label) ? 1 : 0);
  footer.source_sha256 = sha_future.get();
  rec->finish(footer);

  out.status = FileOutcome::Status::ok;
  int64_t total = 0;
  for (const auto& s : h.segments) total += s.n_samples;
  out.hours = static_cast<double>(total) / run.pp.sfreq_hz / 3600.0;
  out.windows = static_cast<int64_t>(footer.windows.size());
  for (const auto& w : footer.windows) out.seizure_windows += w.seizure ? 1 : 0;
  const double reject = run.pp.reject_abs_uv.value_or(0.0);
  for (float m : footer.window_max_abs_uv) out.rejected_windows += (reject > 0 && m >= reject) ? 1 : 0;
  out.warnings.insert(out.warnings.begin(), plan.warnings.begin(), plan.warnings.end());
}

}  // namespace

IngestSummary run_ingest(const config::IngestConfig& cfg, const fs::path& store_dir, const IngestHooks& hooks) {
  const auto t0 = std::chrono::steady_clock::now();
  const signal::PreprocessOptions pp = preprocess_options(cfg.preprocess);
  io::WindowGeometry geometry;
  geometry.length_samples = std::llround(cfg.windows.length_s * pp.sfreq_hz);
  geometry.stride_samples = std::llround(cfg.windows.stride_s * pp.sfreq_hz);

  io::LabelRulesOptions lro;
  lro.seizure_regex = cfg.labels.seizure_regex;
  lro.min_overlap = cfg.labels.min_overlap;
  lro.background = cfg.labels.background;
  const io::LabelRules rules(lro);
  const SubjectResolver subjects(cfg.subjects);
  const std::vector<InputFile> inputs = discover_inputs(cfg.input);

  IngestSummary summary;
  io::LabelIndex labels;
  bool edf_annotations = false;
  for (size_t s = 0; s < cfg.labels.sources.size(); ++s) {
    const auto& src = cfg.labels.sources[s];
    if (src.format == "edf") {
      edf_annotations = true;
      continue;
    }
    const std::optional<io::LabelFormat> fmt_opt =
        src.format == "auto" ? std::nullopt : std::optional<io::LabelFormat>(io::parse_label_format(src.format));
    for (const auto& p : src.paths) {
      std::vector<fs::path> files;
      if (fs::is_directory(p)) {
        files = io::find_label_files(p, fmt_opt);
        if (files.empty()) EFM_LOG_WARN("[ingest] labels: no {} label files under {}", src.format, p);
      } else if (fs::is_regular_file(p)) {
        files.push_back(p);
      } else {
        throw ConfigError(fmt::format("ingest.labels.sources[{}].paths: '{}' does not exist", s, p));
      }
      for (const auto& file : files) {
        try {
          io::LabelFile lf = io::read_label_file(file, fmt_opt);
          for (const auto& w : lf.warnings) {
            EFM_LOG_WARN("[ingest] labels: {}", w);
            summary.label_issues.push_back("warning: " + w);
          }
          labels.add(std::move(lf));
        } catch (const DataError& e) {
          EFM_LOG_ERROR("[ingest] labels: {}", e.what());
          labels.add_failure(file, e.what());
          summary.label_issues.push_back(std::string("failed: ") + e.what());
          ++summary.n_label_files_failed;
        }
      }
    }
  }

  io::StoreOptions so;
  so.shard_gb = cfg.store.shard_gb;
  so.dtype = cfg.store.dtype == "float16" ? io::StoreDtype::float16 : io::StoreDtype::float32;
  so.compression = static_cast<int>(cfg.store.compression);
  so.chunk_s = cfg.store.chunk_s;
  so.config_yaml = store_config_yaml(cfg);
  io::StoreWriter store(store_dir, so, stored_preprocessing(pp, cfg, geometry));

  const int workers = resolve_thread_count(static_cast<int>(cfg.workers));
  const int file_threads = std::max(1, std::min<int>(workers, static_cast<int>(inputs.size())));
  // Fewer files than workers: the spare cores filter channels in parallel inside each file (the file's own thread
  // takes part in every parallel_for, so the pool needs one thread less; one more would only oversubscribe the cores
  // and split the channels into uneven groups).
  std::unique_ptr<ThreadPool> dsp_pool;
  if (workers / file_threads > 1) dsp_pool = std::make_unique<ThreadPool>(workers / file_threads - 1);

  io::ReaderOptions ro;
  ro.policy = cfg.reader.policy == "strict" ? io::ReaderPolicy::strict : io::ReaderPolicy::tolerant;
  Run run{cfg, pp, geometry, store, labels, rules, subjects, edf_annotations, ro, hooks, dsp_pool.get()};

  EFM_LOG_INFO("[ingest] {} files -> {} ({} file(s) at a time, {} label file(s), config {})", inputs.size(),
               store.dir().string(), file_threads, labels.n_files(), store.config_hash().substr(0, 12));
  summary.files.resize(inputs.size());
  std::unique_ptr<ProgressBar> bar;
  if (hooks.show_progress) {
    bar = std::make_unique<ProgressBar>(ProgressOptions("ingest", static_cast<int64_t>(inputs.size())).unit("files"));
  }
  std::atomic<int> n_failed{0};
  const auto work = [&](int64_t i) {
    FileOutcome& out = summary.files[static_cast<size_t>(i)];
    try {
      ingest_file(run, inputs[static_cast<size_t>(i)], out);
    } catch (const std::exception& e) {
      out.status = FileOutcome::Status::failed;
      out.reason = e.what();
      ++n_failed;
      EFM_LOG_ERROR("[ingest] FAILED {}: {}", inputs[static_cast<size_t>(i)].relative, e.what());
    }
    if (bar) bar->advance(1, n_failed > 0 ? fmt::format("{} failed", n_failed.load()) : std::string());
  };
  if (file_threads == 1) {
    for (int64_t i = 0; i < static_cast<int64_t>(inputs.size()); ++i) work(i);
  } else {
    ThreadPool pool(file_threads - 1);  // parallel_for also runs on this thread
    pool.parallel_for(static_cast<int64_t>(inputs.size()), work);
  }
  if (bar) bar->finish();
  store.close();

  for (const auto& u : labels.unmatched_entries()) summary.label_issues.push_back("unmatched: " + u);
  for (const auto& a : labels.ambiguous_entries()) summary.label_issues.push_back("ambiguous: " + a);
  for (const auto& f : summary.files) {
    switch (f.status) {
      case FileOutcome::Status::ok:
        ++summary.n_ok;
        summary.hours += f.hours;
        summary.windows += f.windows;
        summary.seizure_windows += f.seizure_windows;
        break;
      case FileOutcome::Status::skipped: ++summary.n_skipped; break;
      case FileOutcome::Status::failed: ++summary.n_failed; break;
    }
  }
  summary.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EFM_LOG_INFO("[ingest] {} ok, {} skipped, {} failed; {:.2f} h, {} windows ({} seizure) in {:.1f} s", summary.n_ok,
               summary.n_skipped, summary.n_failed, summary.hours, summary.windows, summary.seizure_windows,
               summary.elapsed_s);
  return summary;
}

std::string format_summary(const IngestSummary& s) {
  std::string out = fmt::format(
      "ingest summary: {} ok, {} skipped, {} failed ({} files); {:.2f} h, {} windows "
      "({} seizure); {:.1f} s\n",
      s.n_ok, s.n_skipped, s.n_failed, s.files.size(), s.hours, s.windows, s.seizure_windows, s.elapsed_s);
  if (s.n_failed > 0) {
    out += "failed files:\n";
    for (const auto& f : s.files) {
      if (f.status == FileOutcome::Status::failed) out += fmt::format("  {}: {}\n", f.source, f.reason);
    }
  }
  if (s.n_skipped > 0) {
    out += fmt::format("skipped files: {} (already in the store)\n", s.n_skipped);
  }
  size_t unmatched = 0;
  std::vector<std::string> shown;
  for (const auto& l : s.label_issues) {
    if (l.rfind("unmatched: ", 0) == 0) {
      if (++unmatched <= 5) shown.push_back(l);
    } else {
      shown.push_back(l);
    }
  }
  if (!shown.empty()) {
    out += "label issues:\n";
    for (const auto& l : shown) out += "  " + l + "\n";
    if (unmatched > 5) out += fmt::format("  ... {} label entries matched no recording in all\n", unmatched);
  }
  return out;
}

}  // namespace efm::data
