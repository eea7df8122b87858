#include "reference.h"

#include <sys/wait.h>
#include <cstdio>
#include <sstream>

namespace efm::bench {

namespace {

std::pair<int, std::string> run_capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

std::string python_torch_problem() {
  const auto [rc, out] = run_capture(std::string(kPython) + " -c 'import torch; print(torch.__version__)'");
  if (rc == 0) return {};
  return std::string(kPython) + " cannot import torch (exit " + std::to_string(rc) + "): " + out;
}

double ReferenceRun::number(const std::string& key) const {
  const auto it = values.find(key);
  return it == values.end() ? 0.0 : std::stod(it->second);
}

std::vector<double> ReferenceRun::numbers(const std::string& key) const {
  std::vector<double> v;
  const auto it = values.find(key);
  if (it == values.end()) return v;
  std::stringstream ss(it->second);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) v.push_back(std::stod(item));
  }
  return v;
}

ReferenceRun run_reference(const std::string& args, const std::string& expect_key, const std::string& env) {
  ReferenceRun r;
  const auto [rc, out] = run_capture((env.empty() ? std::string() : env + " ") + std::string(kPython) + " " +
                                     EFM_BENCH_REFERENCE_SCRIPT + " " + args);
  r.output = out;
  std::stringstream ss(out);
  std::string line;
  while (std::getline(ss, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos && eq > 0 && line.find(' ') > eq) r.values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  r.ok = rc == 0 && r.values.count(expect_key) > 0;
  return r;
}

}  // namespace efm::bench
