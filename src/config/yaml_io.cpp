#include "epilepsyfm/config/yaml_io.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <fstream>

#include "epilepsyfm/config/run.h"

namespace efm::config {

std::string Bounds::describe() const {
  const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
  if (has_lo && has_hi) {
    return fmt::format("in {}{}, {}{}", lo_inclusive ? '[' : '(', detail::format_double(lo), detail::format_double(hi),
                       hi_inclusive ? ']' : ')');
  }
  if (has_lo) return fmt::format("{} {}", lo_inclusive ? ">=" : ">", detail::format_double(lo));
  if (has_hi) return fmt::format("{} {}", hi_inclusive ? "<=" : "<", detail::format_double(hi));
  return "any number";
}

std::string choice_error(const std::string& path, const Choices& choices, const std::string& got) {
  return allowed_values_error(path, choices.allowed, got);
}

void RunConfig::validate(const std::string& path) const {
  const bool ok = device == "auto" || device == "cpu" || device == "cuda" ||
                  (device.rfind("cuda:", 0) == 0 && device.size() > 5 &&
                   device.find_first_not_of("0123456789", 5) == std::string::npos);
  if (!ok) {
    throw ConfigError(fmt::format("{}: allowed values are 'auto', 'cpu', 'cuda', 'cuda:N', but got '{}'",
                                  detail::join_path(path, "device"), device));
  }
}

namespace detail {

std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

void type_error(const std::string& path, const char* expected, const YAML::Node& node) {
  throw ConfigError(
      fmt::format("{}: expected {}, got {}", path.empty() ? "<root>" : path, expected, describe_node(node)));
}

void check_mapping(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) type_error(path, "a mapping of keys", node);
}

bool read_bool(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "off") return false;
  }
  type_error(path, "true or false", node);
}

int64_t read_int(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    int64_t v = 0;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (b != e && *b == '+') ++b;
    auto [ptr, ec] = std::from_chars(b, e, v);
    if (ec == std::errc() && ptr == e && b != e) return v;
  }
  type_error(path, "an integer", node);
}

double read_double(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == ".inf" || s == ".Inf") return std::numeric_limits<double>::infinity();
    if (s == "-.inf" || s == "-.Inf") return -std::numeric_limits<double>::infinity();
    char* end = nullptr;
    errno = 0;
    const double v = s.empty() ? 0.0 : std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && errno != ERANGE && !std::isnan(v)) return v;
  }
  type_error(path, "a number", node);
}

std::string read_string(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) return node.Scalar();
  type_error(path, "a string", node);
}

void check_bounds(double v, const Bounds& b, const std::string& path) {
  if (!b.contains(v)) throw ConfigError(fmt::format("{}: must be {}, got {}", path, b.describe(), format_double(v)));
}

void Reader::finish() const {
  std::vector<std::string> unknown;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) unknown.push_back(key);
  }
  if (!unknown.empty()) {
    throw ConfigError(fmt::format("unknown key '{}'; known keys{}: {}", join_path(path_, unknown.front()),
                                  path_.empty() ? "" : " in '" + path_ + "'", fmt::join(known_, ", ")));
  }
}

std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  std::string s = fmt::format("{}", v);
  // Keep a float-looking form ("1.0", not "1") so the YAML reads as a number in any YAML tool.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* specials[] = {"true", "false", "True", "False", "TRUE", "FALSE", "yes",
                                   "no",   "on",    "off",  "null",  "Null", "NULL",  "~"};
  for (const char* sp : specials) {
    if (s == sp) return true;
  }
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();  // looks like a number
}

void merge_into(YAML::Node& base, const YAML::Node& over) {
  if (!over.IsMap() || !base.IsMap()) {
    base = YAML::Clone(over);
    return;
  }
  for (auto it = over.begin(); it != over.end(); ++it) {
    const std::string key = it->first.Scalar();
    YAML::Node child = base[key];
    if (child.IsDefined() && child.IsMap() && it->second.IsMap()) {
      merge_into(child, it->second);
    } else {
      base[key] = YAML::Clone(it->second);
    }
  }
}

void apply_set(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(fmt::format("--set '{}': expected key.path=value", assignment));
  }
  const std::string key_path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception&) {
    value = YAML::Node(text);  // not valid YAML: take it as a plain string
  }
  if (!value.IsDefined() || (value.IsNull() && text.empty())) value = YAML::Node("");
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const auto dot = key_path.find('.', start);
    parts.push_back(key_path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  // Walk with explicit node copies (yaml-cpp nodes are handles) creating maps as needed.
  std::vector<YAML::Node> chain{root};
  std::string walked;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].empty()) throw ConfigError(fmt::format("--set '{}': empty key in path", assignment));
    walked = join_path(walked, parts[i]);
    YAML::Node next = chain.back()[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    } else if (!next.IsMap()) {
      throw ConfigError(
          fmt::format("--set '{}': '{}' is not a section (it holds {})", assignment, walked, describe_node(next)));
    }
    chain.push_back(next);
  }
  if (parts.back().empty()) throw ConfigError(fmt::format("--set '{}': empty key in path", assignment));
  chain.back()[parts.back()] = value;
}

YAML::Node load_text(std::string_view text, std::string_view origin) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}: YAML syntax error at line {}, column {}: {}", origin, e.mark.line + 1,
                                  e.mark.column + 1, e.msg));
  }
  if (doc.IsNull()) return YAML::Node(YAML::NodeType::Map);
  if (!doc.IsMap()) throw ConfigError(fmt::format("{}: expected a mapping of keys at the top level", origin));
  return doc;
}

YAML::Node load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in.good()) throw ConfigError(fmt::format("cannot read config file '{}'", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return load_text(text, path);
}

void take_config_version(YAML::Node& root, std::string_view origin) {
  const YAML::Node v = root["config_version"];
  if (!v.IsDefined()) return;
  const int64_t version = read_int(v, fmt::format("{}: config_version", origin));
  if (version != kConfigVersion) {
    throw ConfigError(fmt::format("{}: config_version {} is not supported by this build (it reads version {})", origin,
                                  version, kConfigVersion));
  }
  root.remove("config_version");
}

void take_experiment_tag(YAML::Node& root, std::string_view origin, std::optional<ExperimentKind> expected) {
  if (!expected) return;
  const YAML::Node v = root["experiment"];
  if (!v.IsDefined()) return;
  const std::string path = fmt::format("{}: experiment", origin);
  const auto got = parse_enum<ExperimentKind>(read_string(v, path), path);
  if (got != *expected) {
    throw ConfigError(fmt::format("{}: this is a {} experiment's config (experiment: {}), not a {} experiment's",
                                  origin, got, got, *expected));
  }
  root.remove("experiment");
}

}  // namespace detail

std::optional<ExperimentKind> experiment_kind(std::string_view text, std::string_view origin) {
  const YAML::Node root = detail::load_text(text, origin);
  if (const YAML::Node tag = root["experiment"]; tag.IsDefined()) {
    const std::string path = fmt::format("{}: experiment", origin);
    return parse_enum<ExperimentKind>(detail::read_string(tag, path), path);
  }
  // Configs written without the tag: the section only that kind of experiment has.
  if (root["finetune"].IsDefined()) return ExperimentKind::finetune;
  if (root["mask"].IsDefined()) return ExperimentKind::pretrain;
  const YAML::Node tokenizer = root["tokenizer"];
  if (tokenizer.IsDefined() && tokenizer.IsMap() && tokenizer["encoder"].IsDefined()) return ExperimentKind::tokenizer;
  return std::nullopt;
}

}  // namespace efm::config
