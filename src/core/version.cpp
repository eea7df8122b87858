#include "epilepsyfm/core/version.h"

#include "epilepsyfm/core/version_config.h"

namespace efm {
namespace detail {
const char* git_revision();  // generated at build time by cmake/GitRevision.cmake
}

std::string version() {
  return EFM_VERSION_STRING;
}
std::string git_revision() {
  return detail::git_revision();
}
std::string tool_version() {
  return "epilepsyfm " + version() + " (" + git_revision() + ")";
}

}  // namespace efm
