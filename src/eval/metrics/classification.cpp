#include "epilepsyfm/eval/metrics/classification.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "epilepsyfm/core/check.h"

// Formulas follow scikit-learn 1.2 (sklearn/metrics/_ranking.py, _classification.py), including the order of
// floating-point operations where it matters for 1e-12 agreement; the golden test checks them.

namespace efm::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_sizes(const char* what, size_t n_true, size_t n_other, const char* other_name) {
  EFM_CHECK_ARG(n_true > 0, "{}: y_true is empty", what);
  EFM_CHECK_ARG(n_true == n_other, "{}: y_true has {} samples but {} has {}", what, n_true, other_name, n_other);
}

void check_labels(const char* what, const char* name, const Labels& y, int64_t n_classes) {
  for (size_t i = 0; i < y.size(); ++i) {
    EFM_CHECK_ARG(y[i] >= 0 && y[i] < n_classes, "{}: {}[{}] = {}; labels must be in [0, {})", what, name, i, y[i],
                  n_classes);
  }
}

void check_finite(const char* what, const Scores& scores) {
  for (size_t i = 0; i < scores.size(); ++i) {
    EFM_CHECK_ARG(std::isfinite(scores[i]), "{}: scores[{}] is {}; scores must be finite", what, i, scores[i]);
  }
}

void check_binary(const char* what, const Labels& y_true, const Scores& scores) {
  check_sizes(what, y_true.size(), scores.size(), "scores");
  for (size_t i = 0; i < y_true.size(); ++i) {
    EFM_CHECK_ARG(y_true[i] == 0 || y_true[i] == 1, "{}: y_true[{}] = {}; binary labels must be 0 or 1", what, i,
                  y_true[i]);
  }
  check_finite(what, scores);
}

void check_matrix(const char* what, const Labels& y_true, const Scores& scores, int64_t n_classes) {
  EFM_CHECK_ARG(n_classes >= 2, "{}: n_classes ({}) must be >= 2", what, n_classes);
  EFM_CHECK_ARG(!y_true.empty(), "{}: y_true is empty", what);
  EFM_CHECK_ARG(scores.size() == y_true.size() * static_cast<size_t>(n_classes),
                "{}: scores has {} values; expected n_samples x n_classes = {} x {} = {} (row-major)", what,
                scores.size(), y_true.size(), n_classes, y_true.size() * static_cast<size_t>(n_classes));
  check_labels(what, "y_true", y_true, n_classes);
  check_finite(what, scores);
}

void check_binary_cm(const char* what, const ConfusionMatrix& cm) {
  EFM_CHECK_ARG(cm.n_classes == 2, "{}: defined for binary confusion matrices only, got {} classes", what,
                cm.n_classes);
}

double ratio_or_nan(double num, double den) {
  return den > 0 ? num / den : kNaN;
}

/// sklearn _binary_clf_curve: for each distinct score (descending), the counts of positives (tps) and negatives
/// (fps) with score >= that value.
struct ClfCurve {
  std::vector<double> fps, tps, thresholds;
};

ClfCurve binary_clf_curve(const Labels& y_true, const Scores& scores) {
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  ClfCurve c;
  double tp = 0;
  for (size_t k = 0; k < n; ++k) {
    tp += static_cast<double>(y_true[order[k]]);
    // A threshold ends where the next (lower) score differs: ties form one point.
    if (k + 1 == n || scores[order[k + 1]] != scores[order[k]]) {
      c.tps.push_back(tp);
      c.fps.push_back(static_cast<double>(k + 1) - tp);
      c.thresholds.push_back(scores[order[k]]);
    }
  }
  return c;
}

/// numpy.trapz(y, x) = Σ diff(x) * (y[1:] + y[:-1]) / 2.
double trapz(const std::vector<double>& y, const std::vector<double>& x) {
  double area = 0;
  for (size_t i = 0; i + 1 < x.size(); ++i) area += (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
  return area;
}

bool has_class(const Labels& y, int64_t k) {
  return std::find(y.begin(), y.end(), k) != y.end();
}

}  // namespace

// --- confusion matrix -------------------------------------------------------------------------------------------

int64_t ConfusionMatrix::total() const {
  return std::accumulate(counts.begin(), counts.end(), int64_t{0});
}

int64_t ConfusionMatrix::support(int64_t k) const {
  int64_t s = 0;
  for (int64_t j = 0; j < n_classes; ++j) s += (*this)(k, j);
  return s;
}

int64_t ConfusionMatrix::predicted(int64_t k) const {
  int64_t s = 0;
  for (int64_t i = 0; i < n_classes; ++i) s += (*this)(i, k);
  return s;
}

