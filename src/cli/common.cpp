#include "cli/common.h"

#include "epilepsyfm/core/log.h"

namespace efm::cli {

void add_log_option(ArgParser& args) {
  args.option("log-level", "LEVEL", "trace|debug|info|warn|error|off (else $EPILEPSYFM_LOG_LEVEL, else info)");
}

void add_config_options(ArgParser& args) {
  args.multi("config", "FILE", "YAML config; later files override earlier ones");
  args.multi("set", "KEY=VALUE", "override one key, e.g. --set train.lr=1e-4 (applied after all files)");
  args.flag("dump-config", "print the resolved config as YAML and exit");
  add_log_option(args);
}

void init_logging(const ArgParser& args, const std::string& config_level) {
  if (args.has("log-level")) {
    log::init(args.get("log-level"));
  } else {
    log::init();
    if (!config_level.empty() && !std::getenv("EPILEPSYFM_LOG_LEVEL")) {
      log::set_level(log::parse_level(config_level, "run.log_level"));
    }
  }
}

config::ConfigSources config_sources(const ArgParser& args) {
  return {args.get_all("config"), args.get_all("set")};
}

bool parse_and_init_logging(ArgParser& args, int argc, char** argv) {
  if (!args.parse(argc, argv)) return false;
  init_logging(args);
  return true;
}

void set_from_option(const ArgParser& args, const std::string& name, std::string& key) {
  if (args.has(name)) key = args.get(name);
}

RunDirMode run_dir_mode(const ArgParser& args) {
  if (args.flag_set("resume")) return RunDirMode::resume;
  if (args.flag_set("overwrite")) return RunDirMode::overwrite;
  return RunDirMode::create_new;
}

}  // namespace efm::cli
