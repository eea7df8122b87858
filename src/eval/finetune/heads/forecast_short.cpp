// Head `forecast_short`: history (90 s) -> the next 12 s of the normalised signal. One file + one registry line.
#include "epilepsyfm/eval/finetune/heads/kinds.h"

namespace efm::eval {

HeadDefinition forecast_short_head() {
  HeadSpec s;
  s.name = "forecast_short";
  s.description = "short-term signal forecasting: the next 12 s of every channel from the history (EpilepsyFM)";
  s.input = HeadInput::history_horizon;
  s.output = "future normalised signal [channels, horizon_s x 200]";
  s.loss = "MSE on the normalised signal";
  s.labels = "none: the signal after the history window";
  s.metrics = {
      "mae", "mse", "rmse", "pearson", "persistence_mae", "persistence_patch_mae", "mean_mae", "skill_vs_persistence"};
  s.selection_metric = "mae";
  s.selection_mode = "min";
  s.default_horizon_s = 12.0;
  return {s, [s](const HeadSetup& setup) {
            ForecasterOptions o;
            o.target = ForecasterOptions::Target::signal;
            o.history_s = setup.exp.finetune.history_s;
            o.horizon_s = configured_horizon(setup, s);
            return make_forecaster(s, setup, o);
          }};
}

}  // namespace efm::eval
