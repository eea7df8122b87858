#pragma once
/// Downstream task heads (docs/heads.md) and the registry that names them. A head declares what it consumes
/// (one window; a history window and the horizon after it; all windows of a subject or recording), its loss, where
/// its labels come from and what it reports; its factory builds a FinetuneTask, which the Trainer trains and
/// `evaluate` scores.
///
///   const HeadDefinition& def = head_registry().get("seizure_detection", "finetune.head");
///   std::unique_ptr<FinetuneTask> task = def.make(setup);    // class map, strata
///   Split split = make_split(setup.source->recordings(), task->strata(), split_options);
///   task->bind(split);                                        // split sources + window indices, model, init weights
///   Trainer trainer(opts, *task, task->train_source(), task->train_index());
///   EvalResult test = task->evaluate_split(SplitPart::test, device, /*report=*/true);
///
/// Adding a head is one file plus one registry line (docs/heads.md): a `HeadSpec` and a factory that configures
/// one of the three task kinds (heads/kinds.h: window classifier, forecaster, recording classifier), and
/// `r.add("<name>", make_<name>_head())` in register_builtin_heads (src/eval/heads/registry.cpp).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/core/registry.h"
#include "epilepsyfm/data/window_source.h"
#include "epilepsyfm/data/windows.h"
#include "epilepsyfm/eval/finetune/finetune_config.h"
#include "epilepsyfm/eval/finetune/heads/modules.h"
#include "epilepsyfm/eval/finetune/split.h"
#include "epilepsyfm/eval/metrics/events.h"
#include "epilepsyfm/eval/metrics/metric_set.h"
#include "epilepsyfm/models/signal_spec.h"
#include "epilepsyfm/train/task.h"

namespace efm::eval {

/// What a head consumes.
enum class HeadInput {
  window,           ///< one window (data.window_s) -> one output
  history_horizon,  ///< history_s of signal -> the following horizon_s
  recording,        ///< all windows of a subject or recording -> one output (labels from a CSV)
};
/// "window", "history -> horizon", "all windows of a subject/recording".
std::string input_text(HeadInput input);

/// What a head declares (printed by docs/heads.md and `finetune --list-heads`).
struct HeadSpec {
  std::string name;
  std::string description;
  HeadInput input = HeadInput::window;
  std::string output;                ///< "P(seizure)", "class", "future signal [C, horizon]", ...
  std::string loss;                  ///< e.g. "BCE with logits"
  std::string labels;                ///< where labels come from
  std::vector<std::string> metrics;  ///< main reported metrics
  std::string selection_metric;      ///< default validation metric for model selection (without "val/")
  config::MetricMode selection_mode = config::MetricMode::max;
  double default_horizon_s = 0;              ///< history_horizon heads
  std::vector<std::string> default_classes;  ///< class names when finetune.classes is empty (may be empty)
};

/// Everything a head's factory gets.
struct HeadSetup {
  FinetuneExperiment exp;                            ///< the resolved experiment
  std::shared_ptr<const data::WindowSource> source;  ///< every recording of the store (index = recording)
  /// Per store label (source->label_names()): true when it denotes a seizure (the store's labels.csv flag).
  std::vector<bool> seizure_labels;
  /// Annotated seizure events of a recording (seconds from its start), for event scoring and timelines. Null:
  /// derived from the window table (spans with seizure labels, merged).
  std::function<std::vector<Event>(int64_t recording)> seizure_events;
};

/// A table and a figure for report.html.
struct ReportTable {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
struct ReportFigure {
  std::string svg;
  std::string caption;
  bool row_start = false;  ///< starts a row of side-by-side figures (ended by the next figure with row_start)
};

/// Scores of one split.
struct EvalResult {
  std::string split;  ///< "val", "test", "external"
  MetricSet metrics;
  int64_t n_windows = 0;  ///< windows run through the model
  int64_t n_units = 0;    ///< recordings (or subjects) scored
  std::vector<ReportFigure> figures;
  std::vector<ReportTable> tables;
  std::string predictions_csv;  ///< per window (or unit) predictions, with a header line
};

/// The training task of a head (train::TrainingTask), plus evaluation of any split.
class FinetuneTask : public train::TrainingTask {
 public:
  FinetuneTask(HeadSpec spec, HeadSetup setup);
  ~FinetuneTask() override;

  const HeadSpec& spec() const { return spec_; }
  const HeadSetup& setup() const { return setup_; }
  const FinetuneExperiment& exp() const { return setup_.exp; }

  /// Per recording of the source: its class for stratified splitting (>= 0), -1 (none) or -2 (not usable by this
  /// head, e.g. no label row). Available right after construction.
  virtual std::vector<int64_t> strata() const = 0;
  /// Output class names (empty for regression heads).
  virtual std::vector<std::string> class_names() const { return {}; }
  /// Binary heads: a decision threshold chosen on the validation split (its metric `best_threshold`); later
  /// evaluations also report balanced accuracy, sensitivity and specificity at it (`*_at_val_threshold`).
  virtual void set_tuned_threshold(double threshold) { (void)threshold; }

  /// Builds the split's sources and window indices, the model (backbone options from `backbone`) and freezes the
  /// backbone in linear_probe mode. `for_training`: the training split must have usable windows (else ConfigError)
  /// and the head derives its training statistics (class weights); false for scoring only (evaluate).
  void bind(const Split& split, const models::BackboneOptions& backbone, bool for_training = true);
  const Split& split() const { return split_; }

