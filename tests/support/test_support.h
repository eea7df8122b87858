#pragma once
// Helpers for the test suites.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace efm::test {

/// Real EEG directory ($EPILEPSYFM_DATA or <repo>/../shared/data); empty when absent.
std::filesystem::path real_data();

/// Skips the current test with a loud message when the real data is absent.
#define EFM_REQUIRE_REAL_DATA()                                                                     \
  do {                                                                                              \
    if (::efm::test::real_data().empty()) {                                                         \
      ::efm::test::warn_missing_data();                                                             \
      GTEST_SKIP() << "REAL EEG DATA NOT FOUND: set EPILEPSYFM_DATA or place it at ../shared/data"; \
    }                                                                                               \
  } while (false)
void warn_missing_data();

/// Path of a file under the real data dir (the test must have called EFM_REQUIRE_REAL_DATA()).
std::filesystem::path real_file(const std::string& relative);

/// A fresh temporary directory removed at destruction (kept when EFM_KEEP_TEST_DIRS is set).
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "efm");
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr interleaved
};
/// Runs a shell command, capturing stdout+stderr.
CommandResult run_command(const std::string& command);
/// Runs the epilepsyfm binary with `args` (each shell-quoted).
CommandResult run_cli(const std::vector<std::string>& args, const std::string& env = {});
std::string shell_quote(const std::string& s);

/// A Python that can import all `modules`: first the one whose torch wheel gave this build its LibTorch (.venv, set
/// at configure time as EFM_TORCH_PYTHON), then Debian's /usr/bin/python3; empty string when neither can.
std::string python_with(const std::vector<std::string>& modules);
/// Skips the test loudly when Debian python3 with `modules` is unavailable; otherwise yields the interpreter.
#define EFM_REQUIRE_PYTHON(var, ...)                                                                            \
  const std::string var = ::efm::test::python_with({__VA_ARGS__});                                              \
  if (var.empty())                                                                                              \
  GTEST_SKIP() << "PYTHON REFERENCE UNAVAILABLE: needs .venv/bin/python or /usr/bin/python3 with " #__VA_ARGS__ \
                  " (run scripts/setup.sh)"

std::filesystem::path source_dir();
/// A file under the repository's configs/, e.g. config_file("finetune/seizure_detection.yaml").
std::string config_file(const std::string& relative);
std::filesystem::path binary_dir();

}  // namespace efm::test
