#include "cli/learning.h"

#include <fmt/format.h>

#include <filesystem>

#include "cli/common.h"
#include "epilepsyfm/core/error.h"

namespace efm::cli {
namespace fs = std::filesystem;

void add_learning_options(ArgParser& args) {
  add_config_options(args);
  args.option("store", "STORE", "the HDF5 store written by `epilepsyfm ingest` (sets data.store)");
  args.option("out", "RUN", "the run directory (sets run.out)");
  args.flag("resume", "continue the latest checkpoint in RUN (without --config: with RUN/config.yaml)");
  args.flag("overwrite", "delete RUN's contents first");
  args.flag("no-progress", "log lines instead of a progress bar");
}

config::ConfigSources learning_config_sources(const ArgParser& args) {
  config::ConfigSources s = config_sources(args);
  if (args.flag_set("resume") && s.files.empty() && args.has("out")) {
    const fs::path saved = fs::path(args.get("out")) / "config.yaml";
    if (!fs::exists(saved)) {
      throw ConfigError(
          fmt::format("--resume: {} does not exist; give --config or the directory of a run", saved.string()));
    }
    s.files.push_back(saved.string());
  }
  return s;
}

train::FitFlags fit_flags(const ArgParser& args) {
  train::FitFlags f;
  f.resume = args.flag_set("resume");
  f.progress = !args.flag_set("no-progress");
  return f;
}

std::string last_metric_text(const train::TrainResult& result, const char* name, const char* fmt_spec) {
  const auto it = result.last_metrics.find(name);
  return it == result.last_metrics.end() ? std::string("n/a") : fmt::format(fmt::runtime(fmt_spec), it->second);
}

}  // namespace efm::cli
