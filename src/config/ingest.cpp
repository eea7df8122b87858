#include "epilepsyfm/config/ingest.h"

#include <fmt/format.h>

#include <regex>

#include "epilepsyfm/config/yaml_io.h"

namespace efm::config {

void LabelSourceConfig::validate(const std::string& path) const {
  const bool own_annotations = label_format() == LabelFormat::edf;
  if (own_annotations && !paths.empty()) {
    throw ConfigError(fmt::format("{}: format 'edf' reads each recording's own annotations and takes no paths",
                                  detail::join_path(path, "paths")));
  }
  if (!own_annotations && paths.empty()) {
    throw ConfigError(fmt::format("{}: at least one label file or directory is required for format '{}'",
                                  detail::join_path(path, "paths"), format));
  }
}

void IngestLabelsConfig::validate(const std::string& path) const {
  try {
    std::regex re(seizure_regex, std::regex::ECMAScript | std::regex::icase);
  } catch (const std::regex_error& e) {
    throw ConfigError(fmt::format("{}: invalid regular expression '{}': {}", detail::join_path(path, "seizure_regex"),
                                  seizure_regex, e.what()));
  }
  if (background.empty()) {
    throw ConfigError(fmt::format("{}: must not be empty", detail::join_path(path, "background")));
  }
}

std::vector<std::string> LabelSourceConfig::format_choices() {
  std::vector<std::string> names = enum_name_list<LabelFormat>();
  names.insert(names.begin(), "auto");
  return names;
}

std::optional<LabelFormat> LabelSourceConfig::label_format() const {
  if (format == "auto") return std::nullopt;
  return parse_enum<LabelFormat>(format, "labels.sources[].format");
}

void IngestSubjectsConfig::validate(const std::string& path) const {
  if (from == SubjectSource::regex) {
    if (regex.empty()) throw ConfigError(detail::join_path(path, "regex") + ": required when from is 'regex'");
    try {
      std::regex re(regex, std::regex::ECMAScript);
      if (re.mark_count() < 1) {
        throw ConfigError(fmt::format("{}: needs a capture group for the subject, e.g. '(chb\\d+)', got '{}'",
                                      detail::join_path(path, "regex"), regex));
      }
    } catch (const std::regex_error& e) {
      throw ConfigError(
          fmt::format("{}: invalid regular expression '{}': {}", detail::join_path(path, "regex"), regex, e.what()));
    }
  }
  if (from == SubjectSource::mapping && mapping.empty()) {
    throw ConfigError(detail::join_path(path, "mapping") +
                      ": a CSV file (file,subject[,session]) is required when "
                      "from is 'mapping'");
  }
}

}  // namespace efm::config

EFM_INSTANTIATE_CONFIG(efm::config::IngestExperiment)
