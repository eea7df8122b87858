// Head definitions that a task kind fixes (kinds.h): the declarations every head of the kind shares and its factory.
#include "epilepsyfm/eval/finetune/heads/kinds.h"

namespace efm::eval {

HeadDefinition forecaster_head(HeadSpec spec, ForecasterOptions::Target target) {
  spec.input = HeadInput::history_horizon;
  return {spec, [spec, target](const HeadSetup& setup) {
            ForecasterOptions o;
            o.target = target;
            o.history_s = setup.exp.finetune.history_s;
            o.horizon_s = configured_horizon(setup, spec);
            return make_forecaster(spec, setup, o);
          }};
}

HeadDefinition signal_forecast_head(std::string name, std::string description, double default_horizon_s) {
  HeadSpec s;
  s.name = std::move(name);
  s.description = std::move(description);
  s.output = "future normalised signal [channels, horizon_s x 200]";
  s.loss = "MSE on the normalised signal";
  s.labels = "none: the signal after the history window";
  s.metrics = {
      "mae", "mse", "rmse", "pearson", "persistence_mae", "persistence_patch_mae", "mean_mae", "skill_vs_persistence"};
  s.selection_metric = "mae";
  s.selection_mode = config::MetricMode::min;
  s.default_horizon_s = default_horizon_s;
  return forecaster_head(std::move(s), ForecasterOptions::Target::signal);
}

HeadDefinition recording_classifier_head(HeadSpec spec) {
  spec.input = HeadInput::recording;
  spec.metrics = {"auroc", "balanced_accuracy", "average_precision", "sensitivity", "specificity"};
  spec.selection_metric = "auroc";
  spec.selection_mode = config::MetricMode::max;
  return {spec, [spec](const HeadSetup& setup) {
            RecordingClassifierOptions o;
            o.classes = configured_classes(setup, spec.default_classes);
            return make_recording_classifier(spec, setup, o);
          }};
}

std::vector<std::string> configured_classes(const HeadSetup& setup, const std::vector<std::string>& defaults) {
  return setup.exp.finetune.classes.empty() ? defaults : setup.exp.finetune.classes;
}

double configured_horizon(const HeadSetup& setup, const HeadSpec& spec) {
  return setup.exp.finetune.horizon_s.value_or(spec.default_horizon_s);
}

}  // namespace efm::eval
