// epilepsyfm evaluate: re-score a finetune run (its test split, or another store) and rewrite metrics.csv,
// metrics.json and report.html (eval/finetune.h).
#include <fmt/format.h>

#include "cli/args.h"
#include "cli/common.h"
#include "cli/verbs.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/eval/finetune/finetune.h"
#include "epilepsyfm/train/run_dir.h"

namespace efm::cli {

int run_evaluate(int argc, char** argv) {
  ArgParser args("epilepsyfm evaluate --run RUN [--store STORE] [--out DIR] [--checkpoint best|latest]",
                 "Score a finished finetune run from its directory alone (config.yaml, splits.csv, checkpoints): "
                 "the test split at the selected (best validation) checkpoint, or every recording of another "
                 "store. Writes metrics.csv (test rows), metrics.json, predictions and a self-contained "
                 "report.html (training curves, ROC/PR, confusion matrix, seizure-probability timelines, forecast "
                 "traces).");
  add_log_option(args);
  args.option("run", "RUN", "the finetune run directory (or a directory of seed_<s> runs)");
  args.option("store", "STORE", "score this store instead (all its recordings; output in RUN/external_<name>)");
  args.option("out", "DIR", "output directory (default: RUN, or RUN/external_<store name>)");
  args.option("checkpoint", "WHICH", "best (selected on validation, default) or latest", "best");
  if (!parse_and_init_logging(args, argc, argv)) return 0;
  EFM_CHECK_CONFIG(args.has("run"), "evaluate: give --run RUN");
  eval::EvaluateOptions o;
  if (args.has("store")) o.store = args.get("store");
  if (args.has("out")) o.out = args.get("out");
  o.checkpoint = train::parse_checkpoint_choice(args.get("checkpoint"), "--checkpoint");
  const std::filesystem::path run = args.get("run");
  log::add_file_sink((std::filesystem::is_directory(run) ? run : run.parent_path()) / "evaluate.log");
  eval::evaluate_run(run, o);
  log::remove_file_sinks();
  return 0;
}

}  // namespace efm::cli
