// Window classifier kind (kinds.h): seizure_detection, seizure_type.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/csv.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/eval/finetune/heads/kinds.h"
#include "epilepsyfm/eval/metrics/classification.h"
#include "epilepsyfm/eval/report/plot.h"
#include "eval/finetune/heads/classifier_task.h"
#include "eval/finetune/heads/report_util.h"

namespace efm::eval {
namespace {

namespace F = torch::nn::functional;

class WindowClassifierTask : public ClassifierTask {
 public:
  WindowClassifierTask(HeadSpec spec, const HeadSetup& setup, WindowClassifierOptions o)
      : ClassifierTask(std::move(spec), setup), opt_(std::move(o)) {
    const auto& labels = setup_.source->label_names();
    EFM_CHECK_CONFIG(opt_.classes.size() >= 2, "head '{}': needs at least 2 classes, got {} ({})", spec_.name,
                     opt_.classes.size(), join(opt_.classes));
    EFM_CHECK_ARG(opt_.class_of_label.size() == labels.size(), "head '{}': {} class entries for {} store labels",
                  spec_.name, opt_.class_of_label.size(), labels.size());
    binary_ = opt_.classes.size() == 2;
    std::vector<int64_t> lut(labels.size() + 1, -1);  // entry 0: unlabelled (-1)
    bool any = false;
    for (size_t l = 0; l < labels.size(); ++l) {
      lut[l + 1] = opt_.class_of_label[l];
      any = any || opt_.class_of_label[l] >= 0;
    }
    EFM_CHECK_CONFIG(any, "head '{}': none of the store's labels ({}) maps to a class ({})", spec_.name, join(labels),
                     join(opt_.classes));
    lut_ = torch::tensor(lut, torch::kInt64);
  }

  std::vector<int64_t> strata() const override {
    std::vector<int64_t> out;
    for (const auto& r : setup_.source->recordings()) {
      std::map<int64_t, int64_t> counts;
      for (const auto& s : r.spans) {
        const int64_t c = class_of(s.label);
        if (c >= 0) counts[c] += 1;
      }
      int64_t st = -1;
      if (binary_) {
        if (!counts.empty()) st = counts.rbegin()->first;  // 1 when the recording has any seizure window
      } else {
        int64_t best = 0;
        for (const auto& [c, n] : counts) {
          if (n > best) best = n, st = c;
        }
      }
      out.push_back(st);
    }
    return out;
  }

  std::vector<std::string> class_names() const override { return opt_.classes; }

  train::StepResult train_step(const data::Batch& batch, const train::StepContext&) override {
    const auto cls = classes_of(batch.labels);
    const auto z = logits(batch);
    torch::Tensor loss;
    if (binary_) {
      auto o = F::BinaryCrossEntropyWithLogitsFuncOptions();
      if (pos_weight_.defined()) o.pos_weight(pos_weight_.to(z.device()));
      loss = F::binary_cross_entropy_with_logits(z.squeeze(-1), cls.to(torch::kFloat32), o);
    } else {
      auto o = F::CrossEntropyFuncOptions().label_smoothing(exp().finetune.label_smoothing);
      if (class_weight_.defined()) o.weight(class_weight_.to(z.device()));
      loss = F::cross_entropy(z, cls, o);
    }
    const auto pred = binary_ ? (z.squeeze(-1) > 0).to(torch::kLong) : z.argmax(-1);
    const double acc = (pred == cls).to(torch::kFloat32).mean().item<double>();
    return {loss, {{"acc", acc}}, batch.size()};
  }

 protected:
  data::WindowOptions window_options(bool for_eval) const override {
    const auto& d = exp().data;
    data::WindowOptions w;
    w.window_s = d.window_s;
    (void)for_eval;  // labelled windows of every split at the training stride (timelines: eval_stride_s)
    w.stride_s = d.stride_s;
    w.drop_rejected = d.drop_rejected;
    const auto& labels = setup_.source->label_names();
    for (size_t l = 0; l < labels.size(); ++l) {
      if (opt_.class_of_label[l] >= 0) w.labels.push_back(labels[l]);
    }
    w.require_label = true;
    return w;
  }

