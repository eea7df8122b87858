#pragma once
/// `epilepsyfm finetune` and `epilepsyfm evaluate` as library calls: split, train with model selection on the
/// validation split, score the test split at the selected step, write metrics and report.html.
///
///   FinetuneExperiment exp = config::load<FinetuneExperiment>({{"configs/finetune/seizure_detection.yaml"}, {}});
///   FinetuneOutcome o = run_finetune(exp, "runs/sd", {});          // one seed
///   auto all = run_finetune_seeds(exp, "runs/sd", {0, 1, 2}, {});   // runs/sd/seed_<s>/ + summary (mean ± std)
///   FinetuneOutcome again = evaluate_run("runs/sd", {});           // re-score the test split, rewrite the report
///
/// Run directory (docs/heads.md, Outputs):
///   config.yaml            the resolved experiment, including `resolved:` (store settings, channels, classes)
///   log.txt                the log
///   splits.csv             recording_id,subject,split
///   metrics.csv            step,split,metric,value: training rows (train/val) and the test rows at the selected step
///   metrics.json           {"head", "selected_step", "checkpoint", "val": {...}, "test": {...}}
///   predictions_test.csv   per window (or unit) predictions of the test split
///   report.html            training curves, metrics, ROC/PR, confusion matrix, timelines or forecast traces
///   checkpoints/           best (selected on validation) and last; model.pt is a state dict (backbone.*, head.*)
/// With several seeds: <run>/seed_<s>/ each as above, plus <run>/summary.csv (metric,mean,std,n,seed_<s>...),
/// summary.json and report.html (mean ± sample standard deviation over seeds, links to each seed's report).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/data/store_source.h"
#include "epilepsyfm/eval/finetune/finetune_config.h"
#include "epilepsyfm/eval/finetune/heads/head.h"
#include "epilepsyfm/eval/metrics/metric_set.h"
#include "epilepsyfm/train/run_dir.h"

namespace efm::eval {

/// The head setup of a store: its seizure label flags and annotated seizure events (from the store's event
/// tables, events with the seizure flag, overlapping ones merged).
HeadSetup make_head_setup(const FinetuneExperiment& exp, std::shared_ptr<const data::StoreWindowSource> store);

/// The model.pt a checkpoint path refers to (train::resolve_model_file): a file as is; a checkpoint directory's
/// model.pt; a run directory's checkpoint `which` ("best" or "latest"; "best" falls back to "latest").
std::filesystem::path resolve_model_file(const std::filesystem::path& path, const std::string& which = "latest");

struct FinetuneRunOptions {
  bool progress = true;  ///< progress bar while training
  bool resume = false;   ///< continue from the run's latest checkpoint (same split and settings)
};

struct FinetuneOutcome {
  std::filesystem::path run_dir;
  std::string head;
  int64_t selected_step = 0;
  std::filesystem::path checkpoint;  ///< the selected checkpoint directory
  MetricSet val;                     ///< validation metrics at the selected step
  MetricSet test;                    ///< test metrics at the selected step
};

/// One fine-tuning run into `run_dir` (created by the caller; config.yaml and splits.csv are written here).
/// Throws ConfigError for inconsistent settings and DataError for unusable data or weights.
FinetuneOutcome run_finetune(FinetuneExperiment exp, const std::filesystem::path& run_dir,
                             const FinetuneRunOptions& options);

/// One run per seed (run.seed = s) into <run_dir>/seed_<s>, then the summary files and report.
std::vector<FinetuneOutcome> run_finetune_seeds(const FinetuneExperiment& exp, const std::filesystem::path& run_dir,
                                                const std::vector<int64_t>& seeds, const FinetuneRunOptions& options);

/// Writes <run_dir>/summary.csv, summary.json and report.html over the seeds' test metrics.
void write_seed_summary(const std::filesystem::path& run_dir, const std::vector<FinetuneOutcome>& runs);

struct EvaluateOptions {
  /// Another store to score (every usable recording of it, split name "external"); empty = the run's store and
  /// its test split.
  std::string store;
  /// Output directory; default: the run directory (own store) or <run>/external_<store name> (another store).
  std::filesystem::path out;
  train::CheckpointChoice checkpoint = train::CheckpointChoice::best;
};

/// Re-scores a finished run from its directory alone (config.yaml, splits.csv, checkpoints): writes metrics.csv
/// test rows (replacing earlier ones), metrics.json, predictions and report.html. A directory with seed_<s>
/// sub-runs is evaluated seed by seed and its summary rewritten (the returned outcomes are the seeds').
std::vector<FinetuneOutcome> evaluate_run(const std::filesystem::path& run_dir, const EvaluateOptions& options);

}  // namespace efm::eval
