#pragma once
/// Loading typed configs with precedence: struct defaults < `--config a.yaml` < `--config b.yaml` (later files win,
/// maps merge key by key) < `--set section.key=value` (value parsed as YAML, so `--set data.channels=[FP1,FP2]`
/// works). The result is validated as a whole: unknown keys (with the known ones listed), wrong types and
/// out-of-range values raise ConfigError naming the key path. Every file and every dump carries `config_version`.
///
///   auto exp = efm::config::load<TokenizerExperiment>({{"configs/tokenizer/tiny.yaml"}, {"train.lr=1e-4"}});
///   std::cout << efm::config::to_yaml(exp);   // --dump-config
///
/// The templates are explicitly instantiated for the experiment types in experiments.h.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "epilepsyfm/config/schema.h"

namespace efm::config {

struct ConfigSources {
  std::vector<std::string> files;  ///< YAML files, in increasing precedence
  std::vector<std::string> sets;   ///< "key.path=value" overrides, in increasing precedence
};

/// Defaults < files < sets, validated.
template <class T>
T load(const ConfigSources& sources);
/// Parses one YAML document (over the defaults). `origin` names it in error messages.
template <class T>
T parse_yaml(std::string_view text, std::string_view origin = "<yaml>");
/// The complete resolved config as YAML, `config_version` first. parse_yaml(to_yaml(x)) == x.
template <class T>
std::string to_yaml(const T& value);
/// The kind of experiment a stored config describes: its `experiment:` tag, written by to_yaml for experiment types
/// that declare T::kExperiment. A config written without the tag is told by the section only that kind has
/// (`finetune`, `mask`, `tokenizer.encoder`). nullopt when neither says; ConfigError naming `origin` when the text
/// is not a YAML mapping or the tag is not a kind.
std::optional<ExperimentKind> experiment_kind(std::string_view text, std::string_view origin);
/// Field-by-field equality (via the canonical dump).
template <class T>
bool equal(const T& a, const T& b) {
  return to_yaml(a) == to_yaml(b);
}

}  // namespace efm::config
