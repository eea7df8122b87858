#pragma once
// What the learning verbs (tokenizer, pretrain) share on the command line; the runner itself is train/runner.h.
#include <string>

#include "cli/args.h"
#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/train/runner.h"
#include "epilepsyfm/train/trainer.h"

namespace efm::cli {

/// --store, --out, --resume, --overwrite, --no-progress (+ the config options).
void add_learning_options(ArgParser& args);
/// The config sources of a learning verb: with --resume and no --config, the run's own config.yaml is the base
/// (a checkpointed run continues with nothing else on the command line); --set always applies.
config::ConfigSources learning_config_sources(const ArgParser& args);

/// --resume / --no-progress -> the runner's fit flags.
train::FitFlags fit_flags(const ArgParser& args);

/// The last logged value of `name` (e.g. "train/loss") formatted with `fmt_spec`, or "n/a".
std::string last_metric_text(const train::TrainResult& result, const char* name, const char* fmt_spec = "{:.4g}");

}  // namespace efm::cli
