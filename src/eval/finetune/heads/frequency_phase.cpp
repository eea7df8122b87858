// Head `frequency_phase`: history -> amplitude and phase spectra of the future 1-s patches. One file + one line.
#include "epilepsyfm/eval/finetune/heads/kinds.h"

namespace efm::eval {

HeadDefinition frequency_phase_head() {
  HeadSpec s;
  s.name = "frequency_phase";
  s.description =
      "frequency-phase forecasting: rFFT amplitude and phase of each future 1-s patch (LaBraM's tokenizer targets, "
      "our reading of EpilepsyFM's task)";
  s.output = "per future patch and channel: amplitude |X_k|/200 and phase angle(X_k), k = 0..100 (1 Hz bins)";
  s.loss = "MSE(amplitude) + mean(1 - cos(phase error))";
  s.labels = "none: the spectra of the signal after the history window";
  s.metrics = {"amplitude_mae",           "phase_error_abs_rad",
               "phase_error_cos",         "persistence_amplitude_mae",
               "mean_amplitude_mae",      "persistence_phase_error_abs_rad",
               "mean_phase_error_abs_rad"};
  s.selection_metric = "loss";
  s.selection_mode = config::MetricMode::min;
  s.default_horizon_s = 12.0;
  return forecaster_head(std::move(s), ForecasterOptions::Target::spectra);
}

}  // namespace efm::eval
