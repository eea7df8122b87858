#pragma once
/// The complete config of `epilepsyfm finetune` (and what `evaluate` and `predict` read back from a run or a
/// checkpoint). One file per head under configs/finetune/; every field has a default, so a config only states
/// what differs:
///
///   config_version: 1
///   run: {out: runs/sd_bonn, seed: 0}
///   data: {store: stores/bonn, window_s: 4, stride_s: 4}
///   split: {by: recording, fractions: [0.6, 0.2, 0.2]}
///   model: {size: tiny}                       # models::BackboneConfig (replaced by the checkpoint's, see init)
///   init: {checkpoint: runs/pretrain/checkpoints/latest}
///   finetune: {head: seizure_detection, mode: full, layer_decay: 0.65}
///   train: {epochs: 30, batch_size: 32, lr: 5.0e-4}
///
/// Defaults follow LaBraM's fine-tuning recipe (LaBraM run_class_finetuning.py and README; docs/heads.md): AdamW lr
/// 5e-4, weight decay 0.05, warmup 5 epochs then cosine to 1e-6, layer-wise lr decay 0.65, drop path 0.1, label
/// smoothing 0.1 (multi-class), BCE for binary heads, mean pooling + fc_norm, head weights scaled by 0.001 at init, 50
/// epochs, the epoch chosen on the validation split. The `resolved:` section is written by finetune (store settings,
/// channels, classes) so that a checkpoint's config.yaml is enough for `evaluate` and `predict`; values given by a user
/// there are overwritten.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/config/ingest.h"
#include "epilepsyfm/config/run.h"
#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/config/train.h"
#include "epilepsyfm/core/enum_names.h"
#include "epilepsyfm/eval/finetune/split.h"
#include "epilepsyfm/models/model_config.h"
#include "epilepsyfm/train/experiments.h"

namespace efm::eval {

/// Where the windows come from.
struct FinetuneDataConfig {
  std::string store;      ///< store directory written by `epilepsyfm ingest` (--store)
  double window_s = 4.0;  ///< window length of window and recording heads (history heads: history_s + horizon_s)
  double stride_s = 4.0;  ///< distance between training windows
  /// Distance between evaluation windows, 0 = stride_s: the probability-timeline points of seizure_detection
  /// (its segment metrics use the labelled windows at stride_s, which must then be a multiple of it), and the
  /// validation/test windows of history and recording heads.
  double eval_stride_s = 0.0;
  bool drop_rejected = true;  ///< leave out windows the store marks as rejected (amplitude rule)
  /// Fraction of the training units (subjects or recordings) kept, stratified by class and seeded (low-label
  /// experiments: 0.1 = 10% of the training labels). Validation and test are never reduced.
  double train_label_fraction = 1.0;

  template <class V>
  void visit(V& v) {
    using namespace efm::config;
    v("store", store);
    v("window_s", window_s, positive());
    v("stride_s", stride_s, positive());
    v("eval_stride_s", eval_stride_s, non_negative());
    v("drop_rejected", drop_rejected);
    v("train_label_fraction", train_label_fraction, Bounds{0.0, 1.0, false, true});
  }
};

/// `finetune.mode`: full (every parameter trains, with layer-wise lr decay) | linear_probe (frozen backbone).
enum class FinetuneMode { full, linear_probe };
inline constexpr EnumNames<FinetuneMode, 2> kFinetuneModeNames{
    {{FinetuneMode::full, "full"}, {FinetuneMode::linear_probe, "linear_probe"}}};
constexpr const auto& enum_names(FinetuneMode) {
  return kFinetuneModeNames;
}

/// `finetune.level`: what a row of a patient/recording head's label CSV names.
enum class LabelLevel { subject, recording };
inline constexpr EnumNames<LabelLevel, 2> kLabelLevelNames{
    {{LabelLevel::subject, "subject"}, {LabelLevel::recording, "recording"}}};
constexpr const auto& enum_names(LabelLevel) {
  return kLabelLevelNames;
}

/// How recordings are divided into train / validation / test (saved as <run>/splits.csv).
struct SplitConfig {
  /// subject: a subject never appears in two splits; recording: files are split independently (for datasets
  /// without subject ids, e.g. Bonn); auto: subject when every recording has a subject id and there are at least
  /// three subjects, else recording (and the log says so).
  SplitBy by = SplitBy::automatic;
  std::vector<double> fractions{0.7, 0.15, 0.15};  ///< train, validation, test; must sum to 1
  /// Allocate each class's units separately (a unit's class: its label, or for window heads whether it has
  /// seizure windows / its majority class), so every split keeps the class proportions.
  bool stratify = true;
  /// Split seed. Fixed by default so that `--seeds 0,1,2` vary initialisation and batch order, not the test set.
  int64_t seed = 0;
  /// A splits.csv (recording_id,subject,split) to reuse instead of drawing a split; recordings it does not list
  /// are not used.
  std::string file;

