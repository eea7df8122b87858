// run_ingest (data/ingest.h): one file through the recording pipeline into the store, and the parallel driver.
#include "epilepsyfm/data/ingest.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <optional>

#include "data/detail/store_sink.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/progress.h"
#include "epilepsyfm/core/sha256.h"
#include "epilepsyfm/core/threads.h"
#include "epilepsyfm/data/recording_pipeline.h"
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

/// True when the store already holds this file unchanged (out says so); throws when it holds another version of it
/// or another file with its recording id.
bool already_ingested(const Run& run, const InputFile& f, FileOutcome& out) {
  if (auto existing = run.store.find_source(f.relative)) {
    const std::string sha = sha256_file(f.path);
    if (sha == existing->source_sha256) {
      out.status = FileOutcome::Status::skipped;
      out.recording_id = existing->recording_id;
      out.reason = fmt::format("already in the store ({}, same SHA-256)", existing->shard);
      return true;
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
  return false;
}

/// The source's SHA-256 for the manifest: EDF/BDF readers hash the file during their open-time scan (one read less);
/// otherwise a thread hashes it while the recording is processed.
std::future<std::string> source_sha256(const io::RecordingInfo& info, const fs::path& path) {
  if (info.sha256.empty()) return std::async(std::launch::async, [path] { return sha256_file(path); });
  std::promise<std::string> known;
  known.set_value(info.sha256);
  return known.get_future();
}

/// The store header of a planned recording; its segments are those with output (their spans in `used_spans`).
io::RecordingHeader recording_header(const Run& run, const InputFile& f, const std::string& id,
                                     const io::LabelMatch& match, PlannedRecording& rec, const signal::Preprocessor& pp,
                                     std::vector<size_t>& used_spans) {
  const io::RecordingInfo& info = rec.info();
  const auto [subject, session] = run.subjects.resolve(f);
  io::RecordingHeader h;
  h.id = id;
  h.subject = subject;
  h.session = session;
  h.source_path = f.relative;
  h.reader = info.reader;
  h.format = info.format;
  h.source_duration_s = info.duration_s;
  h.channels = rec.plan.names;
  h.channel_vocab_index = rec.plan.vocab_index;
  h.deviations = info.deviations;
  h.dropped_channels = rec.plan.dropped;
  h.label_sources = match.sources;
  if (run.edf_annotations && !info.annotations.empty()) h.label_sources.push_back("annotations");
  int64_t start = 0, longest = 0;
  for (size_t k = 0; k < rec.spans.size(); ++k) {
    const int64_t n = pp.output_length(rec.spans[k].in_count);
    if (n <= 0) continue;
    h.segments.push_back(io::SignalSegment{rec.spans[k].onset_s, start, n});
    used_spans.push_back(k);
    start += n;
    longest = std::max(longest, n);
  }
  EFM_CHECK_DATA(!h.segments.empty(), "{}: the recording is empty (no samples in its EEG channels)", f.relative);
  if (longest < run.geometry.length_samples) {
    rec.plan.warnings.push_back(
        fmt::format("no window: the recording ({} s) is shorter than one window ({} s); its "
                    "signal and events are stored",
                    static_cast<double>(longest) / run.pp.sfreq_hz,
                    static_cast<double>(run.geometry.length_samples) / run.pp.sfreq_hz));
  }
  h.warnings = rec.plan.warnings;
  return h;
}

/// The label events of a file: its label-file entries and (when configured) its EDF+ annotations, by onset.
std::vector<io::LabelEvent> file_events(const Run& run, const io::LabelMatch& match, const io::RecordingInfo& info) {
  std::vector<io::LabelEvent> events = match.events;
  if (run.edf_annotations) {
    auto ann = io::events_from_annotations(info.annotations);
    events.insert(events.end(), ann.begin(), ann.end());
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const io::LabelEvent& a, const io::LabelEvent& b) { return a.onset_s < b.onset_s; });
  return events;
}

/// The footer after the signal: statistics, window table, events; flat channels are noted in `out`.
io::RecordingFooter recording_footer(const Run& run, const InputFile& f, const io::RecordingHeader& h,
                                     detail::StoreSink& sink, std::vector<io::LabelEvent> events, FileOutcome& out) {
  io::RecordingFooter footer;
  const signal::ChannelStats st = pool_stats(sink.stats, h.channels.size());
  footer.mean_uv = st.mean_uv;
  footer.std_uv = st.std_uv;
  footer.max_abs_uv = st.max_abs_uv;
  for (size_t c = 0; c < h.channels.size(); ++c) {
    if (st.std_uv[c] < signal::kMinStdUv) {
      out.warnings.push_back(fmt::format("channel '{}' is flat (std {:.3g} uV)", h.channels[c], st.std_uv[c]));
    }
  }
  footer.windows = io::label_windows(events, h.segments, run.pp.sfreq_hz, run.geometry, run.rules);
  footer.window_max_abs_uv = std::move(sink.window_max);
  EFM_CHECK_STATE(footer.windows.size() == footer.window_max_abs_uv.size(),
                  "{}: {} labelled windows but {} window maxima", f.relative, footer.windows.size(),
                  footer.window_max_abs_uv.size());
  for (const auto& e : events) footer.event_seizure.push_back(run.rules.is_seizure(e.label) ? 1 : 0);
  footer.events = std::move(events);
  return footer;
}

void ingest_file(const Run& run, const InputFile& f, FileOutcome& out) {
  out.source = f.relative;
  out.recording_id = recording_id_for(f.relative);
  if (already_ingested(run, f, out)) return;
  const io::LabelMatch match = run.labels.lookup(f.path);
  if (!match.errors.empty()) {
    throw DataError(fmt::format("{}: a label file for it could not be read: {}", f.relative, match.errors.front()));
  }
  io::ReaderOptions reader_options = run.reader;
  reader_options.sha256 = true;
  auto src = run.hooks.open ? run.hooks.open(f.path, reader_options) : io::open_recording(f.path, reader_options);
  std::future<std::string> sha = source_sha256(src->info(), f.path);
  out.reader = src->info().reader;
  int64_t n_in = 0;
  for (const auto& s : src->info().signals) n_in = std::max(n_in, s.n_samples);
  EFM_CHECK_DATA(n_in > 0, "{}: the recording is empty (no samples)", f.relative);
  PlannedRecording rec = plan_recording(std::move(src), run.cfg.channels, f.relative);
  std::vector<io::LabelEvent> events = file_events(run, match, rec.info());

  // The first segment's Preprocessor also gives the output lengths (designing the filters costs time: once).
  RecordingRunOptions ro;
  ro.chunk_s = kReadChunkSeconds;
  ro.read_ahead = true;
  ro.dsp_pool = run.dsp_pool;
  ro.first_preprocessor.emplace(make_preprocessor(rec, run.pp, run.dsp_pool));
  const io::RecordingHeader h =
      recording_header(run, f, out.recording_id, match, rec, *ro.first_preprocessor, ro.segments);
  for (const auto& w : rec.plan.warnings) EFM_LOG_WARN("[ingest] {}: {}", f.relative, w);

  auto writer = run.store.begin_recording(h);
  detail::StoreSink sink(*writer, h, run.geometry);
  run_recording(rec, run.pp, sink, std::move(ro));
  sink.drain();
  io::RecordingFooter footer = recording_footer(run, f, h, sink, std::move(events), out);
  footer.source_sha256 = sha.get();
  writer->finish(footer);

  out.status = FileOutcome::Status::ok;
  int64_t total = 0;
  for (const auto& s : h.segments) total += s.n_samples;
  out.hours = static_cast<double>(total) / run.pp.sfreq_hz / 3600.0;
  out.windows = static_cast<int64_t>(footer.windows.size());
  for (const auto& w : footer.windows) out.seizure_windows += w.seizure ? 1 : 0;
  const double reject = run.pp.reject_abs_uv.value_or(0.0);
  for (float m : footer.window_max_abs_uv) out.rejected_windows += (reject > 0 && m >= reject) ? 1 : 0;
  out.warnings.insert(out.warnings.begin(), rec.plan.warnings.begin(), rec.plan.warnings.end());
}

/// The label files of `labels.sources` (failures recorded in `summary`, not thrown); true in `edf_annotations` when
/// the files' own annotations are a source.
io::LabelIndex load_labels(const config::IngestLabelsConfig& cfg, IngestSummary& summary, bool& edf_annotations) {
  io::LabelIndex labels;
  for (size_t s = 0; s < cfg.sources.size(); ++s) {
    const auto& src = cfg.sources[s];
    const std::optional<io::LabelFormat> fmt_opt = src.label_format();
    if (fmt_opt == io::LabelFormat::edf) {
      edf_annotations = true;
      continue;
    }
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
  return labels;
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
  bool edf_annotations = false;
  io::LabelIndex labels = load_labels(cfg.labels, summary, edf_annotations);

  io::StoreOptions so;
  so.shard_gb = cfg.store.shard_gb;
  so.dtype = cfg.store.dtype;
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

  Run run{
      cfg,           pp, geometry, store, labels, rules, subjects, edf_annotations, reader_options(cfg.reader), hooks,
      dsp_pool.get()};

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