  std::shared_ptr<torch::nn::Module> make_head(int64_t d) override {
    return window_classifier_head(exp(), d, opt_.classes.size());
  }

  void after_bind() override {
    const auto k = static_cast<int64_t>(opt_.classes.size());
    std::vector<int64_t> counts(static_cast<size_t>(k), 0);
    for (const auto& w : train_index()->windows()) counts[static_cast<size_t>(class_of(w.label))] += 1;
    std::string text;
    for (int64_t c = 0; c < k; ++c) {
      text +=
          fmt::format("{}{} {}", c ? ", " : "", opt_.classes[static_cast<size_t>(c)], counts[static_cast<size_t>(c)]);
      if (counts[static_cast<size_t>(c)] == 0) {
        EFM_LOG_WARN("[finetune] class '{}' has no training window", opt_.classes[static_cast<size_t>(c)]);
      }
    }
    EFM_LOG_INFO("[finetune] training windows per class: {}", text);
    if (exp().finetune.class_weighting != ClassWeighting::balanced) return;
    set_balanced_weights(counts, static_cast<double>(train_index()->size()));
    if (binary_) EFM_LOG_INFO("[finetune] class weighting: BCE pos_weight {:.4g}", pos_weight_.item<double>());
  }

  EvalResult run_evaluation(const EvalData& data, const torch::Device& device, bool report) override {
    bool timelines = report && opt_.event_scoring && binary_ && exp().evaluate.event_scoring;
    const auto& d = exp().data;
    const auto k = static_cast<int64_t>(opt_.classes.size());
    const int64_t width = binary_ ? 1 : k;
    // Timelines need every window at eval_stride_s; when that divides stride_s, the labelled windows (starts at
    // multiples of stride_s) are among them and one pass gives both.
    std::shared_ptr<const data::WindowIndex> timeline_index;
    if (timelines) {
      const double es = d.eval_stride_s > 0 ? d.eval_stride_s : d.stride_s;
      const double ratio = d.stride_s / es;
      if (std::abs(ratio - std::round(ratio)) < 1e-9) {
        data::WindowOptions w = window_options(/*for_eval=*/true);
        w.labels.clear();
        w.require_label = false;
        w.stride_s = es;
        timeline_index = std::make_shared<data::WindowIndex>(data::WindowIndex::build(*data.source, w));
      } else {
        EFM_LOG_WARN("[eval] data.eval_stride_s ({}) does not divide data.stride_s ({}): no timelines", es, d.stride_s);
        timelines = false;
      }
    }
    const Scored all = score(data, timelines ? timeline_index : data.index, device);
    // The labelled windows at the training stride.
    Scored seg;
    const auto& recs = data.source->recordings();
    for (size_t i = 0; i < all.rec.size(); ++i) {
      if (all.cls[i] < 0) continue;
      if (timelines) {
        const auto& info = recs[static_cast<size_t>(all.rec[i])];
        if (all.start[i] % data::seconds_to_samples(d.stride_s, info.sfreq_hz, info.id) != 0) continue;
      }
      seg.append(all, i, width);
    }
    EvalResult r;
    r.split = data.split;
    r.n_windows = static_cast<int64_t>(all.rec.size());
    r.n_units = static_cast<int64_t>(recs.size());
    const Labels& y = seg.cls;
    const Scores& s = seg.scores;
    double loss = 0;
    for (double l : seg.loss) loss += l;
    r.metrics.set("loss", y.empty() ? std::nan("") : loss / static_cast<double>(y.size()));
    r.metrics.set("n_windows", static_cast<double>(y.size()));
    if (y.empty()) {
      EFM_LOG_WARN("[eval] {}: no labelled window to score", spec_.name);
    } else {
      add_classification_metrics(r.metrics, y, s, k, /*rates_at_val_threshold=*/true);
    }
    std::vector<TimelineData> lines;
    if (timelines) lines = event_scoring(data, *timeline_index, all, r);
    if (!report) return r;
    if (!y.empty()) add_classification_report(r, y, s, opt_.classes, exp().evaluate.threshold);
    add_timeline_figures(r, lines, exp().evaluate.max_timelines);
    std::string csv = "recording_id,subject,start_s,end_s,label,class";
    for (const auto& c : opt_.classes) csv += ",p_" + c;
    csv += "\n";
    const auto& names = data.source->label_names();
    for (size_t i = 0; i < all.rec.size(); ++i) {
      const auto& info = recs[static_cast<size_t>(all.rec[i])];
      const double t0 = static_cast<double>(all.start[i]) / info.sfreq_hz;
      std::vector<std::string> row{info.id,
                                   info.subject,
                                   format_metric_value(t0),
                                   format_metric_value(t0 + d.window_s),
                                   all.label[i] >= 0 ? names[static_cast<size_t>(all.label[i])] : "",
                                   all.cls[i] >= 0 ? opt_.classes[static_cast<size_t>(all.cls[i])] : ""};
      if (binary_) {
        row.push_back(format_metric_value(1.0 - all.scores[i]));
        row.push_back(format_metric_value(all.scores[i]));
      } else {
        for (int64_t c = 0; c < k; ++c) {
          row.push_back(format_metric_value(all.scores[i * static_cast<size_t>(k) + static_cast<size_t>(c)]));
        }
      }
      csv += csv_line(row);
    }
    r.predictions_csv = std::move(csv);
    return r;
  }

