// Head `seizure_detection`: window -> P(seizure). One file + one registry line (docs/heads.md).
#include <algorithm>

#include "epilepsyfm/eval/finetune/heads/kinds.h"

namespace efm::eval {

HeadDefinition seizure_detection_head() {
  HeadSpec s;
  s.name = "seizure_detection";
  s.description = "seizure vs non-seizure per window, with per-recording probability timelines and event scoring";
  s.input = HeadInput::window;
  s.output = "P(seizure) per window";
  s.loss = "BCE with logits (pos_weight n_neg/n_pos with class_weighting: balanced)";
  s.labels = "store window labels: seizure = the store's seizure flag (labels.csv) or finetune.positive_labels";
  s.metrics = {"auroc",
               "average_precision",
               "balanced_accuracy",
               "sensitivity",
               "specificity",
               "event_sensitivity",
               "event_precision",
               "event_f1",
               "event_false_alarms_per_24h",
               "event_latency_median_s"};
  s.selection_metric = "auroc";
  s.selection_mode = config::MetricMode::max;
  s.default_classes = {"non_seizure", "seizure"};
  return {s,
          [s](const HeadSetup& setup) {
            const auto& labels = setup.source->label_names();
            const auto& positive = setup.exp.finetune.positive_labels;
            WindowClassifierOptions o;
            o.classes = configured_classes(setup, s.default_classes);
            for (size_t l = 0; l < labels.size(); ++l) {
              const bool seizure = positive.empty() ? (l < setup.seizure_labels.size() && setup.seizure_labels[l])
                                                    : std::count(positive.begin(), positive.end(), labels[l]) > 0;
              o.class_of_label.push_back(seizure ? 1 : 0);
            }
            o.event_scoring = true;
            return make_window_classifier(s, setup, o);
          },
          window_classifier_model};
}

}  // namespace efm::eval
