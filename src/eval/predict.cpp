// epilepsyfm predict (eval/predict.h): streaming inference on one recording.
#include "epilepsyfm/eval/predict.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <fstream>
#include <map>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/core/progress.h"
#include "epilepsyfm/data/ingest.h"
#include "epilepsyfm/eval/finetune.h"
#include "epilepsyfm/eval/finetune_config.h"
#include "epilepsyfm/eval/heads/head.h"
#include "epilepsyfm/eval/metric_set.h"
#include "epilepsyfm/io/edf_writer.h"
#include "epilepsyfm/io/labels.h"
#include "epilepsyfm/io/reader.h"
#include "epilepsyfm/models/runtime.h"
#include "epilepsyfm/signal/channels.h"
#include "epilepsyfm/signal/normalize.h"
#include "epilepsyfm/signal/preprocess.h"
#include "epilepsyfm/train/checkpoint.h"
#include "epilepsyfm/train/cuda_settings.h"

namespace efm::eval {
namespace fs = std::filesystem;

// ---- StreamingEventDetector -------------------------------------------------------------------------------------

StreamingEventDetector::StreamingEventDetector(double step_s, const ProbabilityEventOptions& o, double start_s)
    : step_s_(step_s), start_s_(start_s), o_(o) {
  EFM_CHECK_ARG(std::isfinite(step_s) && step_s > 0, "events: step_s ({}) must be > 0", step_s);
  EFM_CHECK_ARG(o.smoothing_steps >= 1 && o.smoothing_steps % 2 == 1,
                "events: smoothing_steps ({}) must be an odd number >= 1 (1 = no smoothing)", o.smoothing_steps);
  EFM_CHECK_ARG(o.merge_gap_s >= 0 && o.min_duration_s >= 0,
                "events: merge_gap_s ({}) and min_duration_s ({}) must be >= 0", o.merge_gap_s, o.min_duration_s);
  half_ = o.smoothing_steps / 2;
}

std::vector<Event> StreamingEventDetector::push(double value) {
  EFM_CHECK_ARG(!finished_, "StreamingEventDetector: push after finish");
  EFM_CHECK_ARG(std::isfinite(value), "events: value {} at step {} is not finite", value, n_);
  buf_.push_back(value);
  ++n_;
  std::vector<Event> out;
  // Value i = n - 1 - half now has its whole centred window [i - half, i + half].
  const int64_t i = n_ - 1 - half_;
  if (i >= 0) {
    const int64_t lo = std::max<int64_t>(0, i - half_), hi = n_;
    double sum = 0;
    for (int64_t k = lo; k < hi; ++k) sum += buf_[static_cast<size_t>(k - buf_start_)];
    decide(i, sum / static_cast<double>(hi - lo), out);
    // The next decision (i + 1) needs values from i + 1 - half on.
    const int64_t keep_from = std::max<int64_t>(0, i + 1 - half_);
    if (keep_from > buf_start_) {
      buf_.erase(buf_.begin(), buf_.begin() + (keep_from - buf_start_));
      buf_start_ = keep_from;
    }
  }
  return out;
}

std::vector<Event> StreamingEventDetector::finish() {
  EFM_CHECK_ARG(!finished_, "StreamingEventDetector: finish called twice");
  finished_ = true;
  std::vector<Event> out;
  for (int64_t i = decided_; i < n_; ++i) {
    const int64_t lo = std::max<int64_t>(0, i - half_), hi = std::min(n_, i + half_ + 1);
    double sum = 0;
    for (int64_t k = lo; k < hi; ++k) sum += buf_[static_cast<size_t>(k - buf_start_)];
    decide(i, sum / static_cast<double>(hi - lo), out);
  }
  if (run_start_ >= 0) close_run(n_, out);
  if (pending_) emit(out);
  return out;
}

void StreamingEventDetector::decide(int64_t i, double v, std::vector<Event>& out) {
  decided_ = i + 1;
  const bool positive = v >= o_.threshold;
  if (positive && run_start_ < 0) run_start_ = i;
  if (!positive && run_start_ >= 0) close_run(i, out);
}

void StreamingEventDetector::close_run(int64_t end, std::vector<Event>& out) {
  const Event e{start_s_ + static_cast<double>(run_start_) * step_s_, start_s_ + static_cast<double>(end) * step_s_};
  run_start_ = -1;
  if (pending_ && o_.merge_gap_s > 0 && e.start_s - pending_->end_s < o_.merge_gap_s) {
    pending_->end_s = std::max(pending_->end_s, e.end_s);
    return;
  }
  if (pending_) emit(out);
  pending_ = e;
}

void StreamingEventDetector::emit(std::vector<Event>& out) {
  if (pending_->duration_s() >= o_.min_duration_s) out.push_back(*pending_);
  pending_.reset();
}

// ---- predict ----------------------------------------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

/// Per-second aggregation of window probabilities within one segment, finalised in time order.
class SecondAggregator {
 public:
  SecondAggregator(double onset_s, std::function<void(double t, double p, int64_t n)> sink)
      : onset_s_(onset_s), sink_(std::move(sink)) {}
  /// A window covering local seconds [a, b) (fractional bounds allowed) with probability p.
  void add(double a_s, double b_s, double p) {
    const auto first = static_cast<int64_t>(std::ceil(a_s - 1e-9));
    const auto last = static_cast<int64_t>(std::floor(b_s + 1e-9));  // seconds [first, last) are fully covered
    for (int64_t j = first; j < last; ++j) {
      auto& s = pending_[j];
      s.first += p;
      s.second += 1;
    }
  }
  /// Every second before `t_s` (local) is final.
  void release_before(double t_s) {
    while (!pending_.empty() && static_cast<double>(pending_.begin()->first) + 1e-9 < t_s) {
      const auto it = pending_.begin();
      sink_(onset_s_ + static_cast<double>(it->first), it->second.first / static_cast<double>(it->second.second),
            it->second.second);
      pending_.erase(it);
    }
  }
  void finish() { release_before(std::numeric_limits<double>::infinity()); }

