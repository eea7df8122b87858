#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.h"

using ::testing::HasSubstr;

namespace efm {

TEST(Cli, VersionReportsTheLinkedLibTorchAndItsBackends) {
  const auto r = test::run_cli({"version"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The LibTorch CMake found at configure time, and the file actually mapped into the process.
  EXPECT_THAT(r.output, HasSubstr(std::string("LibTorch        ") + EFM_TEST_TORCH_VERSION + " ("));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("libtorch_cpu\\.so\\)"));
  // The pip wheels for x86-64 are built with MKL and oneDNN (at::show_config()).
  EXPECT_THAT(r.output, HasSubstr("BLAS            mkl"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("oneDNN +v[0-9]+\\.[0-9]+"));
  EXPECT_THAT(r.output,
              HasSubstr(EFM_TEST_TORCH_CUDA ? "CUDA            CUDA " : "CUDA            not built in (CPU LibTorch)"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("threads +[0-9]+ \\(LibTorch intra-op\\)"));
  EXPECT_THAT(r.output, HasSubstr("readers         EDFlib 1.23"));
  EXPECT_THAT(r.output, HasSubstr("store           HDF5 1.10"));
}

TEST(Cli, VersionThreadsOptionIsApplied) {
  const auto r = test::run_cli({"version", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("threads         2 (LibTorch intra-op)"));
}

// core/thread_env.h: both binaries start LibTorch with GOMP_SPINCOUNT=20000 and OPENBLAS_THREAD_TIMEOUT=16 unless
// the caller chose a value (a wait policy of the caller's also keeps the spin count unset).
TEST(Cli, UsageErrorsExitWithTwo) {
  auto r = test::run_cli({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown verb 'frobnicate'"));
  r = test::run_cli({"version", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown option '--bogus'"));
  r = test::run_cli({});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, HelpEverywhere) {
  auto r = test::run_cli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("verbs:"));
  EXPECT_THAT(r.output, HasSubstr("version"));
  r = test::run_cli({"version", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("usage: epilepsyfm version"));
}

TEST(Cli, LogLevelFromEnvironmentIsValidated) {
  const auto r = test::run_cli({"version"}, "EPILEPSYFM_LOG_LEVEL=chatty");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("EPILEPSYFM_LOG_LEVEL: allowed values are"));
}

}  // namespace efm
