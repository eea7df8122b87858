// epilepsyfm predict (eval/predict.h): one recording through the recording pipeline and a fine-tuned window head.
#include "epilepsyfm/eval/inference/predict.h"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/data/recording_pipeline.h"
#include "epilepsyfm/data/window_batcher.h"
#include "epilepsyfm/eval/finetune/finetune.h"
#include "epilepsyfm/eval/finetune/finetune_config.h"
#include "epilepsyfm/eval/finetune/heads/head.h"
#include "epilepsyfm/io/labels.h"
#include "epilepsyfm/models/runtime.h"
#include "epilepsyfm/train/checkpoint.h"
#include "epilepsyfm/train/cuda_settings.h"
#include "eval/inference/detail/predict_outputs.h"
#include "eval/inference/detail/recording_stream.h"

namespace efm::eval {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

struct Loaded {
  FinetuneExperiment exp;
  FinetuneModel model{nullptr};
  fs::path model_file;
};

/// The checkpoint's experiment and its model, from the head registry, with the weights loaded (eval mode).
Loaded load_model(const PredictOptions& o) {
  Loaded l;
  l.model_file = resolve_model_file(o.checkpoint, "best");
  const fs::path cfg = l.model_file.parent_path() / "config.yaml";
  EFM_CHECK_CONFIG(fs::exists(cfg), "{}: no config.yaml beside the model file (a finetune checkpoint has one)",
                   l.model_file.string());
  l.exp = config::load<FinetuneExperiment>({{cfg.string()}, o.sets});
  const auto& def = head_registry().get(l.exp.finetune.head, "finetune.head");
  EFM_CHECK_CONFIG(def.spec.input == HeadInput::window && def.model && l.exp.resolved.classes.size() == 2,
                   "{}: predict needs a fine-tuned two-class window head (seizure_detection); this checkpoint's head "
                   "is '{}' ({}, {} classes)",
                   cfg.string(), def.spec.name, input_text(def.spec.input), l.exp.resolved.classes.size());
  l.model = def.model(l.exp);
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

std::string join_names(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& n : v) s += (s.empty() ? "" : " ") + n;
  return s;
}

/// Logs the plan's warnings and the channels the model never saw in training.
void warn_about_channels(const data::PlannedRecording& rec, const FinetuneExperiment& exp) {
  for (const auto& w : rec.plan.warnings) EFM_LOG_WARN("[predict] {}: {}", rec.name, w);
  const auto& trained = exp.resolved.channels;
  std::vector<std::string> unseen;
  for (const auto& n : rec.plan.names) {
    if (std::find(trained.begin(), trained.end(), n) == trained.end()) unseen.push_back(n);
  }
  if (unseen.empty()) return;
  EFM_LOG_WARN(
      "[predict] {} of {} channels were not in the training windows ([{}]; trained on [{}]); the model embeds each "
      "channel by its electrode, so it still runs, but expect a domain shift",
      unseen.size(), rec.plan.names.size(), join_names(unseen), join_names(trained));
}

/// Runs the model on each batch of windows and turns the window probabilities into final seconds.
class WindowScorer : public data::WindowConsumer {
 public:
  WindowScorer(FinetuneModel model, const torch::Device& device, const detail::RecordingStream& stream,
               detail::PredictionWriter& out, PredictResult& result)
      : model_(std::move(model)),
        device_(device),
        rec_(stream.recording()),
        sf_(stream.sfreq_hz()),
        out_(out),
        result_(result),
        channels_(stream.channel_input(device)) {}

