// The built-in heads: one line each. A new head: one file under src/eval/heads/ and one line here (docs/heads.md).
#include "epilepsyfm/eval/finetune/heads/head.h"

namespace efm::eval {

void register_builtin_heads(HeadRegistry& r) {
  auto add = [&r](HeadDefinition d) {
    const std::string name = d.spec.name, text = d.spec.description;
    r.add(name, std::move(d), text);
  };
  add(seizure_detection_head());
  add(seizure_type_head());
  add(forecast_short_head());
  add(forecast_long_head());
  add(frequency_phase_head());
  add(asm_efficacy_head());
  add(rftc_outcome_head());
}

const HeadRegistry& head_registry() {
  static const HeadRegistry registry = [] {
    HeadRegistry r("head");
    register_builtin_heads(r);
    return r;
  }();
  return registry;
}

}  // namespace efm::eval
