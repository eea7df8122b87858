#pragma once
// Pieces every verb shares: the config options (--config, --set, --dump-config, --log-level), loading the typed
// experiment config with them, and preparing the run directory (log tee, resolved config.yaml).
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli/args.h"
#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/fs.h"

namespace efm::cli {

/// Adds --config FILE (repeatable), --set KEY=VALUE (repeatable), --dump-config, --log-level LEVEL.
void add_config_options(ArgParser& args);
/// Adds only --log-level (verbs without a config).
void add_log_option(ArgParser& args);
/// Applies --log-level (else EPILEPSYFM_LOG_LEVEL).
void init_logging(const ArgParser& args, const std::string& config_level = {});
config::ConfigSources config_sources(const ArgParser& args);
/// Parses argv[1..argc) and applies --log-level, for verbs without a config. False when --help was printed (the
/// verb then exits 0).
bool parse_and_init_logging(ArgParser& args, int argc, char** argv);

/// Sets `key` to the value of option `name` when the command line gives it (`--out RUN` sets run.out).
void set_from_option(const ArgParser& args, const std::string& name, std::string& key);

/// Experiments with a store key, `data.store`.
template <class Experiment>
concept HasDataStore = requires(Experiment e) {
  e.data.store;
};

/// A verb's experiment: config::load over `sources`, then the options that set keys every experiment with those
/// keys shares: --out sets run.out and, for experiments with a `data:` store, --store sets data.store.
template <class Experiment>
Experiment load_experiment(const ArgParser& args, const config::ConfigSources& sources) {
  auto exp = config::load<Experiment>(sources);
  set_from_option(args, "out", exp.run.out);
  if constexpr (HasDataStore<Experiment>) set_from_option(args, "store", exp.data.store);
  return exp;
}

/// With --dump-config: prints the resolved `exp` as YAML on stdout and returns true (the verb then exits 0).
template <class Experiment>
bool dump_config(const ArgParser& args, const Experiment& exp) {
  if (!args.flag_set("dump-config")) return false;
  std::fputs(config::to_yaml(exp).c_str(), stdout);
  return true;
}

/// Applies --log-level (else the experiment's run.log_level), then dump_config: true when the verb is done.
template <class Experiment>
bool init_logging_or_dump(const ArgParser& args, const Experiment& exp) {
  init_logging(args, exp.run.log_level);
  return dump_config(args, exp);
}

/// --resume / --overwrite flags -> RunDirMode.
RunDirMode run_dir_mode(const ArgParser& args);

}  // namespace efm::cli
