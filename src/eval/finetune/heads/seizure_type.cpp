// Head `seizure_type`: seizure window -> seizure type. One file + one registry line (docs/heads.md).
#include <algorithm>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/eval/finetune/heads/kinds.h"

namespace efm::eval {

HeadDefinition seizure_type_head() {
  HeadSpec s;
  s.name = "seizure_type";
  s.description = "seizure type of a seizure window (e.g. TUSZ FNSZ GNSZ CPSZ ABSZ TNSZ TCSZ SPSZ MYSZ)";
  s.input = HeadInput::window;
  s.output = "class probabilities (softmax)";
  s.loss = "cross-entropy with label smoothing (finetune.label_smoothing, 0.1)";
  s.labels =
      "store window labels named in finetune.classes (default: every seizure label of the store, sorted); "
      "other windows are not used";
  s.metrics = {"balanced_accuracy", "cohen_kappa", "f1_weighted", "f1_macro", "accuracy", "auroc_ovr_macro"};
  s.selection_metric = "balanced_accuracy";
  s.selection_mode = config::MetricMode::max;
  return {s,
          [s](const HeadSetup& setup) {
            const auto& labels = setup.source->label_names();
            std::vector<std::string> seizure_labels;
            for (size_t l = 0; l < labels.size(); ++l) {
              if (l < setup.seizure_labels.size() && setup.seizure_labels[l]) seizure_labels.push_back(labels[l]);
            }
            std::sort(seizure_labels.begin(), seizure_labels.end());
            WindowClassifierOptions o;
            o.classes = configured_classes(setup, seizure_labels);
            for (const auto& c : o.classes) {
              EFM_CHECK_CONFIG(std::count(labels.begin(), labels.end(), c) > 0,
                               "finetune.classes: '{}' is not a label of the store (labels: {})", c, [&] {
                                 std::string t;
                                 for (const auto& l : labels) t += (t.empty() ? "" : ", ") + l;
                                 return t;
                               }());
            }
            for (const auto& l : labels) {
              const auto it = std::find(o.classes.begin(), o.classes.end(), l);
              o.class_of_label.push_back(it == o.classes.end() ? -1 : it - o.classes.begin());
            }
            return make_window_classifier(s, setup, o);
          },
          window_classifier_model};
}

}  // namespace efm::eval
