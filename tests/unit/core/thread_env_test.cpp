#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

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

TEST(ThreadEnv, SetsPassiveOnlyWhenUnsetAndMarksItsOwnChoice) {
  SavedEnv policy(kOmpWaitPolicyVar), marker(kThreadEnvMarkerVar);
  ::unsetenv(kOmpWaitPolicyVar);
  ::unsetenv(kThreadEnvMarkerVar);
  EXPECT_EQ(current_thread_env().omp_wait_policy, "");
  EXPECT_FALSE(current_thread_env().set_by_epilepsyfm);

  EXPECT_TRUE(set_default_thread_env());
  EXPECT_STREQ(std::getenv(kOmpWaitPolicyVar), "PASSIVE");
  EXPECT_EQ(current_thread_env().omp_wait_policy, "PASSIVE");
  EXPECT_TRUE(current_thread_env().set_by_epilepsyfm);
  EXPECT_FALSE(set_default_thread_env());  // already set: nothing to do, no re-exec

  // The caller's value wins, and a stale marker does not claim it.
  ::setenv(kOmpWaitPolicyVar, "ACTIVE", 1);
  EXPECT_FALSE(set_default_thread_env());
  EXPECT_STREQ(std::getenv(kOmpWaitPolicyVar), "ACTIVE");
  EXPECT_EQ(current_thread_env().omp_wait_policy, "ACTIVE");
  EXPECT_FALSE(current_thread_env().set_by_epilepsyfm);
}

}  // namespace
}  // namespace efm
