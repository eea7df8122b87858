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

/// Creates the run directory, tees the log into <dir>/log.txt and writes <dir>/config.yaml (atomically).
std::filesystem::path open_run_dir(const std::filesystem::path& dir, RunDirMode mode, const std::string& config_yaml);

}  // namespace efm::cli
