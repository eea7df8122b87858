#include "epilepsyfm/train/model_files.h"

#include <fmt/format.h>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/core/log.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/train/checkpoint.h"

namespace efm::train {
namespace fs = std::filesystem;

namespace {

ModelFile from_file(const fs::path& file) {
  ModelFile m;
  m.weights = file;
  m.description = file.string();
  m.config_yaml = models::read_state_dict(file).config_yaml;
  if (m.config_yaml.empty() && fs::exists(file.parent_path() / "config.yaml")) {
    m.config_yaml = read_file(file.parent_path() / "config.yaml");  // a checkpoint's model.pt
  }
  if (m.config_yaml.empty()) {
    throw ConfigError(
        fmt::format("{}: the file holds no config (no '{}' entry and no config.yaml beside it), so "
                    "the model it belongs to is unknown",
                    file.string(), models::kConfigKey));
  }
  return m;
}

ModelFile from_checkpoint_dir(const fs::path& dir) {
  ModelFile m;
  m.weights = dir / "model.pt";
  m.config_yaml = read_file(dir / "config.yaml");
  m.description = dir.string();
  return m;
}

bool is_checkpoint_dir(const fs::path& dir) {
  return fs::is_regular_file(dir / "model.pt") && fs::is_regular_file(dir / "config.yaml");
}

}  // namespace

ModelFile resolve_model_file(const fs::path& path, CheckpointChoice which) {
  if (!fs::exists(path)) throw ConfigError(fmt::format("{}: does not exist", path.string()));
  ModelFile m;
  if (fs::is_regular_file(path)) {
    m = from_file(path);
  } else if (is_checkpoint_dir(path)) {
    m = from_checkpoint_dir(path);
  } else {
    const RunDir run(path);
    const std::optional<config::ExperimentKind> kind =
        fs::is_regular_file(run.config_file())
            ? config::experiment_kind(read_file(run.config_file()), run.config_file().string())
            : std::nullopt;
    const std::string export_name = RunDir::export_name(kind);
    const auto checkpoint = run.checkpoint(which);
    if (!export_name.empty() && fs::is_regular_file(path / export_name)) {
      m = from_file(path / export_name);
    } else if (checkpoint && is_checkpoint_dir(checkpoint->dir)) {
      if (!export_name.empty()) {
        EFM_LOG_INFO("[model] {} has no {} (still training?): using its checkpoint {}", path.string(), export_name,
                     checkpoint->dir.string());
      }
      m = from_checkpoint_dir(checkpoint->dir);
    } else {
      throw ConfigError(fmt::format(
          "{}: no trained weights found: expected {}a checkpoint directory (model.pt + config.yaml) or a run "
          "directory with checkpoints/latest",
          path.string(),
          export_name.empty() ? std::string() : fmt::format("{} (written when a run finishes), ", export_name)));
    }
  }
  m.kind = config::experiment_kind(m.config_yaml, m.description);
  return m;
}

LoadedTokenizer load_tokenizer(const fs::path& path) {
  LoadedTokenizer out;
  out.file = resolve_model_file(path);
  EFM_CHECK_CONFIG(
      out.file.kind == config::ExperimentKind::tokenizer, "{} is not a tokenizer: its config is {}",
      out.file.description,
      out.file.kind ? fmt::format("a {} experiment's", *out.file.kind) : std::string("of no known experiment kind"));
  out.experiment = config::parse_yaml<TokenizerExperiment>(out.file.config_yaml, out.file.description);
  out.tokenizer = models::NeuralTokenizer(out.experiment.tokenizer.to_options());
  const models::StateDictFile sd = models::read_state_dict(out.file.weights);
  const models::LoadReport report = models::load_state_dict(*out.tokenizer, sd.tensors, out.file.weights.string());
  EFM_LOG_INFO("[model] tokenizer {}: {}", out.file.weights.string(), report.summary());
  return out;
}

}  // namespace efm::train
