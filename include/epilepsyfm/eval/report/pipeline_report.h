#pragma once
/// One self-contained HTML page over the run directories of a pipeline (what `epilepsyfm report` and
/// scripts/demo.sh write): for the tokenizer and pretraining runs, the first and last logged values of their key
/// metrics and the loss curve; for each fine-tuning run, its head, initialisation and test metrics at the selected
/// step (or mean ± std over seeds), with a link to the run's own report.html. Torch-free: it reads only the files
/// the runs wrote (metrics.csv, metrics.json, summary.csv, config.yaml).
#include <filesystem>
#include <string>
#include <vector>

namespace efm::eval {

enum class RunKind { tokenizer, pretrain, finetune, finetune_seeds };

/// What kind of run `dir` holds, from the files in it; nullopt-like failure is a DataError naming the directory and
/// the files looked for.
RunKind detect_run_kind(const std::filesystem::path& dir);

/// Writes the page to `out` (atomically) and returns the number of runs it lists. Links to each run's report.html
/// are relative to `out`'s folder. Throws DataError naming the run and file when a run's files are unreadable.
size_t write_pipeline_report(const std::vector<std::filesystem::path>& runs, const std::filesystem::path& out,
                             const std::string& title);

}  // namespace efm::eval