ConfusionMatrix confusion_matrix(const Labels& y_true, const Labels& y_pred, int64_t n_classes) {
  EFM_CHECK_ARG(n_classes >= 2, "confusion_matrix: n_classes ({}) must be >= 2", n_classes);
  check_sizes("confusion_matrix", y_true.size(), y_pred.size(), "y_pred");
  check_labels("confusion_matrix", "y_true", y_true, n_classes);
  check_labels("confusion_matrix", "y_pred", y_pred, n_classes);
  ConfusionMatrix cm;
  cm.n_classes = n_classes;
  cm.counts.assign(static_cast<size_t>(n_classes * n_classes), 0);
  for (size_t i = 0; i < y_true.size(); ++i) ++cm.counts[static_cast<size_t>(y_true[i] * n_classes + y_pred[i])];
  return cm;
}

double accuracy(const ConfusionMatrix& cm) {
  int64_t correct = 0;
  for (int64_t k = 0; k < cm.n_classes; ++k) correct += cm(k, k);
  return static_cast<double>(correct) / static_cast<double>(cm.total());
}

double balanced_accuracy(const ConfusionMatrix& cm) {
  // sklearn: per_class = diag / row sums; NaN rows (classes absent from y_true) dropped; mean of the rest.
  double sum = 0;
  int64_t n = 0;
  for (int64_t k = 0; k < cm.n_classes; ++k) {
    const int64_t s = cm.support(k);
    if (s == 0) continue;
    sum += static_cast<double>(cm(k, k)) / static_cast<double>(s);
    ++n;
  }
  return n > 0 ? sum / static_cast<double>(n) : kNaN;
}

double cohen_kappa(const ConfusionMatrix& cm) {
  // sklearn: expected = outer(sum0, sum1) / sum(sum0), sum0 = column sums, sum1 = row sums; weights 1 off the
  // diagonal; kappa = 1 - Σ w·C / Σ w·E.
  const int64_t k = cm.n_classes;
  std::vector<double> sum0(static_cast<size_t>(k)), sum1(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    sum0[static_cast<size_t>(i)] = static_cast<double>(cm.predicted(i));
    sum1[static_cast<size_t>(i)] = static_cast<double>(cm.support(i));
  }
  const double n = static_cast<double>(cm.total());
  double observed = 0, expected = 0;
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = 0; j < k; ++j) {
      if (i == j) continue;
      observed += static_cast<double>(cm(i, j));
      expected += sum0[static_cast<size_t>(i)] * sum1[static_cast<size_t>(j)] / n;
    }
  }
  if (expected == 0) return kNaN;
  return 1 - observed / expected;
}

PerClassScores per_class_scores(const ConfusionMatrix& cm) {
  PerClassScores s;
  for (int64_t k = 0; k < cm.n_classes; ++k) {
    const int64_t tp = cm(k, k);
    const int64_t pred = cm.predicted(k);
    const int64_t sup = cm.support(k);
    const double p = pred > 0 ? static_cast<double>(tp) / static_cast<double>(pred) : 0.0;
    const double r = sup > 0 ? static_cast<double>(tp) / static_cast<double>(sup) : 0.0;
    double denom = p + r;  // sklearn: beta² · precision + recall, zero replaced by 1
    if (denom == 0.0) denom = 1;
    s.precision.push_back(p);
    s.recall.push_back(r);
    s.f1.push_back(2 * p * r / denom);
    s.support.push_back(sup);
    s.predicted.push_back(pred);
  }
  return s;
}

double weighted_f1(const ConfusionMatrix& cm) {
  const PerClassScores s = per_class_scores(cm);
  double num = 0, den = 0;
  for (size_t k = 0; k < s.f1.size(); ++k) {
    num += s.f1[k] * static_cast<double>(s.support[k]);
    den += static_cast<double>(s.support[k]);
  }
  return num / den;  // den = number of samples > 0
}

double macro_f1(const ConfusionMatrix& cm) {
  const PerClassScores s = per_class_scores(cm);
  double sum = 0;
  int64_t n = 0;
  for (size_t k = 0; k < s.f1.size(); ++k) {
    if (s.support[k] == 0 && s.predicted[k] == 0) continue;  // label absent from y_true and y_pred
    sum += s.f1[k];
    ++n;
  }
  return sum / static_cast<double>(n);  // n >= 1 for non-empty input
}

double sensitivity(const ConfusionMatrix& cm) {
  check_binary_cm("sensitivity", cm);
  return ratio_or_nan(static_cast<double>(cm(1, 1)), static_cast<double>(cm(1, 0) + cm(1, 1)));
}

double specificity(const ConfusionMatrix& cm) {
  check_binary_cm("specificity", cm);
  return ratio_or_nan(static_cast<double>(cm(0, 0)), static_cast<double>(cm(0, 0) + cm(0, 1)));
}

