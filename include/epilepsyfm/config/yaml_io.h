#pragma once
/// The YAML side of config/loader.h: visitors that read, write and merge YAML for any struct with `visit`. Included
/// where a layer loads or writes its own config structs (train's experiments, eval's fine-tuning config, tests);
/// everything else includes config/loader.h.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/config/schema.h"
#include "epilepsyfm/core/enum_names.h"
#include "epilepsyfm/core/error.h"

namespace efm::config::detail {

// ---- type traits ----------------------------------------------------------------------------------------------
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_map : std::false_type {};
template <class T>
struct is_map<std::map<std::string, T>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
inline constexpr bool is_section_v = std::is_class_v<T> && !std::is_same_v<T, std::string> && !is_vector<T>::value &&
                                     !is_map<T>::value && !is_optional<T>::value;

template <class T, class = void>
struct has_upgrade : std::false_type {};
template <class T>
struct has_upgrade<T, std::void_t<decltype(std::declval<T&>().upgrade(std::string()))>> : std::true_type {};

template <class T, class = void>
struct has_validate : std::false_type {};
template <class T>
struct has_validate<T, std::void_t<decltype(std::declval<const T&>().validate(std::string()))>> : std::true_type {};

std::string join_path(const std::string& path, const std::string& key);
std::string describe_node(const YAML::Node& node);
[[noreturn]] void type_error(const std::string& path, const char* expected, const YAML::Node& node);

bool read_bool(const YAML::Node& node, const std::string& path);
int64_t read_int(const YAML::Node& node, const std::string& path);
double read_double(const YAML::Node& node, const std::string& path);
std::string read_string(const YAML::Node& node, const std::string& path);
void check_bounds(double v, const Bounds& b, const std::string& path);
void check_mapping(const YAML::Node& node, const std::string& path);

// ---- reading --------------------------------------------------------------------------------------------------
class Reader;

template <class T>
void read_value(const YAML::Node& node, const std::string& path, T& out);

template <class T>
void read_section(const YAML::Node& node, const std::string& path, T& out);

class Reader {
 public:
  Reader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  template <class T>
  void operator()(const char* key, T& value) {
    field(key, value, nullptr, nullptr);
  }
  template <class T>
  void operator()(const char* key, T& value, const Bounds& b) {
    field(key, value, &b, nullptr);
  }
  template <class T>
  void operator()(const char* key, T& value, const Choices& c) {
    field(key, value, nullptr, &c);
  }
  template <class T>
  void operator()(const char* key, T& value, const Deprecated& d) {
    field(key, value, nullptr, d.choices ? &*d.choices : nullptr);
  }

  /// Raises ConfigError for keys in the node that no field claimed.
  void finish() const;

 private:
  template <class T>
  void field(const char* key, T& value, const Bounds* b, const Choices* c) {
    known_.emplace_back(key);
    const YAML::Node child = node_[key];
    if (!child.IsDefined()) return;  // keep the default
    const std::string path = join_path(path_, key);
    read_value(child, path, value);
    if (b) apply_bounds(value, *b, path);
    if (c) apply_choices(value, *c, path);
  }

  template <class T>
  static void apply_bounds(const T& value, const Bounds& b, const std::string& path) {
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      check_bounds(static_cast<double>(value), b, path);
    } else if constexpr (is_vector<T>::value) {
      for (size_t i = 0; i < value.size(); ++i) apply_bounds(value[i], b, path + "[" + std::to_string(i) + "]");
    } else if constexpr (is_optional<T>::value) {
      if (value) apply_bounds(*value, b, path);
    } else if constexpr (is_map<T>::value) {
      for (const auto& [k, v] : value) apply_bounds(v, b, join_path(path, k));
    }
  }
  template <class T>
  static void apply_choices(const T& value, const Choices& c, const std::string& path) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!c.contains(value)) throw ConfigError(choice_error(path, c, value));
    } else if constexpr (NamedEnum<T>) {
      apply_choices(std::string(enum_name(value)), c, path);  // a field that takes part of its enum
    } else if constexpr (is_vector<T>::value) {
      for (size_t i = 0; i < value.size(); ++i) apply_choices(value[i], c, path + "[" + std::to_string(i) + "]");
    } else if constexpr (is_optional<T>::value) {
      if (value) apply_choices(*value, c, path);
    }
  }

  const YAML::Node& node_;
  std::string path_;
  std::vector<std::string> known_;
};

