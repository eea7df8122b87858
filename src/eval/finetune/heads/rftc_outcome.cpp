// Head `rftc_outcome`: all windows of a patient -> surgical outcome after radiofrequency thermocoagulation.
#include "epilepsyfm/eval/finetune/heads/kinds.h"

namespace efm::eval {

HeadDefinition rftc_outcome_head() {
  HeadSpec s;
  s.name = "rftc_outcome";
  s.description =
      "RFTC surgery outcome per patient from scalp EEG or SEEG (e.g. Engel I vs II-IV; cohort labels "
      "are private in the paper; bring your own CSV)";
  s.output = "P(engel_I) per subject (or recording); more classes with finetune.classes";
  s.loss = "BCE with logits (two classes) or cross-entropy, on pooled window embeddings of each unit";
  s.labels = "finetune.labels_csv: `subject,label` with label in finetune.classes (default engel_II-IV, engel_I)";
  s.default_classes = {"engel_II-IV", "engel_I"};
  return recording_classifier_head(std::move(s));
}

}  // namespace efm::eval
