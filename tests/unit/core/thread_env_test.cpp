#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "epilepsyfm/core/thread_env.h"

namespace efm {
namespace {

/// Saves an environment variable and restores it (or its absence) on destruction.
class SavedEnv {
 public:
  explicit SavedEnv(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) value_ = v;
  }
  ~SavedEnv() {
    if (value_) {
      ::setenv(name_, value_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> value_;
};

const ThreadEnvVar& var(const std::vector<ThreadEnvVar>& env, const std::string& name) {
  for (const auto& v : env) {
    if (v.name == name) return v;
  }
  throw std::runtime_error("no " + name);
}

TEST(ThreadEnv, SetsDefaultsOnlyWhenUnsetAndMarksItsOwnChoice) {
  SavedEnv policy(kOmpWaitPolicyVar), timeout(kOpenblasThreadTimeoutVar), marker(kThreadEnvMarkerVar);
  ::unsetenv(kOmpWaitPolicyVar);
  ::unsetenv(kOpenblasThreadTimeoutVar);
  ::unsetenv(kThreadEnvMarkerVar);
  EXPECT_EQ(var(current_thread_env(), kOmpWaitPolicyVar).value, "");
  EXPECT_FALSE(var(current_thread_env(), kOmpWaitPolicyVar).set_by_epilepsyfm);
  EXPECT_EQ(thread_env_summary(),
            "OMP_WAIT_POLICY unset (library default), OPENBLAS_THREAD_TIMEOUT unset (library default)");

  EXPECT_TRUE(set_default_thread_env());
  EXPECT_STREQ(std::getenv(kOmpWaitPolicyVar), "PASSIVE");
  EXPECT_STREQ(std::getenv(kOpenblasThreadTimeoutVar), "16");
  EXPECT_STREQ(std::getenv(kThreadEnvMarkerVar), "OMP_WAIT_POLICY,OPENBLAS_THREAD_TIMEOUT");
  EXPECT_TRUE(var(current_thread_env(), kOmpWaitPolicyVar).set_by_epilepsyfm);
  EXPECT_TRUE(var(current_thread_env(), kOpenblasThreadTimeoutVar).set_by_epilepsyfm);
  EXPECT_EQ(thread_env_summary(),
            "OMP_WAIT_POLICY=PASSIVE (epilepsyfm default), OPENBLAS_THREAD_TIMEOUT=16 (epilepsyfm default)");
  EXPECT_FALSE(set_default_thread_env());  // already set: nothing to do, no re-exec

  // The caller's value wins, and a stale marker does not claim it.
  ::setenv(kOmpWaitPolicyVar, "ACTIVE", 1);
  EXPECT_FALSE(set_default_thread_env());
  EXPECT_STREQ(std::getenv(kOmpWaitPolicyVar), "ACTIVE");
  EXPECT_FALSE(var(current_thread_env(), kOmpWaitPolicyVar).set_by_epilepsyfm);
  EXPECT_EQ(thread_env_summary(), "OMP_WAIT_POLICY=ACTIVE (yours), OPENBLAS_THREAD_TIMEOUT=16 (epilepsyfm default)");
}

TEST(ThreadEnv, EachVariableIsDefaultedOnItsOwn) {
  SavedEnv policy(kOmpWaitPolicyVar), timeout(kOpenblasThreadTimeoutVar), marker(kThreadEnvMarkerVar);
  ::unsetenv(kThreadEnvMarkerVar);
  ::setenv(kOmpWaitPolicyVar, "PASSIVE", 1);  // the user's, although equal to ours
  ::unsetenv(kOpenblasThreadTimeoutVar);
  EXPECT_TRUE(set_default_thread_env());
  EXPECT_STREQ(std::getenv(kThreadEnvMarkerVar), "OPENBLAS_THREAD_TIMEOUT");
  EXPECT_EQ(thread_env_summary(), "OMP_WAIT_POLICY=PASSIVE (yours), OPENBLAS_THREAD_TIMEOUT=16 (epilepsyfm default)");
}

}  // namespace
}  // namespace efm