 private:
  double onset_s_;
  std::function<void(double, double, int64_t)> sink_;
  std::map<int64_t, std::pair<double, int64_t>> pending_;
};

struct Loaded {
  FinetuneExperiment exp;
  FinetuneModel model{nullptr};
  fs::path model_file;
};

Loaded load_model(const PredictOptions& o) {
  Loaded l;
  l.model_file = resolve_model_file(o.checkpoint, "best");
  const fs::path cfg = l.model_file.parent_path() / "config.yaml";
  EFM_CHECK_CONFIG(fs::exists(cfg), "{}: no config.yaml beside the model file (a finetune checkpoint has one)",
                   l.model_file.string());
  l.exp = config::load<FinetuneExperiment>({{cfg.string()}, o.sets});
  const auto& def = head_registry().get(l.exp.finetune.head, "finetune.head");
  EFM_CHECK_CONFIG(def.spec.input == HeadInput::window && l.exp.resolved.classes.size() == 2,
                   "{}: predict needs a fine-tuned two-class window head (seizure_detection); this checkpoint's head "
                   "is '{}' ({}, {} classes)",
                   cfg.string(), def.spec.name, input_text(def.spec.input), l.exp.resolved.classes.size());
  const models::BackboneOptions bo = l.exp.model.to_options();
  l.model = FinetuneModel(bo, LinearHead(LinearHeadOptions(bo.embed_dim(), 1)).ptr());
  train::load_module_state(*l.model, l.model_file, /*strict=*/true);
  l.model->eval();
  return l;
}

std::vector<Event> reference_events(const PredictOptions& o, const io::RecordingInfo& info,
                                    const config::IngestLabelsConfig& lc, double duration) {
  io::LabelRulesOptions ro;
  ro.seizure_regex = lc.seizure_regex;
  const io::LabelRules rules(ro);
  std::vector<io::LabelEvent> events = io::events_from_annotations(info.annotations);
  if (!o.labels.empty()) {
    io::LabelIndex index;
    index.add(io::read_label_file(o.labels, io::LabelFormat::csv));
    const auto m = index.lookup(fs::absolute(o.input));
    events.insert(events.end(), m.events.begin(), m.events.end());
  }
  std::vector<Event> ref;
  for (const auto& e : events) {
    if (!rules.is_seizure(e.label)) continue;
    const double end = std::min(e.whole_file() ? duration : e.offset_s, duration);
    if (end > e.onset_s) ref.push_back({std::max(0.0, e.onset_s), end});
  }
  std::sort(ref.begin(), ref.end(), [](const Event& a, const Event& b) { return a.start_s < b.start_s; });
  std::vector<Event> merged;
  for (const auto& e : ref) {
    if (!merged.empty() && e.start_s <= merged.back().end_s) {
      merged.back().end_s = std::max(merged.back().end_s, e.end_s);
    } else {
      merged.push_back(e);
    }
  }
  return merged;
}

}  // namespace

