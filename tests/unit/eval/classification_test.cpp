#include "epilepsyfm/eval/metrics/classification.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "epilepsyfm/core/error.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::eval {
namespace {

// Results below are rational numbers computed by hand; 1e-15 absorbs the rounding of one or two divisions.
constexpr double kTol = 1e-15;

TEST(Ranking, AurocOfTheSklearnDocExample) {
  // Positive scores {0.35, 0.8} vs negative {0.1, 0.4}: pairs won 0.35>0.1, 0.8>0.1, 0.8>0.4; lost 0.35<0.4 -> 3/4.
  const Labels y{0, 0, 1, 1};
  const Scores s{0.1, 0.4, 0.35, 0.8};
  EXPECT_NEAR(auroc(y, s), 0.75, kTol);
}

TEST(Ranking, TiedScoresCountHalf) {
  // Positives {0.5, 0.9}, negatives {0.5, 0.2}: 0.5 vs 0.5 tie = 1/2, the other three pairs won -> 3.5 / 4.
  const Labels y{0, 1, 0, 1};
  const Scores s{0.5, 0.5, 0.2, 0.9};
  EXPECT_NEAR(auroc(y, s), 0.875, kTol);
  // One point per distinct score: (0,0) at +inf, (0,1/2) at 0.9, (1/2,1) at 0.5, (1,1) at 0.2.
  const RocCurve r = roc_curve(y, s);
  EXPECT_EQ(r.fpr, (std::vector<double>{0, 0, 0.5, 1}));
  EXPECT_EQ(r.tpr, (std::vector<double>{0, 0.5, 1, 1}));
  ASSERT_EQ(r.thresholds.size(), 4u);
  EXPECT_TRUE(std::isinf(r.thresholds[0]));
  EXPECT_EQ(r.thresholds[1], 0.9);
  EXPECT_EQ(r.thresholds[3], 0.2);
}

TEST(Ranking, AllScoresEqualGiveHalf) {
  // A single threshold: the ROC is the diagonal (0,0)-(1,1) -> 0.5.
  EXPECT_NEAR(auroc({0, 1, 1, 0, 0}, {0.3, 0.3, 0.3, 0.3, 0.3}), 0.5, kTol);
}

TEST(Ranking, DropIntermediateRemovesCollinearPoints) {
  // Descending scores 0.9(+) 0.8(+) 0.7(+) 0.1(-): tps 1,2,3,3 and fps 0,0,0,1. sklearn keeps the ends (0.9, 0.1)
  // and the points where a second difference is non-zero: at 0.8 both are 0 (tps 1-4+3, fps 0-0+0) -> dropped;
  // at 0.7 fps gives 0-0+1 -> kept.
  const Labels y{1, 1, 1, 0};
  const Scores s{0.9, 0.8, 0.7, 0.1};
  const RocCurve kept = roc_curve(y, s);
  EXPECT_EQ(kept.thresholds.size(), 4u);  // +inf, 0.9, 0.7, 0.1
  EXPECT_EQ(kept.thresholds[2], 0.7);
  EXPECT_EQ(roc_curve(y, s, /*drop_intermediate=*/false).thresholds.size(), 5u);
  EXPECT_NEAR(auroc(y, s), 1.0, kTol);
}

TEST(Ranking, AveragePrecisionIsStepwiseAndPrAucIsTrapezoid) {
  // sklearn's example: PR points (recall, precision) by increasing threshold 0.1, 0.35, 0.4, 0.8, then (0, 1):
  //   (1, 1/2), (1, 2/3), (1/2, 1/2), (1/2, 1), (0, 1).
  // AP = sum over decreasing thresholds of (R_n - R_{n-1}) P_n = 0.5*1 (at 0.8) + 0 + 0.5*(2/3) (at 0.35) + 0
  //    = 5/6.
  // Trapezoid: (1->1) 0 + (1->1/2) 0.5*(2/3+1/2)/2 = 7/24 + (1/2->1/2) 0 + (1/2->0) 0.5*(1+1)/2 = 1/2 -> 19/24.
  const Labels y{0, 0, 1, 1};
  const Scores s{0.1, 0.4, 0.35, 0.8};
  EXPECT_NEAR(average_precision(y, s), 5.0 / 6.0, kTol);
  EXPECT_NEAR(pr_auc_trapezoid(y, s), 19.0 / 24.0, kTol);
  const PrCurve pr = precision_recall_curve(y, s);
  EXPECT_EQ(pr.recall, (std::vector<double>{1, 1, 0.5, 0.5, 0}));
  ASSERT_EQ(pr.precision.size(), 5u);
  EXPECT_NEAR(pr.precision[1], 2.0 / 3.0, kTol);
  EXPECT_EQ(pr.thresholds, (std::vector<double>{0.1, 0.35, 0.4, 0.8}));
}

TEST(Ranking, SingleClassIsNaNNotAnError) {
  const Scores s{0.2, 0.5, 0.9};
  EXPECT_FALSE(both_classes_present({1, 1, 1}));
  EXPECT_TRUE(std::isnan(auroc({1, 1, 1}, s)));
  EXPECT_TRUE(std::isnan(auroc({0, 0, 0}, s)));
  // All positive: precision is 1 at every threshold, recall steps 1, 2/3, 1/3, 0 -> AP = 1 and area = 1.
  EXPECT_NEAR(average_precision({1, 1, 1}, s), 1.0, kTol);
  EXPECT_NEAR(pr_auc_trapezoid({1, 1, 1}, s), 1.0, kTol);
  // No positives: recall is undefined.
  EXPECT_TRUE(std::isnan(average_precision({0, 0, 0}, s)));
  EXPECT_TRUE(std::isnan(pr_auc_trapezoid({0, 0, 0}, s)));
  const RocCurve r = roc_curve({0, 0, 0}, s);
  EXPECT_TRUE(std::isnan(r.tpr[1]));
  EXPECT_EQ(r.fpr.back(), 1.0);
}

TEST(Ranking, OneVsRestMacro) {
  // Class 0: scores {0.7, 0.3, 0.2}, positive is the top -> 1.
  // Class 1: positive 0.4 vs negatives 0.2 (won), 0.5 (lost) -> 1/2.
  // Class 2: positive 0.3 vs 0.1 (won), 0.3 (tie) -> 3/4.   Macro = (1 + 1/2 + 3/4) / 3 = 3/4.
  const Labels y{0, 1, 2};
  const Scores p{0.7, 0.2, 0.1,  //
                 0.3, 0.4, 0.3,  //
                 0.2, 0.5, 0.3};
  const std::vector<double> per_class = auroc_ovr(y, p, 3);
  ASSERT_EQ(per_class.size(), 3u);
  EXPECT_NEAR(per_class[0], 1.0, kTol);
  EXPECT_NEAR(per_class[1], 0.5, kTol);
  EXPECT_NEAR(per_class[2], 0.75, kTol);
  EXPECT_NEAR(auroc_ovr_macro(y, p, 3), 0.75, kTol);
  // Class 2 absent from y_true: its one-vs-rest AUROC is undefined, so is the macro mean.
  EXPECT_TRUE(std::isnan(auroc_ovr_macro({0, 1, 1}, p, 3)));
}

TEST(Confusion, MatrixAndDerivedMetrics) {
  // y_true {0,0,1,1,2,2}, y_pred {0,1,1,1,2,0} -> rows (true) [1 1 0; 0 2 0; 1 0 1].
  const ConfusionMatrix cm = confusion_matrix({0, 0, 1, 1, 2, 2}, {0, 1, 1, 1, 2, 0}, 3);
  EXPECT_EQ(cm.counts, (std::vector<int64_t>{1, 1, 0, 0, 2, 0, 1, 0, 1}));
  EXPECT_EQ(cm.support(2), 2);
  EXPECT_EQ(cm.predicted(1), 3);
  EXPECT_NEAR(accuracy(cm), 4.0 / 6.0, kTol);
  // Recalls 1/2, 2/2, 1/2 -> 2/3.
  EXPECT_NEAR(balanced_accuracy(cm), 2.0 / 3.0, kTol);
  // p_o = 4/6; p_e = (2*2 + 2*3 + 2*1) / 36 = 1/3; kappa = (2/3 - 1/3) / (1 - 1/3) = 1/2.
  EXPECT_NEAR(cohen_kappa(cm), 0.5, kTol);
  // Per class: (p, r, f1) = (1/2, 1/2, 1/2), (2/3, 1, 4/5), (1, 1/2, 2/3); supports equal ->
  // weighted = macro = (1/2 + 4/5 + 2/3) / 3 = 59/90.
  const PerClassScores pc = per_class_scores(cm);
  EXPECT_NEAR(pc.f1[1], 0.8, kTol);
  EXPECT_NEAR(pc.precision[1], 2.0 / 3.0, kTol);
  EXPECT_NEAR(weighted_f1(cm), 59.0 / 90.0, kTol);
  EXPECT_NEAR(macro_f1(cm), 59.0 / 90.0, kTol);
}

TEST(Confusion, ClassesAbsentFromTruthFollowSklearn) {
  // y_true {0,0,1}, y_pred {0,2,1}: class 2 is predicted once but never true.
  const ConfusionMatrix cm = confusion_matrix({0, 0, 1}, {0, 2, 1}, 3);
  // Balanced accuracy averages recalls of classes present in y_true only: (1/2 + 1) / 2.
  EXPECT_NEAR(balanced_accuracy(cm), 0.75, kTol);
  // F1 per class: class 0 p=1 r=1/2 -> 2/3; class 1 -> 1; class 2 p=0/1 r=0 (no support, zero_division=0) -> 0.
  // Macro over labels seen in y_true or y_pred (all three): 5/9. Weighted by support (2, 1, 0): 7/9.
  EXPECT_NEAR(macro_f1(cm), 5.0 / 9.0, kTol);
  EXPECT_NEAR(weighted_f1(cm), 7.0 / 9.0, kTol);
  // A class absent from both y_true and y_pred does not change macro F1.
  EXPECT_NEAR(macro_f1(confusion_matrix({0, 0, 1}, {0, 2, 1}, 5)), 5.0 / 9.0, kTol);
}

TEST(Confusion, KappaUndefinedWhenBothRatersUseOneClass) {
  EXPECT_TRUE(std::isnan(cohen_kappa(confusion_matrix({1, 1}, {1, 1}, 2))));
  // Perfect agreement with two classes is 1.
  EXPECT_NEAR(cohen_kappa(confusion_matrix({0, 1}, {0, 1}, 2)), 1.0, kTol);
}

TEST(Confusion, BinaryRates) {
  // y_true {1,1,1,0,0}, y_pred {1,0,1,0,1}: TP 2, FN 1, TN 1, FP 1.
  const ConfusionMatrix cm = confusion_matrix({1, 1, 1, 0, 0}, {1, 0, 1, 0, 1}, 2);
  EXPECT_NEAR(sensitivity(cm), 2.0 / 3.0, kTol);
  EXPECT_NEAR(specificity(cm), 0.5, kTol);
  EXPECT_NEAR(positive_predictive_value(cm), 2.0 / 3.0, kTol);
  EXPECT_NEAR(positive_f1(cm), 2.0 / 3.0, kTol);  // 2*2 / (2*2 + 1 + 1)
  // No positives: sensitivity undefined; no negatives: specificity undefined; nothing predicted positive: PPV.
  const ConfusionMatrix negatives_only = confusion_matrix({0, 0}, {0, 0}, 2);
  EXPECT_TRUE(std::isnan(sensitivity(negatives_only)));
  EXPECT_TRUE(std::isnan(positive_predictive_value(negatives_only)));
  EXPECT_TRUE(std::isnan(positive_f1(negatives_only)));
  EXPECT_EQ(specificity(negatives_only), 1.0);
  EXPECT_TRUE(std::isnan(specificity(confusion_matrix({1}, {1}, 2))));
  EXPECT_THAT(
      [&] {
        sensitivity(confusion_matrix({0, 1, 2}, {0, 1, 2}, 3));
      },
      ThrowsMessage<ArgumentError>(HasSubstr("sensitivity: defined for binary confusion matrices only, got 3")));
}

TEST(Thresholds, ThresholdIsInclusive) {
  EXPECT_EQ(threshold_scores({0.5, 0.49, 0.7}), (Labels{1, 0, 1}));
  EXPECT_EQ(threshold_scores({0.5, 0.49, 0.7}, 0.6), (Labels{0, 0, 1}));
  EXPECT_EQ(argmax_rows({0.1, 0.7, 0.2, 0.4, 0.4, 0.2}, 3), (Labels{1, 0}));  // tie -> first
}

TEST(Thresholds, BestBalancedAccuracyPicksTheHighestOfTiedThresholds) {
  // Descending: 0.8(+) 0.7(+) 0.6(-) 0.35(+) 0.3(-) 0.1(-); 3 positives, 3 negatives.
  // Balanced accuracy at each threshold: 0.8: (1/3+1)/2 = 2/3; 0.7: (2/3+1)/2 = 5/6; 0.6: 2/3;
  // 0.35: (1+2/3)/2 = 5/6 (tie with 0.7, the higher threshold wins); 0.3: 2/3; 0.1: 1/2.
  const ThresholdChoice c = best_balanced_accuracy_threshold({0, 0, 1, 1, 0, 1}, {0.1, 0.3, 0.35, 0.8, 0.6, 0.7});
  EXPECT_EQ(c.threshold, 0.7);
  EXPECT_NEAR(c.balanced_accuracy, 5.0 / 6.0, kTol);
  EXPECT_NEAR(c.sensitivity, 2.0 / 3.0, kTol);
  EXPECT_EQ(c.specificity, 1.0);
  // One class: nothing to choose on -> default threshold, NaN balanced accuracy.
  const ThresholdChoice none = best_balanced_accuracy_threshold({0, 0}, {0.2, 0.9});
  EXPECT_EQ(none.threshold, kDefaultThreshold);
  EXPECT_TRUE(std::isnan(none.balanced_accuracy));
  EXPECT_EQ(none.specificity, 0.5);  // 0.9 >= 0.5 is a false alarm
}

TEST(MetricSets, BinaryAndMulticlassNamesInOrder) {
  const MetricSet b = binary_metrics({0, 0, 1, 1}, {0.1, 0.4, 0.35, 0.8});
  std::vector<std::string> names;
  for (const auto& e : b.entries()) names.push_back(e.first);
  EXPECT_EQ(names, (std::vector<std::string>{"auroc", "average_precision", "pr_auc_trapezoid", "balanced_accuracy",
                                             "sensitivity", "specificity", "precision", "f1", "accuracy", "cohen_kappa",
                                             "threshold"}));
  EXPECT_NEAR(b.at("auroc"), 0.75, kTol);
  // At 0.5 only 0.8 is positive: TP 1, FN 1, TN 2 -> sensitivity 1/2, specificity 1, balanced 3/4.
  EXPECT_NEAR(b.at("balanced_accuracy"), 0.75, kTol);
  EXPECT_EQ(b.at("specificity"), 1.0);

  const MetricSet m = multiclass_metrics({0, 0, 1, 1, 2, 2}, Labels{0, 1, 1, 1, 2, 0}, 3);
  EXPECT_NEAR(m.at("cohen_kappa"), 0.5, kTol);
  EXPECT_NEAR(m.at("f1_weighted"), 59.0 / 90.0, kTol);
  const MetricSet ms = multiclass_metrics_from_scores({0, 1, 2}, {0.7, 0.2, 0.1, 0.3, 0.4, 0.3, 0.2, 0.5, 0.3}, 3);
  EXPECT_NEAR(ms.at("auroc_ovr_macro"), 0.75, kTol);
  // argmax rows: 0, 1, 1 -> accuracy 2/3.
  EXPECT_NEAR(ms.at("accuracy"), 2.0 / 3.0, kTol);
}

TEST(Errors, MalformedInputNamesArgumentAndIndex) {
  EXPECT_THAT([] { auroc({}, {}); }, ThrowsMessage<ArgumentError>(HasSubstr("auroc: y_true is empty")));
  EXPECT_THAT(
      [] {
        auroc({0, 1, 1}, {0.1, 0.2});
      },
      ThrowsMessage<ArgumentError>(HasSubstr("auroc: y_true has 3 samples but scores has 2")));
  EXPECT_THAT(
      [] {
        average_precision({0, 2}, {0.1, 0.2});
      },
      ThrowsMessage<ArgumentError>(HasSubstr("y_true[1] = 2; binary labels must be 0 or 1")));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(
      [&] {
        auroc({0, 1}, {nan, 0.2});
      },
      ThrowsMessage<ArgumentError>(HasSubstr("auroc: scores[0] is nan; scores must be finite")));
  EXPECT_THAT(
      [] {
        confusion_matrix({0, 1, 2}, {0, 1, 3}, 3);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("confusion_matrix: y_pred[2] = 3; labels must be in [0, 3)")));
  EXPECT_THAT([] { confusion_matrix({0, -1}, {0, 1}, 2); }, ThrowsMessage<ArgumentError>(HasSubstr("y_true[1] = -1")));
  EXPECT_THAT([] { confusion_matrix({0}, {0}, 1); },
              ThrowsMessage<ArgumentError>(HasSubstr("n_classes (1) must be >= 2")));
  EXPECT_THAT(
      [] {
        auroc_ovr_macro({0, 1}, {0.5, 0.5, 0.5}, 3);
      },
      ThrowsMessage<ArgumentError>(HasSubstr("scores has 3 values; expected n_samples x n_classes = 2 x 3")));
}

}  // namespace
}  // namespace efm::eval
