#pragma once
// Pieces every verb shares: the config options (--config, --set, --dump-config, --log-level), loading the typed
// experiment config with them, and preparing the run directory (log tee, resolved config.yaml).
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

/// --resume / --overwrite flags -> RunDirMode.
RunDirMode run_dir_mode(const ArgParser& args);

}  // namespace efm::cli
