#pragma once
// What the two classifier kinds (window and recording classifier, kinds.h) share: one logit for two classes or one
// per class, balanced class weights from the training counts, the threshold tuned on validation and the
// classification metrics. Private to src/eval.
#include <cstdint>
#include <optional>
#include <vector>

#include "epilepsyfm/eval/finetune/heads/head.h"
#include "epilepsyfm/eval/metrics/classification.h"

namespace efm::eval {

class ClassifierTask : public FinetuneTask {
 public:
  using FinetuneTask::FinetuneTask;

  void set_tuned_threshold(double threshold) override { tuned_threshold_ = threshold; }

 protected:
  /// Balanced class weights from the training count of each class (`counts`, `n` in all): for two classes the BCE
  /// pos_weight n_neg / n_pos (1 without positives), else cross-entropy weights n / (K n_k) (0 for an empty class).
  void set_balanced_weights(const std::vector<int64_t>& counts, double n);

  /// Adds the classification metrics of scores `s` for labels `y` to `m`. Binary: n_positive, binary_metrics at
  /// evaluate.threshold, best_threshold and, once a threshold was tuned, val_threshold and
  /// balanced_accuracy_at_val_threshold (with `rates_at_val_threshold` also sensitivity_ and
  /// specificity_at_val_threshold). Else multiclass_metrics_from_scores over `n_classes`.
  void add_classification_metrics(MetricSet& m, const Labels& y, const Scores& s, int64_t n_classes,
                                  bool rates_at_val_threshold) const;

  bool binary_ = true;                       ///< two classes: one logit, class 1 positive
  torch::Tensor pos_weight_, class_weight_;  ///< set by set_balanced_weights (undefined: unweighted)
  std::optional<double> tuned_threshold_;
};

}  // namespace efm::eval
