// The finetune experiment config: YAML loader instantiation, cross-field checks and readers of stored configs.
#include "epilepsyfm/eval/finetune_config.h"

#include <cmath>

#include "epilepsyfm/config/yaml_io.h"
#include "epilepsyfm/core/check.h"

namespace efm::eval {

namespace {
/// Only the `model:` section of a stored experiment config.
struct ModelSection {
  models::BackboneConfig model;
  template <class V>
  void visit(V& v) {
    v("model", model);
  }
};
/// Only `data.preprocessing` of a stored experiment config.
struct PreprocessingSection {
  std::optional<train::PreprocessingRecord> preprocessing;
  template <class V>
  void visit(V& v) {
    v("preprocessing", preprocessing);
  }
};
}  // namespace

}  // namespace efm::eval

EFM_INSTANTIATE_CONFIG(efm::eval::FinetuneExperiment)
EFM_INSTANTIATE_CONFIG(efm::eval::ModelSection)
EFM_INSTANTIATE_CONFIG(efm::eval::PreprocessingSection)

namespace efm::eval {

config::TrainConfig finetune_train_defaults() {
  config::TrainConfig t;
  t.epochs = 50;
  t.lr = 5e-4;
  t.min_lr = 1e-6;
  t.warmup_epochs = 5;
  t.weight_decay = 0.05;
  t.betas = {0.9, 0.999};
  t.checkpoint_every = 1000000;  // checkpoints at the best validation epoch and at the end
  t.keep_last = 1;
  t.batch_size = 64;
  return t;
}

void SplitConfig::validate(const std::string& path) const {
  EFM_CHECK_CONFIG(fractions.size() == 3, "{}: expected 3 values (train, validation, test), got {}",
                   config::join_path(path, "fractions"), fractions.size());
  const double sum = fractions[0] + fractions[1] + fractions[2];
  EFM_CHECK_CONFIG(std::abs(sum - 1.0) < 1e-9, "{}: the fractions must sum to 1, got {} ({}, {}, {})",
                   config::join_path(path, "fractions"), sum, fractions[0], fractions[1], fractions[2]);
  EFM_CHECK_CONFIG(fractions[0] > 0, "{}: the training fraction must be > 0", config::join_path(path, "fractions"));
}

std::optional<models::BackboneConfig> model_section_of(const std::string& config_yaml, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(config_yaml);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}: the stored config is not valid YAML: {}", origin, e.what()));
  }
  if (!root.IsMap() || !root["model"].IsDefined() || root["model"].IsNull()) return std::nullopt;
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "model" << YAML::Value << root["model"] << YAML::EndMap;
  return config::parse_yaml<ModelSection>(out.c_str(), origin).model;
}

std::optional<train::PreprocessingRecord> preprocessing_record_of(const std::string& config_yaml,
                                                                  const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(config_yaml);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}: the stored config is not valid YAML: {}", origin, e.what()));
  }
  if (!root.IsMap() || !root["data"].IsMap() || !root["data"]["preprocessing"].IsDefined() ||
      root["data"]["preprocessing"].IsNull()) {
    return std::nullopt;
  }
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "preprocessing" << YAML::Value << root["data"]["preprocessing"] << YAML::EndMap;
  return config::parse_yaml<PreprocessingSection>(out.c_str(), origin + " data").preprocessing;
}

config::IngestConfig ingest_config_of(const std::string& store_config_yaml, const std::string& origin) {
  return config::parse_yaml<config::IngestExperiment>(store_config_yaml, origin).ingest;
}

}  // namespace efm::eval