template <class T>
void read_section(const YAML::Node& node, const std::string& path, T& out) {
  check_mapping(node, path);
  Reader reader(node, path);
  out.visit(reader);
  reader.finish();
  if constexpr (has_upgrade<T>::value) out.upgrade(path);
  if constexpr (has_validate<T>::value) out.validate(path);
}

template <class T>
void read_value(const YAML::Node& node, const std::string& path, T& out) {
  if constexpr (std::is_same_v<T, bool>) {
    out = read_bool(node, path);
  } else if constexpr (std::is_integral_v<T>) {
    const int64_t v = read_int(node, path);
    const bool out_of_range =
        std::is_signed_v<T> ? v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
                                  v > static_cast<int64_t>(std::numeric_limits<T>::max())
                            : v < 0 || static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<T>::max());
    if (out_of_range) {
      throw ConfigError(path + ": integer " + std::to_string(v) + " is out of range for this field");
    }
    out = static_cast<T>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    out = static_cast<T>(read_double(node, path));
  } else if constexpr (std::is_same_v<T, std::string>) {
    out = read_string(node, path);
  } else if constexpr (NamedEnum<T>) {
    out = parse_enum<T>(read_string(node, path), path);
  } else if constexpr (is_optional<T>::value) {
    // An optional named enum also reads "" as null (its default).
    if (node.IsNull() || (NamedEnum<typename T::value_type> && node.IsScalar() && node.Scalar().empty())) {
      out.reset();
    } else {
      typename T::value_type v{};
      read_value(node, path, v);
      out = std::move(v);
    }
  } else if constexpr (is_vector<T>::value) {
    if (!node.IsSequence()) type_error(path, "a list", node);
    T result;
    result.resize(node.size());
    for (size_t i = 0; i < node.size(); ++i) read_value(node[i], path + "[" + std::to_string(i) + "]", result[i]);
    out = std::move(result);
  } else if constexpr (is_map<T>::value) {
    check_mapping(node, path);
    T result;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      read_value(it->second, join_path(path, key), result[key]);
    }
    out = std::move(result);
  } else {
    static_assert(is_section_v<T>, "unsupported config field type");
    T section = out;  // start from current values (defaults)
    read_section(node, path, section);
    out = std::move(section);
  }
}

// ---- writing --------------------------------------------------------------------------------------------------
std::string format_double(double v);
bool needs_quotes(const std::string& s);

class Writer {
 public:
  explicit Writer(YAML::Emitter& out) : out_(out) {}
  template <class T, class... Constraint>
  void operator()(const char* key, T& value, const Constraint&...) {
    out_ << YAML::Key << key << YAML::Value;
    write_value(value);
  }
  /// Deprecated fields are read but never written.
  template <class T>
  void operator()(const char*, T&, const Deprecated&) {}

  template <class T>
  void write_value(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      out_ << (value ? "true" : "false");
    } else if constexpr (std::is_integral_v<T>) {
      out_ << static_cast<int64_t>(value);
    } else if constexpr (std::is_floating_point_v<T>) {
      out_ << format_double(static_cast<double>(value));
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (needs_quotes(value)) {
        out_ << YAML::DoubleQuoted << value;
      } else {
        out_ << value;
      }
    } else if constexpr (NamedEnum<T>) {
      write_value(std::string(enum_name(value)));
    } else if constexpr (is_optional<T>::value) {
      if (value) {
        write_value(*value);
      } else {
        out_ << YAML::Null;
      }
    } else if constexpr (is_vector<T>::value) {
      using E = typename T::value_type;
      const bool flow = !is_section_v<E> && !is_vector<E>::value && !is_map<E>::value;
      if (flow) out_ << YAML::Flow;
      out_ << YAML::BeginSeq;
      for (const auto& e : value) write_value(e);
      out_ << YAML::EndSeq;
    } else if constexpr (is_map<T>::value) {
      out_ << YAML::BeginMap;
      for (const auto& [k, v] : value) {
        out_ << YAML::Key << k << YAML::Value;
        write_value(v);
      }
      out_ << YAML::EndMap;
    } else {
      out_ << YAML::BeginMap;
      T copy = value;  // visit() takes non-const references
      copy.visit(*this);
      out_ << YAML::EndMap;
    }
  }

 private:
  YAML::Emitter& out_;
};