double positive_predictive_value(const ConfusionMatrix& cm) {
  check_binary_cm("positive_predictive_value", cm);
  return ratio_or_nan(static_cast<double>(cm(1, 1)), static_cast<double>(cm(1, 1) + cm(0, 1)));
}

double positive_f1(const ConfusionMatrix& cm) {
  check_binary_cm("positive_f1", cm);
  const double tp = static_cast<double>(cm(1, 1));
  return ratio_or_nan(2 * tp, 2 * tp + static_cast<double>(cm(0, 1) + cm(1, 0)));
}

// --- ranking ----------------------------------------------------------------------------------------------------

bool both_classes_present(const Labels& y_true) {
  return has_class(y_true, 0) && has_class(y_true, 1);
}

RocCurve roc_curve(const Labels& y_true, const Scores& scores, bool drop_intermediate) {
  check_binary("roc_curve", y_true, scores);
  ClfCurve c = binary_clf_curve(y_true, scores);
  if (drop_intermediate && c.fps.size() > 2) {
    // sklearn: keep the ends and every point where the second difference of fps or tps is non-zero (a corner).
    ClfCurve kept;
    const size_t m = c.fps.size();
    for (size_t i = 0; i < m; ++i) {
      const bool corner = i == 0 || i + 1 == m || (c.fps[i - 1] - 2 * c.fps[i] + c.fps[i + 1]) != 0 ||
                          (c.tps[i - 1] - 2 * c.tps[i] + c.tps[i + 1]) != 0;
      if (!corner) continue;
      kept.fps.push_back(c.fps[i]);
      kept.tps.push_back(c.tps[i]);
      kept.thresholds.push_back(c.thresholds[i]);
    }
    c = std::move(kept);
  }
  RocCurve r;
  const double n_neg = c.fps.back(), n_pos = c.tps.back();
  r.fpr.push_back(n_neg > 0 ? 0.0 : kNaN);
  r.tpr.push_back(n_pos > 0 ? 0.0 : kNaN);
  r.thresholds.push_back(std::numeric_limits<double>::infinity());
  for (size_t i = 0; i < c.fps.size(); ++i) {
    r.fpr.push_back(n_neg > 0 ? c.fps[i] / n_neg : kNaN);
    r.tpr.push_back(n_pos > 0 ? c.tps[i] / n_pos : kNaN);
    r.thresholds.push_back(c.thresholds[i]);
  }
  return r;
}

double auroc(const Labels& y_true, const Scores& scores) {
  check_binary("auroc", y_true, scores);
  if (!both_classes_present(y_true)) return kNaN;
  const RocCurve r = roc_curve(y_true, scores, /*drop_intermediate=*/true);
  return trapz(r.tpr, r.fpr);
}

std::vector<double> auroc_ovr(const Labels& y_true, const Scores& scores, int64_t n_classes) {
  check_matrix("auroc_ovr", y_true, scores, n_classes);
  const size_t n = y_true.size();
  std::vector<double> out;
  Labels y_k(n);
  Scores s_k(n);
  for (int64_t k = 0; k < n_classes; ++k) {
    for (size_t i = 0; i < n; ++i) {
      y_k[i] = y_true[i] == k ? 1 : 0;
      s_k[i] = scores[i * static_cast<size_t>(n_classes) + static_cast<size_t>(k)];
    }
    out.push_back(auroc(y_k, s_k));
  }
  return out;
}

double auroc_ovr_macro(const Labels& y_true, const Scores& scores, int64_t n_classes) {
  const std::vector<double> per_class = auroc_ovr(y_true, scores, n_classes);
  double sum = 0;
  for (double a : per_class) sum += a;  // NaN (absent class) propagates
  return sum / static_cast<double>(per_class.size());
}

PrCurve precision_recall_curve(const Labels& y_true, const Scores& scores) {
  check_binary("precision_recall_curve", y_true, scores);
  const ClfCurve c = binary_clf_curve(y_true, scores);
  const double n_pos = c.tps.back();
  PrCurve p;
  // sklearn reverses the curve so that recall decreases, then appends (recall 0, precision 1).
  for (size_t j = c.tps.size(); j-- > 0;) {
    p.precision.push_back(c.tps[j] / (c.tps[j] + c.fps[j]));  // tps + fps = samples above threshold >= 1
    p.recall.push_back(n_pos > 0 ? c.tps[j] / n_pos : kNaN);
    p.thresholds.push_back(c.thresholds[j]);
  }
  p.precision.push_back(1.0);
  p.recall.push_back(0.0);
  return p;
}

double average_precision(const Labels& y_true, const Scores& scores) {
  const PrCurve p = precision_recall_curve(y_true, scores);
  if (std::isnan(p.recall.front())) return kNaN;
  // sklearn: -sum(diff(recall) * precision[:-1]).
  double sum = 0;
  for (size_t i = 0; i + 1 < p.recall.size(); ++i) sum += (p.recall[i + 1] - p.recall[i]) * p.precision[i];
  return -sum;
}