  template <class V>
  void visit(V& v) {
    using namespace efm::config;
    v("by", by);
    v("fractions", fractions, fraction());
    v("stratify", stratify);
    v("seed", seed, non_negative());
    v("file", file);
  }
  void validate(const std::string& path) const;
};

/// init.unknown_channels: what a store channel without a learnt electrode row (model.electrodes) gets.
enum class UnknownChannels { error, mean };
inline constexpr EnumNames<UnknownChannels, 2> kUnknownChannelsNames{
    {{UnknownChannels::error, "error"}, {UnknownChannels::mean, "mean"}}};
constexpr const auto& enum_names(UnknownChannels) {
  return kUnknownChannelsNames;
}

/// Where the backbone weights come from.
struct InitConfig {
  /// Pretrained weights: a model.pt (state dict), a checkpoint directory (its model.pt) or a run directory (its
  /// checkpoints/latest). Empty = train from scratch (random init, for ablations).
  std::string checkpoint;
  /// Key prefix of the backbone in the file: auto ("backbone." when present, as in pretraining checkpoints, else
  /// none), or an explicit prefix.
  std::string prefix = "auto";
  /// Take the backbone architecture from the checkpoint's stored config (its `model:` section) when it has one;
  /// the fine-tuning drop_path/dropout still apply. false: `model:` of this config must match the weights.
  bool use_checkpoint_model = true;
  /// The pretraining config records its store's preprocessing (filters, rate, normalisation, montage); a store
  /// preprocessed differently is a ConfigError unless this is true (then a warning).
  bool allow_preprocessing_mismatch = false;
  /// A backbone whose electrode table has learnt rows only for some electrodes (model.electrodes: an imported
  /// LaBraM model has LaBraM's 128) meeting store channels outside them: `error` (naming them), or `mean`: they
  /// use the mean of the learnt rows, which is what import writes in the other rows (a warning names them).
  UnknownChannels unknown_channels = UnknownChannels::error;
  /// Backbone tensor-name prefixes the weights may lack; those tensors keep their initialisation and the log lists
  /// them (a listed partial load). Example: EpilepsyFM's encoders on top of imported LaBraM weights, with
  /// init.use_checkpoint_model: false and the imported run's model.max_patches (docs/interop.md):
  /// [patch_embed.spectral., patch_embed.proj., patch_embed.positions.spatial.region_embed.]
  std::vector<std::string> may_be_missing;