PredictResult run_predict(const PredictOptions& o) {
  const auto t_start = Clock::now();
  EFM_CHECK_CONFIG(!o.input.empty(), "--input: no recording given");
  EFM_CHECK_CONFIG(!o.out_dir.empty(), "--out: no output directory given");
  Loaded l = load_model(o);
  const FinetuneExperiment& exp = l.exp;
  const PredictConfig& pc = exp.predict;
  const config::IngestConfig& ing = exp.resolved.ingest;
  const int threads = models::configure_threads(static_cast<int>(exp.run.threads));
  const torch::Device device = models::select_device(exp.run.device);
  train::apply_cuda_settings(exp.run);
  l.model->to(device);

  io::ReaderOptions ro;
  ro.policy = ing.reader.policy == "strict" ? io::ReaderPolicy::strict : io::ReaderPolicy::tolerant;
  auto src = io::open_recording(o.input, ro);
  const io::RecordingInfo& info = src->info();
  const data::ChannelPlan plan = data::plan_channels(info, ing.channels);
  for (const auto& w : plan.warnings) EFM_LOG_WARN("[predict] {}: {}", o.input.filename().string(), w);
  auto names = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& n : v) s += (s.empty() ? "" : " ") + n;
    return s;
  };
  std::vector<std::string> unseen;
  for (const auto& n : plan.names) {
    if (std::find(exp.resolved.channels.begin(), exp.resolved.channels.end(), n) == exp.resolved.channels.end()) {
      unseen.push_back(n);
    }
  }
  if (!unseen.empty()) {
    EFM_LOG_WARN(
        "[predict] {} of {} channels were not in the training windows ([{}]; trained on [{}]); the model embeds each "
        "channel by its electrode, so it still runs, but expect a domain shift",
        unseen.size(), plan.names.size(), names(unseen), names(exp.resolved.channels));
  }
  const signal::PreprocessOptions pp = data::preprocess_options(ing.preprocess);
  const auto n_out = static_cast<int>(plan.names.size());
  const std::vector<data::SegmentSpan> spans = data::input_segments(info, plan);
  const int64_t chunk_in = std::max<int64_t>(1, std::llround(pc.chunk_s * plan.sfreq_hz));
  const double sf = pp.sfreq_hz;
  const int64_t win = data::seconds_to_samples(exp.data.window_s, sf, "data.window_s");
  const int64_t step = data::seconds_to_samples(pc.step_s, sf, "predict.step_s");
  int64_t total_in = 0;
  for (const auto& s : spans) total_in += s.in_count;
  EFM_LOG_INFO(
      "[predict] {}: {} channels at {} Hz, {:.1f} s in {} segment(s); model {} ({}), window {} s every {} s, "
      "{} threads, device {}",
      o.input.filename().string(), n_out, plan.sfreq_hz, info.duration_s, spans.size(), l.model_file.string(),
      exp.finetune.head, exp.data.window_s, pc.step_s, threads, device.str());

  std::vector<double> read_buf;
  auto read_chunk = [&](size_t k, int64_t s, int64_t m) {
    Eigen::MatrixXf x(static_cast<Eigen::Index>(plan.inputs.size()), m);
    read_buf.resize(static_cast<size_t>(m));
    for (size_t c = 0; c < plan.inputs.size(); ++c) {
      src->read(plan.inputs[c], spans[k].in_start + s, m, read_buf.data());
      x.row(static_cast<Eigen::Index>(c)) = Eigen::Map<const Eigen::RowVectorXd>(read_buf.data(), m).cast<float>();
    }
    return plan.identity ? x : Eigen::MatrixXf(plan.weights * x);
  };
  const bool zscore = pp.normalization == "zscore";
  std::unique_ptr<ProgressBar> bar;
  if (o.progress) {
    bar = std::make_unique<ProgressBar>(ProgressOptions("predict", total_in * (zscore ? 2 : 1)).unit("samples"));
  }

  // Pass 1: whole-recording statistics for z-scoring (as ingest stores them).
  signal::ChannelStats stats;
  if (zscore) {
    std::vector<signal::ChannelStats> parts;
    for (size_t k = 0; k < spans.size(); ++k) {
      signal::Preprocessor p(pp, plan.sfreq_hz, n_out);
      for (int64_t s = 0; s < spans[k].in_count; s += chunk_in) {
        const int64_t m = std::min(chunk_in, spans[k].in_count - s);
        p.push(read_chunk(k, s, m));
        if (bar) bar->advance(m);
      }
      p.finish();
      parts.push_back(p.stats());
    }
    stats = data::pool_stats(parts, static_cast<size_t>(n_out));
  }

  // Outputs, streamed.
  fs::create_directories(o.out_dir);
  const std::string stem = o.input.stem().string();
  PredictResult result;
  result.channels = plan.names;
  result.duration_s = info.duration_s;
  result.probabilities_csv = o.out_dir / (stem + "_probabilities.csv");
  result.events_csv = o.out_dir / (stem + "_events.csv");
  result.events_edf = o.out_dir / (stem + "_events.edf");
  const fs::path prob_tmp = temp_sibling(result.probabilities_csv);
  std::ofstream prob(prob_tmp);
  EFM_CHECK_DATA(prob.good(), "cannot write {}", prob_tmp.string());
  prob << "time_s,probability,n_windows\n";
  io::EdfWriter edf(result.events_edf, io::EdfWriterOptions{},
                    {io::EdfSignalSpec{"P(seizure)", 1, 0.0, 1.0, "", 0, 0, "", ""}});
  int64_t edf_next = 0;  // next 1-s record of the EDF
  const double zero = 0.0;
  auto edf_fill_to = [&](int64_t second) {
    for (; edf_next < second; ++edf_next) edf.write_record({&zero});
  };
  ProbabilityEventOptions po;
  po.threshold = pc.threshold;
  po.smoothing_steps = pc.smoothing_steps;
  po.merge_gap_s = pc.merge_gap_s;
  po.min_duration_s = pc.min_duration_s;
  std::optional<StreamingEventDetector> detector;
  double last_t = -1;
  auto take = [&](std::vector<Event> ev) {
    for (auto& e : ev) {
      e.end_s = std::min(e.end_s, info.duration_s);
      if (e.end_s > e.start_s) result.events.push_back(e);
    }
  };
  // One finished second: CSV row, EDF sample, event detector (seconds no window covered count as 0).
  auto on_second = [&](double t, double p, int64_t n) {
    prob << format_metric_value(t) << ',' << format_metric_value(p) << ',' << n << '\n';
    ++result.seconds;
    const auto sec = static_cast<int64_t>(std::floor(t + 1e-9));
    if (sec >= edf_next) {
      edf_fill_to(sec);
      edf.write_record({&p});
      ++edf_next;
    }
    if (!detector) {
      detector.emplace(1.0, po, t);
    } else {
      for (double gap = last_t + 1; gap < t - 0.5; gap += 1) take(detector->push(0.0));
    }
    take(detector->push(p));
    last_t = t;
  };

  // Pass 2: windows -> batches -> model -> per-second probabilities.
  const auto bs = static_cast<int64_t>(pc.batch_size);
  std::vector<float> batch(static_cast<size_t>(bs * n_out * win));
  std::vector<int64_t> batch_start;  // local start sample of each window in the batch
  const auto ids = torch::tensor(std::vector<int64_t>(plan.vocab_index.begin(), plan.vocab_index.end()), torch::kInt64);
  const signal::RegionTable regions = signal::RegionTable::default_table();
  std::vector<int64_t> region_ids;
  for (const auto& n : plan.names) region_ids.push_back(regions.region_of(n));
  const auto rids = torch::tensor(region_ids, torch::kInt64);
  for (size_t k = 0; k < spans.size(); ++k) {
    SecondAggregator agg(spans[k].onset_s, on_second);
    auto run_batch = [&] {
      if (batch_start.empty()) return;
      const auto b = static_cast<int64_t>(batch_start.size());
      models::EegInput in;
      in.signal = torch::from_blob(batch.data(), {b, n_out, win}, torch::kFloat32).to(device);
      in.channel_ids = ids.to(device);
      in.region_ids = rids.to(device);
      torch::Tensor p;
      {
        torch::NoGradGuard no_grad;
        const auto emb = l.model->backbone->forward(in).pooled;
        p = torch::sigmoid(l.model->head_as<LinearHeadImpl>()->forward(emb).squeeze(-1)).to(torch::kFloat64).cpu();
      }
      for (int64_t i = 0; i < b; ++i) {
        const double a = static_cast<double>(batch_start[static_cast<size_t>(i)]) / sf;
        agg.add(a, a + static_cast<double>(win) / sf, p[i].item<double>());
      }
      result.windows += b;
      batch_start.clear();
    };
    Eigen::MatrixXf hold(n_out, 0);  // samples [pos0, pos0 + hold.cols()) of this segment, normalised
    int64_t pos0 = 0, next_start = 0;
    auto consume = [&](Eigen::MatrixXf y) {
      if (y.cols() == 0) return;
      if (zscore)
        signal::normalize_in_place(y, pp, stats);
      else
        signal::normalize_in_place(y, pp, signal::ChannelStats{});
      Eigen::MatrixXf joined(n_out, hold.cols() + y.cols());
      joined << hold, y;
      hold = std::move(joined);
      while (next_start + win <= pos0 + hold.cols()) {
        const auto off = static_cast<size_t>(batch_start.size()) * static_cast<size_t>(n_out * win);
        // [C, win] row-major into the batch buffer
        for (int c = 0; c < n_out; ++c) {
          for (int64_t j = 0; j < win; ++j) {
            batch[off + static_cast<size_t>(c * win + j)] = hold(c, static_cast<Eigen::Index>(next_start - pos0 + j));
          }
        }
        batch_start.push_back(next_start);
        next_start += step;
        if (static_cast<int64_t>(batch_start.size()) == bs) {
          run_batch();
          agg.release_before(static_cast<double>(next_start) / sf);
        }
      }
      const int64_t drop = std::min<int64_t>(next_start - pos0, hold.cols());
      if (drop > 0) {
        hold = Eigen::MatrixXf(hold.rightCols(hold.cols() - drop));
        pos0 += drop;
      }
    };
    signal::Preprocessor p(pp, plan.sfreq_hz, n_out);
    for (int64_t s = 0; s < spans[k].in_count; s += chunk_in) {
      const int64_t m = std::min(chunk_in, spans[k].in_count - s);
      consume(p.push(read_chunk(k, s, m)));
      if (bar) bar->advance(m);
    }
    consume(p.finish());
    run_batch();
    agg.finish();
    if (detector) take(detector->finish());
    detector.reset();
  }
  if (bar) bar->finish();
  prob.close();
  EFM_CHECK_DATA(prob.good() || !prob.bad(), "writing {} failed", prob_tmp.string());
  atomic_rename(prob_tmp, result.probabilities_csv);
  edf_fill_to(static_cast<int64_t>(std::ceil(info.duration_s - 1e-9)));
  for (const auto& e : result.events) edf.add_annotation({e.start_s, e.duration_s(), "seizure (predicted)"});
  edf.close();

  // Events CSV (max probability per event from the probabilities file: one pass, events are sorted).
  std::vector<double> max_p(result.events.size(), 0.0);
  {
    std::ifstream in(result.probabilities_csv);
    std::string line;
    std::getline(in, line);
    size_t e = 0;
    while (std::getline(in, line) && e < result.events.size()) {
      const auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
      const double t = std::stod(line.substr(0, c1)), p = std::stod(line.substr(c1 + 1, c2 - c1 - 1));
      while (e < result.events.size() && t >= result.events[e].end_s - 1e-9) ++e;
      if (e < result.events.size() && t + 1e-9 >= result.events[e].start_s) max_p[e] = std::max(max_p[e], p);
    }
  }
  std::string ev = "onset_s,offset_s,duration_s,max_probability,label\n";
  for (size_t i = 0; i < result.events.size(); ++i) {
    const auto& e = result.events[i];
    ev += fmt::format("{},{},{},{},seizure (predicted)\n", format_metric_value(e.start_s), format_metric_value(e.end_s),
                      format_metric_value(e.duration_s()), format_metric_value(max_p[i]));
  }
  atomic_write_file(result.events_csv, ev);

  result.reference = reference_events(o, info, ing.labels, info.duration_s);
  if (!result.reference.empty()) result.score = score_events(result.reference, result.events, info.duration_s);
  result.elapsed_s = std::chrono::duration<double>(Clock::now() - t_start).count();
  EFM_LOG_INFO("[predict] {} windows, {} seconds, {} detected event(s) in {:.1f} s -> {}", result.windows,
               result.seconds, result.events.size(), result.elapsed_s, o.out_dir.string());
  if (result.score) {
    const auto& s = *result.score;
    std::string lat;
    for (double x : s.latencies_s()) lat += (lat.empty() ? "" : ", ") + fmt::format("{:+.1f} s", x);
    EFM_LOG_INFO(
        "[predict] vs {} annotated seizure(s): sensitivity {:.3f}, precision {:.3f}, {} false alarm(s) "
        "({:.1f}/24 h), detection latency {}",
        s.n_reference, s.sensitivity, s.precision, s.false_positives, s.false_alarms_per_24h,
        lat.empty() ? std::string("-") : lat);
  }
  return result;
}

}  // namespace efm::eval
