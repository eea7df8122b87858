#pragma once
// Command-line helpers shared by the benchmark binaries (not part of the library): `--name value` options and
// `--name` flags, looked up by exact name.
#include <string>

namespace efm::bench {

/// The value after `name`, or `fallback` when `name` is absent or last.
inline std::string flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return fallback;
}

/// Whether `name` is among the arguments.
inline bool has_flag(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == name) return true;
  }
  return false;
}

}  // namespace efm::bench
