#include "epilepsyfm/train/model_files.h"

#include <fmt/format.h>

#include "epilepsyfm/config/loader.h"
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

ModelFile resolve_model_file(const fs::path& path, const std::string& export_name) {
  if (fs::is_regular_file(path)) return from_file(path);
  if (fs::is_directory(path)) {
    if (fs::is_regular_file(path / export_name)) return from_file(path / export_name);
    if (is_checkpoint_dir(path)) return from_checkpoint_dir(path);
    if (fs::is_directory(path / "checkpoints")) {
      const auto latest = CheckpointManager(path, /*keep_last=*/0).latest();
      if (latest && is_checkpoint_dir(*latest)) {
        EFM_LOG_INFO("[model] {} has no {} (still training?): using its latest checkpoint {}", path.string(),
                     export_name, latest->string());
        return from_checkpoint_dir(*latest);
      }
    }
    throw ConfigError(
        fmt::format("{}: no trained weights found: expected {} (written when a run finishes), a checkpoint directory "
                    "(model.pt + config.yaml) or a run directory with checkpoints/latest",
                    path.string(), (path / export_name).string()));
  }
  throw ConfigError(fmt::format("{}: does not exist", path.string()));
}

LoadedTokenizer load_tokenizer(const fs::path& path) {
  LoadedTokenizer out;
  out.file = resolve_model_file(path, kTokenizerFile);
  try {
    out.experiment = config::parse_yaml<TokenizerExperiment>(out.file.config_yaml, out.file.description);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{} is not a tokenizer (its config does not parse as a tokenizer experiment): {}",
                                  out.file.description, e.what()));
  }
  out.tokenizer = models::NeuralTokenizer(out.experiment.tokenizer.to_options());
  const models::StateDictFile sd = models::read_state_dict(out.file.weights);
  models::load_state_dict(*out.tokenizer, sd.tensors, out.file.weights.string());
  return out;
}

}  // namespace efm::train
