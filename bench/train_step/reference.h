#pragma once
// Runs bench/reference/labram_step.py with the Python of the torch wheel this build links (EFM_TORCH_PYTHON) and
// parses its `key=value` lines.
#include <map>
#include <string>
#include <vector>

namespace efm::bench {

inline constexpr const char* kPython = EFM_TORCH_PYTHON;

/// Empty when `kPython` can import torch; otherwise what went wrong (for a loud message).
std::string python_torch_problem();

struct ReferenceRun {
  bool ok = false;
  std::string output;                         ///< full stdout + stderr (shown when !ok)
  std::map<std::string, std::string> values;  ///< key=value lines

  double number(const std::string& key) const;                ///< 0 when absent
  std::vector<double> numbers(const std::string& key) const;  ///< comma-separated list; empty when absent
};

/// Runs the script with `args` (e.g. "--phase tokenizer --threads 2 ..."); ok = exit status 0 and `expect_key` seen.
/// `env` prefixes the command (e.g. "env -u OMP_WAIT_POLICY"); empty = this process's environment.
ReferenceRun run_reference(const std::string& args, const std::string& expect_key, const std::string& env = {});

}  // namespace efm::bench
