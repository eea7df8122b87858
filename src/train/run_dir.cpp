#include "epilepsyfm/train/run_dir.h"

#include <fmt/format.h>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/train/checkpoint.h"

namespace efm::train {
namespace fs = std::filesystem;

CheckpointChoice parse_checkpoint_choice(const std::string& text, const std::string& path) {
  if (text == "latest") return CheckpointChoice::latest;
  if (text == "best") return CheckpointChoice::best;
  throw ConfigError(fmt::format("{}: allowed values are 'best', 'latest', but got '{}'", path, text));
}

RunDir::RunDir(fs::path dir) : dir_(std::move(dir)) {}

RunDir RunDir::open(const fs::path& dir, RunDirMode mode, const std::string& config_yaml) {
  RunDir run(prepare_run_dir(dir, mode));
  log::add_file_sink(run.path() / "log.txt");
  atomic_write_file(run.config_file(), config_yaml);
  EFM_LOG_INFO("[run] directory {}", run.path().string());
  return run;
}

namespace {

/// The experiment kinds whose runs end with an exported weights file.
struct ExportRow {
  config::ExperimentKind kind;
  const char* file;
};
constexpr ExportRow kExports[] = {{config::ExperimentKind::tokenizer, kTokenizerFile},
                                  {config::ExperimentKind::pretrain, kPretrainedFile}};

}  // namespace

std::string RunDir::export_name(std::optional<config::ExperimentKind> kind) {
  for (const ExportRow& row : kExports) {
    if (kind == row.kind) return row.file;
  }
  return "";
}

std::optional<Checkpoint> RunDir::checkpoint(CheckpointChoice which) const {
  const CheckpointManager m(dir_, /*keep_last=*/0);
  std::optional<fs::path> dir = which == CheckpointChoice::best ? m.best() : std::nullopt;
  if (!dir) {
    dir = m.latest();
    if (dir && which == CheckpointChoice::best) {
      EFM_LOG_WARN("[run] {}: no best checkpoint recorded; using the latest", dir_.string());
    }
  }
  if (!dir) return std::nullopt;
  return Checkpoint{*dir, TrainState::read(*dir)};
}

}  // namespace efm::train