double pr_auc_trapezoid(const Labels& y_true, const Scores& scores) {
  const PrCurve p = precision_recall_curve(y_true, scores);
  if (std::isnan(p.recall.front())) return kNaN;
  // sklearn auc(recall, precision): recall is non-increasing, so direction = -1.
  return -trapz(p.precision, p.recall);
}

// --- thresholds ------------------------------------------------------------------------------------------------

Labels threshold_scores(const Scores& scores, double threshold) {
  EFM_CHECK_ARG(!std::isnan(threshold), "threshold_scores: threshold is NaN");
  check_finite("threshold_scores", scores);
  Labels out(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) out[i] = scores[i] >= threshold ? 1 : 0;
  return out;
}

Labels argmax_rows(const Scores& scores, int64_t n_classes) {
  EFM_CHECK_ARG(n_classes >= 1, "argmax_rows: n_classes ({}) must be >= 1", n_classes);
  EFM_CHECK_ARG(scores.size() % static_cast<size_t>(n_classes) == 0,
                "argmax_rows: scores has {} values, not a multiple of n_classes ({})", scores.size(), n_classes);
  check_finite("argmax_rows", scores);
  const size_t c = static_cast<size_t>(n_classes);
  Labels out(scores.size() / c);
  for (size_t i = 0; i < out.size(); ++i) {
    const auto row = scores.begin() + static_cast<std::ptrdiff_t>(i * c);
    out[i] = std::max_element(row, row + static_cast<std::ptrdiff_t>(c)) - row;  // first maximum
  }
  return out;
}

ThresholdChoice best_balanced_accuracy_threshold(const Labels& y_true, const Scores& scores) {
  check_binary("best_balanced_accuracy_threshold", y_true, scores);
  ThresholdChoice best;
  if (!both_classes_present(y_true)) {
    const ConfusionMatrix cm = confusion_matrix(y_true, threshold_scores(scores, best.threshold), 2);
    best.sensitivity = sensitivity(cm);
    best.specificity = specificity(cm);
    best.balanced_accuracy = kNaN;
    return best;
  }
  // Every distinct score is a candidate; walking them in decreasing order, the first maximum is the highest
  // threshold, and strict '>' keeps it on ties.
  const ClfCurve c = binary_clf_curve(y_true, scores);
  const double n_pos = c.tps.back(), n_neg = c.fps.back();
  double best_ba = -1;
  for (size_t i = 0; i < c.thresholds.size(); ++i) {
    const double sens = c.tps[i] / n_pos;
    const double spec = (n_neg - c.fps[i]) / n_neg;
    const double ba = (sens + spec) / 2;
    if (ba > best_ba) {
      best_ba = ba;
      best = ThresholdChoice{c.thresholds[i], ba, sens, spec};
    }
  }
  return best;
}

// --- metric sets -----------------------------------------------------------------------------------------------

MetricSet binary_metrics(const Labels& y_true, const Scores& scores, double threshold) {
  check_binary("binary_metrics", y_true, scores);
  const ConfusionMatrix cm = confusion_matrix(y_true, threshold_scores(scores, threshold), 2);
  MetricSet m;
  m.set("auroc", auroc(y_true, scores));
  m.set("average_precision", average_precision(y_true, scores));
  m.set("pr_auc_trapezoid", pr_auc_trapezoid(y_true, scores));
  m.set("balanced_accuracy", balanced_accuracy(cm));
  m.set("sensitivity", sensitivity(cm));
  m.set("specificity", specificity(cm));
  m.set("precision", positive_predictive_value(cm));
  m.set("f1", positive_f1(cm));
  m.set("accuracy", accuracy(cm));
  m.set("cohen_kappa", cohen_kappa(cm));
  m.set("threshold", threshold);
  return m;
}

MetricSet multiclass_metrics(const Labels& y_true, const Labels& y_pred, int64_t n_classes) {
  const ConfusionMatrix cm = confusion_matrix(y_true, y_pred, n_classes);
  MetricSet m;
  m.set("accuracy", accuracy(cm));
  m.set("balanced_accuracy", balanced_accuracy(cm));
  m.set("cohen_kappa", cohen_kappa(cm));
  m.set("f1_weighted", weighted_f1(cm));
  m.set("f1_macro", macro_f1(cm));
  return m;
}

MetricSet multiclass_metrics_from_scores(const Labels& y_true, const Scores& scores, int64_t n_classes) {
  check_matrix("multiclass_metrics_from_scores", y_true, scores, n_classes);
  MetricSet m = multiclass_metrics(y_true, argmax_rows(scores, n_classes), n_classes);
  m.set("auroc_ovr_macro", auroc_ovr_macro(y_true, scores, n_classes));
  return m;
}

}  // namespace efm::eval