  template <class V>
  void visit(V& v) {
    v("checkpoint", checkpoint);
    v("prefix", prefix);
    v("use_checkpoint_model", use_checkpoint_model);
    v("allow_preprocessing_mismatch", allow_preprocessing_mismatch);
    v("unknown_channels", unknown_channels);
    v("may_be_missing", may_be_missing);
  }
};

/// finetune.class_weighting: none | balanced.
enum class ClassWeighting { none, balanced };
inline constexpr EnumNames<ClassWeighting, 2> kClassWeightingNames{
    {{ClassWeighting::none, "none"}, {ClassWeighting::balanced, "balanced"}}};
constexpr const auto& enum_names(ClassWeighting) {
  return kClassWeightingNames;
}

/// finetune.pooling of the recording heads: mean | attention.
enum class WindowPooling { mean, attention };
inline constexpr EnumNames<WindowPooling, 2> kWindowPoolingNames{
    {{WindowPooling::mean, "mean"}, {WindowPooling::attention, "attention"}}};
constexpr const auto& enum_names(WindowPooling) {
  return kWindowPoolingNames;
}

/// The head and how it is trained (`finetune:`). Fields a head does not use are ignored by it (docs/heads.md
/// lists which head reads which).
struct HeadConfig {
  std::string head = "seizure_detection";  ///< a registered head (docs/heads.md)
  /// full: every parameter trains, with layer-wise lr decay; linear_probe: the backbone is frozen (eval mode, no
  /// gradients) and only the head trains.
  FinetuneMode mode = FinetuneMode::full;
  double layer_decay = 0.65;       ///< lr scale decay^(depth + 1 - layer): LaBraM/BEiT layer ids
  double drop_path = 0.1;          ///< stochastic depth of the backbone during fine-tuning
  double dropout = 0.0;            ///< dropout before the head's output layer
  double head_init_scale = 0.001;  ///< head output weights and bias scaled after trunc-normal(0.02) init
  /// none | balanced: BCE pos_weight = n_neg / n_pos, CE weights n / (K n_k), from the training split.
  ClassWeighting class_weighting = ClassWeighting::none;
  double label_smoothing = 0.1;  ///< multi-class cross-entropy only
  /// Class names (store labels for seizure_type; label-CSV values for recording heads). Empty = the head's default.
  std::vector<std::string> classes;
  /// seizure_detection: store labels that count as seizure; empty = the store's seizure flag (labels.csv).
  std::vector<std::string> positive_labels;
  // history -> horizon heads
  double history_s = 90.0;          ///< seconds of history the model sees (1-s patches)
  std::optional<double> horizon_s;  ///< seconds to forecast; null = the head's default (12 s / 20 s)
  // patient / recording heads
  std::string labels_csv;                       ///< CSV `subject,label[,...]` (or `recording,label`): one row per unit
  std::string label_column = "label";           ///< column of labels_csv holding the label
  LabelLevel level = LabelLevel::subject;       ///< subject | recording: what a label row names
  WindowPooling pooling = WindowPooling::mean;  ///< mean | attention (gated attention, Ilse et al. 2018) over windows
  int64_t max_eval_windows = 256;               ///< windows per unit at evaluation (evenly spaced; 0 = all)
  /// Validation metric for model selection (without "val/"); empty = the head's default; mode max | min.
  std::string selection_metric;
  std::optional<config::MetricMode> selection_mode;  ///< null (or "") = the head's default

  template <class V>
  void visit(V& v) {
    using namespace efm::config;
    v("head", head);
    v("mode", mode);
    v("layer_decay", layer_decay, Bounds{0.0, 1.0, false, true});
    v("drop_path", drop_path, in_range(0.0, 0.99));
    v("dropout", dropout, in_range(0.0, 0.99));
    v("head_init_scale", head_init_scale, positive());
    v("class_weighting", class_weighting);
    v("label_smoothing", label_smoothing, in_range(0.0, 0.99));
    v("classes", classes);
    v("positive_labels", positive_labels);
    v("history_s", history_s, positive());
    v("horizon_s", horizon_s, positive());
    v("labels_csv", labels_csv);
    v("label_column", label_column);
    v("level", level);
    v("pooling", pooling);
    v("max_eval_windows", max_eval_windows, non_negative());
    v("selection_metric", selection_metric);
    v("selection_mode", selection_mode);
  }
};

/// Evaluation of the validation / test splits and what report.html shows.
struct EvaluateConfig {
  double threshold = 0.5;     ///< decision threshold on P(class 1) for binary heads
  bool event_scoring = true;  ///< seizure_detection: SzCORE event scoring of per-recording probability timelines
  /// Timeline to events (eval/events.h ProbabilityEventOptions): moving average, joining and minimum duration.
  int64_t smoothing_steps = 1;
  double merge_gap_s = 0.0;
  double min_duration_s = 0.0;
  int64_t batch_size = 32;    ///< windows per forward pass
  int64_t max_timelines = 8;  ///< recordings plotted in report.html (those with seizures first)
  int64_t max_traces = 4;     ///< forecast examples plotted
  int64_t max_windows = 0;    ///< history heads: test windows scored (evenly spaced; 0 = all)