  /// Loads pretrained backbone weights (state-dict tensors with `prefix` removed); missing fc_norm.* (pooling) and
  /// the `may_be_missing` prefixes (init.may_be_missing) are allowed and logged, anything else missing or unexpected
  /// is a DataError naming `origin` and the keys.
  void load_backbone(const std::map<std::string, torch::Tensor>& tensors, const std::string& prefix,
                     const std::string& origin, const std::vector<std::string>& may_be_missing = {});

  std::shared_ptr<const data::WindowSource> train_source() const { return sources_[0]; }
  std::shared_ptr<const data::WindowIndex> train_index() const { return indices_[0]; }
  /// Source / index of a part (train, val, test).
  std::shared_ptr<const data::WindowSource> part_source(SplitPart part) const;
  std::shared_ptr<const data::WindowIndex> part_index(SplitPart part) const;
  /// Channel names of the training windows (every channel group, in order of first appearance).
  std::vector<std::string> training_channels() const;
  /// One line per part: units, recordings, windows, classes.
  std::string describe_data() const;

  /// Scores a part of the split (the model in eval mode, no gradients). `report` adds figures, tables and the
  /// predictions CSV. `name` overrides the split name in the result ("external").
  EvalResult evaluate_split(SplitPart part, const torch::Device& device, bool report, const std::string& name = {});
  // train::TrainingTask
  torch::nn::Module& model() override { return *model_; }
  bool has_evaluation() const override { return true; }
  std::map<std::string, double> evaluate(const train::EvalContext& ctx) override;
  double lr_scale(const std::string& param_name) const override;

  FinetuneModel net() const { return model_; }

 protected:
  /// Window options of this head for training (`for_eval` false) or evaluation windows.
  virtual data::WindowOptions window_options(bool for_eval) const = 0;
  /// The head module on top of a backbone with embedding size `embed_dim`.
  virtual std::shared_ptr<torch::nn::Module> make_head(int64_t embed_dim) = 0;
  /// Called at the end of bind() for training (class weights from the training windows, ...).
  virtual void after_bind() {}
  /// Scores `index` windows of `source` (recordings of that source). `seizure_events` / labels come from `setup`
  /// with recording indices mapped through `base_index`.
  struct EvalData {
    std::shared_ptr<const data::WindowSource> source;
    std::shared_ptr<const data::WindowIndex> index;
    std::function<int64_t(int64_t)> base_index;  ///< recording of `source` -> recording of setup.source
    const HeadSetup* setup = nullptr;
    std::string split;  ///< the split's name in the result, figure titles and tables ("val", "test", ...)
  };
  virtual EvalResult run_evaluation(const EvalData& data, const torch::Device& device, bool report) = 0;

  /// The model input of a batch (signal, channel and region ids).
  static models::EegInput input_of(const data::Batch& batch);
  /// Backbone forward; without gradients and in eval mode in linear_probe mode.
  models::BackboneOutput backbone_forward(const models::EegInput& input);
  bool linear_probe() const { return exp().finetune.mode == FinetuneMode::linear_probe; }
  /// Calls `fn(batch)` for the windows `selection` of `index` (empty = all, in index order): consecutive windows
  /// of one channel group form batches of at most evaluate.batch_size (no padding), with the tensors on `device`;
  /// the next batch is read while `fn` runs.
  void for_each_batch(const std::shared_ptr<const data::WindowSource>& source,
                      const std::shared_ptr<const data::WindowIndex>& index, const std::vector<int64_t>& selection,
                      const torch::Device& device, const std::function<void(const data::Batch&)>& fn) const;
  /// Seizure events of recording `base_recording` of setup.source (see HeadSetup::seizure_events).
  static std::vector<Event> seizure_events_of(const HeadSetup& setup, int64_t base_recording);

  HeadSpec spec_;
  HeadSetup setup_;
  Split split_;
  FinetuneModel model_{nullptr};
  std::shared_ptr<const data::WindowSource> sources_[3];
  std::shared_ptr<const data::WindowIndex> indices_[3];
};

using HeadFactory = std::function<std::unique_ptr<FinetuneTask>(const HeadSetup& setup)>;

/// The model of a trained run of a head, built from the run's config (its checkpoint's config.yaml: `model`,
/// `finetune`, `resolved.classes`) for loading the checkpoint's weights into.
using HeadModelFactory = std::function<FinetuneModel(const FinetuneExperiment& exp)>;

/// A registered head: its declaration and factories.
struct HeadDefinition {
  HeadSpec spec;
  HeadFactory make;
  /// Set for heads that `predict` runs on recordings (window classifiers); null otherwise.
  HeadModelFactory model;
};

using HeadRegistry = Registry<HeadDefinition>;

/// The built-in heads, one line each (src/eval/heads/registry.cpp).
void register_builtin_heads(HeadRegistry& registry);
/// The process-wide registry with the built-in heads.
const HeadRegistry& head_registry();

// One factory per built-in head (one file each under src/eval/heads/).
HeadDefinition seizure_detection_head();
HeadDefinition seizure_type_head();
HeadDefinition forecast_short_head();
HeadDefinition forecast_long_head();
HeadDefinition frequency_phase_head();
HeadDefinition asm_efficacy_head();
HeadDefinition rftc_outcome_head();

}  // namespace efm::eval
