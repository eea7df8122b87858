#pragma once
/// The three kinds of fine-tuning task a head file configures (see head.h). Each returns a FinetuneTask.
///
/// Window classifier (seizure_detection, seizure_type): window [B, C, S] -> backbone pooled embedding [B, d] ->
///   LinearHead -> logits. Binary (two classes, class 1 positive): one logit, BCE with logits (pos_weight =
///   n_neg / n_pos with class_weighting: balanced). Multi-class: K logits, cross-entropy with label smoothing
///   (weights n / (K n_k) with class_weighting: balanced). Labels: the store's window labels mapped to classes by
///   `class_of_label`. Metrics: eval::binary_metrics (threshold evaluate.threshold, plus the threshold that
///   maximises balanced accuracy on the same split) or multiclass_metrics_from_scores, and `loss`. With
///   `event_scoring` (seizure_detection): every window of each recording at evaluation stride gives a probability
///   timeline; events from it (ProbabilityEventOptions from `evaluate:`) are scored against the annotated seizures
///   with SzCORE event scoring (eval/events.h), pooled over recordings: event_sensitivity, event_precision,
///   event_f1, event_false_alarms_per_24h, event_latency_median_s, ...
///
/// Forecaster (forecast_short, forecast_long, frequency_phase): a window of history_s + horizon_s; the model sees
///   the history [B, C, H*P] (normalised signal, 1-s patches). Per channel, the mean of its history tokens and its
///   last token are concatenated [B, C, 2d] and a LinearHead maps them to the target of that channel:
///   - signal: the future samples [B, C, F*P]; loss MSE; metrics mae, mse, rmse, pearson;
///   - spectra: per future 1-s patch, the rFFT amplitude (|X_k| / P, k = 0..P/2) and phase; the head predicts the
///     amplitude and a 2-vector per bin whose angle is the phase; loss MSE(amplitude) + mean(1 - cos(phase error));
///     metrics amplitude_mae, phase_error_abs_rad, phase_error_cos.
///   Baselines computed on the same windows in the same run: persistence (last value; last 1-s patch repeated) and
///   the history mean (signal), or the last patch's spectra and the circular mean of the history's spectra
///   (spectra): <baseline>_<metric>, and skill_vs_<baseline> = 1 - mae / baseline mae.
///
/// Recording classifier (asm_efficacy, rftc_outcome): the units are subjects (or recordings, `level`) listed in
///   `labels_csv` (`subject,label[,...]`). Training: the windows of a micro-batch are embedded ([B, d]), grouped by
///   unit, pooled per unit (mean, or gated attention) and classified; the loss averages over the units present
///   (random sub-bags of each unit's windows). Evaluation: up to max_eval_windows evenly spaced windows per unit,
///   pooled, one score per unit; metrics over units as the window classifier's (no event scoring).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "epilepsyfm/eval/finetune/heads/head.h"

namespace efm::eval {

struct WindowClassifierOptions {
  /// Class names; the head's outputs refer to them in this order. Two classes = binary (class 1 positive).
  std::vector<std::string> classes;
  /// Store label id -> class index, or -1 to leave the window out. One entry per source label.
  std::vector<int64_t> class_of_label;
  bool event_scoring = false;  ///< per-recording timelines and SzCORE event scoring (binary only)
};
std::unique_ptr<FinetuneTask> make_window_classifier(HeadSpec spec, const HeadSetup& setup,
                                                     WindowClassifierOptions options);
/// The output layer of a window classifier on embeddings of size `embed_dim`: one logit for two classes (class 1
/// positive), else one per class (finetune.head_init_scale, finetune.dropout).
std::shared_ptr<torch::nn::Module> window_classifier_head(const FinetuneExperiment& exp, int64_t embed_dim,
                                                          size_t n_classes);
/// HeadDefinition::model of the window classifiers: backbone `exp.model` + window_classifier_head for
/// exp.resolved.classes.
FinetuneModel window_classifier_model(const FinetuneExperiment& exp);

struct ForecasterOptions {
  enum class Target { signal, spectra };
  Target target = Target::signal;
  double history_s = 90;
  double horizon_s = 12;
};
std::unique_ptr<FinetuneTask> make_forecaster(HeadSpec spec, const HeadSetup& setup, ForecasterOptions options);

struct RecordingClassifierOptions {
  std::vector<std::string> classes;  ///< label values of the CSV, in output order (two = binary, class 1 positive)
};
std::unique_ptr<FinetuneTask> make_recording_classifier(HeadSpec spec, const HeadSetup& setup,
                                                        RecordingClassifierOptions options);

/// Streaming pooled forecast metrics over any number of chunks (what forecast_metrics computes for mae, mse, rmse
/// and pearson over all elements), for test sets too large to hold in memory. Means and co-moments are merged per
/// chunk (Chan et al.'s pairwise update), so large offsets do not lose precision.
class ForecastAccumulator {
 public:
  void add(const double* prediction, const double* target, int64_t n);
  int64_t count() const { return n_; }
  double mae() const;
  double mse() const;
  double rmse() const;
  /// NaN when either side is constant (or nothing was added).
  double pearson() const;

 private:
  int64_t n_ = 0;
  double sum_abs_ = 0, sum_sq_ = 0;
  double mean_p_ = 0, mean_t_ = 0, m2_p_ = 0, m2_t_ = 0, c_pt_ = 0;
};

/// Streaming phase errors (radians): mean |wrap(p - t)| and mean (1 - cos(p - t)), as phase_error_abs / _cos.
class PhaseAccumulator {
 public:
  void add(const double* prediction_rad, const double* target_rad, int64_t n);
  int64_t count() const { return n_; }
  double abs_error() const;
  double cos_error() const;

 private:
  int64_t n_ = 0;
  double sum_abs_ = 0, sum_cos_ = 0;
};

/// The classes a head uses: finetune.classes when given, else `defaults`. Helper for head files.
std::vector<std::string> configured_classes(const HeadSetup& setup, const std::vector<std::string>& defaults);
/// horizon_s of the config, else the head's default.
double configured_horizon(const HeadSetup& setup, const HeadSpec& spec);

/// A head of the forecaster kind: `spec` with input history_horizon, and a factory that forecasts `target` from
/// finetune.history_s over the configured horizon (configured_horizon).
HeadDefinition forecaster_head(HeadSpec spec, ForecasterOptions::Target target);
/// A signal forecaster (forecast_short, forecast_long): the next `default_horizon_s` of every channel's normalised
/// signal, MSE loss, the signal metrics with their baselines, selected on the lowest val/mae.
HeadDefinition signal_forecast_head(std::string name, std::string description, double default_horizon_s);
/// A head of the recording-classifier kind (asm_efficacy, rftc_outcome): `spec` with input recording, the per-unit
/// metrics (auroc, balanced_accuracy, average_precision, sensitivity, specificity), selection on the highest
/// val/auroc, and a factory that classifies into configured_classes(setup, spec.default_classes).
HeadDefinition recording_classifier_head(HeadSpec spec);

}  // namespace efm::eval
