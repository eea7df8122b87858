#include "eval/finetune/heads/report_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "epilepsyfm/eval/report/plot.h"

namespace efm::eval {

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

namespace {
std::string fmt3(double v) {
  return std::isfinite(v) ? fmt::format("{:.3f}", v) : std::string("nan");
}
}  // namespace

void add_classification_report(EvalResult& r, const Labels& y, const Scores& scores,
                               const std::vector<std::string>& classes, double threshold) {
  const auto k = static_cast<int64_t>(classes.size());
  Labels pred;
  if (k == 2) {
    pred = threshold_scores(scores, threshold);
    if (both_classes_present(y)) {
      const RocCurve roc = roc_curve(y, scores);
      const PrCurve pr = precision_recall_curve(y, scores);
      ReportFigure a;
      a.svg = line_plot_svg({{fmt::format("AUROC {:.3f}", auroc(y, scores)), roc.fpr, roc.tpr, "", false, false}},
                            PlotOptions()
                                .title("ROC curve (" + r.split + ")")
                                .x_label("false positive rate")
                                .y_label("true positive rate")
                                .size(420, 360)
                                .x_range(0, 1)
                                .y_range(0, 1)
                                .diagonal(true));
      a.caption = fmt::format("ROC of P({}) over {} windows", classes[1], y.size());
      a.row_start = true;
      ReportFigure b;
      b.svg = line_plot_svg(
          {{fmt::format("AP {:.3f}", average_precision(y, scores)), pr.recall, pr.precision, "", false, true}},
          PlotOptions()
              .title("Precision-recall (" + r.split + ")")
              .x_label("recall")
              .y_label("precision")
              .size(420, 360)
              .x_range(0, 1)
              .y_range(0, 1));
      b.caption = fmt::format("positives: {} of {}", std::count(y.begin(), y.end(), 1), y.size());
      r.figures.push_back(std::move(a));
      r.figures.push_back(std::move(b));
    }
  } else {
    pred = argmax_rows(scores, k);
  }
  const ConfusionMatrix cm = confusion_matrix(y, pred, k);
  std::vector<std::vector<double>> cells(static_cast<size_t>(k), std::vector<double>(static_cast<size_t>(k)));
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = 0; j < k; ++j)
      cells[static_cast<size_t>(i)][static_cast<size_t>(j)] = static_cast<double>(cm(i, j));
  }
  ReportFigure c;
  c.svg = heatmap_svg(
      cells, classes, classes,
      PlotOptions()
          .title("Confusion matrix (" + r.split + ")")
          .x_label("predicted")
          .y_label("true")
          .size(std::max(360, 90 * static_cast<int>(k) + 160), std::max(320, 70 * static_cast<int>(k) + 140)));
  c.caption = k == 2 ? fmt::format("rows: true class; columns: predicted at threshold {}", threshold)
                     : std::string("rows: true class; columns: arg-max prediction");
  c.row_start = k != 2 || !both_classes_present(y);
  r.figures.push_back(std::move(c));
  const PerClassScores pc = per_class_scores(cm);
  ReportTable t;
  t.title = "Per-class scores (" + r.split + ")";
  t.header = {"class", "support", "predicted", "precision", "recall", "F1"};
  for (int64_t i = 0; i < k; ++i) {
    const auto u = static_cast<size_t>(i);
    t.rows.push_back({classes[u], std::to_string(pc.support[u]), std::to_string(pc.predicted[u]), fmt3(pc.precision[u]),
                      fmt3(pc.recall[u]), fmt3(pc.f1[u])});
  }
  r.tables.push_back(std::move(t));
}

void add_timeline_figures(EvalResult& r, const std::vector<TimelineData>& lines, int64_t max_plots) {
  if (lines.empty()) return;
  std::vector<const TimelineData*> order;
  for (const auto& l : lines) order.push_back(&l);
  std::stable_sort(order.begin(), order.end(), [](const TimelineData* a, const TimelineData* b) {
    return !a->reference.empty() && b->reference.empty();
  });
  for (size_t i = 0; i < order.size() && static_cast<int64_t>(i) < max_plots; ++i) {
    const TimelineData& t = *order[i];
    Series p{"P(seizure)", {}, {}, "#1f77b4", false, true};
    for (size_t j = 0; j < t.values.size(); ++j) {
      p.x.push_back(t.start_s + static_cast<double>(j) * t.step_s);
      p.y.push_back(t.values[j]);
    }
    if (!t.values.empty()) {  // close the last step
      p.x.push_back(t.start_s + static_cast<double>(t.values.size()) * t.step_s);
      p.y.push_back(t.values.back());
    }
    std::vector<Band> bands;
    for (const auto& e : t.reference) bands.push_back({e.start_s, e.end_s, "annotated seizure", "#f4a3a3"});
    Series det{"detected", {}, {}, "#2ca02c", false, true};
    for (const auto& e : t.detected) {
      det.x.insert(det.x.end(), {e.start_s, e.start_s, e.end_s, e.end_s, std::nan("")});
      det.y.insert(det.y.end(), {0.0, 1.02, 1.02, 0.0, std::nan("")});
    }
    std::vector<Series> series{p};
    if (!det.x.empty()) series.push_back(det);
    ReportFigure f;
    f.svg = line_plot_svg(series,
                          PlotOptions()
                              .title("Seizure probability: " + t.recording_id)
                              .x_label("time (s)")
                              .y_label("P(seizure)")
                              .size(1100, 240)
                              .x_range(0, t.duration_s)
                              .y_range(0, 1.05),
                          bands);
    f.caption = fmt::format("{}: {} annotated seizure(s), {} detected event(s), {} false alarm(s)", t.recording_id,
                            t.score.n_reference, t.score.n_hypothesis, t.score.false_positives);
    f.row_start = true;
    r.figures.push_back(std::move(f));
  }
  ReportTable tab;
  tab.title = "Event scoring per recording (" + r.split + ", SzCORE any-overlap)";
  tab.header = {"recording", "duration (s)", "seizures", "detected", "false alarms", "latency (s)"};
  for (const auto& t : lines) {
    std::string lat;
    for (double l : t.score.latencies_s()) lat += (lat.empty() ? "" : " ") + fmt::format("{:.1f}", l);
    tab.rows.push_back({t.recording_id, fmt::format("{:.1f}", t.duration_s), std::to_string(t.score.n_reference),
                        std::to_string(t.score.true_positives), std::to_string(t.score.false_positives),
                        lat.empty() ? "-" : lat});
  }
  r.tables.push_back(std::move(tab));
}

}  // namespace efm::eval
