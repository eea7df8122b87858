// Head `asm_efficacy`: all windows of a patient -> responder to anti-seizure medication or not. One file + one line.
#include "epilepsyfm/eval/finetune/heads/kinds.h"

namespace efm::eval {

HeadDefinition asm_efficacy_head() {
  HeadSpec s;
  s.name = "asm_efficacy";
  s.description =
      "anti-seizure medication efficacy: responder vs non-responder per patient (cohort labels are "
      "private in the paper; bring your own CSV)";
  s.output = "P(responder) per subject (or recording)";
  s.loss = "BCE with logits on the pooled (mean or attention) window embeddings of each unit";
  s.labels = "finetune.labels_csv: `subject,label` with label in finetune.classes (default non_responder, responder)";
  s.default_classes = {"non_responder", "responder"};
  return recording_classifier_head(std::move(s));
}

}  // namespace efm::eval