 private:
  /// Model outputs for scored windows (index-aligned vectors).
  struct Scored {
    std::vector<int64_t> rec, start, label;
    Labels cls;
    Scores scores;             ///< [n, width]
    std::vector<double> loss;  ///< unweighted BCE / CE per window (NaN when unlabelled)
    void append(const Scored& o, size_t i, int64_t width) {
      rec.push_back(o.rec[i]);
      start.push_back(o.start[i]);
      label.push_back(o.label[i]);
      cls.push_back(o.cls[i]);
      const auto w = static_cast<size_t>(width);
      scores.insert(scores.end(), o.scores.begin() + static_cast<std::ptrdiff_t>(i * w),
                    o.scores.begin() + static_cast<std::ptrdiff_t>((i + 1) * w));
      loss.push_back(o.loss[i]);
    }
  };

  Scored score(const EvalData& data, const std::shared_ptr<const data::WindowIndex>& index,
               const torch::Device& device) {
    Scored out;
    for_each_batch(data.source, index, {}, device, [&](const data::Batch& b) {
      const auto z = logits(b).to(torch::kFloat64).cpu();
      const auto c = classes_of(b.labels).cpu();
      const auto target = c.clamp_min(0);
      torch::Tensor p, l;
      if (binary_) {
        p = torch::sigmoid(z.squeeze(-1));
        l = F::binary_cross_entropy_with_logits(z.squeeze(-1), target.to(torch::kFloat64),
                                                F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
      } else {
        p = torch::softmax(z, -1);
        l = F::cross_entropy(z, target, F::CrossEntropyFuncOptions().reduction(torch::kNone));
      }
      p = p.contiguous();
      l = l.contiguous();
      const auto lab = b.labels.cpu().contiguous();
      const auto cc = c.contiguous();
      const double* pp = p.data_ptr<double>();
      const double* lp = l.data_ptr<double>();
      const int64_t* lb = lab.data_ptr<int64_t>();
      const int64_t* cp = cc.data_ptr<int64_t>();
      const int64_t width = binary_ ? 1 : static_cast<int64_t>(opt_.classes.size());
      for (int64_t i = 0; i < b.size(); ++i) {
        out.rec.push_back(b.recordings[static_cast<size_t>(i)]);
        out.start.push_back(b.start_samples[static_cast<size_t>(i)]);
        out.label.push_back(lb[i]);
        out.cls.push_back(cp[i]);
        out.scores.insert(out.scores.end(), pp + i * width, pp + (i + 1) * width);
        out.loss.push_back(cp[i] >= 0 ? lp[i] : std::nan(""));
      }
    });
    return out;
  }

  int64_t class_of(int64_t store_label) const {
    return store_label < 0 ? -1 : opt_.class_of_label[static_cast<size_t>(store_label)];
  }
  torch::Tensor classes_of(const torch::Tensor& labels) const { return lut_.to(labels.device()).index({labels + 1}); }
  torch::Tensor logits(const data::Batch& b) {
    const auto emb = backbone_forward(input_of(b)).pooled;
    return net()->head_as<LinearHeadImpl>()->forward(emb);
  }

  /// Per recording: probability timeline, events, SzCORE scores (pooled into r.metrics as event_*).
  std::vector<TimelineData> event_scoring(const EvalData& data, const data::WindowIndex& index, const Scored& all,
                                          EvalResult& r) const {
    const auto& recs = data.source->recordings();
    std::map<int64_t, std::vector<std::pair<int64_t, double>>> by_rec;
    for (size_t i = 0; i < all.rec.size(); ++i) by_rec[all.rec[i]].push_back({all.start[i], all.scores[i]});
    const auto& ev = exp().evaluate;
    ProbabilityEventOptions po;
    po.threshold = ev.threshold;
    po.smoothing_steps = ev.smoothing_steps;
    po.merge_gap_s = ev.merge_gap_s;
    po.min_duration_s = ev.min_duration_s;
    std::vector<EventScore> scores;
    std::vector<TimelineData> lines;
    const data::WindowOptions wo = index.options();
    for (size_t ri = 0; ri < recs.size(); ++ri) {
      const auto& info = recs[ri];
      const double duration = static_cast<double>(info.n_samples) / info.sfreq_hz;
      const int64_t len = data::seconds_to_samples(wo.window_s, info.sfreq_hz, info.id);
      const int64_t stride = data::seconds_to_samples(wo.stride_s, info.sfreq_hz, info.id);
      if (info.n_samples < len) continue;
      TimelineData t;
      t.recording_id = info.id;
      t.duration_s = duration;
      t.step_s = static_cast<double>(stride) / info.sfreq_hz;
      t.start_s = static_cast<double>(std::max<int64_t>(0, len - stride)) / 2.0 / info.sfreq_hz;
      t.values.assign(static_cast<size_t>((info.n_samples - len) / stride + 1), 0.0);  // rejected windows: 0
      for (const auto& [s0, v] : by_rec[static_cast<int64_t>(ri)]) t.values[static_cast<size_t>(s0 / stride)] = v;
      for (const auto& e : seizure_events_of(*data.setup, data.base_index(static_cast<int64_t>(ri)))) {
        const Event c{std::max(0.0, e.start_s), std::min(duration, e.end_s)};
        if (c.end_s > c.start_s) t.reference.push_back(c);
      }
      for (auto e : events_from_probabilities(t.values, t.step_s, po, t.start_s)) {
        e.end_s = std::min(e.end_s, duration);
        if (e.end_s > e.start_s) t.detected.push_back(e);
      }
      t.score = score_events(t.reference, t.detected, duration);
      scores.push_back(t.score);
      lines.push_back(std::move(t));
    }
    if (!scores.empty()) {
      r.metrics.merge(pool_event_scores(scores).metrics(), "event_");
      r.metrics.set("event_n_recordings", static_cast<double>(scores.size()));
    }
    return lines;
  }

  WindowClassifierOptions opt_;
  torch::Tensor lut_;
};

}  // namespace

std::unique_ptr<FinetuneTask> make_window_classifier(HeadSpec spec, const HeadSetup& setup,
                                                     WindowClassifierOptions options) {
  return std::make_unique<WindowClassifierTask>(std::move(spec), setup, std::move(options));
}

std::shared_ptr<torch::nn::Module> window_classifier_head(const FinetuneExperiment& exp, int64_t embed_dim,
                                                          size_t n_classes) {
  const auto& h = exp.finetune;
  const int64_t outputs = n_classes == 2 ? 1 : static_cast<int64_t>(n_classes);
  return LinearHead(LinearHeadOptions(embed_dim, outputs).init_scale(h.head_init_scale).dropout(h.dropout)).ptr();
}

FinetuneModel window_classifier_model(const FinetuneExperiment& exp) {
  const models::BackboneOptions backbone = exp.model.to_options();
  return FinetuneModel(backbone, window_classifier_head(exp, backbone.embed_dim(), exp.resolved.classes.size()));
}

}  // namespace efm::eval