  void begin_segment(size_t segment) override {
    agg_.emplace(rec_.spans[segment].onset_s, [this](double t, double p, int64_t n) { out_.second(t, p, n); });
  }
  void windows(const data::WindowBatch& b) override {
    models::EegInput in = channels_;
    in.signal = torch::from_blob(const_cast<float*>(b.data), {b.size, b.channels, b.window_samples}, torch::kFloat32)
                    .to(device_);
    torch::Tensor p;
    {
      c10::InferenceMode guard;
      const auto emb = model_->backbone->forward(in).pooled;
      p = torch::sigmoid(model_->head_as<LinearHeadImpl>()->forward(emb).squeeze(-1))
              .to(torch::kFloat64)
              .cpu()
              .contiguous();
    }
    const double* prob = p.data_ptr<double>();
    const double len_s = static_cast<double>(b.window_samples) / sf_;
    for (int64_t i = 0; i < b.size; ++i) {
      const double a = static_cast<double>(b.starts[i]) / sf_;
      agg_->add(a, a + len_s, prob[i]);
    }
    result_.windows += b.size;
    agg_->release_before(static_cast<double>(b.next_start) / sf_);
  }
  void end_segment(size_t) override {
    agg_->finish();
    out_.end_segment();
  }

 private:
  FinetuneModel model_;
  torch::Device device_;
  const data::PlannedRecording& rec_;
  double sf_;
  detail::PredictionWriter& out_;
  PredictResult& result_;
  models::EegInput channels_;  ///< channel and region ids of the planned channels
  std::optional<detail::SecondAggregator> agg_;
};

/// Keeps freed memory in the process (glibc): every batch allocates the same activations, which would otherwise
/// be returned to the kernel and faulted in again (zeroed pages) batch after batch. The footprint stays that of one
/// batch.
void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // blocks up to 32 MB from the heap, not from fresh mappings
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // and the heap's top is not given back below 1 GB
}

void log_score(const EventScore& s) {
  std::string lat;
  for (double x : s.latencies_s()) lat += (lat.empty() ? "" : ", ") + fmt::format("{:+.1f} s", x);
  EFM_LOG_INFO(
      "[predict] vs {} annotated seizure(s): sensitivity {:.3f}, precision {:.3f}, {} false alarm(s) "
      "({:.1f}/24 h), detection latency {}",
      s.n_reference, s.sensitivity, s.precision, s.false_positives, s.false_alarms_per_24h,
      lat.empty() ? std::string("-") : lat);
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
  keep_freed_memory();

  const detail::RecordingStream stream(o.input, ing);
  const data::PlannedRecording& rec = stream.recording();
  warn_about_channels(rec, exp);
  EFM_LOG_INFO(
      "[predict] {}: {} channels at {} Hz, {:.1f} s in {} segment(s); model {} ({}), window {} s every {} s, "
      "{} threads, device {}",
      o.input.filename().string(), rec.n_channels(), rec.plan.sfreq_hz, rec.info().duration_s, rec.spans.size(),
      l.model_file.string(), exp.finetune.head, exp.data.window_s, pc.step_s, threads, device.str());
  detail::StreamOptions so;
  so.window_s = exp.data.window_s;
  so.step_s = pc.step_s;
  so.batch_size = pc.batch_size;
  so.chunk_s = pc.chunk_s;
  so.read_ahead = threads > 1;
  if (o.progress) so.progress = "predict";

  fs::create_directories(o.out_dir);
  const std::string stem = o.input.stem().string();
  PredictResult result;
  result.channels = rec.plan.names;
  result.duration_s = rec.info().duration_s;
  result.probabilities_csv = o.out_dir / (stem + "_probabilities.csv");
  result.events_csv = o.out_dir / (stem + "_events.csv");
  result.events_edf = o.out_dir / (stem + "_events.edf");
  detail::PredictionWriter writer(result, pc);
  // The z-score pass, then windows -> batches -> model -> per-second probabilities -> outputs.
  WindowScorer scorer(l.model, device, stream, writer, result);
  stream.run(so, scorer);
  writer.finish();

  result.reference = reference_events(o, rec.info(), ing.labels, rec.info().duration_s);
  if (!result.reference.empty()) result.score = score_events(result.reference, result.events, result.duration_s);
  result.elapsed_s = std::chrono::duration<double>(Clock::now() - t_start).count();
  EFM_LOG_INFO("[predict] {} windows, {} seconds, {} detected event(s) in {:.1f} s -> {}", result.windows,
               result.seconds, result.events.size(), result.elapsed_s, o.out_dir.string());
  if (result.score) log_score(*result.score);
  return result;
}

}  // namespace efm::eval
