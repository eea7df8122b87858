#pragma once
/// Version of this build.
#include <string>

namespace efm {

/// Project version, e.g. "0.1.0".
std::string version();
/// Short git revision of the source tree at build time ("<sha>[-dirty]" or "unknown").
std::string git_revision();
/// "epilepsyfm 0.1.0 (<rev>)": stored in stores and checkpoints.
std::string tool_version();

}  // namespace efm
