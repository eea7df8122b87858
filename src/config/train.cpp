// TrainConfig is a section of the verbs' experiments (tokenizer, pretrain, finetune), which instantiate the YAML
// loader for their own top-level types; only the cross-field checks live here.
#include "epilepsyfm/config/train.h"

#include "epilepsyfm/config/yaml_io.h"

namespace efm::config {

void KeepBestConfig::validate(const std::string& path) const {
  if (metric.empty()) return;
  const auto slash = metric.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == metric.size()) {
    throw ConfigError(fmt::format("{}: expected '<split>/<name>' such as 'val/loss', got '{}'",
                                  detail::join_path(path, "metric"), metric));
  }
}

void TrainConfig::upgrade(const std::string& path) {
  if (!bf16) return;
  // train.bf16 (until Dec 2026): auto | on | off.
  const PrecisionSetting mapped = *bf16 == LegacyBf16::on    ? PrecisionSetting::bf16
                                  : *bf16 == LegacyBf16::off ? PrecisionSetting::fp32
                                                             : PrecisionSetting::automatic;
  if (precision != PrecisionSetting::automatic && precision != mapped) {
    throw ConfigError(fmt::format("{}: '{}' (deprecated; means precision '{}') contradicts {}: '{}'; remove {}",
                                  detail::join_path(path, "bf16"), *bf16, mapped, detail::join_path(path, "precision"),
                                  precision, detail::join_path(path, "bf16")));
  }
  if (precision == PrecisionSetting::automatic) precision = mapped;
  bf16.reset();
}

void TrainConfig::validate(const std::string& path) const {
  if (steps == 0 && epochs == 0) {
    throw ConfigError(fmt::format("{}: one of steps or epochs must be > 0", path.empty() ? "train" : path));
  }
  if (betas.size() != 2) {
    throw ConfigError(
        fmt::format("{}: expected 2 values (beta1, beta2), got {}", detail::join_path(path, "betas"), betas.size()));
  }
  if (min_lr > lr) {
    throw ConfigError(fmt::format("{}: {} is larger than lr ({})", detail::join_path(path, "min_lr"), min_lr, lr));
  }
  if (warmup_steps > 0 && warmup_epochs > 0) {
    throw ConfigError(fmt::format("{}: warmup_steps ({}) and warmup_epochs ({}) are both set; set only one",
                                  path.empty() ? "train" : path, warmup_steps, warmup_epochs));
  }
  if (steps > 0 && warmup_steps > steps) {
    throw ConfigError(
        fmt::format("{}: {} exceeds steps ({})", detail::join_path(path, "warmup_steps"), warmup_steps, steps));
  }
  keep_best.validate(detail::join_path(path, "keep_best"));
}

}  // namespace efm::config
