#pragma once
/// Typed configuration structs describe themselves with one `visit` member that lists their fields:
///
///   struct OptimConfig {
///     double lr = 5e-4;
///     std::string schedule = "cosine";
///     template <class V> void visit(V& v) {
///       v("lr", lr, positive());
///       v("schedule", schedule, Choices{"cosine", "constant"});
///     }
///   };
///
/// The same list drives YAML parsing (unknown keys, wrong types and out-of-range values raise ConfigError naming
/// the key path), YAML dumping and round-trip tests, so the parser and the dump can never drift apart. Field types:
/// bool, integers, double, std::string, named enums, nested config structs, std::vector /
/// std::map<std::string, ·> / std::optional of those. A struct may add `void validate(const std::string& path)
/// const` for cross-field checks.
///
/// A named enum (core/enum_names.h) is a field whose allowed values are its table's names: it is parsed into the
/// enum at load ("model.pooling: allowed values are 'mean', 'cls', but got 'max'", the Choices text) and written as
/// the same name, so code below config/ compares enum values, never strings:
///   enum class Pooling { mean, cls };   // + kPoolingNames and enum_names(Pooling) next to it
///   Pooling pooling = Pooling::mean;
///   v("pooling", pooling);
///
/// Renamed keys: a field registered with `Deprecated{...}` is read (with its allowed values) but never written, so
/// files that carry the old key still load; the struct's `void upgrade(const std::string& path)` (called after
/// reading, before validate) moves its value into the new field and clears it:
///   v("bf16", bf16, Deprecated{Choices{"auto", "on", "off"}});   // replaced by `precision`
/// This header does not include yaml-cpp: code below config/ never sees a YAML node.
#include <fmt/format.h>

#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "epilepsyfm/core/enum_names.h"

namespace efm::config {

/// Numeric range constraint of a field.
struct Bounds {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_inclusive = true;
  bool hi_inclusive = true;

  bool contains(double v) const {
    const bool above = lo_inclusive ? v >= lo : v > lo;
    const bool below = hi_inclusive ? v <= hi : v < hi;
    return above && below;
  }
  /// "> 0", ">= 1", "<= 1", "in [0, 1]", "in (0, 1]".
  std::string describe() const;
};

inline Bounds positive() {
  return {0.0, std::numeric_limits<double>::infinity(), false, true};
}
inline Bounds non_negative() {
  return {0.0, std::numeric_limits<double>::infinity(), true, true};
}
inline Bounds at_least(double lo) {
  return {lo, std::numeric_limits<double>::infinity(), true, true};
}
inline Bounds in_range(double lo, double hi) {
  return {lo, hi, true, true};
}
/// [0, 1]
inline Bounds fraction() {
  return {0.0, 1.0, true, true};
}
/// (0, 1)
inline Bounds open_fraction() {
  return {0.0, 1.0, false, false};
}

/// Allowed values of a string field (or of each element of a string list).
struct Choices {
  Choices(std::initializer_list<const char*> values) {
    for (const char* v : values) allowed.emplace_back(v);
  }
  explicit Choices(std::vector<std::string> values) : allowed(std::move(values)) {}
  bool contains(const std::string& v) const {
    for (const auto& a : allowed) {
      if (a == v) return true;
    }
    return false;
  }
  std::vector<std::string> allowed;
};

/// Marks a field kept only so that older files load (see the top of this file): read, checked against `choices`
/// (none: any value), never written.
struct Deprecated {
  std::optional<Choices> choices;
};

/// "model.pooling: allowed values are 'cls', 'mean', but got 'max'"
std::string choice_error(const std::string& path, const Choices& choices, const std::string& got);

/// The configuration schema version this build reads and writes (`config_version:` in every file and checkpoint).
inline constexpr int kConfigVersion = 1;

/// The kinds of experiment config, written as their `experiment:` tag (an experiment type declares its kind as
/// `static constexpr ExperimentKind kExperiment`).
enum class ExperimentKind { tokenizer, pretrain, finetune };
inline constexpr EnumNames<ExperimentKind, 3> kExperimentKindNames{{{ExperimentKind::tokenizer, "tokenizer"},
                                                                    {ExperimentKind::pretrain, "pretrain"},
                                                                    {ExperimentKind::finetune, "finetune"}}};
constexpr const auto& enum_names(ExperimentKind) {
  return kExperimentKindNames;
}

}  // namespace efm::config
