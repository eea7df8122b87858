// The finetune experiment config: YAML loader instantiation, cross-field checks and readers of stored configs.
#include "epilepsyfm/eval/finetune/finetune_config.h"

#include <cmath>
#include <set>

#include "epilepsyfm/config/yaml_io.h"
#include "epilepsyfm/core/check.h"
#include "epilepsyfm/signal/channels.h"

EFM_INSTANTIATE_CONFIG(efm::eval::FinetuneExperiment)

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

InitSource init_source_of(const std::string& config_yaml, std::optional<config::ExperimentKind> kind,
                          const std::string& origin) {
  if (kind == config::ExperimentKind::pretrain) {
    const auto exp = config::parse_yaml<train::PretrainExperiment>(config_yaml, origin);
    return {exp.model, exp.data.preprocessing};
  }
  if (kind == config::ExperimentKind::finetune)
    return {config::parse_yaml<FinetuneExperiment>(config_yaml, origin).model, std::nullopt};
  throw ConfigError(fmt::format(
      "init.checkpoint: {} is {}, not a backbone; give a pretraining run (pretrained.pt) or a fine-tuning run", origin,
      kind ? fmt::format("a {} run's model", *kind) : std::string("of no known experiment kind")));
}

std::vector<std::string> channels_without_learnt_row(const std::vector<std::string>& electrodes,
                                                     const std::vector<std::string>& channels) {
  if (electrodes.empty()) return {};
  std::set<int> known;
  for (const auto& e : electrodes) known.insert(signal::electrode_index(e));
  std::vector<std::string> out;
  for (const auto& c : channels) {
    const int id = signal::electrode_index(c);
    if (id == 0 || known.count(id) == 0) out.push_back(c);
  }
  return out;
}

config::IngestConfig ingest_config_of(const std::string& store_config_yaml, const std::string& origin) {
  return config::parse_yaml<config::IngestExperiment>(store_config_yaml, origin).ingest;
}

}  // namespace efm::eval