// ---- merging --------------------------------------------------------------------------------------------------
/// Merges `over` into `base`: maps key by key (recursively), everything else replaced.
void merge_into(YAML::Node& base, const YAML::Node& over);
/// Applies "a.b.c=value" (value parsed as YAML) to `root`.
void apply_set(YAML::Node& root, const std::string& assignment);
/// Loads a YAML file as a mapping; ConfigError naming the file (and line) on syntax errors.
YAML::Node load_file(const std::string& path);
YAML::Node load_text(std::string_view text, std::string_view origin);
/// Checks and removes `config_version` from a top-level document.
void take_config_version(YAML::Node& root, std::string_view origin);
/// Checks and removes the `experiment:` tag from a top-level document: ConfigError when it names another kind than
/// `expected` (nullptr: the type has no tag, and a tag is an unknown key as any other).
void take_experiment_tag(YAML::Node& root, std::string_view origin, std::optional<ExperimentKind> expected);

/// T::kExperiment for experiment types that declare one, else nullopt.
template <class T, class = void>
struct experiment_tag {
  static constexpr std::optional<ExperimentKind> value = std::nullopt;
};
template <class T>
struct experiment_tag<T, std::void_t<decltype(T::kExperiment)>> {
  static constexpr std::optional<ExperimentKind> value = T::kExperiment;
};

template <class T>
std::string dump_body(const T& value) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "config_version" << YAML::Value << kConfigVersion;
  if constexpr (experiment_tag<T>::value.has_value()) {
    out << YAML::Key << "experiment" << YAML::Value << std::string(enum_name(*experiment_tag<T>::value));
  }
  T copy = value;
  Writer w(out);
  copy.visit(w);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

template <class T>
T parse_root(YAML::Node root) {
  T value{};
  read_section(root, "", value);
  return value;
}

template <class T>
YAML::Node defaults_node() {
  YAML::Node n = YAML::Load(dump_body(T{}));
  n.remove("config_version");
  n.remove("experiment");
  return n;
}

}  // namespace efm::config::detail

namespace efm::config {

/// "section.key" (or "key" at the top), the key paths error messages name.
using detail::join_path;

template <class T>
std::string to_yaml(const T& value) {
  return detail::dump_body(value);
}

template <class T>
T parse_yaml(std::string_view text, std::string_view origin) {
  YAML::Node root = detail::defaults_node<T>();
  YAML::Node doc = detail::load_text(text, origin);
  detail::take_config_version(doc, origin);
  detail::take_experiment_tag(doc, origin, detail::experiment_tag<T>::value);
  detail::merge_into(root, doc);
  return detail::parse_root<T>(root);
}

template <class T>
T load(const ConfigSources& sources) {
  YAML::Node root = detail::defaults_node<T>();
  for (const auto& file : sources.files) {
    YAML::Node doc = detail::load_file(file);
    detail::take_config_version(doc, file);
    detail::take_experiment_tag(doc, file, detail::experiment_tag<T>::value);
    detail::merge_into(root, doc);
  }
  for (const auto& s : sources.sets) detail::apply_set(root, s);
  return detail::parse_root<T>(root);
}

}  // namespace efm::config

/// Explicitly instantiates the loader templates for one config type (in a config/ source file).
#define EFM_INSTANTIATE_CONFIG(T)                                            \
  template T efm::config::load<T>(const efm::config::ConfigSources&);        \
  template T efm::config::parse_yaml<T>(std::string_view, std::string_view); \
  template std::string efm::config::to_yaml<T>(const T&);
