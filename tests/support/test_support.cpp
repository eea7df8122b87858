#include "support/test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "epilepsyfm/core/fs.h"

namespace efm::test {
namespace fs = std::filesystem;

fs::path real_data() {
  return efm::real_data_dir();
}

void warn_missing_data() {
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true)) {
    std::cerr << "\n*** WARNING: real EEG data not found (EPILEPSYFM_DATA unset and ../shared/data absent); "
                 "tests that need it are SKIPPED ***\n\n";
  }
}

fs::path real_file(const std::string& relative) {
  return real_data() / relative;
}

TempDir::TempDir(const std::string& tag) {
  static std::atomic<int> n{0};
  path_ =
      fs::temp_directory_path() / ("efm_test_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  if (std::getenv("EFM_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandResult run_command(const std::string& command) {
  CommandResult r;
  const std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

CommandResult run_cli(const std::vector<std::string>& args, const std::string& env) {
  std::string cmd = env.empty() ? "" : env + " ";
  cmd += shell_quote(EFM_CLI_PATH);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  return run_command(cmd);
}

std::string python_with(const std::vector<std::string>& modules) {
  std::string imports;
  for (const auto& m : modules) imports += (imports.empty() ? "import " : ", ") + m;
  // The Python whose torch wheel gave this build its LibTorch (same PyTorch version as the C++ side), then Debian's.
  for (const std::string py : {std::string(EFM_TORCH_PYTHON), std::string("/usr/bin/python3")}) {
    if (py.empty() || !fs::exists(py)) continue;
    const auto r = run_command(shell_quote(py) + " -c " + shell_quote(imports.empty() ? "pass" : imports));
    if (r.exit_code == 0) return py;
  }
  return {};
}

fs::path source_dir() {
  return EFM_TEST_SOURCE_DIR;
}
std::string config_file(const std::string& relative) {
  return (source_dir() / "configs" / relative).string();
}
fs::path binary_dir() {
  return EFM_TEST_BINARY_DIR;
}

}  // namespace efm::test
