#include "epilepsyfm/core/thread_env.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace efm {

ThreadEnv current_thread_env() {
  ThreadEnv e;
  if (const char* v = std::getenv(kOmpWaitPolicyVar)) e.omp_wait_policy = v;
  const char* marker = std::getenv(kThreadEnvMarkerVar);
  e.set_by_epilepsyfm =
      marker != nullptr && std::strcmp(marker, "1") == 0 && e.omp_wait_policy == kOmpWaitPolicyDefault;
  return e;
}

bool set_default_thread_env() {
  if (std::getenv(kOmpWaitPolicyVar) != nullptr) return false;
  if (::setenv(kOmpWaitPolicyVar, kOmpWaitPolicyDefault, /*overwrite=*/0) != 0) return false;
  ::setenv(kThreadEnvMarkerVar, "1", /*overwrite=*/1);
  return true;
}

void reexec_with_thread_env(int argc, char** argv) {
  if (!set_default_thread_env()) return;
  std::vector<char*> args(argv, argv + argc);
  args.push_back(nullptr);
  ::execv("/proc/self/exe", args.data());
  // Only reached if the exec failed (e.g. no /proc): carry on with libgomp's default policy.
  std::fprintf(stderr, "epilepsyfm: warning: could not restart with %s=%s (%s); continuing with the default policy\n",
               kOmpWaitPolicyVar, kOmpWaitPolicyDefault, std::strerror(errno));
}

}  // namespace efm
