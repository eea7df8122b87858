#include "epilepsyfm/core/thread_env.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

namespace efm {

namespace {

struct Default {
  const char* name;
  const char* value;    ///< nullptr: reported, never set
  const char* blocker;  ///< not defaulted while this variable is set (nullptr: none)
};

// In report order. libgomp lets GOMP_SPINCOUNT override OMP_WAIT_POLICY, so a policy the user chose blocks ours.
const std::vector<Default>& defaults() {
  static const std::vector<Default> d{{kOmpWaitPolicyVar, nullptr, nullptr},
                                      {kGompSpinCountVar, kGompSpinCountDefault, kOmpWaitPolicyVar},
                                      {kOpenblasThreadTimeoutVar, kOpenblasThreadTimeoutDefault, nullptr}};
  return d;
}

bool marked(const std::string& name) {
  const char* m = std::getenv(kThreadEnvMarkerVar);
  if (m == nullptr) return false;
  std::stringstream ss(m);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item == name) return true;
  }
  return false;
}

}  // namespace

std::vector<ThreadEnvVar> current_thread_env() {
  std::vector<ThreadEnvVar> out;
  for (const Default& d : defaults()) {
    ThreadEnvVar v;
    v.name = d.name;
    if (const char* s = std::getenv(d.name)) v.value = s;
    // A stale marker (the user changed the value afterwards) does not claim the user's value.
    v.set_by_epilepsyfm = d.value != nullptr && marked(v.name) && v.value == d.value;
    out.push_back(v);
  }
  return out;
}

std::string thread_env_summary() {
  std::string s;
  for (const ThreadEnvVar& v : current_thread_env()) {
    if (!s.empty()) s += ", ";
    s += v.value.empty() ? v.name + " unset (library default)"
                         : v.name + "=" + v.value + (v.set_by_epilepsyfm ? " (epilepsyfm default)" : " (yours)");
  }
  return s;
}

bool set_default_thread_env() {
  std::string set;
  for (const Default& d : defaults()) {
    if (d.value == nullptr || std::getenv(d.name) != nullptr) continue;
    if (d.blocker != nullptr && std::getenv(d.blocker) != nullptr) continue;
    if (::setenv(d.name, d.value, /*overwrite=*/0) != 0) continue;
    set += set.empty() ? d.name : std::string(",") + d.name;
  }
  if (set.empty()) return false;
  if (const char* old = std::getenv(kThreadEnvMarkerVar); old != nullptr && *old != '\0') {
    set = std::string(old) + "," + set;
  }
  ::setenv(kThreadEnvMarkerVar, set.c_str(), /*overwrite=*/1);
  return true;
}

void reexec_with_thread_env(int argc, char** argv) {
  if (!set_default_thread_env()) return;
  std::vector<char*> args(argv, argv + argc);
  args.push_back(nullptr);
  ::execv("/proc/self/exe", args.data());
  // Only reached if the exec failed (e.g. no /proc): carry on with the libraries' defaults.
  std::fprintf(stderr, "epilepsyfm: warning: could not restart with the thread settings %s (%s); continuing without\n",
               thread_env_summary().c_str(), std::strerror(errno));
}

}  // namespace efm
