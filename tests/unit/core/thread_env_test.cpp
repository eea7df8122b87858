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
  SavedEnv policy(kOmpWaitPolicyVar), spin(kGompSpinCountVar), timeout(kOpenblasThreadTimeoutVar),
      marker(kThreadEnvMarkerVar);
  ::unsetenv(kOmpWaitPolicyVar);
  ::unsetenv(kGompSpinCountVar);
  ::unsetenv(kOpenblasThreadTimeoutVar);
  ::unsetenv(kThreadEnvMarkerVar);
  EXPECT_EQ(var(current_thread_env(), kGompSpinCountVar).value, "");
  EXPECT_FALSE(var(current_thread_env(), kGompSpinCountVar).set_by_epilepsyfm);
  EXPECT_EQ(thread_env_summary(),
            "OMP_WAIT_POLICY unset (library default), GOMP_SPINCOUNT unset (library default), "
            "OPENBLAS_THREAD_TIMEOUT unset (library default)");

  EXPECT_TRUE(set_default_thread_env());
  EXPECT_EQ(std::getenv(kOmpWaitPolicyVar), nullptr);  // never set by epilepsyfm
  EXPECT_STREQ(std::getenv(kGompSpinCountVar), "20000");
  EXPECT_STREQ(std::getenv(kOpenblasThreadTimeoutVar), "16");
  EXPECT_STREQ(std::getenv(kThreadEnvMarkerVar), "GOMP_SPINCOUNT,OPENBLAS_THREAD_TIMEOUT");
  EXPECT_TRUE(var(current_thread_env(), kGompSpinCountVar).set_by_epilepsyfm);
  EXPECT_TRUE(var(current_thread_env(), kOpenblasThreadTimeoutVar).set_by_epilepsyfm);
  EXPECT_FALSE(var(current_thread_env(), kOmpWaitPolicyVar).set_by_epilepsyfm);
  EXPECT_EQ(thread_env_summary(),
            "OMP_WAIT_POLICY unset (library default), GOMP_SPINCOUNT=20000 (epilepsyfm default), "
            "OPENBLAS_THREAD_TIMEOUT=16 (epilepsyfm default)");
  EXPECT_FALSE(set_default_thread_env());  // already set: nothing to do, no re-exec

  // The caller's value wins, and a stale marker does not claim it.
  ::setenv(kGompSpinCountVar, "300000", 1);
  EXPECT_FALSE(set_default_thread_env());
  EXPECT_STREQ(std::getenv(kGompSpinCountVar), "300000");
  EXPECT_FALSE(var(current_thread_env(), kGompSpinCountVar).set_by_epilepsyfm);
  EXPECT_EQ(thread_env_summary(),
            "OMP_WAIT_POLICY unset (library default), GOMP_SPINCOUNT=300000 (yours), "
            "OPENBLAS_THREAD_TIMEOUT=16 (epilepsyfm default)");
}

TEST(ThreadEnv, EachVariableIsDefaultedOnItsOwn) {
  SavedEnv policy(kOmpWaitPolicyVar), spin(kGompSpinCountVar), timeout(kOpenblasThreadTimeoutVar),
      marker(kThreadEnvMarkerVar);
  ::unsetenv(kThreadEnvMarkerVar);
  ::unsetenv(kOmpWaitPolicyVar);
  ::setenv(kGompSpinCountVar, "20000", 1);  // the user's, although equal to ours
  ::unsetenv(kOpenblasThreadTimeoutVar);
  EXPECT_TRUE(set_default_thread_env());
  EXPECT_STREQ(std::getenv(kThreadEnvMarkerVar), "OPENBLAS_THREAD_TIMEOUT");
  EXPECT_EQ(thread_env_summary(),
            "OMP_WAIT_POLICY unset (library default), GOMP_SPINCOUNT=20000 (yours), "
            "OPENBLAS_THREAD_TIMEOUT=16 (epilepsyfm default)");
}

// libgomp lets GOMP_SPINCOUNT override OMP_WAIT_POLICY: a wait policy the user chose must not be overridden by ours.
TEST(ThreadEnv, AWaitPolicyTheUserSetKeepsTheSpinCountUnset) {
  SavedEnv policy(kOmpWaitPolicyVar), spin(kGompSpinCountVar), timeout(kOpenblasThreadTimeoutVar),
      marker(kThreadEnvMarkerVar);
  ::unsetenv(kThreadEnvMarkerVar);
  ::setenv(kOmpWaitPolicyVar, "PASSIVE", 1);
  ::unsetenv(kGompSpinCountVar);
  ::unsetenv(kOpenblasThreadTimeoutVar);
  EXPECT_TRUE(set_default_thread_env());
  EXPECT_EQ(std::getenv(kGompSpinCountVar), nullptr);
  EXPECT_STREQ(std::getenv(kThreadEnvMarkerVar), "OPENBLAS_THREAD_TIMEOUT");
  EXPECT_EQ(thread_env_summary(),
            "OMP_WAIT_POLICY=PASSIVE (yours), GOMP_SPINCOUNT unset (library default), "
            "OPENBLAS_THREAD_TIMEOUT=16 (epilepsyfm default)");
}

}  // namespace
}  // namespace efm
