#pragma once
/// Segment-level classification metrics, computed exactly as scikit-learn 1.2 computes them (golden-tested against
/// Debian python3-sklearn to 1e-12: scripts/golden/sklearn_metrics_reference.py). Plain vectors, no torch.
///
///   Labels y_true = {0, 0, 1, 1};  Scores p = {0.1, 0.4, 0.35, 0.8};
///   double a = auroc(y_true, p);                          // 0.75
///   MetricSet m = binary_metrics(y_true, p);              // auroc, average_precision, ..., at threshold 0.5
///   ConfusionMatrix cm = confusion_matrix(y_true, threshold_scores(p), /*n_classes=*/2);
///
/// Conventions
/// - Labels are integers in [0, n_classes); binary tasks use 0 = negative, 1 = positive (seizure).
/// - Scores are any finite real numbers ordered like P(positive) (probabilities, logits); a sample is predicted
///   positive when score >= threshold (the ROC/PR convention of sklearn).
/// - Malformed input throws efm::ArgumentError naming the argument and the index: empty input, different lengths,
///   a label outside [0, n_classes), a non-finite score, a wrong score-matrix size.
/// - **Undefined values are NaN, never an exception.** A metric that is mathematically undefined for valid input
///   returns quiet NaN, and its doc comment says when: AUROC when y_true holds only one class (sklearn raises
///   ValueError), average precision / PR-AUC without positives (sklearn returns 0 with a warning), Cohen's κ
///   when the expected disagreement is zero, sensitivity without positives, specificity without negatives.
///   Rationale: a validation split or recording without seizures is routine and must not abort a run; NaN is
///   written as `nan`/`null` to metrics files, where it stays visible. Use `both_classes_present(y_true)` to test
///   beforehand.
/// - Exception to the NaN rule, to match published numbers: per-class precision/recall/F1 (and hence weighted and
///   macro F1) use sklearn's `zero_division=0` — a class never predicted has precision 0; its `support`/`predicted`
///   counts show it.
#include <cstdint>
#include <vector>

#include "epilepsyfm/eval/metrics/metric_set.h"

namespace efm::eval {

/// Class labels, one per sample, in [0, n_classes).
using Labels = std::vector<int64_t>;
/// One score per sample (binary tasks), or a row-major [n_samples, n_classes] matrix (multi-class).
using Scores = std::vector<double>;

/// Default decision threshold on P(positive).
inline constexpr double kDefaultThreshold = 0.5;

// ---------------------------------------------------------------------------------------------------------------
// Confusion matrix and the metrics derived from it
// ---------------------------------------------------------------------------------------------------------------

/// Counts of (true class, predicted class) pairs; rows are true classes, columns predicted classes (as sklearn).
struct ConfusionMatrix {
  int64_t n_classes = 0;
  std::vector<int64_t> counts;  ///< row-major [n_classes, n_classes]