  template <class V>
  void visit(V& v) {
    using namespace efm::config;
    v("threshold", threshold, fraction());
    v("event_scoring", event_scoring);
    v("smoothing_steps", smoothing_steps, at_least(1));
    v("merge_gap_s", merge_gap_s, non_negative());
    v("min_duration_s", min_duration_s, non_negative());
    v("batch_size", batch_size, at_least(1));
    v("max_timelines", max_timelines, non_negative());
    v("max_traces", max_traces, non_negative());
    v("max_windows", max_windows, non_negative());
  }
};

/// `epilepsyfm predict`: streaming a recording through the model (window heads with a binary output).
struct PredictConfig {
  double step_s = 1.0;  ///< hop between windows; each second's probability is the mean of the windows covering it
  double threshold = 0.5;
  int64_t smoothing_steps = 1;  ///< moving average over per-second probabilities (odd)
  double merge_gap_s = 0.0;     ///< detections closer than this are joined
  double min_duration_s = 0.0;  ///< shorter detections are dropped
  double chunk_s = 10.0;        ///< seconds of input read and preprocessed at a time
  int64_t batch_size = 32;

  template <class V>
  void visit(V& v) {
    using namespace efm::config;
    v("step_s", step_s, positive());
    v("threshold", threshold, fraction());
    v("smoothing_steps", smoothing_steps, at_least(1));
    v("merge_gap_s", merge_gap_s, non_negative());
    v("min_duration_s", min_duration_s, non_negative());
    v("chunk_s", chunk_s, positive());
    v("batch_size", batch_size, at_least(1));
  }
};

/// Written by finetune: what the trained model was trained on (for evaluate and predict).
struct ResolvedConfig {
  std::string store_config_hash;        ///< SHA-256 of the store's config.yaml
  std::vector<std::string> channels;    ///< channel names of the training windows (all channel groups)
  std::vector<std::string> classes;     ///< names of the head's output classes (empty for regression heads)
  SplitBy split_by = SplitBy::subject;  ///< subject | recording, after `auto`
  config::IngestConfig ingest;          ///< the store's preprocessing, channel and label settings

  template <class V>
  void visit(V& v) {
    v("store_config_hash", store_config_hash);
    v("channels", channels);
    v("classes", classes);
    v("split_by", split_by);
    v("ingest", ingest);
  }
};

/// LaBraM fine-tuning schedule: 50 epochs, warmup 5 epochs, AdamW (0.9, 0.999), lr 5e-4 -> 1e-6, wd 0.05.
config::TrainConfig finetune_train_defaults();

struct FinetuneExperiment {
  /// Written as `experiment: finetune` at the top of the config (config/loader.h experiment_kind).
  static constexpr config::ExperimentKind kExperiment = config::ExperimentKind::finetune;
  config::RunConfig run;
  FinetuneDataConfig data;
  SplitConfig split;
  models::BackboneConfig model;
  InitConfig init;
  HeadConfig finetune;
  config::TrainConfig train = finetune_train_defaults();
  EvaluateConfig evaluate;
  PredictConfig predict;
  ResolvedConfig resolved;

  template <class V>
  void visit(V& v) {
    v("run", run);
    v("data", data);
    v("split", split);
    v("model", model);
    v("init", init);
    v("finetune", finetune);
    v("train", train);
    v("evaluate", evaluate);
    v("predict", predict);
    v("resolved", resolved);
  }
};

/// What fine-tuning takes from the run it starts from (init.checkpoint).
struct InitSource {
  std::optional<models::BackboneConfig> model;             ///< the run's `model:` section
  std::optional<config::PreprocessingSpec> preprocessing;  ///< a pretraining run's data.preprocessing
};
/// Parses the stored config of an init checkpoint by its experiment kind (config::experiment_kind): a pretraining
/// or a fine-tuning run. ConfigError naming `origin` for other kinds or a malformed config.
InitSource init_source_of(const std::string& config_yaml, std::optional<config::ExperimentKind> kind,
                          const std::string& origin);

/// The channels whose electrode has no learnt row of the electrode table: outside `electrodes` (a backbone
/// config's model.electrodes; empty = every electrode is learnt) or outside the vocabulary (UNK).
std::vector<std::string> channels_without_learnt_row(const std::vector<std::string>& electrodes,
                                                     const std::vector<std::string>& channels);

/// Parses a store's config.yaml (an ingest experiment) into its ingest settings.
config::IngestConfig ingest_config_of(const std::string& store_config_yaml, const std::string& origin);

}  // namespace efm::eval
