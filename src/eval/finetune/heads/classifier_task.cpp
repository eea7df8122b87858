#include <algorithm>

#include "eval/finetune/heads/classifier_task.h"

namespace efm::eval {

void ClassifierTask::set_balanced_weights(const std::vector<int64_t>& counts, double n) {
  if (binary_) {
    const double pos = static_cast<double>(counts[1]), neg = static_cast<double>(counts[0]);
    pos_weight_ = torch::tensor({pos > 0 ? neg / pos : 1.0}, torch::kFloat32);
    return;
  }
  const auto k = static_cast<double>(counts.size());
  std::vector<float> w;
  for (const int64_t count : counts) {
    const double nc = static_cast<double>(count);
    w.push_back(nc > 0 ? static_cast<float>(n / (k * nc)) : 0.0f);
  }
  class_weight_ = torch::tensor(w, torch::kFloat32);
}

void ClassifierTask::add_classification_metrics(MetricSet& m, const Labels& y, const Scores& s, int64_t n_classes,
                                                bool rates_at_val_threshold) const {
  if (!binary_) {
    m.merge(multiclass_metrics_from_scores(y, s, n_classes));
    return;
  }
  m.set("n_positive", static_cast<double>(std::count(y.begin(), y.end(), 1)));
  m.merge(binary_metrics(y, s, exp().evaluate.threshold));
  m.set("best_threshold", best_balanced_accuracy_threshold(y, s).threshold);
  if (!tuned_threshold_) return;
  const ConfusionMatrix cm = confusion_matrix(y, threshold_scores(s, *tuned_threshold_), 2);
  m.set("val_threshold", *tuned_threshold_);
  m.set("balanced_accuracy_at_val_threshold", balanced_accuracy(cm));
  if (!rates_at_val_threshold) return;
  m.set("sensitivity_at_val_threshold", sensitivity(cm));
  m.set("specificity_at_val_threshold", specificity(cm));
}

}  // namespace efm::eval
