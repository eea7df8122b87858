#include "epilepsyfm/core/enum_names.h"

namespace efm {

std::string allowed_values_error(std::string_view path, const std::vector<std::string>& allowed, std::string_view got) {
  std::string quoted;
  for (const auto& a : allowed) {
    if (!quoted.empty()) quoted += ", ";
    quoted += "'" + a + "'";
  }
  return fmt::format("{}: allowed values are {}, but got '{}'", path, quoted, got);
}

}  // namespace efm