  int64_t operator()(int64_t true_class, int64_t predicted_class) const {
    return counts[static_cast<size_t>(true_class * n_classes + predicted_class)];
  }
  int64_t total() const;
  /// Number of samples whose true class is `k` (row sum).
  int64_t support(int64_t k) const;
  /// Number of samples predicted as `k` (column sum).
  int64_t predicted(int64_t k) const;
};

/// Confusion matrix of `y_true` vs `y_pred` over classes 0..n_classes-1. Throws ArgumentError for empty input,
/// different lengths, n_classes < 2 or a label outside [0, n_classes) (naming which vector and index).
ConfusionMatrix confusion_matrix(const Labels& y_true, const Labels& y_pred, int64_t n_classes);

/// Fraction of correct predictions: trace / total.
double accuracy(const ConfusionMatrix& cm);
/// Mean per-class recall over the classes present in y_true (sklearn balanced_accuracy_score, adjusted=False:
/// classes with zero support are left out of the mean).
double balanced_accuracy(const ConfusionMatrix& cm);
/// Unweighted Cohen's κ = 1 − Σ_{i≠j} C_ij / Σ_{i≠j} E_ij with E = outer(column sums, row sums) / N
/// (sklearn cohen_kappa_score). NaN when the expected disagreement is 0 (both raters use one and the same class).
double cohen_kappa(const ConfusionMatrix& cm);

/// Per-class precision, recall and F1 (sklearn precision_recall_fscore_support, zero_division=0).
struct PerClassScores {
  std::vector<double> precision;   ///< tp / predicted, 0 when the class is never predicted
  std::vector<double> recall;      ///< tp / support, 0 when the class has no support
  std::vector<double> f1;          ///< 2·p·r / (p + r), 0 when p + r = 0
  std::vector<int64_t> support;    ///< true samples per class
  std::vector<int64_t> predicted;  ///< predicted samples per class
};
PerClassScores per_class_scores(const ConfusionMatrix& cm);
/// Support-weighted mean of per-class F1 (sklearn f1_score(average='weighted')).
double weighted_f1(const ConfusionMatrix& cm);
/// Unweighted mean of per-class F1 over the classes present in y_true or y_pred (sklearn f1_score(
/// average='macro') with labels inferred from the data).
double macro_f1(const ConfusionMatrix& cm);

/// Binary only (n_classes == 2, class 1 positive), else ArgumentError.
/// Sensitivity (recall of class 1) = TP / (TP + FN); NaN without positives.
double sensitivity(const ConfusionMatrix& cm);
/// Specificity (recall of class 0) = TN / (TN + FP); NaN without negatives.
double specificity(const ConfusionMatrix& cm);
/// Positive predictive value = TP / (TP + FP); NaN when nothing is predicted positive.
double positive_predictive_value(const ConfusionMatrix& cm);
/// F1 of the positive class = 2TP / (2TP + FP + FN); NaN when there are neither positives nor positive predictions.
double positive_f1(const ConfusionMatrix& cm);

// ---------------------------------------------------------------------------------------------------------------
// Ranking metrics (binary): ROC and precision-recall
// ---------------------------------------------------------------------------------------------------------------

/// True when y_true (0/1) contains both classes, i.e. when AUROC and average precision are defined.
bool both_classes_present(const Labels& y_true);

/// ROC curve points (sklearn roc_curve). Ties in the scores form one point. Starts at (0, 0) with threshold +inf
/// (sklearn 1.2 writes max(score) + 1 there, sklearn >= 1.3 writes inf); thresholds then decrease through the
/// distinct scores. `fpr` is all-NaN without negatives, `tpr` all-NaN without positives.
struct RocCurve {
  std::vector<double> fpr;
  std::vector<double> tpr;
  std::vector<double> thresholds;  ///< predicted positive when score >= threshold
};
/// @param drop_intermediate drop points on straight segments of the curve, as sklearn's default (the area is
///   unchanged; plots get fewer points).
RocCurve roc_curve(const Labels& y_true, const Scores& scores, bool drop_intermediate = true);

/// Area under the ROC curve by the trapezoid rule over `roc_curve` (sklearn roc_auc_score, binary): tied scores
/// contribute half, as in the Mann–Whitney U statistic. NaN when y_true holds one class only.
double auroc(const Labels& y_true, const Scores& scores);

/// One-vs-rest AUROC per class, then their unweighted mean (sklearn roc_auc_score(multi_class='ovr',
/// average='macro')). `scores` is row-major [n_samples, n_classes], column k = score of class k. NaN when some
/// class is absent from y_true (sklearn raises). sklearn additionally requires rows to sum to 1; this does not.
double auroc_ovr_macro(const Labels& y_true, const Scores& scores, int64_t n_classes);
/// The per-class one-vs-rest AUROCs used by `auroc_ovr_macro` (NaN for a class absent from y_true).
std::vector<double> auroc_ovr(const Labels& y_true, const Scores& scores, int64_t n_classes);

/// Precision-recall curve (sklearn 1.2 precision_recall_curve): one point per distinct score, ordered by
/// increasing threshold, so recall decreases; a final point (recall 0, precision 1) without threshold is appended.
/// `recall` is all-NaN without positives (sklearn sets it to 1 with a warning).
struct PrCurve {
  std::vector<double> precision;   ///< n_thresholds + 1
  std::vector<double> recall;      ///< n_thresholds + 1
  std::vector<double> thresholds;  ///< n_thresholds, increasing
};
PrCurve precision_recall_curve(const Labels& y_true, const Scores& scores);

/// AUPRC as **average precision**, the step-wise sum Σ_n (R_n − R_{n−1}) P_n over the PR curve (sklearn
/// average_precision_score; no interpolation). NaN without positives (sklearn 1.2 returns 0 with a warning);
/// 1 when every sample is positive.
double average_precision(const Labels& y_true, const Scores& scores);
/// AUPRC by the **trapezoid rule** over the PR curve, sklearn `auc(recall, precision)` — what CBraMod/BIOT report
/// as "pr_auc". Usually larger than average precision (linear interpolation of precision is optimistic). NaN
/// without positives; 1 when every sample is positive.
double pr_auc_trapezoid(const Labels& y_true, const Scores& scores);

// ---------------------------------------------------------------------------------------------------------------
// Thresholds and predictions
// ---------------------------------------------------------------------------------------------------------------

/// 1 where score >= threshold, else 0.
Labels threshold_scores(const Scores& scores, double threshold = kDefaultThreshold);
/// Row-wise argmax of a row-major [n_samples, n_classes] matrix (first maximum on ties, as numpy).
Labels argmax_rows(const Scores& scores, int64_t n_classes);

/// A decision threshold and how it performs on the data it was chosen on.
struct ThresholdChoice {
  double threshold = kDefaultThreshold;
  double balanced_accuracy = 0;
  double sensitivity = 0;
  double specificity = 0;
};
/// The threshold (one of the distinct scores) that maximises balanced accuracy = (sensitivity + specificity) / 2
/// on validation data, predicting positive when score >= threshold. Ties go to the highest threshold (fewest
/// alarms). Without both classes in y_true there is nothing to choose on: the result is kDefaultThreshold with
/// NaN balanced accuracy (and NaN for the undefined rate), so callers can see it and log it.
ThresholdChoice best_balanced_accuracy_threshold(const Labels& y_true, const Scores& scores);

// ---------------------------------------------------------------------------------------------------------------
// Metric sets for heads
// ---------------------------------------------------------------------------------------------------------------

/// Binary head metrics, in this order: auroc, average_precision, pr_auc_trapezoid, balanced_accuracy,
/// sensitivity, specificity, precision (PPV), f1 (positive class), accuracy, cohen_kappa, threshold — the
/// thresholded ones at `threshold`. Undefined entries are NaN (see the conventions above).
MetricSet binary_metrics(const Labels& y_true, const Scores& scores, double threshold = kDefaultThreshold);

/// Multi-class head metrics from hard predictions: accuracy, balanced_accuracy, cohen_kappa, f1_weighted, f1_macro.
MetricSet multiclass_metrics(const Labels& y_true, const Labels& y_pred, int64_t n_classes);
/// As above from a score matrix [n_samples, n_classes] (prediction = argmax), plus auroc_ovr_macro.
MetricSet multiclass_metrics_from_scores(const Labels& y_true, const Scores& scores, int64_t n_classes);

}  // namespace efm::eval
